"""Result writing shared by every benchmark: atomic JSON files and markdown tables.

Writes go to a temporary file in the same folder and are moved into place with os.replace, so a run killed
mid-write leaves either the old file or the new one, never half of one (the resumable caches rely on it).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Sequence


def _jsonable(obj: Any) -> Any:
    """numpy scalars/arrays, Paths and tuples -> plain JSON values; NaN/inf -> None (JSON has no NaN)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):  # numpy scalar or array
        return _jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _atomic_write_text(path: str | Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_json(path: str | Path, obj: Any) -> None:
    """Write `obj` as indented JSON, atomically."""
    _atomic_write_text(path, json.dumps(_jsonable(obj), indent=2, ensure_ascii=False) + "\n")


def read_json(path: str | Path, default: Any = None) -> Any:
    """Read a JSON file; `default` when it is missing or unreadable (e.g. a cache from a killed run)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return default


def _cell(v: Any) -> str:
    s = "—" if v is None else str(v)
    return s.replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table; None cells print as an em dash, pipes are escaped."""
    for r in rows:
        if len(r) != len(headers):
            raise ValueError(f"row has {len(r)} cells, table has {len(headers)} columns: {r!r}")
    lines = ["| " + " | ".join(_cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def write_markdown(path: str | Path, text: str) -> None:
    """Write a markdown file atomically (ends with one newline)."""
    _atomic_write_text(path, text.rstrip("\n") + "\n")


def mean_std(m: dict, key: str, fmt: str = ".3f", sep: str = "±") -> str:
    """`m[key]`, followed by `sep` and `m[key + "_std"]` when the row aggregates several seeds."""
    s = format(m[key], fmt)
    return s + (f"{sep}{format(m[key + '_std'], fmt)}" if m.get("seeds", 1) > 1 else "")
