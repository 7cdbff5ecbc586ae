"""`bbt ts decompose FILE`: wavelet low/high, global/local and trend/period parts as CSV + PNG."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console


def decompose_cmd(
    file: Path = typer.Argument(..., help="Market file (akshare / Tushare / NetEase / Yahoo) or date + numeric CSV."),
    out: Path = typer.Option(None, help="Output folder (default results/decompose/<file stem>)."),
    columns: str = typer.Option(None, help="Comma-separated columns (default: every numeric column)."),
    wavelet: str = typer.Option("db2", help="PyWavelets wavelet name (db2, haar, sym4, coif1, ...)."),
    level: int = typer.Option(2, help="Wavelet levels: low = approximation at this level, high = the details."),
    last: int = typer.Option(None, help="Only the last N rows."),
    standardize: bool = typer.Option(True, help="Z-score each column first (puts series on one scale)."),
) -> None:
    """Write <out>/decomposition.csv (one column per series and part) and <out>/decomposition.png."""
    import pywt

    from bbt.errors import BBTError
    from bbt.ts.decompose import decompose, save_decomposition

    if not file.is_file():
        raise BBTError(f"no such file: {file}")
    if wavelet not in pywt.wavelist(kind="discrete"):
        raise BBTError(f"unknown wavelet {wavelet!r}; try one of: haar, db2, db4, sym4, coif1, bior2.2")
    if level < 1:
        raise BBTError(f"--level must be >= 1, got {level}")
    from bbt.data import load_series_file  # imported late: validation above must not depend on the loaders

    frame = load_series_file(file)
    if last is not None:
        if last < 2:
            raise BBTError(f"--last must be >= 2, got {last}")
        frame = frame.tail(last)
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    df = decompose(frame, cols, wavelet=wavelet, level=level, standardize=standardize)
    out = out or Path("results") / "decompose" / file.stem
    csv_path, png_path = save_decomposition(df, out, cols)
    n_series = sum(c.endswith("__low") for c in df.columns)
    Console().print(f"decomposed {n_series} series x {len(df)} rows; wrote {csv_path} and {png_path}")
