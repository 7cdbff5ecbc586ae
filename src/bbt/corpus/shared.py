"""`bbt corpus build-shared`: the pre-training corpus from the shared data folder, via `ingest()`.

Every file goes through the one ingestion path (`bbt.corpus.ingest.ingest`: read, clean, dedup, shard,
manifest). Mapping of the shared data folder (layout in ``shared/data/README.md``) to source types:

=============  ===============================================================================================
source         inputs (text field)
=============  ===============================================================================================
news           text/news_crawl/*.jsonl (``text``); text/flash_news/latest_news.csv (``content``, date
               ``datetime``); text/astock_news/{test,val}.csv (tab-separated; ``text_a``, date ``DATE``,
               code ``CODE``); FinCUGE train lists of finne, finnl (text) and finna (summary and text)
forum          text/guba_sentiment/{positive,negative}.txt (one post per line, word-segmentation spaces
               removed); FinCUGE finfe train texts. Forum posts are short: min_chars defaults to 5 here
announcement   FinCUGE finqa train passages (the question before the first "？" is stripped) and finese
               train texts; kg/event_causality/ccks2021_raw.jsonl (``text``)
other          FinCUGE finre (sentence) and finnsp (title and text) train texts
=============  ===============================================================================================

Only FinCUGE **train** lists are read; eval and problem lists are what models are scored on. FinCUGE lists
are JSON lists, not JSON lines: their text cells (and the de-spaced Guba posts) are written as JSONL to a
staging folder ``DIR/.staging`` that is deleted afterwards. The staged files get the mtime of the file they
came from, so their size+mtime stamp in the manifest is stable and a re-run skips them like any other
finished input (and dedup would drop their rows anyway).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from bbt.corpus.ingest import IngestConfig, ingest
from bbt.corpus.readers import ReadOptions
from bbt.errors import DataError
from bbt.text.corpus_text import _SEGMENTATION_SPACE, FINCUGE_TEXT_FIELDS

# default min_chars per source; forum posts are often a few characters long
DEFAULT_MIN_CHARS = {"news": 50, "forum": 5, "announcement": 50, "other": 20}
FINCUGE_BY_SOURCE = {"news": ("finne", "finnl", "finna"), "forum": ("finfe",),
                     "announcement": ("finqa", "fincqa", "finese"), "other": ("finre", "finnsp", "finner")}


@dataclass
class Job:
    """One `ingest()` call: files of one source read with one set of options."""

    source: str
    files: list[Path]
    read: dict = field(default_factory=dict)


def fincuge_train_texts(data_dir: Path, task: str) -> list[str]:
    """Text cells of one FinCUGE *train* list; finqa / fincqa keep only the passage after the first "？" (the
    question names the answer); finner rows are {"text", "labels"} objects."""
    path = data_dir / "fincuge" / task / "train_list.json"
    rows = json.loads(path.read_text("utf-8"))
    if not isinstance(rows, list):
        raise DataError("a FinCUGE list file holds a JSON list of rows", file=str(path))
    out = []
    for row in rows:
        if isinstance(row, dict):
            cells = [row.get("text")] if task == "finner" else []
        elif isinstance(row, list):
            cells = [row[j] if j < len(row) else None for j in FINCUGE_TEXT_FIELDS[task]]
        else:
            continue
        for cell in cells:
            if not isinstance(cell, str):
                continue
            if task in ("finqa", "fincqa"):
                cell = cell.partition("？")[2] or cell
            out.append(cell)
    return out


def _stage(staging: Path, name: str, texts: list[str], like: list[Path]) -> Path:
    """Write texts as JSONL; copy the newest mtime of `like` so the manifest stamp is stable across runs."""
    staging.mkdir(parents=True, exist_ok=True)
    p = staging / name
    p.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    ns = max(f.stat().st_mtime_ns for f in like)
    os.utime(p, ns=(ns, ns))
    return p


def plan(data_dir: Path, staging: Path) -> list[Job]:
    """The ingest jobs for the shared data folder (staged files are written to `staging`)."""
    t = data_dir / "text"
    jobs = [
        Job("news", sorted((t / "news_crawl").glob("*.jsonl")), {"field": "text"}),
        Job("news", [t / "flash_news" / "latest_news.csv"], {"column": "content", "date_field": "datetime"}),
        Job("news", [t / "astock_news" / n for n in ("test.csv", "val.csv")],
            {"column": "text_a", "date_field": "DATE", "code_field": "CODE"}),
    ]
    guba = [t / "guba_sentiment" / n for n in ("positive.txt", "negative.txt")]
    posts = [_SEGMENTATION_SPACE.sub("", line).strip() for g in guba
             for line in g.read_text("utf-8").splitlines() if line.strip()]
    jobs.append(Job("forum", [_stage(staging, "guba_sentiment.jsonl", posts, guba)]))
    jobs.append(Job("announcement", [data_dir / "kg" / "event_causality" / "ccks2021_raw.jsonl"], {"field": "text"}))
    for source, tasks in FINCUGE_BY_SOURCE.items():
        staged = []
        for task in tasks:
            src = data_dir / "fincuge" / task / "train_list.json"
            staged.append(_stage(staging, f"fincuge_{task}_train.jsonl", fincuge_train_texts(data_dir, task), [src]))
        jobs.append(Job(source, staged))
    for j in jobs:
        for f in j.files:
            if not f.exists():
                raise DataError("shared data file not found", file=str(f))
    return jobs


def build_shared(data_dir: Path, out: Path, *, min_chars: dict[str, int] | None = None,
                 base: IngestConfig | None = None, progress: bool = True) -> dict:
    """Ingest the shared data folder into `out` (see the module docstring); returns the manifest."""
    min_chars = {**DEFAULT_MIN_CHARS, **(min_chars or {})}
    base = base or IngestConfig()
    staging = out / ".staging"
    manifest: dict = {}
    try:
        for job in plan(data_dir, staging):
            cfg = replace(base, read=ReadOptions(source=job.source, **job.read),
                          clean=replace(base.clean, min_chars=min_chars.get(job.source, base.clean.min_chars)))
            manifest = ingest(job.files, out, cfg, progress=progress)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


__all__ = ["DEFAULT_MIN_CHARS", "build_shared", "fincuge_train_texts", "plan"]
