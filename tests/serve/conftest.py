"""A client on the app over the session's quick real bundle (tests/conftest.py), with small input limits."""

import pytest
from fastapi.testclient import TestClient

from bbt.client import BBTClient
from bbt.serve.app import create_app
from bbt.serve.keys import KeyStore
from bbt.serve.settings import ServeSettings

LIMITS = dict(max_text_chars=2000, max_batch_items=8, max_series_len=500, max_body_bytes=200_000)


@pytest.fixture(scope="session")
def api(bundle, tmp_path_factory):
    """(BBTClient with a live key, raw TestClient, KeyStore) on an app with small limits."""
    keys = KeyStore(tmp_path_factory.mktemp("keys") / "keys.sqlite")
    key, _ = keys.create("tests")
    app = create_app(ServeSettings(rate_limit_per_minute=100_000, rate_burst=10_000, **LIMITS), bundle=bundle,
                     keys=keys)
    with TestClient(app, raise_server_exceptions=False) as http:
        yield BBTClient(http=http, api_key=key), http, keys, key
