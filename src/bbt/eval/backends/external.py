"""Backends whose model code lives elsewhere in BBT: our checkpoints and the classical baseline.

Both are imported lazily: the harness must work (and its tests run) without either being installed or trained.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from bbt.errors import BBTError
from bbt.eval.backends.base import register_backend
from bbt.tasks import Example, Task


def _existing_dir(path: str, what: str) -> Path:
    p = Path(path).expanduser()
    if not p.is_dir():
        raise BBTError(f"{what} directory not found: {p}")
    return p.resolve()


@register_backend("bbt", "bbt:DIR")
class CheckpointBackend:
    """A BBT seq2seq checkpoint: reads `Example.input` (source prompt + input), generates the target text."""

    def __init__(self, path: str):
        self.path = _existing_dir(path, "BBT checkpoint")
        self.name = f"bbt:{self.path}"
        self.neural_only = False
        try:
            from bbt.model.inference import load_generator
        except ImportError as e:
            raise BBTError(f"cannot load BBT checkpoints: bbt.model.inference is unavailable ({e})") from None
        self.generator = load_generator(str(self.path))
        try:  # why: generators that take `task` may answer from a trained classification head (faster, exact)
            self._takes_task = "task" in inspect.signature(self.generator.generate).parameters
        except (TypeError, ValueError):
            self._takes_task = False

    @classmethod
    def from_spec(cls, rest: str) -> "CheckpointBackend":
        return cls(rest)

    def set_neural_only(self) -> None:
        """Switch the lexical channel off (the neural model alone); the name says so, so caches and tables differ."""
        self.neural_only = True
        self.name = f"bbt:{self.path}#neural-only"
        if hasattr(self.generator, "neural_only"):
            self.generator.neural_only = True

    def generate(self, task: Task, examples: list[Example]) -> list[str]:
        if not self._takes_task:
            return list(self.generator.generate([ex.input for ex in examples], task.max_new_tokens))
        from bbt.train.task_heads import model_answers  # task head, else classification head, else the decoder

        return list(model_answers(self.generator, task, examples))


@register_backend("baseline", "baseline:DIR")
class BaselineBackend:
    """The classical baseline trained by `bbt train` (per-task text predictions from `predict_texts`)."""

    def __init__(self, path: str):
        self.path = _existing_dir(path, "baseline")
        self.name = f"baseline:{self.path}"
        try:
            from bbt.classical import load_baseline
        except ImportError as e:
            raise BBTError(f"cannot load the classical baseline: bbt.classical is unavailable ({e})") \
                from None
        self.model = load_baseline(str(self.path))

    @classmethod
    def from_spec(cls, rest: str) -> "BaselineBackend":
        return cls(rest)

    def generate(self, task: Task, examples: list[Example]) -> list[str]:
        return list(self.model.predict_texts(task.name, examples))
