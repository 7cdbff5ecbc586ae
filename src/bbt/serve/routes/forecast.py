"""Forecasting: series in, the BBT-TS forecast and the DWT-ST2Vec decomposition of the look-back window out."""

from fastapi import Depends

from bbt.serve.routes.common import v1_router
from bbt.serve.schemas import ForecastRequest, ForecastResponse
from bbt.serve.state import Service, service

router = v1_router("forecasting")


@router.post("/forecast", response_model=ForecastResponse, summary="Forecast series")
async def forecast(body: ForecastRequest, svc: Service = Depends(service)) -> ForecastResponse:
    """Each item's series are forecast `horizon` steps ahead from their last values (channel-independent)."""
    svc.limits.batch(body.items, "items")
    max_h = svc.bundle.forecaster.max_horizon
    for i, it in enumerate(body.items):
        svc.limits.series(it.series, it.horizon, max_h, f"items[{i}]")
    items = [it.model_dump() for it in body.items]
    return ForecastResponse(results=await svc.run("forecast", items))
