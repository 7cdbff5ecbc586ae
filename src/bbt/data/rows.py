"""Daily bars given as rows ({date, open, high, low, close, volume} objects: an API body, a JSON line) -> the tidy
frame the loaders return, checked like a file: dates parseable, strictly increasing and unique; prices positive
and finite; volume non-negative. An error names the row (0-based) and the field."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bbt.errors import DataError

FIELDS = ("date", "open", "high", "low", "close", "volume")


def series_frame(rows: list) -> pd.DataFrame:
    if not isinstance(rows, list) or not rows:
        raise DataError("series must be a non-empty list of {date, open, high, low, close, volume}", column="series")
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            raise DataError(f"series[{i}] is not an object", row=i, column="series")
        for col in FIELDS:
            if col not in r:
                raise DataError(f"series[{i}] has no {col!r}", row=i, column=col)
    df = pd.DataFrame([{c: r[c] for c in FIELDS} for r in rows])
    try:
        dates = pd.to_datetime(df["date"].astype(str), errors="coerce", format="mixed")
        if getattr(dates.dt, "tz", None) is not None:
            dates = dates.dt.tz_localize(None)  # why: a trading day is a calendar day; the offset is dropped
    except (ValueError, TypeError, OverflowError) as e:  # mixed time zones, out-of-range years
        raise DataError(f"series dates are not one kind of date ({e})", column="date") from None
    if dates.isna().any():
        i = int(dates.isna().to_numpy().argmax())
        raise DataError(f"series[{i}].date {rows[i]['date']!r} is not a date", row=i, column="date")
    df["date"] = dates
    for col in FIELDS[1:]:
        x = pd.to_numeric(df[col], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(x) | (x < 0) | ((x == 0) & (col != "volume"))
        if bad.any():
            i = int(bad.argmax())
            what = "a non-negative number" if col == "volume" else "a positive number"
            raise DataError(f"series[{i}].{col} must be {what}, got {rows[i][col]!r}", row=i, column=col)
        df[col] = x
    d = df["date"].to_numpy()
    back = np.flatnonzero(d[1:] <= d[:-1])
    if len(back):
        i = int(back[0]) + 1
        kind = "repeats" if d[i] == d[i - 1] else "is before"
        raise DataError(f"series[{i}].date {kind} series[{i - 1}].date: rows must be sorted by date, one per day",
                        row=i, column="date")
    return df
