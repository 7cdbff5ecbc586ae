"""The API-key dependency: every /v1 route but health needs a live key, then passes the key's rate limit."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="A key from `bbt keys create`.")
_bearer = HTTPBearer(auto_error=False, description="The same key as `Authorization: Bearer <key>`.")


def presented_key(api_key: Annotated[str | None, Depends(_api_key)],
                  bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str | None:
    """The key a request carries: `X-API-Key: <key>`, else `Authorization: Bearer <key>`; None when neither."""
    return api_key or (bearer.credentials if bearer else None)


PresentedKey = Annotated[str | None, Depends(presented_key)]


def is_live_key(request: Request, key: str | None) -> bool:
    """True when keys are off, or `key` is known and not revoked (no rate limit is spent)."""
    state = request.app.state
    if not state.settings.require_keys:
        return True
    record = state.keys.verify(key) if key else None
    return record is not None and record.active


def _deny(status: int, type_: str, message: str, headers: dict | None = None) -> HTTPException:
    return HTTPException(status, {"type": type_, "message": message}, headers=headers)


async def require_key(request: Request, key: PresentedKey) -> str | None:
    state = request.app.state
    if not state.settings.require_keys:
        return None
    if not key:
        raise _deny(401, "auth_missing", "no API key: send it as `X-API-Key: <key>` or `Authorization: Bearer <key>`",
                    {"WWW-Authenticate": "Bearer"})
    record = state.keys.verify(key)
    if record is None:
        raise _deny(401, "auth_invalid", "unknown API key", {"WWW-Authenticate": "Bearer"})
    if not record.active:
        raise _deny(401, "auth_revoked", f"API key {record.id} was revoked at {record.revoked_at}",
                    {"WWW-Authenticate": "Bearer"})
    wait = state.limiter.acquire(record.id, record.rate_limit_per_minute)
    if wait > 0:
        raise _deny(429, "rate_limited", f"rate limit of key {record.id} reached; retry in {wait:.2f} s",
                    {"Retry-After": str(max(1, math.ceil(wait)))})
    return record.id
