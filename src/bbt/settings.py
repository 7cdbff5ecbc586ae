"""Settings in one place (env vars prefixed BBT_, or CLI options that override them)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from bbt.errors import BBTError

_REPO_ROOT = Path(__file__).resolve().parents[2]


class DataNotFoundError(BBTError, FileNotFoundError):
    """No data directory could be found; the message says how to point BBT at one."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BBT_", extra="ignore")

    data_dir: Path | None = None  # why: shared data lives beside the repo, users keep theirs elsewhere
    results_dir: Path = Path("results")  # why: every benchmark writes JSON + markdown here
    cache_dir: Path = Path.home() / ".cache" / "bbt"
    threads: int = 0  # why: 0 = let torch decide; CI machines have 2 cores
    device: str = "cpu"


def get_settings() -> Settings:
    return Settings()


def resolve_data_dir(explicit: str | Path | None = None) -> Path:
    """The data directory: explicit value > BBT_DATA_DIR > ../shared/data (from cwd or from the repo)."""
    candidates: list[Path] = []
    if explicit:
        candidates = [Path(explicit)]
    else:
        env = get_settings().data_dir
        if env:
            candidates = [env]
        else:
            candidates = [Path.cwd().parent / "shared" / "data", _REPO_ROOT.parent / "shared" / "data"]
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    tried = ", ".join(str(c) for c in candidates)
    raise DataNotFoundError(
        f"no data directory found (tried: {tried}). Point BBT at your data with --data-dir DIR or "
        "BBT_DATA_DIR=DIR; the layout is described in docs/data.md (stocks/ashare_qfq/*.csv, ltsf/ETTh1.csv, ...). "
        "Users with internet can download A-share histories with `bbt data fetch-stocks`."
    )
