"""The FinCUGE harness for any model spec: resolve the backend, run the task loop with a per-example output cache
beside the result file (an interrupted run resumes), write the result JSON.

`bbt eval fincuge`, the pre-training ablation and anyone scripting an evaluation call `evaluate_model`; the task
loop itself (`bbt.tasks.runner.evaluate`) also serves training-time evaluation and the bundle's model selection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bbt.errors import BBTError
from bbt.eval.backends import load_backend
from bbt.results import write_json
from bbt.tasks.runner import evaluate


def cache_path(out_json: Path) -> Path:
    """Where the outputs of the run writing `out_json` are cached."""
    return Path(out_json).with_suffix(".cache.jsonl")


def evaluate_model(spec: str, tasks: Any, data_dir: Path, out_json: Path, *, split: str = "eval",
                   batch_size: int = 16, limit: int | None = None, fresh: bool = False, progress: bool = True,
                   console=None, neural_only: bool = False) -> dict:
    """Evaluate the model `spec` (see bbt.eval.backends) on `tasks`; writes `out_json` and returns the result.
    `neural_only`: a BBT checkpoint with its lexical channel switched off."""
    out_json = Path(out_json)
    if out_json.suffix != ".json":
        raise BBTError(f"--out must end in .json, got {out_json}")
    cache = cache_path(out_json)
    if fresh and cache.exists():
        cache.unlink()
    backend = load_backend(spec)
    if neural_only:
        if not hasattr(backend, "set_neural_only"):
            raise BBTError(f"--neural-only applies to BBT checkpoints, not {backend.name}")
        backend.set_neural_only()
    served = getattr(backend, "tasks", None)  # a backend that answers some tasks only (bundle:DIR)
    if served is not None:
        from bbt.tasks import get_task, select_tasks

        if tasks is None or (isinstance(tasks, str) and tasks.strip().lower() == "all"):
            asked = [get_task(n) for n in served]
        else:
            asked = select_tasks(tasks) if isinstance(tasks, str) else [get_task(getattr(t, "name", t)) for t in tasks]
        unserved = [t.name for t in asked if t.name not in served]
        if unserved:
            raise BBTError(f"{backend.name} does not answer {', '.join(unserved)}; it answers {', '.join(served)}")
        tasks = asked
    result = evaluate(backend, tasks, data_dir, split=split, batch_size=batch_size, limit=limit,
                      cache_path=cache, progress=progress, console=console)
    result["data_dir"] = str(data_dir)
    if neural_only:
        result["neural_only"] = True
    write_json(out_json, result)
    return result
