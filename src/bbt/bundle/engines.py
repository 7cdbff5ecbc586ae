"""Engines answer FinCUGE-shaped questions for the service: a classical model set or a BBT checkpoint.

Both read `Example`s built from API input exactly as the harness builds them from the data files, so the
score a bundle records on the eval split is the score of what the service runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import numpy as np

from bbt.errors import BBTError
from bbt.tasks import Example, Task, get_task

# A label a FinCUGE row always accepts, used only to build inference examples (their target is never read).
_ANY_LABEL = {"finfe": {"label": 0}, "finne": {"label": "0.5"}, "finnl": {"labels": "公司"},
              "finre": {"relation": "unknown"}, "finna": {"summary": "-"},
              "finnsp": {"negative": "0", "negative_entities": ""}}


def inference_example(task: Task, fields: dict[str, Any], row_id: str = "0") -> Example:
    """An Example for `task` from API fields (text, head/tail, title/entities), without a gold answer."""
    full = {**{c: "" for c in task.columns}, **_ANY_LABEL.get(task.name, {}), **fields}
    if task.name == "finnsp":
        full["entities"] = ";".join(fields.get("entities") or ())
        full["id"] = row_id
    return task.make_example(row_id, full)


class ClassicalEngine:
    """Per-task scikit-learn models saved as joblib files (`{task: file}`); loaded once."""

    def __init__(self, files: dict[str, str | Path], name: str = "classical"):
        self.name = name
        self.models: dict[str, Any] = {}
        for task, f in files.items():
            if not Path(f).is_file():
                raise BBTError(f"bundle model file missing: {f}; rebuild with `bbt bundle build --force`")
            self.models[task] = joblib.load(f)

    def generate(self, task: Task, examples: list[Example]) -> list[str]:  # the harness Backend protocol
        return self.predict_texts(task.name, examples)

    def predict_texts(self, task: str, examples: list[Example]) -> list[str]:
        return list(self.models[task].predict(examples)) if examples else []

    def label_probs(self, task: str, examples: list[Example]) -> tuple[list[str], np.ndarray]:
        model = self.models[task]
        if hasattr(model, "proba"):
            return list(model.classes), np.asarray(model.proba(examples))
        return _one_hot(get_task(task), self.predict_texts(task, examples), examples)

    def multilabel_scores(self, task: str, examples: list[Example]) -> tuple[list[str], np.ndarray]:
        """Label names and [N, n_labels] scores in (0, 1): a sigmoid of the SVM margin past the chosen
        threshold, so > 0.5 means the label clears it (the best label is kept even below)."""
        m = self.models[task]
        d = np.atleast_2d(m.pipe.decision_function([e.fields["text"] for e in examples]))
        return [str(c) for c in m.binarizer.classes_], 1.0 / (1.0 + np.exp(-4.0 * (d - m.threshold)))


class CheckpointEngine:
    """A BBT checkpoint: classification heads where it has them, generation otherwise."""

    def __init__(self, path: str | Path):
        from bbt.eval.backends.external import CheckpointBackend

        self.backend = CheckpointBackend(str(path))
        self.name = self.backend.name

    def generate(self, task: Task, examples: list[Example]) -> list[str]:
        return self.backend.generate(task, examples)

    def predict_texts(self, task: str, examples: list[Example]) -> list[str]:
        return self.backend.generate(get_task(task), examples) if examples else []

    def label_probs(self, task: str, examples: list[Example]) -> tuple[list[str], np.ndarray]:
        gen = self.backend.generator
        if task in gen.model.config.bbt.cls_heads and task not in gen.model.config.bbt.multilabel_heads:
            labels, probs = gen.label_probs(task, [e.input for e in examples])
            return labels, probs.numpy()
        return _one_hot(get_task(task), self.predict_texts(task, examples), examples)

    def multilabel_scores(self, task: str, examples: list[Example]) -> tuple[list[str], np.ndarray]:
        t = get_task(task)
        labels = list(t.labels or ())
        chosen = [t.parse(o, e) for o, e in zip(self.predict_texts(task, examples), examples)]
        return labels, np.array([[1.0 if lab in c else 0.0 for lab in labels] for c in chosen]).reshape(-1, len(labels))


def _one_hot(task: Task, outputs: list[str], examples: list[Example]) -> tuple[list[str], np.ndarray]:
    """Probabilities of a model that only names a label: 1 for the label it names."""
    labels = list(task.labels or ())
    parsed = [task.parse(o, e) for o, e in zip(outputs, examples)]
    return labels, np.array([[1.0 if p == lab else 0.0 for lab in labels] for p in parsed]).reshape(-1, len(labels))


def load_engine(spec: dict, root: Path):
    """The engine a manifest entry names: {"engine": "classical", "files": {task: rel}} or {"engine": "bbt",
    "path": dir}."""
    kind = spec.get("engine")
    if kind == "classical":
        return ClassicalEngine({t: root / f for t, f in spec["files"].items()}, name=spec.get("name", "classical"))
    if kind == "bbt":
        p = Path(spec["path"])
        return CheckpointEngine(p if p.is_absolute() else root / p)
    raise BBTError(f"unknown engine {kind!r} in the bundle manifest under {root}")
