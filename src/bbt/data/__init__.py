"""Market-data loaders: read, validate and normalise files into one tidy frame per series.

Public API (implemented in bbt.data.market; formats, units, errors and gaps in docs/data.md):
    load_market_file(path, *, fmt="auto") -> pd.DataFrame
        tidy daily bars: columns date (datetime64[ns]), open, high, low, close, volume (float64) [, amount]
        [, adj_close for Yahoo], sorted ascending by date, RangeIndex; attrs: frame.attrs["code"],
        frame.attrs["source_format"] ("akshare", "english", "yahoo", "netease", "tushare"),
        frame.attrs["gaps"] (list of dicts: kind, column, start, end, count, row).
    load_panel_parquet(path, codes=None) -> dict[str, pd.DataFrame]   (Tushare panel: ts_code, trade_date, ...;
        keyed by ts_code as shipped, e.g. "000001.SZ"; codes may be ts_codes or bare codes)
    load_multivariate_csv(path) -> pd.DataFrame   (ETT-style: date + numeric float64 columns)
    load_series_file(path) -> pd.DataFrame   (auto: market file or multivariate CSV)
Errors raise bbt.errors.DataError naming file, row (line in the file, header = 1) and column. Problems the loader
fixes (unsorted dates, rows repeated exactly) raise a DataWarning.
"""

from bbt.data.market import (FORMATS, MAX_GAP_DAYS, detect_format, load_market_file, load_multivariate_csv,
                             load_panel_parquet, load_series_file)
from bbt.data.validate import DataWarning

__all__ = ["DataWarning", "FORMATS", "MAX_GAP_DAYS", "detect_format", "load_market_file", "load_multivariate_csv",
           "load_panel_parquet", "load_series_file"]
