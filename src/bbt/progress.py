"""The one progress-bar factory: rich bars with the same columns everywhere (description, bar, counts, times).

Long jobs show progress on stderr-friendly rich consoles; `enabled=False` gives a silent bar with the same API,
so callers never branch on whether to show one.
"""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def progress_bar(*extra: ProgressColumn | str, description: str = "{task.description}", counts: bool = True,
                 eta: bool = True, console=None, enabled: bool = True, transient: bool = False) -> Progress:
    """A rich Progress: description, bar, done/total (`counts`), `extra` columns (a str is a TextColumn
    template, e.g. "loss {task.fields[loss]:.3f}"), elapsed time, and the time remaining (`eta`)."""
    columns: list[ProgressColumn] = [TextColumn(description), BarColumn()]
    if counts:
        columns.append(MofNCompleteColumn())
    columns += [TextColumn(c) if isinstance(c, str) else c for c in extra]
    columns.append(TimeElapsedColumn())
    if eta:
        columns.append(TimeRemainingColumn())
    return Progress(*columns, console=console, disable=not enabled, transient=transient)
