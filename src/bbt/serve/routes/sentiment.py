"""Capabilities 3 and 4: forum-post (finfe-style) and news (finne-style) sentiment with probabilities."""

from fastapi import Depends

from bbt.serve.routes.common import v1_router
from bbt.serve.schemas import SentimentResponse, TextsRequest
from bbt.serve.state import Service, service

router = v1_router("sentiment")


@router.post("/sentiment/forum", response_model=SentimentResponse, summary="Forum-post sentiment")
async def forum_sentiment(body: TextsRequest, svc: Service = Depends(service)) -> SentimentResponse:
    """Negative / neutral / positive for short social-media posts (Guba, Xueqiu)."""
    svc.limits.texts(body.texts)
    return SentimentResponse(results=await svc.run("forum_sentiment", body.texts), model=svc.models["forum_sentiment"])


@router.post("/sentiment/news", response_model=SentimentResponse, summary="News sentiment")
async def news_sentiment(body: TextsRequest, svc: Service = Depends(service)) -> SentimentResponse:
    """Negative / neutral / positive tone of financial news text."""
    svc.limits.texts(body.texts)
    return SentimentResponse(results=await svc.run("news_sentiment", body.texts), model=svc.models["news_sentiment"])
