"""ASGI middleware (plain ASGI: cheaper than BaseHTTPMiddleware per request): request IDs, access log, metrics,
and the body-size limit, which must act before a large body is read into memory."""

from __future__ import annotations

import json
import logging
import time
import uuid

from bbt.serve.metrics import Metrics

log = logging.getLogger("bbt.serve")


class _BodyTooLarge(Exception):
    pass


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
        rid = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
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
                        raise _BodyTooLarge
                return message

            try:
                await self.app(scope, receive_wrapper, send_wrapper)
            except _BodyTooLarge:
                if not status["started"]:
                    status["code"] = 413
                    await send_json(send, 413, _error_body("body_too_large",
                                                           f"request body over {self.max_body} bytes", rid), rid)
        finally:
            seconds = time.perf_counter() - t0
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.in_flight.dec()
            self.metrics.requests.labels(route, scope["method"], str(status["code"])).inc()
            self.metrics.latency.labels(route).observe(seconds)
            log.info("%s %s %s %d %.1fms", rid, scope["method"], scope["path"], status["code"], seconds * 1000)
