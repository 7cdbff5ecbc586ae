"""Service configuration: pydantic-settings from BBT_SERVE_* env vars and an optional TOML or JSON file.

Precedence, highest first: explicit overrides (CLI options) > environment > config file > defaults.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bbt.errors import BBTError
from bbt.settings import get_settings


def default_bundle_dir() -> Path:
    return get_settings().cache_dir / "bundle"


class ServeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BBT_SERVE_", extra="forbid")

    host: str = "127.0.0.1"  # why: loopback unless the operator opens it up on purpose
    port: int = Field(8000, ge=1, le=65535)
    bundle: Path | None = None  # None = the default bundle (built on first start)
    keys_db: Path | None = None  # None = <bundle>/../keys.sqlite, beside the bundle
    require_keys: bool = True  # why: every /v1 route except health needs a key; tests and demos may switch off
    rate_limit_per_minute: int = Field(600, ge=1)  # per key; a key may carry its own limit
    rate_burst: int = Field(60, ge=1)  # requests a key may send at once before the rate applies
    cors_origins: list[str] = []  # browsers calling from these origins are allowed; empty = no CORS headers
    max_text_chars: int = Field(10_000, ge=1)  # per text: long articles fit, a pasted book does not
    max_batch_items: int = Field(64, ge=1)  # items per request
    max_series_len: int = Field(10_000, ge=1)  # points per series in /v1/forecast
    max_body_bytes: int = Field(2_000_000, ge=1)  # bigger bodies are refused before parsing
    batch_max_size: int = Field(64, ge=1)  # micro-batch: items per model call
    batch_max_wait_ms: float = Field(3.0, ge=0)  # micro-batch: how long the first item waits for company
    threads: int = Field(0, ge=0)  # model threads (torch and the executor); 0 = all cores
    log_level: str = "info"


def load_serve_settings(config_file: str | Path | None = None, **overrides: Any) -> ServeSettings:
    """Settings from the file (TOML or JSON, keys as the field names), env vars, then `overrides` (None ignored)."""
    file_values: dict[str, Any] = {}
    if config_file is not None:
        path = Path(config_file)
        try:
            raw = path.read_bytes()
            file_values = tomllib.loads(raw.decode("utf-8")) if path.suffix == ".toml" else json.loads(raw)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise BBTError(f"cannot read the service config {path}: {e}") from None
        if not isinstance(file_values, dict):
            raise BBTError(f"{path}: the config must be a table/object of settings")
        file_values = file_values.get("serve", file_values)  # why: allow a [serve] table in a shared file
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        env_and_defaults = ServeSettings()
        merged = {**file_values, **env_and_defaults.model_dump(exclude_unset=True), **given}
        return ServeSettings(**merged)
    except ValidationError as e:
        where = f" (file {config_file})" if config_file else ""
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise BBTError(f"invalid service setting{where}: {problems}") from None
