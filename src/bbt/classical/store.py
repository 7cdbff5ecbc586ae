"""Train, save and load the classical FinCUGE baselines (one joblib file per task + manifest.json)."""

from __future__ import annotations

import json
import platform
import time
import warnings
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import joblib

from bbt.classical.classify import LabelModel, MultiLabelModel, RelationModel
from bbt.classical.common import TaskModel, holdout_split, shrink
from bbt.classical.negative import NegativeModel
from bbt.classical.ner_crf import CRFModel
from bbt.classical.qa import QAModel
from bbt.classical.spans import SubjectModel
from bbt.classical.summary import LeadModel
from bbt.errors import BBTError
from bbt.progress import progress_bar
from bbt.results import dump_joblib, write_text
from bbt.tasks import TASKS, Example, Task, select_tasks

MANIFEST = "manifest.json"
FORMAT = 2  # bump when a saved model's class changes incompatibly (2: the classes moved to bbt.classical)


def make_model(task: Task) -> TaskModel:
    """A fresh, unfitted baseline for `task` (see the package docstring for the design of each)."""
    none = getattr(task, "none", "无")
    makers = {
        "finfe": lambda: LabelModel("finfe"),
        "finne": lambda: LabelModel("finne"),
        "finnl": lambda: MultiLabelModel("finnl"),
        "finre": lambda: RelationModel("finre"),
        "finnsp": lambda: NegativeModel("finnsp"),
        "finese": lambda: SubjectModel("finese", none),
        "finqa": lambda: QAModel("finqa", none),
        "fincqa": lambda: QAModel("fincqa", none, single_chars=True),  # products like 油, 煤, 猪 are one char
        "finna": lambda: LeadModel("finna"),
        # the cheap leaderboard row: characters only (the served /v1/ner adds words + lexicon, bbt.extract.finner)
        "finner": lambda: CRFModel("finner", none=none, words=False, lexicon=False),
    }
    if task.name not in makers:
        raise BBTError(f"no classical baseline for task {task.name!r}; baselines exist for {', '.join(makers)}")
    return makers[task.name]()


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("bbt", "scikit-learn", "numpy", "scipy", "jieba", "joblib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def score_outputs(task: Task, outputs: list[str], examples: list[Example]) -> dict[str, float]:
    """The task's own score of output texts, read back through `task.parse` exactly as the harness does."""
    return task.score([task.parse(o, e) for o, e in zip(outputs, examples)], examples)


def _read_manifest(out: Path) -> dict[str, Any]:
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise BBTError(f"cannot read the baseline manifest {out / MANIFEST}: {e}") from None


def train_baselines(data_dir: str | Path, out_dir: str | Path, tasks: str | list[str] | None = "all",
                    progress: bool = True, limit: int | None = None, holdout: float = 0.1) -> dict[str, Any]:
    """Fit each task's baseline on its train split only (the first `limit` rows if given) and save it.

    A `holdout` share of train is first held out (whole texts at a time) to record an honest score in the
    manifest; the saved model is then refitted on all train rows. Tasks already in `out_dir` from an earlier
    call stay there unless retrained. Returns the manifest.
    """
    selected = select_tasks(tasks)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(out) if (out / MANIFEST).is_file() else {}
    if manifest.get("format", FORMAT) != FORMAT:
        manifest = {}  # why: models of another format cannot sit beside the new ones
    manifest.update({"kind": "bbt-fincuge-baseline", "format": FORMAT, "versions": _versions(),
                     "data_dir": str(data_dir), "split": "train", "limit": limit})
    manifest.setdefault("tasks", {})
    with progress_bar(eta=False, enabled=progress) as bar:
        job = bar.add_task("baselines", total=len(selected))
        for task in selected:
            bar.update(job, description=f"baseline {task.name}: loading")
            examples = task.load(data_dir, "train", limit=limit)
            if len(examples) < 10:
                raise BBTError(f"{task.name}: only {len(examples)} train rows; a baseline needs at least 10")
            t0 = time.perf_counter()
            held_score = None
            if holdout > 0:
                bar.update(job, description=f"baseline {task.name}: held-out fit")
                fit_rows, held = holdout_split(examples, holdout)
                held_model = make_model(task).fit(fit_rows)
                held_score = score_outputs(task, held_model.predict(held), held)
            bar.update(job, description=f"baseline {task.name}: fit on {len(examples)} rows")
            model = make_model(task).fit(examples)
            seconds = time.perf_counter() - t0
            dump_joblib(shrink(model), out / f"{task.name}.joblib")
            manifest["tasks"][task.name] = {
                "file": f"{task.name}.joblib", "model": type(model).__name__, "train_rows": len(examples),
                "holdout_rows": len(held) if holdout > 0 else 0, "holdout_score": held_score,
                "fit_seconds": round(seconds, 1),
                "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            # why: written after every task, so an interrupted run still leaves usable baselines behind
            write_text(out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
            bar.advance(job)
        bar.update(job, description="baselines: done")
    return manifest


class Baseline:
    """Saved baselines of a directory; task models are loaded on first use.

    joblib files are pickles: load only directories you trained yourself or trust.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_dir():
            raise BBTError(f"baseline directory not found: {self.path} (train one with `bbt train baseline`)")
        if not (self.path / MANIFEST).is_file():
            raise BBTError(f"{self.path} is not a baseline directory: no {MANIFEST} "
                           "(train one with `bbt train baseline --out DIR`)")
        self.manifest = _read_manifest(self.path)
        if self.manifest.get("format") != FORMAT:
            raise BBTError(f"{self.path}: baseline format {self.manifest.get('format')} is not the supported "
                           f"{FORMAT}; retrain with `bbt train baseline`")
        saved = self.manifest.get("versions", {}).get("scikit-learn")
        if saved and saved != _versions()["scikit-learn"]:
            warnings.warn(f"{self.path} was saved with scikit-learn {saved}, this is "
                          f"{_versions()['scikit-learn']}: predictions may differ or fail; retrain if so",
                          stacklevel=2)
        self._models: dict[str, TaskModel] = {}

    @property
    def tasks(self) -> list[str]:
        return list(self.manifest.get("tasks", {}))

    def model(self, task_name: str) -> TaskModel:
        name = str(task_name).strip().lower()
        if name not in self._models:
            entry = self.manifest.get("tasks", {}).get(name)
            if entry is None:
                raise BBTError(f"no baseline for task {task_name!r} in {self.path}; it has: "
                               f"{', '.join(self.tasks) or 'none'} (train it with --tasks {name})")
            f = self.path / entry["file"]
            if not f.is_file():
                raise BBTError(f"baseline file missing: {f} (listed in {self.path / MANIFEST}); retrain {name}")
            self._models[name] = joblib.load(f)
        return self._models[name]

    def predict_texts(self, task_name: str, examples: list[Example]) -> list[str]:
        """One output text per example, in the task's target format (`TASKS[task].parse` reads it)."""
        if task_name not in TASKS:
            raise BBTError(f"unknown FinCUGE task {task_name!r}; valid: {', '.join(TASKS)}")
        return self.model(task_name).predict(list(examples))


def load_baseline(path: str | Path) -> Baseline:
    """The baselines saved in `path` by `train_baselines`."""
    return Baseline(path)
