"""Capability 9: cause and effect events with type, product, region and industry (CCKS 2021 schema)."""

from fastapi import Depends

from bbt.serve.routes.common import v1_router
from bbt.serve.schemas import CausalResponse, TextsRequest
from bbt.serve.state import Service, service

router = v1_router("causal events")


@router.post("/causal", response_model=CausalResponse, summary="Causal event extraction")
async def causal(body: TextsRequest, svc: Service = Depends(service)) -> CausalResponse:
    svc.limits.texts(body.texts)
    return CausalResponse(results=await svc.run("causal", body.texts), model=svc.models["causal"])
