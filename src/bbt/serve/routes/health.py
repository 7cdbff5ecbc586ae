"""Liveness, readiness and Prometheus metrics: no key needed (load balancers and scrapers call them); readiness
lists the models behind the capabilities only to a caller with a valid key."""

from fastapi import APIRouter, Request, Response

from bbt import __version__
from bbt.serve.auth import PresentedKey, is_live_key
from bbt.serve.schemas import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/v1/health", response_model=Health, summary="Liveness")
async def health() -> Health:
    return Health(status="ok", version=__version__)


@router.get("/v1/ready", response_model=Ready, summary="Readiness: models loaded",
            responses={503: {"model": Ready, "description": "Still loading or shutting down"}})
async def ready(request: Request, response: Response, key: PresentedKey) -> Ready:
    """Keyless for load balancers; which model serves each capability is shown only to a valid key."""
    svc = getattr(request.app.state, "service", None)
    if svc is None or getattr(request.app.state, "closing", False):
        response.status_code = 503
        return Ready(ready=False, capabilities={})
    return Ready(ready=True, capabilities=svc.models if is_live_key(request, key) else {})


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")
