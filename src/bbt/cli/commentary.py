"""`bbt commentary` and `bbt ts facts`: a stock's window read from a price file or the data directory."""

from __future__ import annotations

from pathlib import Path

import typer

from bbt.cli.options import DataDir

Csv = typer.Option(None, "--csv", help="A daily price file the loaders read (akshare, English, Yahoo, NetEase, Tushare).")
Code = typer.Option(None, "--code", help="Stock code: its board sets the price limits; without --csv the history "
                                         "is read from the data directory.")
End = typer.Option(..., "--end", help="End date (YYYY-MM-DD): only rows up to and including it are read.")


def _series(csv: Path | None, code: str | None, data_dir):
    from bbt.data import load_market_file
    from bbt.data.stocks import is_st, load_stock, stock_name
    from bbt.errors import BBTError
    from bbt.settings import resolve_data_dir

    if csv is None and code is None:
        raise BBTError("give --csv FILE or --code CODE")
    root = None
    try:
        root = resolve_data_dir(data_dir)
    except BBTError:
        if csv is None:
            raise
    frame = load_market_file(csv) if csv is not None else load_stock(root, code)
    code = code or frame.attrs.get("code") or None
    return frame, code, stock_name(root, code), is_st(root, code)


def facts_command(csv: Path = Csv, code: str = Code, end: str = End, data_dir: DataDir = None,
                  out: Path = typer.Option(None, help="Write the facts as JSON here.")) -> None:
    """The facts of the window ending at --end, most salient first."""
    from rich.console import Console
    from rich.table import Table

    from bbt.results import write_json
    from bbt.ts.facts import window_facts

    frame, code, _, st = _series(csv, code, data_dir)
    wf = window_facts(frame, end, code=code, st=st)
    d = wf.to_dict()
    if out:
        write_json(out, d)
    table = Table("fact", "window", "direction", "value", "date", "salience", title=f"{code or ''} {wf.end} close {wf.close}")
    for f in d["facts"]:
        table.add_row(f["kind"], str(f["window"]), f["direction"], f"{f['value']:.4g}", f["date"], f"{f['salience']:.2f}")
    Console().print(table)


def commentary_command(csv: Path = Csv, code: str = Code, end: str = End,
                       style: str = typer.Option("analyst", help="analyst (news / report voice) | retail (forum voice)."),
                       data_dir: DataDir = None,
                       plot: Path = typer.Option(None, help="Draw the window with the stated facts (PNG)."),
                       out: Path = typer.Option(None, help="Write the answer (text, facts, claims) as JSON here.")) -> None:
    """Commentary on a stock's window, every claim checked against the series."""
    from rich.console import Console

    from bbt.apps.commentary.service import write_commentary
    from bbt.results import write_json

    frame, code, name, st = _series(csv, code, data_dir)
    answer, c, rows = write_commentary(frame, end, style, code=code, name=name, st=st)
    if out:
        write_json(out, answer)
    if plot:
        from bbt.apps.commentary.plot import plot_commentary

        plot_commentary(rows, c, plot)
    console = Console()
    console.print(answer["text"])
    for cl in answer["claims"]:
        console.print(f"  [{cl['start']}:{cl['end']}] {cl['text']}  -> {cl['verdict']}", highlight=False)
