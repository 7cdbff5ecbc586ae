"""API keys: hashed storage, verify, revoke; rate limiting; settings from file + env."""

import json
import sqlite3
import time

import pytest

from bbt.errors import BBTError
from bbt.serve.keys import KeyStore
from bbt.serve.ratelimit import RateLimiter
from bbt.serve.settings import load_serve_settings


def test_keys_are_stored_hashed_and_verify_until_revoked(tmp_path):
    store = KeyStore(tmp_path / "keys.sqlite")
    key, rec = store.create("quant-team", rate_limit_per_minute=120)
    assert key.startswith(f"bbt_{rec.id}_")
    raw = sqlite3.connect(tmp_path / "keys.sqlite").execute("SELECT * FROM api_keys").fetchall()
    assert key not in json.dumps(raw)  # only the hash is on disk
    assert store.verify(key).name == "quant-team"
    assert store.verify(key[:-1] + ("x" if key[-1] != "x" else "y")) is None
    assert store.verify("not-a-key") is None
    store.revoke(rec.id)
    assert store.verify(key).active is False
    with pytest.raises(BBTError, match="already revoked"):
        store.revoke(rec.id)
    with pytest.raises(BBTError, match="no key with id"):
        store.revoke("deadbeef")
    assert [r.id for r in store.list()] == [rec.id]


def test_empty_name_and_bad_rate_are_refused(tmp_path):
    store = KeyStore(tmp_path / "k.sqlite")
    with pytest.raises(BBTError, match="non-empty name"):
        store.create("  ")
    with pytest.raises(BBTError, match="at least 1"):
        store.create("x", rate_limit_per_minute=0)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "keys.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(BBTError, match="not a usable key database"):
        KeyStore(bad)


def test_token_bucket_allows_the_burst_then_refills():
    rl = RateLimiter(per_minute=60, burst=3)
    assert [rl.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = rl.acquire("k")
    assert 0 < wait <= 1.0
    assert rl.acquire("other") == 0.0  # buckets are per key
    time.sleep(wait + 0.05)
    assert rl.acquire("k") == 0.0


def test_settings_file_then_env_then_overrides(tmp_path, monkeypatch):
    f = tmp_path / "serve.toml"
    f.write_text('[serve]\nport = 9000\nmax_text_chars = 100\ncors_origins = ["http://localhost:3000"]\n')
    monkeypatch.setenv("BBT_SERVE_MAX_TEXT_CHARS", "200")
    s = load_serve_settings(f, port=None, host="0.0.0.0")
    assert (s.port, s.max_text_chars, s.host, s.cors_origins) == (9000, 200, "0.0.0.0", ["http://localhost:3000"])
    bad = tmp_path / "bad.json"
    bad.write_text('{"port": "eighty"}')
    with pytest.raises(BBTError, match="port"):
        load_serve_settings(bad)
    with pytest.raises(BBTError, match="cannot read"):
        load_serve_settings(tmp_path / "missing.toml")
