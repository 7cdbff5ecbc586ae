"""Prometheus metrics of one app instance (its own registry, so several apps in one process do not clash)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("bbt_requests_total", "HTTP requests", ["route", "method", "status"],
                                registry=self.registry)
        self.latency = Histogram("bbt_request_seconds", "HTTP request latency", ["route"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.in_flight = Gauge("bbt_requests_in_flight", "Requests being served", registry=self.registry)
        self.batch_items = Histogram("bbt_batch_items", "Items per model call (micro-batching)", ["capability"],
                                     buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256), registry=self.registry)
        self.model_seconds = Histogram("bbt_model_seconds", "Model time per batch", ["capability"],
                                       buckets=LATENCY_BUCKETS, registry=self.registry)

    def on_batch(self, capability: str, items: int, seconds: float) -> None:
        self.batch_items.labels(capability).observe(items)
        self.model_seconds.labels(capability).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
