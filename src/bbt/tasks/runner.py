"""The task loop: tasks x backend -> outputs (cached per example) -> parsed predictions -> scores.

A backend is anything with a `name` and `generate(task, examples)`: a live model during training
(`bbt.train.finetune`), the served engines (`bbt.bundle`), or a model spec resolved by `bbt.eval.backends`.

Outputs are cached as JSON lines, appended and flushed after every batch. A line is keyed by backend name, task,
split, example id and a hash of the exact prompt text (and generation budget), so an interrupted run resumes where
it stopped, and a changed prompt or model is recomputed instead of silently reused.

Result: {"model", "split", "tasks": {TASK: {"metric", "score", "n", ...extras, "seconds"}}, "average", "seconds"}.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Protocol, Sequence, runtime_checkable

from bbt.errors import BBTError
from bbt.progress import progress_bar
from bbt.tasks.base import Example, Task
from bbt.tasks.registry import get_task, select_tasks


@runtime_checkable
class Backend(Protocol):
    """Anything that turns a batch of one task's examples into one output text each."""

    name: str  # canonical spec; part of the cache key, recorded as "model" in the results

    def generate(self, task: Task, examples: list[Example]) -> list[str]: ...


def prompt_of(backend: object, task: Task, example: Example) -> str:
    """The text the backend actually shows its model (a changed prompt must invalidate cached outputs)."""
    fn = getattr(backend, "prompt", None)
    return fn(task, example) if callable(fn) else example.input


def prompt_hash(text: str, max_new_tokens: int) -> str:
    return hashlib.sha256(f"{max_new_tokens}\x00{text}".encode("utf-8")).hexdigest()[:16]


class OutputCache:
    """Model outputs on disk, one JSON object per line; lines a killed run left half-written are ignored."""

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        self.entries: dict[tuple, str] = {}
        self.bad_lines = 0
        self._newline_first = False  # why: a half-written last line must not swallow the next record
        if self.path and self.path.is_file():
            data = self.path.read_bytes()
            self._newline_first = bool(data) and not data.endswith(b"\n")
            # split on "\n" only: outputs may hold U+2028, which json.dumps(ensure_ascii=False) leaves as is
            for line in data.decode("utf-8", errors="replace").split("\n"):
                if not line.strip():
                    continue
                try:
                    d = json.loads(line)
                    self.entries[self._key(d)] = str(d["output"])
                except (json.JSONDecodeError, KeyError, TypeError):
                    self.bad_lines += 1

    @staticmethod
    def _key(d: dict) -> tuple:
        return d["model"], d["task"], d["split"], str(d["id"]), d["prompt"]

    def get(self, key: dict) -> str | None:
        return self.entries.get(self._key(key))

    def add(self, keys: Sequence[dict], outputs: Sequence[str]) -> None:
        for k, out in zip(keys, outputs):
            self.entries[self._key(k)] = out
        if not self.path:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = "\n" if self._newline_first else ""
        self._newline_first = False
        lines += "".join(json.dumps({**k, "output": out}, ensure_ascii=False) + "\n" for k, out in zip(keys, outputs))
        with self.path.open("a", encoding="utf-8") as f:
            f.write(lines)
            f.flush()
            os.fsync(f.fileno())  # why: the batch must survive a kill right after it


def _as_tasks(tasks: Any) -> list[Task]:
    if tasks is None or isinstance(tasks, str):
        return select_tasks(tasks)
    return [t if isinstance(t, Task) else get_task(t) for t in tasks]


def _progress(enabled: bool, console=None):
    return progress_bar(description="[bold]{task.description:<8}", console=console, enabled=enabled)


def evaluate(backend: Backend, tasks: Any, data_dir: str | Path, split: str = "eval", batch_size: int = 16,
             limit: int | None = None, cache_path: str | Path | None = None, progress: bool = True,
             console=None) -> dict:
    """Evaluate `backend` on `tasks` (Task objects, names, "all" or "finfe,finne") of `split`; see the module doc."""
    if batch_size < 1:
        raise BBTError(f"batch size must be at least 1, got {batch_size}")
    if limit is not None and limit < 1:
        raise BBTError(f"limit must be at least 1 row per task, got {limit}")
    task_list = _as_tasks(tasks)
    cache = OutputCache(cache_path)
    t_all = time.perf_counter()
    results: dict[str, dict] = {}
    with _progress(progress, console) as bar:
        for task in task_list:
            t0 = time.perf_counter()
            examples, notes = task.load_with_notes(data_dir, split, limit)
            if not examples:
                raise BBTError(f"{task.name}: no labelled examples in the {split!r} split")
            outputs, n_cached = _outputs(backend, task, split, examples, batch_size, cache, bar)
            predictions = [task.parse(out, ex) for out, ex in zip(outputs, examples)]
            scores = task.score(predictions, examples)
            results[task.name] = {"metric": task.metric, "score": scores.pop("score"), "n": len(examples),
                                  **scores, "cached": n_cached, "seconds": round(time.perf_counter() - t0, 3)}
            if notes:
                results[task.name]["notes"] = notes
    scores = [r["score"] for r in results.values()]
    return {"model": backend.name, "split": split, "tasks": results, "average": sum(scores) / len(scores),
            "seconds": round(time.perf_counter() - t_all, 3), "limit": limit, "batch_size": batch_size}


def _outputs(backend: Backend, task: Task, split: str, examples: list[Example], batch_size: int,
             cache: OutputCache, bar) -> tuple[list[str], int]:
    """One output per example: from the cache when there, else generated batch by batch (and cached)."""
    keys = [{"model": backend.name, "task": task.name, "split": split, "id": ex.id,
             "prompt": prompt_hash(prompt_of(backend, task, ex), task.max_new_tokens)} for ex in examples]
    outputs: list[str | None] = [cache.get(k) for k in keys]
    todo = [i for i, out in enumerate(outputs) if out is None]
    n_cached = len(examples) - len(todo)
    bar_id = bar.add_task(task.name, total=len(examples), completed=n_cached)
    for start in range(0, len(todo), batch_size):
        idx = todo[start:start + batch_size]
        got = backend.generate(task, [examples[i] for i in idx])
        if len(got) != len(idx):
            raise BBTError(f"{backend.name} returned {len(got)} outputs for a batch of {len(idx)} ({task.name})")
        got = ["" if g is None else str(g) for g in got]
        cache.add([keys[i] for i in idx], got)
        for i, g in zip(idx, got):
            outputs[i] = g
        bar.update(bar_id, advance=len(idx))
    return [str(o) for o in outputs], n_cached
