"""One router per capability; `ROUTERS` is what the app mounts (all under /v1 except /metrics)."""

from bbt.serve.routes import (announcements, causal, commentary, events, forecast, health, kg, negative_news, ner,
                              news_classify, relations, sentiment, summarize)

V1_ROUTERS = [kg.router, summarize.router, sentiment.router, news_classify.router, ner.router, relations.router,
              events.router, causal.router, announcements.router, negative_news.router, forecast.router,
              commentary.router]
HEALTH_ROUTER = health.router

__all__ = ["HEALTH_ROUTER", "V1_ROUTERS"]
