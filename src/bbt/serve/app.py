"""The FastAPI application: models loaded once at start-up, micro-batched inference off the event loop.

`create_app(settings)` loads the bundle in the lifespan; tests pass an already loaded `bundle` (any object with
`functions()`, `model_names()` and `forecaster`) so a slow load happens once per test session.
"""

from __future__ import annotations

import gc
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from bbt import __version__
from bbt.serve.batching import MicroBatcher
from bbt.serve.errors import install_error_handlers
from bbt.serve.keys import KeyStore
from bbt.serve.limits import Limits
from bbt.serve.metrics import Metrics
from bbt.serve.middleware import RequestContextMiddleware
from bbt.serve.ratelimit import RateLimiter
from bbt.serve.routes import HEALTH_ROUTER, V1_ROUTERS
from bbt.serve.settings import ServeSettings, default_bundle_dir
from bbt.serve.state import Service

log = logging.getLogger("bbt.serve")

DESCRIPTION = """
BBT 乾元 API: Chinese financial text and market time series.

Every `/v1` route except health takes a JSON batch and needs an API key (`X-API-Key: <key>` or
`Authorization: Bearer <key>`; create one with `bbt keys create NAME`). Errors are JSON:
`{"error": {"type", "message", "field"}, "request_id"}`; a 4xx names the field that is wrong.
"""


def keys_path(settings: ServeSettings) -> Path:
    if settings.keys_db:
        return settings.keys_db
    return (settings.bundle or default_bundle_dir()).parent / "keys.sqlite"


def create_app(settings: ServeSettings | None = None, bundle: Any | None = None,
               keys: KeyStore | None = None) -> FastAPI:
    settings = settings or ServeSettings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        threads = settings.threads or len(os.sched_getaffinity(0)) or 1  # the cores this process may use
        import torch

        torch.set_num_threads(threads)
        loaded = bundle
        if loaded is None:
            from bbt.bundle.runtime import load_bundle

            loaded = load_bundle(settings.bundle or default_bundle_dir())
        # why: one model call at a time per capability already fills the cores (torch/BLAS threads);
        # more executor threads only let capabilities overlap
        executor = ThreadPoolExecutor(max_workers=max(2, threads), thread_name_prefix="bbt-model")
        batchers = {name: MicroBatcher(name, fn, executor, settings.batch_max_size, settings.batch_max_wait_ms,
                                       on_batch=metrics.on_batch)
                    for name, fn in loaded.functions().items()}
        for b in batchers.values():
            b.start()
        app.state.service = Service(loaded, batchers, Limits(settings))
        app.state.closing = False
        # why: the loaded models are millions of long-lived Python objects; a full GC pass over them stalls every
        # request for 100+ ms. Freezing moves them out of the collector's sight (they are never freed anyway).
        gc.collect()
        gc.freeze()
        log.info("BBT API ready: %d capabilities, %d threads", len(batchers), threads)
        try:
            yield
        finally:  # graceful shutdown: uvicorn stops accepting, then queued batches finish before exit
            app.state.closing = True
            for b in batchers.values():
                await b.stop()
            executor.shutdown(wait=True)
            if keys is None:
                app.state.keys.close()
            log.info("BBT API stopped: queued batches finished")

    app = FastAPI(title="BBT 乾元 API", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.keys = keys or KeyStore(keys_path(settings))
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_burst)
    install_error_handlers(app)
    app.include_router(HEALTH_ROUTER)
    for router in V1_ROUTERS:
        app.include_router(router)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After"])
    # outermost: every response, errors and CORS preflights included, gets a request ID and is counted
    app.add_middleware(RequestContextMiddleware, metrics=metrics, max_body_bytes=settings.max_body_bytes)
    return app
