"""`bbt kg ...`: build the stock knowledge graph, show a company profile, search names."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from bbt.cli.options import DataDir, ShowProgress

kg_app = typer.Typer(no_args_is_help=True)

KG_OPTION = typer.Option(Path("runs/kg.sqlite"), "--kg", help="Knowledge graph file (from `bbt kg build`).")


@kg_app.command("build")
def build(
    data_dir: DataDir = None,
    out: Path = typer.Option(Path("runs/kg.sqlite"), "--out", help="SQLite file to write (replaced atomically)."),
    progress: ShowProgress = True,
) -> None:
    """Build the knowledge graph (companies, people, industries, concepts, holders) into one SQLite file."""
    from rich.console import Console
    from rich.table import Table

    from bbt.kg import build_kg
    from bbt.settings import resolve_data_dir

    started = time.perf_counter()
    counts = build_kg(resolve_data_dir(data_dir), out, progress=progress)
    table = Table("kind", "type", "count")
    for kind in ("nodes", "edges"):
        for typ, n in counts[kind].items():
            table.add_row(kind[:-1], typ, f"{n:,}")
    console = Console()
    console.print(table)
    console.print(f"wrote {out} in {time.perf_counter() - started:.1f} s", highlight=False)


@kg_app.command("show")
def show(query: str = typer.Argument(..., help="6-digit code, ts_code (000001.SZ) or company name."),
         kg: Path = KG_OPTION) -> None:
    """Print a company profile as JSON; exit 1 when no company matches."""
    from bbt.kg import load_kg

    with load_kg(kg) as graph:
        profile = graph.profile(query)
    if profile is None:
        typer.echo(f"no company matches {query!r}; try `bbt kg search {query}`", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(profile, ensure_ascii=False, indent=2))


@kg_app.command("search")
def search(text: str = typer.Argument(..., help="Part of a name, alias or code."),
           kg: Path = KG_OPTION,
           limit: int = typer.Option(10, help="Most hits to list."),
           types: list[str] = typer.Option(None, "--type", help="Only these node types (repeatable): company, "
                                                                "industry, concept, person, holder.")) -> None:
    """List nodes whose name contains TEXT (exact matches first, then shorter names)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from bbt.kg import load_kg

    with load_kg(kg) as graph:
        hits = graph.search(text, limit=limit, types=types or None)
    if not hits:
        typer.echo(f"nothing matches {text!r}", err=True)
        raise typer.Exit(1)
    table = Table("type", "name", "code / key")
    for h in hits:
        table.add_row(h["type"], escape(h["name"]), escape(h.get("code") or h["key"]))
    Console().print(table)
