"""`bbt corpus ingest`: files -> cleaned, deduplicated Parquet shards + manifest.json.

Resumable by construction: a shard is written to a temp file and renamed, and the manifest (also
renamed into place) is rewritten after every shard. Dedup state is rebuilt from the `hash` and
`minhash` columns of the shards on disk, so a run after a crash, or with new files, dedups against
everything already kept. Input files listed as finished in the manifest (same size and mtime) are
skipped. Docs of a file that was only partly flushed before a crash are re-read and show up as exact
duplicates of themselves, so nothing is written twice.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from rich.progress import TransferSpeedColumn

from bbt.corpus.clean import CleanConfig, filter_reason
from bbt.corpus.dedup import Deduper, exact_key
from bbt.corpus.readers import SOURCE_TYPES, Problem, ReadOptions, expand_inputs, read_file
from bbt.errors import BBTError
from bbt.progress import progress_bar
from bbt.results import atomic_path, write_text

COUNTERS = ("read", "kept", "dropped_short", "dropped_long", "dropped_lang", "dropped_boilerplate_empty",
            "exact_dupes", "near_dupes", "corrupt")
SCHEMA = pa.schema([
    ("text", pa.string()), ("source", pa.string()), ("date", pa.string()), ("codes", pa.list_(pa.string())),
    ("origin", pa.string()), ("line", pa.int64()), ("hash", pa.string()), ("minhash", pa.binary()),
])


@dataclass
class IngestConfig:
    read: ReadOptions = field(default_factory=ReadOptions)
    clean: CleanConfig = field(default_factory=CleanConfig)
    near_threshold: float = 0.8
    shard_size: int = 10_000
    workers: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))  # processes for cleaning + MinHash


def _file_stamp(p: Path) -> dict:
    st = p.stat()
    return {"size": st.st_size, "mtime": st.st_mtime}


class _Writer:
    """Buffers kept rows and writes full shards; tracks the manifest."""

    def __init__(self, out: Path, shard_size: int):
        self.out, self.shard_size = out, shard_size
        self.manifest_path = out / "manifest.json"
        self.manifest = (json.loads(self.manifest_path.read_text("utf-8")) if self.manifest_path.exists()
                         else {"version": 1, "files": {}, "counts": {}, "problems": [], "shards": []})
        self.rows: list[dict] = []
        self.pending: dict[str, dict] = {}  # files read whose rows may still sit in the buffer

    def shard_paths(self) -> list[Path]:
        return sorted(self.out.glob("shard-*.parquet"))

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.shard_size:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            name = f"shard-{len(self.shard_paths()):05d}.parquet"
            table = pa.Table.from_pylist(self.rows, schema=SCHEMA)
            with atomic_path(self.out / name) as tmp:
                pq.write_table(table, tmp)
            self.manifest["shards"].append({"name": name, "docs": len(self.rows)})
            self.rows = []
        # why: files only count as finished once their rows are on disk; a file finished mid-buffer
        # stays pending, so a crash re-reads it (dedup then drops the rows already written)
        self.manifest["files"].update(self.pending)
        self.pending = {}
        self.save()

    def save(self) -> None:
        text = json.dumps(self.manifest, ensure_ascii=False, indent=1)
        write_text(self.manifest_path, text)


BATCH_DOCS = 128


def _batches(paths: list[Path], cfg: IngestConfig) -> Iterator[tuple[str, object]]:
    """("docs", (docs, clean config)) batches in file order, then ("end", (path, problems)) per file."""
    for path in paths:
        problems: list[Problem] = []
        docs: list = []
        for doc in read_file(path, cfg.read, problems):
            docs.append(doc)
            if len(docs) == BATCH_DOCS:
                yield "docs", (docs, cfg.clean)
                docs = []
        if docs:
            yield "docs", (docs, cfg.clean)
        yield "end", (path, problems)


_DEDUPER: Deduper | None = None


def _prepare(item: tuple[str, object]) -> tuple[str, object]:
    """In a worker: clean each doc, and key + MinHash signature the ones that pass the filters."""
    global _DEDUPER
    kind, payload = item
    if kind == "end":
        return item
    if _DEDUPER is None:
        _DEDUPER = Deduper()  # only its fixed permutations are used
    docs, clean = payload
    out = []
    for doc in docs:
        text, reason = filter_reason(doc.text, clean)
        key = sig = None
        if reason is None:
            key, sig = exact_key(text), _DEDUPER.signature(text)
        out.append((doc, text, reason, key, sig))
    return "docs", out


class _Serial:
    """The pool interface without processes (workers=1, or where fork is unavailable)."""

    def imap(self, fn, items):
        return map(fn, items)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _pool(workers: int):
    import multiprocessing as mp

    if workers <= 1 or "fork" not in mp.get_all_start_methods():
        return _Serial()
    # why fork: workers start in milliseconds with the modules already imported
    return mp.get_context("fork").Pool(workers)


def ingest(srcs: list[Path], out: Path, cfg: IngestConfig | None = None, *, progress: bool = True) -> dict:
    """Ingest `srcs` (files or directories) into `out`; returns the manifest."""
    cfg = cfg or IngestConfig()
    if cfg.read.source not in SOURCE_TYPES:
        raise BBTError(f"unknown source type {cfg.read.source!r}; use one of {', '.join(SOURCE_TYPES)}")
    if cfg.shard_size < 1:
        raise BBTError("--shard-size must be at least 1")
    files = expand_inputs(srcs)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.tmp"):  # half-written shard or manifest from a crashed run
        stale.unlink()
    writer = _Writer(out, cfg.shard_size)
    deduper = Deduper(cfg.near_threshold)
    for shard in writer.shard_paths():
        t = pq.read_table(shard, columns=["hash", "minhash"])
        deduper.add_many(zip(t.column("hash").to_pylist(), t.column("minhash").to_pylist()))

    counts = writer.manifest["counts"].setdefault(cfg.read.source, dict.fromkeys(COUNTERS, 0))
    todo = [p for p in files if writer.manifest["files"].get(str(p.resolve())) != _file_stamp(p)]
    t0, n_bytes = time.perf_counter(), sum(p.stat().st_size for p in todo)
    with progress_bar(TransferSpeedColumn(), description="ingest", counts=False, enabled=progress) as bar, \
            _pool(cfg.workers) as pool:
        task = bar.add_task("ingest", total=n_bytes)
        # why: cleaning + MinHash signatures (~2/3 of the time) run in worker processes, batch by batch and in
        # order; the keep/drop decisions stay here, sequential, so the output is the same for any worker count
        for kind, payload in pool.imap(_prepare, _batches(todo, cfg)):
            if kind == "end":
                path, problems = payload
                counts["corrupt"] += len(problems)
                writer.manifest["problems"] += [asdict(p) for p in problems]
                writer.pending[str(path.resolve())] = _file_stamp(path)
                bar.advance(task, path.stat().st_size)
                continue
            for doc, text, reason, key, sig in payload:
                counts["read"] += 1
                if reason is None:
                    reason = deduper.check(key, sig)
                if reason is not None:
                    counts[reason] += 1
                    continue
                deduper.add(key, sig)
                counts["kept"] += 1
                writer.add({**asdict(doc), "text": text, "hash": key, "minhash": sig.astype("<u4").tobytes()})
    seconds = time.perf_counter() - t0
    # why: the speed of each run is part of the record (the target is MB/s of input with dedup on)
    writer.manifest.setdefault("runs", []).append({
        "source": cfg.read.source, "files": len(todo), "input_bytes": n_bytes, "seconds": round(seconds, 3),
        "mb_per_s": round(n_bytes / 1e6 / seconds, 2) if seconds > 0 and n_bytes else None})
    writer.flush()
    return writer.manifest


def manifest_totals(manifest: dict) -> dict[str, int]:
    totals = dict.fromkeys(COUNTERS, 0)
    for c in manifest["counts"].values():
        for k in COUNTERS:
            totals[k] += c.get(k, 0)
    return totals
