"""Capability 11: is a text negative news, and about which of its entities (finnsp-style)."""

from fastapi import Depends

from bbt.serve.routes.common import v1_router
from bbt.serve.schemas import NegativeRequest, NegativeResponse
from bbt.serve.state import Service, service

router = v1_router("negative news")


@router.post("/negative-news", response_model=NegativeResponse, summary="Negative news and its subjects")
async def negative_news(body: NegativeRequest, svc: Service = Depends(service)) -> NegativeResponse:
    svc.limits.batch(body.items, "items")
    for i, it in enumerate(body.items):
        svc.limits.text(it.text, f"items[{i}].text")
        if len(it.title) > svc.limits.s.max_text_chars:
            svc.limits.text(it.title, f"items[{i}].title")
        svc.limits.batch(it.entities or [], f"items[{i}].entities")
    items = [{"text": it.text, "title": it.title, "entities": it.entities} for it in body.items]
    return NegativeResponse(results=await svc.run("negative_news", items), model=svc.models["negative_news"])
