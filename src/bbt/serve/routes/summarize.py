"""Capability 2: one-sentence summary of a financial article (finna-style)."""

from fastapi import Depends

from bbt.serve.routes.common import v1_router
from bbt.serve.schemas import SummaryResponse, TextsRequest
from bbt.serve.state import Service, service

router = v1_router("summarisation")


@router.post("/summarize", response_model=SummaryResponse, summary="Summarise articles")
async def summarize(body: TextsRequest, svc: Service = Depends(service)) -> SummaryResponse:
    svc.limits.texts(body.texts)
    return SummaryResponse(results=await svc.run("summarize", body.texts), model=svc.models["summarize"])
