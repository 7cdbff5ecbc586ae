"""`dummy` backends for harness tests, like lm-evaluation-harness's dummy model: no model, instant answers."""

from __future__ import annotations

from bbt.errors import BBTError
from bbt.eval.backends.base import register_backend
from bbt.tasks import EntityTask, Example, Task

MODES = ("first", "gold")


@register_backend("dummy", "dummy[:first|:gold]", needs_rest=False)
class DummyBackend:
    """`first`: the task's first label, "否" for finnsp, "无" for finner, else the first characters of the text
    (a floor score).
    `gold`: the target text itself (the pipeline must then score 100)."""

    def __init__(self, mode: str = "first"):
        mode = mode.strip().lower() or "first"
        if mode not in MODES:
            raise BBTError(f"unknown dummy mode {mode!r}; valid: {', '.join(MODES)}")
        self.mode = mode
        self.name = f"dummy:{mode}"

    @classmethod
    def from_spec(cls, rest: str) -> "DummyBackend":
        return cls(rest or "first")

    def _first(self, task: Task, ex: Example) -> str:
        if isinstance(task, EntityTask):
            return task.none
        if task.labels:
            return getattr(task, "words", {}).get(task.labels[0], task.labels[0])
        if task.name == "finnsp":
            return "否"
        return str(ex.fields.get("text", ""))[: 30 if task.name == "finna" else 4]

    def generate(self, task: Task, examples: list[Example]) -> list[str]:
        if self.mode == "gold":
            return [ex.target for ex in examples]
        return [self._first(task, ex) for ex in examples]
