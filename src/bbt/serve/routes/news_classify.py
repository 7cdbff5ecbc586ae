"""Capability 5: multi-label news classification (the 17 finnl categories) with a score per category."""

from fastapi import Depends

from bbt.serve.routes.common import v1_router
from bbt.serve.schemas import NewsClassResponse, TextsRequest
from bbt.serve.state import Service, service

router = v1_router("news classification")


@router.post("/news/classify", response_model=NewsClassResponse, summary="News classification")
async def news_classify(body: TextsRequest, svc: Service = Depends(service)) -> NewsClassResponse:
    svc.limits.texts(body.texts)
    return NewsClassResponse(results=await svc.run("news_classify", body.texts), model=svc.models["news_classify"])
