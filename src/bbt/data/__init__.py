"""Market-data loaders: read, validate and normalise files into one tidy frame per series.

Public API (implemented in bbt.data.market):
    load_market_file(path, *, fmt="auto") -> pd.DataFrame
        tidy daily bars: columns date (datetime64), open, high, low, close, volume [, amount], sorted by date,
        plus attrs: frame.attrs["code"], frame.attrs["source_format"], frame.attrs["gaps"].
    load_panel_parquet(path, codes=None) -> dict[str, pd.DataFrame]   (Tushare panel: ts_code, trade_date, ...)
    load_multivariate_csv(path) -> pd.DataFrame   (ETT-style: date + numeric columns)
    load_series_file(path) -> pd.DataFrame   (auto: market file or multivariate CSV)
Errors raise bbt.errors.DataError naming file, row and column.
"""
