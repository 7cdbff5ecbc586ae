"""Capability 10: company, announcement type and typed key fields of listed-company announcements."""

from fastapi import Depends

from bbt.serve.routes.common import v1_router
from bbt.serve.schemas import AnnouncementRequest, AnnouncementResponse
from bbt.serve.state import Service, service

router = v1_router("announcements")


@router.post("/announcements", response_model=AnnouncementResponse, summary="Announcement extraction")
async def announcements(body: AnnouncementRequest, svc: Service = Depends(service)) -> AnnouncementResponse:
    """Amounts come in the currency's base unit (1.2亿元 -> 120000000), shares as counts, dates as ISO strings."""
    svc.limits.texts(body.texts)
    return AnnouncementResponse(results=await svc.run("announcements", body.texts), model=svc.models["announcements"])
