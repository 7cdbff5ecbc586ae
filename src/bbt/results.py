"""Results and atomic writes: the one place that puts a file (or a directory) on disk so a kill never leaves half.

Every write goes to a temporary sibling and is moved into place with os.replace, so a run killed mid-write
leaves either the old file or the new one, never half of one (resumable caches, checkpoints, bundles and
model files rely on it). Benchmarks write `results/<name>.json` + `.md` through `write_json` / `write_markdown`.

- `atomic_path(path)`: a context manager yielding a temporary path to write with any library (joblib, torch,
  safetensors, sqlite, pandas); moved over `path` when the block succeeds, removed when it fails.
- `atomic_dir(path)`: the same for a directory (checkpoints, bundles): an existing one is swapped out via
  `PATH.old`, which `recover_dir` puts back after a kill between the two renames.
- `write_text`, `write_bytes`, `write_json`, `write_markdown`, `dump_joblib`: the common cases.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Sequence


@contextlib.contextmanager
def atomic_path(path: str | Path, mode: int = 0o666) -> Iterator[Path]:
    """Yield a temporary file path beside `path`; on success it replaces `path` (permissions `mode` & ~umask)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, mode & ~umask)  # mkstemp makes 0600 files; a result is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def old_dir(path: str | Path) -> Path:
    """Where `atomic_dir` keeps the previous directory during the swap."""
    return Path(path).with_name(Path(path).name + ".old")


def recover_dir(path: str | Path) -> bool:
    """After a kill between atomic_dir's two renames only PATH.old exists: put it back. True if PATH exists."""
    path = Path(path)
    old = old_dir(path)
    if not path.exists() and old.is_dir():
        os.replace(old, path)
    return path.exists()


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a fresh temporary directory beside `path`; on success it replaces `path` (swapped via PATH.old)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
        old = old_dir(path)
        if path.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def dump_joblib(obj: Any, path: str | Path, compress: int = 3) -> Path:
    """joblib-dump `obj` to `path` atomically."""
    import joblib

    with atomic_path(path) as tmp:
        joblib.dump(obj, tmp, compress=compress)
    return Path(path)


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


def write_json(path: str | Path, obj: Any) -> None:
    """Write `obj` as indented JSON, atomically."""
    write_text(path, json.dumps(_jsonable(obj), indent=2, ensure_ascii=False) + "\n")


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
    write_text(path, text.rstrip("\n") + "\n")


def mean_std(m: dict, key: str, fmt: str = ".3f", sep: str = "±") -> str:
    """`m[key]`, followed by `sep` and `m[key + "_std"]` when the row aggregates several seeds."""
    s = format(m[key], fmt)
    return s + (f"{sep}{format(m[key + '_std'], fmt)}" if m.get("seeds", 1) > 1 else "")
