"""What every capability router shares: the key dependency and the documented error responses."""

from fastapi import APIRouter, Depends

from bbt.serve.auth import require_key
from bbt.serve.schemas import ErrorResponse

ERRORS = {400: {"model": ErrorResponse, "description": "Malformed JSON or a request the model cannot take"},
          401: {"model": ErrorResponse, "description": "API key missing, unknown or revoked"},
          413: {"model": ErrorResponse, "description": "Body over the size limit"},
          422: {"model": ErrorResponse, "description": "A field is missing, of the wrong type, or over a limit"},
          429: {"model": ErrorResponse, "description": "Rate limit of the key reached (see Retry-After)"}}


def v1_router(tag: str) -> APIRouter:
    return APIRouter(prefix="/v1", tags=[tag], dependencies=[Depends(require_key)], responses=ERRORS)
