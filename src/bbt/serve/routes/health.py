"""Liveness, readiness and Prometheus metrics: no key needed (load balancers and scrapers call them); readiness
lists the models behind the capabilities only to a caller with a valid key."""

from fastapi import APIRouter, Request, Response

from bbt import __version__
from bbt.serve.schemas import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/v1/health", response_model=Health, summary="Liveness")
async def health() -> Health:
    return Health(status="ok", version=__version__)


@router.get("/v1/ready", response_model=Ready, summary="Readiness: models loaded",
            responses={503: {"model": Ready, "description": "Still loading or shutting down"}})
async def ready(request: Request, response: Response) -> Ready:
    """Keyless for load balancers; which model serves each capability is shown only to a valid key."""
    svc = getattr(request.app.state, "service", None)
    if svc is None or getattr(request.app.state, "closing", False):
        response.status_code = 503
        return Ready(ready=False, capabilities={})
    return Ready(ready=True, capabilities=svc.models if _has_valid_key(request) else {})


def _has_valid_key(request: Request) -> bool:
    state = request.app.state
    if not state.settings.require_keys:
        return True
    key = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    record = state.keys.verify(key) if key else None
    return record is not None and record.active


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")
