"""The HTTP API: FastAPI app, one router per capability (routes/), schemas, keys, limits, batching."""
