"""`bbt eval ...`: evaluation harnesses (FinCUGE)."""

from __future__ import annotations

from pathlib import Path

import typer

from bbt.errors import BBTError

eval_app = typer.Typer(no_args_is_help=True)


@eval_app.command("fincuge")
def fincuge(
    model: str = typer.Option(..., help="A BBT checkpoint DIR, hf:PATH, openai:URL[#MODEL], baseline:DIR or dummy."),
    data_dir: Path = typer.Option(None, help="Data directory holding fincuge/ "
                                             "(default: BBT_DATA_DIR or ../shared/data)."),
    split: str = typer.Option("eval", help="Split: reads <task>/<split>_list.json (train, eval or your own)."),
    tasks: str = typer.Option("all", help="all, or comma-separated tasks (finfe,finne,finnl,finre,finnsp,finese,"
                                          "finqa,fincqa,finna)."),
    limit: int = typer.Option(None, help="Only the first N rows of each task (quick checks)."),
    batch_size: int = typer.Option(16, help="Examples per backend call."),
    out: Path = typer.Option(Path("results/fincuge.json"), help="Result JSON; FILE.md (leaderboard) and "
                                                                "FILE.cache.jsonl (resumable outputs) go beside it."),
    leaderboard: list[Path] = typer.Option([], help="Other result JSONs to show in the table. Repeatable."),
    fresh: bool = typer.Option(False, help="Delete the output cache of an earlier run first."),
    threads: int = typer.Option(0, help="torch threads (0 = torch default)."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Evaluate a model on the FinCUGE tasks; writes JSON + markdown leaderboard, resumes an interrupted run."""
    from rich.console import Console

    from bbt.bench.fincuge.backends import load_backend
    from bbt.bench.fincuge.harness import evaluate
    from bbt.bench.fincuge.leaderboard import console_table, leaderboard_markdown, load_results
    from bbt.bench.fincuge.tasks import select_tasks
    from bbt.bench.report import write_json, write_markdown
    from bbt.settings import resolve_data_dir

    if threads:
        import torch

        torch.set_num_threads(threads)
    task_list = select_tasks(tasks)  # why: a typo in --tasks fails before a model is loaded
    others = load_results(leaderboard)
    root = resolve_data_dir(data_dir)
    if out.suffix != ".json":
        raise BBTError(f"--out must end in .json, got {out}")
    cache = out.with_suffix(".cache.jsonl")
    if fresh and cache.exists():
        cache.unlink()
    console = Console()
    backend = load_backend(model)
    result = evaluate(backend, task_list, root, split=split, batch_size=batch_size, limit=limit,
                      cache_path=cache, progress=progress, console=console)
    result["data_dir"] = str(root)
    write_json(out, result)
    md = leaderboard_markdown([result, *others])
    write_markdown(out.with_suffix(".md"), md)
    console.print(console_table([result, *others]))
    console.print(f"average {result['average']:.2f} over {len(result['tasks'])} task(s); "
                  f"wrote {out}, {out.with_suffix('.md')} (outputs cached in {cache})")
