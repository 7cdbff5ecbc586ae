"""Capability 8: financial events (DuEE-fin and finese types) with their arguments as structured records."""

from fastapi import Depends

from bbt.serve.routes.common import v1_router
from bbt.serve.schemas import EventsResponse, TextsRequest
from bbt.serve.state import Service, service

router = v1_router("events")


@router.post("/events", response_model=EventsResponse, summary="Event extraction")
async def events(body: TextsRequest, svc: Service = Depends(service)) -> EventsResponse:
    svc.limits.texts(body.texts)
    return EventsResponse(results=await svc.run("events", body.texts), model=svc.models["events"])
