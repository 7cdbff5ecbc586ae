"""What the routes share: the loaded bundle behind micro-batchers, the limits, the model names."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from bbt.serve.batching import MicroBatcher
from bbt.serve.limits import Limits


class Service:
    def __init__(self, bundle: Any, batchers: dict[str, MicroBatcher], limits: Limits):
        self.bundle, self.batchers, self.limits = bundle, batchers, limits
        self.models: dict[str, str] = bundle.model_names()

    async def run(self, capability: str, items: list) -> list:
        return await self.batchers[capability].submit(items)


async def service(request: Request) -> Service:  # why: async, so FastAPI does not hop to a thread per request
    return request.app.state.service
