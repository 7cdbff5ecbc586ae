"""A markdown leaderboard: our result JSONs beside the published FinCUGE anchors, each row saying whose split.

The published numbers are on FinCUGE's hidden *test* split; ours are on whatever split we ran (normally `eval`,
carved from the published train list). They are put side by side for orientation, not as a like-for-like test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from bbt.errors import BBTError
from bbt.results import markdown_table, read_json
from bbt.tasks import FINCUGE_NINE, TASKS

# Early FinCUGE README table (test split): T5-base / BBT-T5-base / BBT-T5-base-KS. Tasks missing here: no anchor.
ANCHORS: dict[str, dict[str, float]] = {
    "T5-base": {"finre": 58.29, "finese": 88.88, "finfe": 76.28, "finnsp": 87.91, "finna": 51.29, "finnl": 87.19},
    "BBT-T5-base": {"finre": 62.32, "finese": 90.73, "finfe": 80.05, "finnsp": 88.50, "finna": 52.00,
                    "finnl": 91.18},
    "BBT-T5-base-KS": {"finre": 63.59, "finese": 90.39, "finfe": 79.23, "finnsp": 89.05, "finna": 53.74,
                       "finnl": 91.40},
}
ANCHOR_TASKS = ("finfe", "finnl", "finre", "finnsp", "finese", "finna")  # the six with published numbers
PUBLISHED = "published, their test split"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _fmt(v: float | None) -> str | None:
    return None if v is None else f"{v:.2f}"


CHECKPOINT_NAMES = ("best", "last", "final")  # what bbt finetune / bbt pretrain call their checkpoints


def _model_label(name: str) -> str:
    """`hf:/a/b/mt5-small` -> `hf:mt5-small`: paths are long, their last part names the model; a training run's
    checkpoint (`runs/mini/best`) keeps its run's name too (`bbt:mini/best`), else every run reads `bbt:best`."""
    kind, sep, rest = str(name).partition(":")
    if sep and rest.startswith(("http://", "https://")):  # an endpoint: its host, and the model after '#'
        host, _, tail = rest.partition("://")[2].partition("#")
        return f"{kind}:{host.split('/')[0]}" + (f"#{tail}" if tail else "")
    if sep and ("/" in rest or "\\" in rest):
        path = Path(rest.split("#")[0].rstrip("/\\"))
        tail = str(name).partition("#")[2]
        short = f"{path.parent.name}/{path.name}" if path.name in CHECKPOINT_NAMES and path.parent.name else path.name
        return f"{kind}:{short}" + (f"#{tail}" if tail else "")
    return str(name)


def _source(result: dict) -> str:
    s = f"ours, {result.get('split', '?')} split"
    if result.get("limit"):
        s += f", first {result['limit']} rows per task"
    return s


def load_results(paths: Sequence[str | Path]) -> list[dict]:
    """Result JSONs written by `bbt eval fincuge`; a clear error for a missing or foreign file."""
    out = []
    for p in paths:
        r = read_json(p)
        if not isinstance(r, dict) or not isinstance(r.get("tasks"), dict):
            raise BBTError(f"{p}: not a FinCUGE result JSON (expected keys model, split, tasks)")
        out.append(r)
    return out


def leaderboard_rows(results: Sequence[dict]) -> tuple[list[str], list[list]]:
    tasks = [t for t in TASKS if t in ANCHOR_TASKS or any(t in r.get("tasks", {}) for r in results)]
    headers = ["model", "source", *tasks, "avg (6 published tasks)", "avg (9 FinCUGE tasks)", "avg (all run)"]
    rows: list[list] = []
    for name, scores in ANCHORS.items():
        rows.append([name, PUBLISHED, *(_fmt(scores.get(t)) for t in tasks),
                     _fmt(_mean([scores[t] for t in ANCHOR_TASKS])), None, None])
    for r in results:
        got = {t: v["score"] for t, v in r["tasks"].items() if isinstance(v, dict) and v.get("score") is not None}
        six = [got[t] for t in ANCHOR_TASKS if t in got]
        nine = [got[t] for t in FINCUGE_NINE if t in got]
        rows.append([_model_label(r.get("model", "?")), _source(r), *(_fmt(got.get(t)) for t in tasks),
                     _fmt(_mean(six)) if len(six) == len(ANCHOR_TASKS) else None,
                     _fmt(_mean(nine)) if len(nine) == len(FINCUGE_NINE) else None, _fmt(_mean(list(got.values())))])
    return headers, rows


def leaderboard_markdown(results: Sequence[dict], title: str = "FinCUGE") -> str:
    headers, rows = leaderboard_rows(results)
    metrics = ", ".join(f"{t} {TASKS[t].metric}" for t in headers[2:-3])
    return "\n\n".join([
        f"### {title}",
        markdown_table(headers, rows),
        f"Scores in percent ({metrics}). Published rows: early FinCUGE README table on the hidden test split; "
        "our rows: the split named, so the two are not a like-for-like comparison. The 6- and 9-task averages "
        "are shown only for rows with all of their tasks (finner, FinNER, is not among the nine).",
    ])


def console_table(results: Sequence[dict]):
    """The same numbers as a rich Table turned on its side (a task per row, a model per column): terminals are
    narrow, and ten task columns plus three averages do not fit beside the model names."""
    from rich.table import Table

    headers, rows = leaderboard_rows(results)
    table = Table(title="FinCUGE (published rows: their test split; ours: the split named)")
    table.add_column("task")
    for r in rows:
        ours = r[1] != PUBLISHED
        table.add_column(f"{r[0]}\n[dim]{'ours, ' + r[1].split(', ', 1)[1] if ours else 'published, test'}[/]",
                         justify="right", style="bold" if ours else None, overflow="fold")
    for j, h in enumerate(headers[2:], start=2):
        table.add_row(h, *("—" if r[j] is None else r[j] for r in rows))
    return table
