"""`bbt train ...`: classical baselines and other trainers."""

from __future__ import annotations

from pathlib import Path

import typer

from bbt.cli.options import DataDir, ShowProgress

train_app = typer.Typer(no_args_is_help=True)


@train_app.command("baseline")
def baseline(
    data_dir: DataDir = None,
    out: Path = typer.Option(..., help="Directory for the models (one .joblib per task) and manifest.json."),
    tasks: str = typer.Option("all", help="all, or comma-separated tasks (finfe,finne,finnl,finre,finnsp,finese,"
                                          "finqa,fincqa,finna)."),
    limit: int = typer.Option(None, help="Only the first N train rows of each task (quick checks)."),
    holdout: float = typer.Option(0.1, help="Share of train held out first to record a score in the manifest "
                                            "(0: skip; the saved model always sees all train rows)."),
    progress: ShowProgress = True,
) -> None:
    """Train the classical FinCUGE baselines on the train lists; evaluate with
    `bbt eval fincuge --model baseline:OUT`."""
    from rich.console import Console
    from rich.table import Table

    from bbt.classical import train_baselines
    from bbt.errors import BBTError
    from bbt.settings import resolve_data_dir
    from bbt.tasks import select_tasks

    if not 0 <= holdout < 0.5:
        raise BBTError(f"--holdout must be in [0, 0.5), got {holdout}")
    names = [t.name for t in select_tasks(tasks)]  # why: a typo in --tasks fails before any training
    manifest = train_baselines(resolve_data_dir(data_dir), out, names, progress=progress, limit=limit,
                               holdout=holdout)
    table = Table("task", "model", "train rows", "held-out score", "fit s")
    for name in names:
        entry = manifest["tasks"][name]
        score = entry["holdout_score"]
        table.add_row(name, entry["model"], str(entry["train_rows"]),
                      f"{score['score']:.2f}" if score else "-", f"{entry['fit_seconds']:.1f}")
    console = Console()
    console.print(table)
    console.print(f"wrote {out}; evaluate with: bbt eval fincuge --model baseline:{out}")
