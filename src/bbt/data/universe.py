"""The stock universe of the benchmarks and the served forecaster: which A-share files, drawn how.

Files are visited in a seeded random order and loaded until enough have the history asked for, so a small run
does not read the whole folder, and the same seed always draws the same stocks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bbt.errors import BBTError


def list_stock_files(data_dir: Path) -> list[Path]:
    folder = Path(data_dir) / "stocks" / "ashare_qfq"
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise BBTError(f"no stock files in {folder}; expected akshare CSVs (bbt data fetch-stocks writes them)")
    return files


def select_stocks(files: list[Path], n_stocks: int, min_days: int, seed: int = 0, progress=None) -> list[pd.DataFrame]:
    """Draw `n_stocks` files with at least `min_days` rows, sorted by code."""
    from bbt.data import load_market_file

    order = np.random.default_rng(seed).permutation(len(files))
    frames: list[pd.DataFrame] = []
    task = progress.add_task("load stocks", total=n_stocks) if progress is not None else None
    for i in order:
        df = load_market_file(files[i])
        if len(df) >= min_days:
            frames.append(df)
            if task is not None:
                progress.advance(task)
        if len(frames) == n_stocks:
            return sorted(frames, key=lambda f: str(f.attrs.get("code", "")))
    raise BBTError(f"only {len(frames)} stock files have at least {min_days} days; asked for {n_stocks}")
