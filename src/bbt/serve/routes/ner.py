"""Capability 6: companies, people and organisations with character offsets."""

from fastapi import Depends

from bbt.serve.routes.common import v1_router
from bbt.serve.schemas import NERResponse, TextsRequest
from bbt.serve.state import Service, service

router = v1_router("named entities")


@router.post("/ner", response_model=NERResponse, summary="Named-entity recognition")
async def ner(body: TextsRequest, svc: Service = Depends(service)) -> NERResponse:
    """Entities with `start`/`end` character offsets: `text[start:end]` is the entity."""
    svc.limits.texts(body.texts)
    return NERResponse(results=await svc.run("ner", body.texts), model=svc.models["ner"])
