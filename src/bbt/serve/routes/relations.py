"""Capability 7: relation between two given entities (finre labels), or between all entity pairs NER finds."""

from fastapi import Depends

from bbt.serve.limits import InputLimitError
from bbt.serve.routes.common import v1_router
from bbt.serve.schemas import RelationsRequest, RelationsResponse
from bbt.serve.state import Service, service

router = v1_router("relations")


@router.post("/relations", response_model=RelationsResponse, summary="Relation extraction")
async def relations(body: RelationsRequest, svc: Service = Depends(service)) -> RelationsResponse:
    svc.limits.batch(body.items, "items")
    items = []
    for i, it in enumerate(body.items):
        svc.limits.text(it.text, f"items[{i}].text")
        if (it.head is None) != (it.tail is None):
            raise InputLimitError(f"items[{i}].{'tail' if it.head else 'head'}",
                                  f"items[{i}]: give both head and tail, or neither (then NER finds the pairs)",
                                  type_="invalid_input")
        head = svc.limits.name(it.head, f"items[{i}].head") if it.head is not None else None
        tail = svc.limits.name(it.tail, f"items[{i}].tail") if it.tail is not None else None
        items.append(({"text": it.text, "head": head, "tail": tail}, body.include_unknown))
    return RelationsResponse(results=await svc.run("relations", items), model=svc.models["relations"])
