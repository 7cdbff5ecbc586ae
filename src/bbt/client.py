"""Typed Python client of the BBT API (sync, httpx): one method per route, pydantic models back.

    from bbt.client import BBTClient
    with BBTClient("http://127.0.0.1:8000", api_key="bbt_...") as api:
        api.forum_sentiment(["今天又跌停了"]).results[0].label        # 'negative'
        api.companies(["600519"]).results[0].profile.industry

Errors come back as `BBTAPIError` with the status, error type, message, offending field and request ID.
Any `httpx.Client` can be passed as `http=` (e.g. Starlette's TestClient, or one with your own retries/proxies).
"""

from __future__ import annotations

from typing import Any, Iterable, TypeVar

import httpx
from pydantic import BaseModel

from bbt.serve import schemas as s

M = TypeVar("M", bound=BaseModel)


class BBTAPIError(Exception):
    def __init__(self, status: int, type_: str, message: str, field: str | None = None,
                 request_id: str | None = None, retry_after: float | None = None):
        super().__init__(f"HTTP {status} {type_}: {message}" + (f" (field {field})" if field else ""))
        self.status, self.type, self.message, self.field = status, type_, message, field
        self.request_id, self.retry_after = request_id, retry_after


def _texts(texts: str | Iterable[str]) -> list[str]:
    return [texts] if isinstance(texts, str) else list(texts)


class BBTClient:
    def __init__(self, base_url: str = "http://127.0.0.1:8000", api_key: str | None = None, timeout: float = 60.0,
                 http: httpx.Client | None = None):
        self._own = http is None
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self.headers = {"X-API-Key": api_key} if api_key else {}

    def close(self) -> None:
        if self._own:
            self.http.close()

    def __enter__(self) -> "BBTClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- transport
    def _request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        r = self.http.request(method, path, json=body, headers=self.headers)
        if r.status_code >= 400:
            try:
                body = r.json()
                err = body.get("error", {}) if isinstance(body, dict) else {}
            except ValueError:
                err = {}
            retry = r.headers.get("Retry-After", "")
            raise BBTAPIError(r.status_code, err.get("type", "http_error"), err.get("message", r.text[:200]),
                              err.get("field"), r.headers.get("X-Request-ID"),
                              float(retry) if retry.replace(".", "", 1).isdigit() else None)
        return r

    def _post(self, path: str, body: dict, model: type[M]) -> M:
        return model.model_validate(self._request("POST", path, body).json())

    # ---- service
    def health(self) -> s.Health:
        return s.Health.model_validate(self._request("GET", "/v1/health").json())

    def ready(self) -> s.Ready:
        return s.Ready.model_validate(self._request("GET", "/v1/ready").json())

    def metrics(self) -> str:
        return self._request("GET", "/metrics").text

    # ---- capabilities
    def companies(self, queries: str | Iterable[str]) -> s.CompaniesResponse:
        return self._post("/v1/kg/companies", {"queries": _texts(queries)}, s.CompaniesResponse)

    def search(self, queries: str | Iterable[str], limit: int = 10, types: list[str] | None = None) -> s.SearchResponse:
        return self._post("/v1/kg/search", {"queries": _texts(queries), "limit": limit, "types": types},
                          s.SearchResponse)

    def summarize(self, texts: str | Iterable[str]) -> s.SummaryResponse:
        return self._post("/v1/summarize", {"texts": _texts(texts)}, s.SummaryResponse)

    def forum_sentiment(self, texts: str | Iterable[str]) -> s.SentimentResponse:
        return self._post("/v1/sentiment/forum", {"texts": _texts(texts)}, s.SentimentResponse)

    def news_sentiment(self, texts: str | Iterable[str]) -> s.SentimentResponse:
        return self._post("/v1/sentiment/news", {"texts": _texts(texts)}, s.SentimentResponse)

    def classify_news(self, texts: str | Iterable[str]) -> s.NewsClassResponse:
        return self._post("/v1/news/classify", {"texts": _texts(texts)}, s.NewsClassResponse)

    def ner(self, texts: str | Iterable[str]) -> s.NERResponse:
        return self._post("/v1/ner", {"texts": _texts(texts)}, s.NERResponse)

    def relations(self, items: Iterable[dict | s.RelationItem], include_unknown: bool = False) -> s.RelationsResponse:
        body = [i.model_dump() if isinstance(i, BaseModel) else i for i in items]
        return self._post("/v1/relations", {"items": body, "include_unknown": include_unknown}, s.RelationsResponse)

    def events(self, texts: str | Iterable[str]) -> s.EventsResponse:
        return self._post("/v1/events", {"texts": _texts(texts)}, s.EventsResponse)

    def causal(self, texts: str | Iterable[str]) -> s.CausalResponse:
        return self._post("/v1/causal", {"texts": _texts(texts)}, s.CausalResponse)

    def announcements(self, texts: str | Iterable[str]) -> s.AnnouncementResponse:
        return self._post("/v1/announcements", {"texts": _texts(texts)}, s.AnnouncementResponse)

    def negative_news(self, items: Iterable[dict | s.NegativeItem]) -> s.NegativeResponse:
        body = [i.model_dump() if isinstance(i, BaseModel) else i for i in items]
        return self._post("/v1/negative-news", {"items": body}, s.NegativeResponse)

    def forecast(self, items: Iterable[dict | s.ForecastItem]) -> s.ForecastResponse:
        body = [i.model_dump() if isinstance(i, BaseModel) else i for i in items]
        return self._post("/v1/forecast", {"items": body}, s.ForecastResponse)

    def commentary(self, series: list[dict] | None = None, code: str | None = None, end: str | None = None,
                   style: str = "analyst") -> s.CommentaryResponse:
        """Commentary on daily bars ({date, open, high, low, close, volume}, oldest first) or on a stock code the
        service has the history of; every claim comes back with its verdict."""
        body = {"series": series, "code": code, "end": end, "style": style}
        return self._post("/v1/commentary", {k: v for k, v in body.items() if v is not None}, s.CommentaryResponse)

    def forecast_series(self, values: list[float], horizon: int = 5, name: str = "value",
                        decompose: bool = True) -> s.ForecastResult:
        """One series in, its forecast out (shortcut of `forecast`)."""
        return self.forecast([{"series": {name: list(values)}, "horizon": horizon, "decompose": decompose}]).results[0]
