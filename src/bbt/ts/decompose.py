"""NumPy analysis API: decompose a multivariate series three ways, each pair adding back to the input.

For each selected column `col` (standardised over the rows given when standardize=True):
    {col}            the input actually decomposed (standardised)
    {col}__low       wavelet approximation at `level` (WaveletSplit's low part)      low + high == col
    {col}__high      wavelet details (levels 1..level)
    {col}__global    cross-series mean of the selected columns (same for every col)  global + local == col
    {col}__local     col - global
    {col}__trend     centred moving average over `trend_window` rows, edges repeated  trend + period == col
    {col}__period    col - trend: seasonal cycles plus noise (DLinear / Autoformer's series decomposition)

This is a whole-series analysis tool: the wavelet split and the centred moving average look at rows on both
sides of each row (the forecaster's DWT-ST2Vec, by contrast, works window by window and never looks ahead).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bbt.errors import DataError
from bbt.results import atomic_path
from bbt.ts.dwt import wavelet_split_np
from bbt.ts.spatial import spatial_split_np

PARTS = ("low", "high", "global", "local", "trend", "period")


def moving_average_np(x: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average along axis 0 of x [T, C], edge values repeated so the output keeps length T."""
    window = max(1, min(window, len(x)))
    front, back = (window - 1) // 2, window - 1 - (window - 1) // 2
    xp = np.concatenate([np.repeat(x[:1], front, axis=0), x, np.repeat(x[-1:], back, axis=0)])
    csum = np.cumsum(np.concatenate([np.zeros_like(x[:1]), xp]), axis=0)
    return (csum[window:] - csum[:-window]) / window


def decompose(frame: pd.DataFrame, columns: list[str] | None = None, wavelet: str = "db2", level: int = 2,
              standardize: bool = True, trend_window: int = 25) -> pd.DataFrame:
    """Decompose `columns` (default: every numeric column but `date`) of `frame`; see the module docstring.

    Rows with a missing value in any selected column are dropped (every part must add back exactly).
    """
    if columns is None:
        columns = [c for c in frame.columns if c != "date" and pd.api.types.is_numeric_dtype(frame[c])]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"no column(s) {missing}; columns: {list(frame.columns)}")
    if not columns:
        raise DataError("no numeric columns to decompose")
    data = frame[(["date"] if "date" in frame.columns else []) + list(columns)].dropna(subset=list(columns))
    if len(data) < 2:
        raise DataError(f"need at least 2 complete rows to decompose, got {len(data)}")
    x = data[list(columns)].to_numpy(np.float64)  # [T, C]
    if standardize:  # why: puts volumes and prices on one scale so the cross-series mean is meaningful
        std = x.std(axis=0)
        x = (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)
    low, high = wavelet_split_np(x, wavelet, level)  # [T, C] each
    glob, local = spatial_split_np(x)  # [T, 1], [T, C]
    trend = moving_average_np(x, trend_window)  # [T, C]
    parts = {"low": low, "high": high, "global": np.broadcast_to(glob, x.shape), "local": local,
             "trend": trend, "period": x - trend}
    out = {"date": data["date"].to_numpy()} if "date" in data.columns else {}
    for i, col in enumerate(columns):
        out[col] = x[:, i]
        for name in PARTS:
            out[f"{col}__{name}"] = parts[name][:, i]
    return pd.DataFrame(out, index=data.index)


def plot_decomposition(df: pd.DataFrame, out_png: str | Path, columns: list[str] | None = None,
                       max_columns: int = 8) -> Path:
    """One row per series, three panels (low/high, global/local, trend/period); writes a PNG, returns its path."""
    import matplotlib

    matplotlib.use("Agg")  # why: headless servers and CI have no display
    import matplotlib.pyplot as plt

    if columns is None:
        columns = [c[: -len("__low")] for c in df.columns if c.endswith("__low")]
    columns = list(columns)[:max_columns]  # why: more rows than this becomes unreadable in one image
    t = pd.to_datetime(df["date"]) if "date" in df.columns else np.arange(len(df))
    fig, axes = plt.subplots(len(columns), 3, figsize=(15, 2.4 * len(columns)), sharex=True, squeeze=False)
    for r, col in enumerate(columns):
        for c, (a, b) in enumerate([("low", "high"), ("global", "local"), ("trend", "period")]):
            ax = axes[r, c]
            ax.plot(t, df[col], color="0.75", lw=0.8, label=col)
            ax.plot(t, df[f"{col}__{a}"], lw=1.0, label=a)
            ax.plot(t, df[f"{col}__{b}"], lw=0.8, label=b)
            ax.set_title(f"{col}: {a} / {b}", fontsize=9)
            ax.legend(fontsize=7, loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
    return Path(out_png)


def save_decomposition(df: pd.DataFrame, out_dir: str | Path, columns: list[str] | None = None) -> tuple[Path, Path]:
    """out_dir/decomposition.csv (one column per series and part) and out_dir/decomposition.png, atomically."""
    csv_path = Path(out_dir) / "decomposition.csv"
    with atomic_path(csv_path) as tmp:
        df.to_csv(tmp, index=False)
    return csv_path, plot_decomposition(df, Path(out_dir) / "decomposition.png", columns)
