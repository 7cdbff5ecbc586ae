"""Tasks by name: `register_task` adds a declared task, `get_task` / `select_tasks` find them.

The registry is filled by importing the modules that declare tasks (`bbt.tasks.fincuge`); `bbt.tasks` does that,
so `from bbt.tasks import get_task` always sees every task.
"""

from __future__ import annotations

from bbt.errors import BBTError
from bbt.tasks.base import Task

TASKS: dict[str, Task] = {}


def register_task(task: Task) -> Task:
    """Add `task` under its name; a second task with the same name is a programming error."""
    if task.name in TASKS:
        raise ValueError(f"task {task.name!r} is registered twice")
    TASKS[task.name] = task
    return task


def get_task(name: str) -> Task:
    """The task called `name` (case-insensitive); a BBTError listing the valid names otherwise."""
    key = str(name).strip().lower()
    if key not in TASKS:
        raise BBTError(f"unknown FinCUGE task {name!r}; valid: {', '.join(TASKS)}")
    return TASKS[key]


def select_tasks(spec: str | list[str] | tuple[str, ...] | None) -> list[Task]:
    """'all' / None -> every task; 'finfe,finne' or a list -> those tasks, in the given order, no repeats."""
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "all")):
        return list(TASKS.values())
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[Task] = []
    for n in names:
        if n.strip() and get_task(n) not in out:
            out.append(get_task(n))
    if not out:
        raise BBTError(f"no tasks selected by {spec!r}; valid: all or a comma-separated list of {', '.join(TASKS)}")
    return out
