"""ASGI middleware (plain ASGI: cheaper than BaseHTTPMiddleware per request): request IDs, access log, metrics,
and the body-size limit, which must act before a large body is read into memory."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.exceptions import HTTPException

from bbt.serve.metrics import Metrics

log = logging.getLogger("bbt.serve")
_GOOD_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")  # why: client IDs go into logs; no spaces or control characters
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


class _BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body reader re-raises it (it turns other exceptions into a 400)."""

    def __init__(self, limit: int):
        super().__init__(413, {"type": "body_too_large", "message": f"request body over {limit} bytes",
                               "field": "body"})


def _error_body(type_: str, message: str, request_id: str, field: str | None = None) -> bytes:
    detail = {"type": type_, "message": message, "field": field}
    return json.dumps({"error": detail, "errors": [detail], "request_id": request_id}).encode()


async def send_json(send, status: int, body: bytes, request_id: str, headers: list | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"x-request-id", request_id.encode()),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """Gives every request an ID (a client's X-Request-ID is kept), logs it, counts it, caps its body size."""

    def __init__(self, app, metrics: Metrics, max_body_bytes: int):
        self.app, self.metrics, self.max_body = app, metrics, max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _GOOD_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        status = {"code": 500, "started": False}
        t0 = time.perf_counter()
        self.metrics.in_flight.inc()

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body:
                status["code"] = 413
                await send_json(send, 413, _error_body("body_too_large", f"request body is {int(declared)} bytes; "
                                                      f"at most {self.max_body}", rid), rid)
                return
            seen = 0

            async def receive_wrapper():
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > self.max_body:
                        raise _BodyTooLarge(self.max_body)
                return message

            try:
                await self.app(scope, receive_wrapper, send_wrapper)
            except _BodyTooLarge:
                if not status["started"]:
                    status["code"] = 413
                    await send_json(send, 413, _error_body("body_too_large",
                                                           f"request body over {self.max_body} bytes", rid), rid)
            except Exception:  # noqa: BLE001 - a bug: logged with its request ID, answered as JSON, never a traceback
                log.exception("request %s %s %r failed", rid, scope["method"], scope["path"])
                if not status["started"]:
                    status["code"] = 500
                    await send_json(send, 500, _error_body(
                        "internal_error", f"internal error; quote request id {rid} when reporting it", rid), rid)
        finally:
            seconds = time.perf_counter() - t0
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.in_flight.dec()
            method = scope["method"] if scope["method"] in _METHODS else "other"
            self.metrics.requests.labels(route, method, str(status["code"])).inc()
            self.metrics.latency.labels(route).observe(seconds)
            log.info("%s %s %r %d %.1fms", rid, method, scope["path"], status["code"], seconds * 1000)
