"""Saving and loading the extractors' joblib models: atomic, self-describing (format + library versions)."""

from __future__ import annotations

import platform
import warnings
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

from bbt.errors import BBTError
from bbt.results import dump_joblib

FORMAT = 1

T = TypeVar("T")


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("scikit-learn", "numpy", "jieba", "joblib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def save_extractor(obj: Any, out_dir: str | Path, filename: str, meta: dict | None = None) -> Path:
    """joblib-dump `obj` to out_dir/filename atomically (bbt.results.dump_joblib): a killed run never leaves half
    a model where a good one was. `meta` is stored on the object as `meta` (with library versions)."""
    out = Path(out_dir)
    obj.meta = {**(meta or {}), "format": FORMAT, "versions": _versions(),
                "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    dump_joblib(obj, out / filename)
    return out / filename


def load_extractor(path: str | Path, filename: str, cls: type[T]) -> T:
    """The `cls` saved by `save_extractor` in directory `path` (or the file itself). joblib files are pickles:
    load only models you trained yourself or trust."""
    import joblib

    p = Path(path)
    f = p / filename if p.is_dir() else p
    if not f.is_file():
        raise BBTError(f"no {cls.__name__} model at {p} (expected {f}); train one first")
    try:
        obj = joblib.load(f)
    except Exception as e:  # noqa: BLE001 - any unpickling failure means the same thing to the user
        raise BBTError(f"cannot load {f}: {type(e).__name__}: {e}") from None
    if not isinstance(obj, cls):
        raise BBTError(f"{f} holds a {type(obj).__name__}, not a {cls.__name__}")
    meta = getattr(obj, "meta", {}) or {}
    if meta.get("format", FORMAT) != FORMAT:
        raise BBTError(f"{f} has model format {meta.get('format')}, this version reads {FORMAT}; retrain it")
    saved = meta.get("versions", {}).get("scikit-learn")
    if saved and saved != _versions()["scikit-learn"]:
        warnings.warn(f"{f} was saved with scikit-learn {saved}, this is {_versions()['scikit-learn']}: "
                      "predictions may differ or fail; retrain if so", stacklevel=2)
    return obj
