"""`bbt eval ...`: evaluation harnesses (FinCUGE)."""

from __future__ import annotations

from pathlib import Path

import typer

from bbt.cli.options import DataDir, ShowProgress, Threads, set_threads
from bbt.errors import BBTError

eval_app = typer.Typer(no_args_is_help=True)


@eval_app.command("fincuge")
def fincuge(
    model: str = typer.Option(..., help="A BBT checkpoint DIR, hf:PATH, openai:URL[#MODEL], baseline:DIR, "
                                        "bundle:DIR (what a bundle serves) or dummy."),
    data_dir: DataDir = None,
    split: str = typer.Option("eval", help="Split: reads <task>/<split>_list.json (train, eval or your own)."),
    tasks: str = typer.Option("all", help="all, or comma-separated tasks (finfe,finne,finnl,finre,finnsp,finese,"
                                          "finqa,fincqa,finna,finner)."),
    limit: int = typer.Option(None, help="Only the first N rows of each task (quick checks)."),
    batch_size: int = typer.Option(16, help="Examples per backend call."),
    out: Path = typer.Option(Path("results/fincuge.json"), help="Result JSON; FILE.md (leaderboard) and "
                                                                "FILE.cache.jsonl (resumable outputs) go beside it."),
    leaderboard: list[Path] = typer.Option([], help="Other result JSONs to show in the table. Repeatable."),
    fresh: bool = typer.Option(False, help="Delete the output cache of an earlier run first."),
    neural_only: bool = typer.Option(False, "--neural-only", help="A BBT checkpoint with its lexical channel "
                                     "switched off: the neural model alone."),
    threads: Threads = 0,
    progress: ShowProgress = True,
) -> None:
    """Evaluate a model on the FinCUGE tasks; writes JSON + markdown leaderboard, resumes an interrupted run."""
    from rich.console import Console

    from bbt.bench.leaderboard import console_table, leaderboard_markdown, load_results
    from bbt.eval.harness import cache_path, evaluate_model
    from bbt.results import write_markdown
    from bbt.settings import resolve_data_dir
    from bbt.tasks import select_tasks

    import bbt.bundle.backend  # noqa: F401  (registers bundle:DIR, which sits above the harness's layer)

    set_threads(threads)
    task_list = select_tasks(tasks)  # why: a typo in --tasks fails before a model is loaded
    others = load_results(leaderboard)
    if out.suffix != ".json":
        raise BBTError(f"--out must end in .json, got {out}")
    console = Console()
    asked = "all" if tasks.strip().lower() == "all" else task_list  # why: "all" of bundle: = the tasks it serves
    result = evaluate_model(model, asked, resolve_data_dir(data_dir), out, split=split, batch_size=batch_size,
                            limit=limit, fresh=fresh, progress=progress, console=console, neural_only=neural_only)
    md = leaderboard_markdown([result, *others])
    write_markdown(out.with_suffix(".md"), md)
    console.print(console_table([result, *others]))
    console.print(f"average {result['average']:.2f} over {len(result['tasks'])} task(s); "
                  f"wrote {out}, {out.with_suffix('.md')} (outputs cached in {cache_path(out)})")


@eval_app.command("commentary")
def commentary(
    model: str = typer.Option("template", help="The writer: template (our realiser) or openai:URL[#MODEL]."),
    windows: int = typer.Option(500, help="Windows drawn from the data directory's A-share histories."),
    texts: Path = typer.Option(None, help="Score these texts instead: JSON lines {csv|series, end, text[, code]}."),
    seed: int = typer.Option(0, help="Seed of the window draw."),
    data_dir: DataDir = None,
    out: Path = typer.Option(Path("results/commentary.json"), help="Result JSON (+ .md beside it for --model)."),
) -> None:
    """Claim precision, contradictions, numeric error, facts covered and the style check of commentary."""
    from rich.console import Console

    from bbt.eval import commentary as ev
    from bbt.settings import resolve_data_dir

    if texts is not None:
        try:
            root = resolve_data_dir(data_dir)
        except BBTError:
            root = None  # why: scoring claims needs no data directory; only the style check does
        res = ev.run_texts(texts, out, root)
        t = res["totals"]
        Console().print(f"{t['texts']} texts, {t['claims']} claims ({t['checkable']} checkable): precision "
                        f"{ev._fmt(t['precision'])}, contradictions {ev._fmt(t['contradiction_rate'])}; wrote {out}")
        return
    ev.run(model, resolve_data_dir(data_dir), windows, out, seed=seed)
    Console().print(out.with_suffix(".md").read_text(encoding="utf-8"))
