"""One JSON error shape for every failure: {"error": {type, message, field}, "errors": [...], "request_id"}.

Bad input is always a 4xx that names the field; a 500 means a bug: `RequestContextMiddleware` logs it with its
traceback and request ID and answers in this shape, never with the traceback. A full queue is a 503.
"""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bbt.errors import BBTError
from bbt.serve.batching import Overloaded
from bbt.serve.limits import InputLimitError


class SafeJSONResponse(JSONResponse):
    """Errors may echo client input (a field name, a value); ASCII escapes keep even a lone surrogate encodable."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def request_id(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


def error_response(request: Request, status: int, type_: str, message: str, field: str | None = None,
                   errors: list[dict] | None = None, headers: dict | None = None) -> SafeJSONResponse:
    detail = {"type": type_, "message": message, "field": field}
    return SafeJSONResponse({"error": detail, "errors": errors or [detail], "request_id": request_id(request)},
                        status_code=status, headers=headers)


def _field(loc: tuple) -> str:
    """('body', 'texts', 3) -> 'texts[3]'."""
    out = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errs = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errs):
            e = next(e for e in errs if e.get("type") == "json_invalid")
            return error_response(request, 400, "malformed_json", f"body is not valid JSON: {e.get('msg')} "
                                  f"(at position {e.get('loc', [None, None])[-1]})", "body")
        items = [{"type": e.get("type", "invalid"), "message": f"{_field(tuple(e.get('loc', ())))}: {e.get('msg')}",
                  "field": _field(tuple(e.get("loc", ())))} for e in errs]
        first = items[0]
        return error_response(request, 422, "invalid_input", first["message"], first["field"], items)

    @app.exception_handler(InputLimitError)
    async def _limit(request: Request, exc: InputLimitError):
        return error_response(request, exc.status, exc.type, exc.message, exc.field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, dict) else {"type": "http_error", "message": str(exc.detail)}
        return error_response(request, exc.status_code, detail.get("type", "http_error"), detail.get("message", ""),
                              detail.get("field"), headers=getattr(exc, "headers", None))

    @app.exception_handler(BBTError)
    async def _bbt(request: Request, exc: BBTError):
        return error_response(request, 400, "bad_request", str(exc))

    @app.exception_handler(Overloaded)
    async def _overloaded(request: Request, exc: Overloaded):
        return error_response(request, 503, "overloaded", f"the {exc} queue is full; retry shortly",
                              headers={"Retry-After": "1"})
