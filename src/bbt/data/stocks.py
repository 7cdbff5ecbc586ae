"""A stock's daily history and name by code, from the data directory: `stocks/ashare_qfq/<code>.csv` when it is
there, else the Tushare panel `stocks/ashare_daily_2018_2021.parquet`; names (and the ST flag they carry) from
`stocks/stock_names.csv`."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from bbt.data.boards import bare_code, is_st_name
from bbt.errors import BBTError

PANEL = "stocks/ashare_daily_2018_2021.parquet"


def load_stock(data_dir: str | Path, code: str) -> pd.DataFrame:
    from bbt.data.market import load_market_file, load_panel_parquet

    c = bare_code(code)
    data_dir = Path(data_dir)
    csv = data_dir / "stocks" / "ashare_qfq" / f"{c}.csv"
    if csv.is_file():
        return load_market_file(csv)
    panel = data_dir / PANEL
    why = "no such file"
    if panel.is_file():
        try:
            return next(iter(load_panel_parquet(panel, codes=[c]).values()))
        except BBTError as e:  # a code the panel lacks, or an unreadable panel: said below either way
            why = str(e)
    raise BBTError(f"stock {code!r}: no file {csv}, and the panel {panel}: {why}; pass a price file instead "
                   "(--csv / series rows)")


@functools.lru_cache(maxsize=4)
def _names(data_dir: str) -> dict[str, str]:
    f = Path(data_dir) / "stocks" / "stock_names.csv"
    if not f.is_file():
        return {}
    df = pd.read_csv(f, dtype=str, encoding="utf-8-sig")
    return {str(c).zfill(6): "".join(str(n).split()) for c, n in zip(df["code"], df["name"]) if isinstance(n, str)}


def stock_name(data_dir: str | Path | None, code: str | None) -> str | None:
    """The short name of `code` (spaces removed: '万  科Ａ' -> '万科Ａ'), or None."""
    if not code or data_dir is None:
        return None
    return _names(str(data_dir)).get(bare_code(code))


def is_st(data_dir: str | Path | None, code: str | None) -> bool:
    """Whether the name list marks the stock as risk-warning (its name today: a past ST spell is not known)."""
    return is_st_name(stock_name(data_dir, code))
