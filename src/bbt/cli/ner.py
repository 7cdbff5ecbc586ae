"""`bbt ner ...`: train the weak-label NER tagger, tag a text."""

from __future__ import annotations

from pathlib import Path

import typer

from bbt.cli.options import DataDir, ShowProgress, Threads, set_threads

ner_app = typer.Typer(no_args_is_help=True)


@ner_app.command("train")
def train(
    data_dir: DataDir = None,
    out: Path = typer.Option(..., help="Directory for ner.pt and report.json."),
    max_seconds: float = typer.Option(150, help="Time budget of the training loop, in seconds."),
    limit_texts: int = typer.Option(None, help="Only this many texts (after the fixed shuffle), for quick runs."),
    seed: int = typer.Option(0, help="Training seed (the held-out split is fixed)."),
    threads: Threads = 0,
    results: Path = typer.Option(Path("results/ner_weak.json"), help="Report JSON; the .md is written beside it."),
    progress: ShowProgress = True,
) -> None:
    """Weak-label train-side texts with the gazetteer, train the tagger, score it on held-out texts."""
    from rich.console import Console
    from rich.markdown import Markdown

    from bbt.extract.ner import report_markdown, train_ner
    from bbt.results import write_json, write_markdown
    from bbt.settings import resolve_data_dir

    set_threads(threads)
    report = train_ner(resolve_data_dir(data_dir), out, max_seconds=max_seconds, limit_texts=limit_texts,
                       progress=progress, seed=seed)
    write_json(results, report)
    md = results.with_suffix(".md")
    write_markdown(md, report_markdown(report))
    console = Console()
    console.print(Markdown(md.read_text(encoding="utf-8")))
    console.print(f"wrote {out / 'ner.pt'}, {results}, {md}")


@ner_app.command("tag")
def tag(
    text: str = typer.Argument(..., help="The text to tag."),
    model: Path = typer.Option(..., help="Directory written by `bbt ner train`."),
    gazetteer: bool = typer.Option(True, help="Add exact gazetteer hits to the model's entities."),
) -> None:
    """Print the entities in TEXT: type, offsets, surface."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from bbt.extract.ner import load_ner

    entities = load_ner(model).predict([text], use_gazetteer=gazetteer)[0]
    table = Table("type", "start", "end", "text")
    for e in entities:
        table.add_row(e["type"], str(e["start"]), str(e["end"]), escape(e["text"]))
    console = Console()
    console.print(table if entities else "no entities found")


if __name__ == "__main__":  # `python -m bbt.cli.ner`: user errors as one line, like `bbt`
    import sys

    from rich.console import Console
    from rich.markup import escape

    from bbt.errors import BBTError

    try:
        ner_app()
    except BBTError as e:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(e))}", highlight=False)
        sys.exit(2)
