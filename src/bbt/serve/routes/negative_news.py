"""Capability 11: is a text negative news, and about which of its entities (finnsp-style)."""

from fastapi import Depends

from bbt.serve.limits import InputLimitError
from bbt.serve.routes.common import v1_router
from bbt.serve.schemas import NegativeRequest, NegativeResponse
from bbt.serve.state import Service, service

router = v1_router("negative news")
MAX_ENTITIES = 64  # candidate subjects per text


@router.post("/negative-news", response_model=NegativeResponse, summary="Negative news and its subjects")
async def negative_news(body: NegativeRequest, svc: Service = Depends(service)) -> NegativeResponse:
    svc.limits.batch(body.items, "items")
    items = []
    for i, it in enumerate(body.items):
        svc.limits.text(it.text, f"items[{i}].text")
        if len(it.title) > svc.limits.s.max_text_chars:
            svc.limits.text(it.title, f"items[{i}].title")
        entities = None
        if it.entities is not None:
            if len(it.entities) > MAX_ENTITIES:
                raise InputLimitError(f"items[{i}].entities", f"items[{i}].entities has {len(it.entities)} names; at "
                                      f"most {MAX_ENTITIES}", type_="too_many_items")
            entities = []
            for j, e in enumerate(it.entities):
                name = svc.limits.name(e, f"items[{i}].entities[{j}]")
                if ";" in name:  # why: the finnsp format separates entities with ';'
                    raise InputLimitError(f"items[{i}].entities[{j}]", f"items[{i}].entities[{j}] contains ';'",
                                          type_="invalid_input")
                entities.append(name)
            entities = list(dict.fromkeys(entities))
        items.append({"text": it.text, "title": it.title, "entities": entities})
    return NegativeResponse(results=await svc.run("negative_news", items), model=svc.models["negative_news"])
