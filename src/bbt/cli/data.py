"""`bbt data ...`: validate market files, fetch A-share histories."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

data_app = typer.Typer(no_args_is_help=True)

SUFFIXES = (".csv", ".txt", ".parquet")


def _expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUFFIXES)
        else:
            out.append(p)
    return out


def _summarise(path: Path) -> dict:
    """Load one file (a Tushare panel as a whole) and describe it for the table."""
    from bbt.data import load_panel_parquet, load_series_file
    from bbt.data.market import _is_parquet

    if path.is_file() and _is_parquet(path):
        panel = load_panel_parquet(path)
        frames = list(panel.values())
        return {"format": "tushare panel", "code": f"{len(panel)} codes",
                "rows": sum(len(f) for f in frames),
                "first": min(f["date"].iloc[0] for f in frames), "last": max(f["date"].iloc[-1] for f in frames),
                "gaps": [dict(g, code=f.attrs["ts_code"]) for f in frames for g in f.attrs["gaps"]]}
    df = load_series_file(path)
    return {"format": df.attrs["source_format"], "code": df.attrs.get("code", ""), "rows": len(df),
            "first": df["date"].iloc[0], "last": df["date"].iloc[-1], "gaps": df.attrs["gaps"]}


def _gap_line(g: dict) -> str:
    col = f" {g['column']}" if g.get("column") else ""
    code = f"{g['code']} " if g.get("code") else ""
    row = f" (line {g['row']})" if g.get("row") else ""
    return (f"{code}{g['kind']}{col}: {g['count']} between {g['start'].date()} and {g['end'].date()}{row}")


@data_app.command("validate")
def validate(
    files: list[Path] = typer.Argument(..., help="Market / multivariate files, or folders of them."),
    show_gaps: int = typer.Option(0, "--show-gaps", help="List up to this many gap entries per file."),
) -> None:
    """Load each file with the bbt loaders and report rows, dates, format and gaps; exit 2 if any fails."""
    from bbt.errors import DataError

    console = Console()
    if not console.is_terminal:  # piped / CI logs: do not squeeze the table into 80 columns
        console = Console(width=160)
    table = Table("file", "format", "code", "rows", "first", "last", "gaps", "status")
    for col in table.columns:
        col.no_wrap = True
    notes: list[str] = []
    failed = 0
    for path in _expand(files):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                s = _summarise(path)
            except DataError as e:
                failed += 1
                table.add_row(escape(path.name), "", "", "", "", "", "", "[red]error[/]")
                notes.append(f"[red]error:[/] {escape(str(e))}")
                continue
        status = "[yellow]fixed[/]" if caught else "[green]ok[/]"
        table.add_row(escape(path.name), escape(s["format"]), escape(str(s["code"])), str(s["rows"]), str(s["first"].date()),
                      str(s["last"].date()), str(len(s["gaps"])), status)
        notes += [f"[yellow]warning:[/] {escape(str(w.message))}" for w in caught]
        if show_gaps:
            notes += [escape(f"{path.name}: {_gap_line(g)}") for g in s["gaps"][:show_gaps]]
            if len(s["gaps"]) > show_gaps:
                notes.append(f"{path.name}: ... {len(s['gaps']) - show_gaps} more")
    if not table.row_count and not failed:
        console.print("[red]error:[/] no files to validate")
        raise typer.Exit(2)
    console.print(table)
    for n in notes:
        console.print(n, highlight=False)
    if failed:
        raise typer.Exit(2)


@data_app.command("fetch-stocks")
def fetch_stocks(
    codes: list[str] = typer.Argument(..., help="Six-digit A-share codes, e.g. 600000 000001."),
    out: Path = typer.Option(Path("data/stocks/ashare_qfq"), "--out", help="Folder for <code>.csv files."),
    start: str = typer.Option("19900101", help="First day, YYYYMMDD or YYYY-MM-DD."),
    end: str = typer.Option(None, help="Last day (default: today)."),
    adjust: str = typer.Option("qfq", help="qfq (forward-adjusted), hfq (backward) or none."),
) -> None:
    """Download daily histories with akshare (pip install 'bbt[fetch]'), written in the akshare CSV layout."""
    from bbt.data.fetch import fetch_stocks as fetch
    from bbt.data.fetch import import_akshare
    from bbt.errors import BBTError
    from bbt.progress import progress_bar

    console = Console()
    try:
        import_akshare()  # fail fast, before the progress bar
        with progress_bar(console=console) as progress:
            task = progress.add_task("fetch", total=len(codes))

            def done(code: str, path: Path | None) -> None:
                progress.update(task, advance=1, description=f"{code} {'ok' if path else 'failed'}")

            written = fetch(codes, out, start=start, end=end, adjust=adjust, on_done=done)
    except BBTError as e:  # printed here, escaped: the message has brackets (bbt[fetch]) that rich would eat
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(e))}", highlight=False)
        raise typer.Exit(2) from None
    console.print(escape(f"wrote {len(written)} files to {out}"))
