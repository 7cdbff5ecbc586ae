"""Market-data loaders: one tidy frame per series, whatever the source layout. Formats, units, errors and the gap
report are described in docs/data.md.

Tidy frame: columns date (datetime64[ns]), open, high, low, close, volume (float64), amount (float64) when the
source has it, adj_close for Yahoo; sorted ascending by date; RangeIndex. attrs: code, source_format, gaps,
path, encoding (CSV) or ts_code (Tushare panel).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bbt.data.validate import (DataWarning, calendar_gaps, check_non_negative, check_positive, drop_repeated_rows,
                               gap_entry, parse_dates, parse_numbers, read_cells, read_header, read_text,
                               sort_by_date, step_gaps, value_gaps)
from bbt.errors import DataError

__all__ = ["DataWarning", "FORMATS", "MAX_GAP_DAYS", "PRICE_COLUMNS", "detect_format", "load_market_file",
           "load_multivariate_csv", "load_panel_parquet", "load_series_file"]

PRICE_COLUMNS = ("open", "high", "low", "close")
# A jump between consecutive daily bars longer than this many calendar days is reported as a gap. Long enough
# for every exchange holiday since 2005 (Spring Festival closes the A-share market for up to 10-11 days);
# longer closures before that, and suspensions of two weeks or more, are reported.
MAX_GAP_DAYS = 14


@dataclass(frozen=True)
class MarketFormat:
    """A source layout: for each tidy column, the source names accepted (first present wins)."""

    name: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...] = ("date", *PRICE_COLUMNS, "volume")
    case_insensitive: bool = False
    newest_first: bool = False  # the source ships newest row first; reversing it is not worth a warning
    optional_prices: tuple[str, ...] = field(default=())  # price columns the source leaves empty on some days

    def resolve(self, header: list[str], file: str) -> dict[str, str]:
        """tidy name -> source column name present in the header; a missing required column is an error."""
        norm = (lambda s: s.lower()) if self.case_insensitive else (lambda s: s)
        present = {norm(h): h for h in header}
        found: dict[str, str] = {}
        for tidy, names in self.columns.items():
            for n in names:
                if norm(n) in present:
                    found[tidy] = present[norm(n)]
                    break
        missing = [t for t in self.required if t not in found]
        if missing:
            want = self.columns[missing[0]][0]
            also = f" (also missing: {', '.join(self.columns[m][0] for m in missing[1:])})" if missing[1:] else ""
            raise DataError(f"missing required column for the {self.name} layout{also}; header has: "
                            f"{','.join(header)}", file=file, row=1, column=want)
        return found


FORMATS: dict[str, MarketFormat] = {
    "akshare": MarketFormat("akshare", {
        "date": ("日期",), "code": ("股票代码",), "open": ("开盘",), "high": ("最高",), "low": ("最低",),
        "close": ("收盘",), "volume": ("成交量",), "amount": ("成交额",)}),
    "netease": MarketFormat("netease", {
        "date": ("日期",), "code": ("股票代码",), "open": ("开盘价",), "high": ("最高价",), "low": ("最低价",),
        "close": ("收盘价",), "volume": ("成交量",), "amount": ("成交金额",)},
        newest_first=True, optional_prices=("open", "high", "low")),
    "yahoo": MarketFormat("yahoo", {
        "date": ("Date",), "open": ("Open",), "high": ("High",), "low": ("Low",), "close": ("Close",),
        "adj_close": ("Adj Close", "Adj_Close", "AdjClose"), "volume": ("Volume",)},
        required=("date", *PRICE_COLUMNS, "adj_close", "volume"), case_insensitive=True),
    "english": MarketFormat("english", {
        "date": ("date",), "code": ("code", "symbol"), "open": ("open",), "high": ("high",), "low": ("low",),
        "close": ("close",), "volume": ("volume", "vol"), "amount": ("amount",)}, case_insensitive=True),
    "tushare": MarketFormat("tushare", {
        "date": ("trade_date",), "code": ("ts_code",), "open": ("open",), "high": ("high",), "low": ("low",),
        "close": ("close",), "volume": ("vol", "volume"), "amount": ("amount",)},
        case_insensitive=True, newest_first=True),  # Tushare's daily() returns newest first
}


def detect_format(header: list[str], file: str = "?") -> str:
    """Name of the market layout a CSV header belongs to; DataError (line 1) when it is none of them."""
    low = {h.lower() for h in header}
    if "ts_code" in low or "trade_date" in low:
        return "tushare"
    if "日期" in low:
        return "netease" if low & {"收盘价", "开盘价", "最高价", "最低价"} else "akshare"
    if "adj close" in low or "adj_close" in low or "adjclose" in low:
        return "yahoo"
    if "date" in low and low & set(PRICE_COLUMNS):
        return "english"
    raise DataError(
        "unrecognised header: expected a market layout (akshare 日期,股票代码,开盘,收盘,最高,最低,成交量,...; "
        "NetEase 日期,股票代码,名称,收盘价,...; date,open,high,low,close,volume in any order; Yahoo "
        f"Date,Open,High,Low,Close,Adj Close,Volume; Tushare ts_code,trade_date,...), got: {','.join(header)}",
        file=file, row=1)


def _is_parquet(path: Path) -> bool:
    if path.suffix.lower() in (".parquet", ".pq"):
        return True
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PAR1"
    except OSError:
        return False


# ------------------------------------------------------------------------------------------------ CSV files


def load_market_file(path: str | Path, *, fmt: str = "auto", max_gap_days: float = MAX_GAP_DAYS) -> pd.DataFrame:
    """One daily price series as a tidy frame (see module docstring). fmt: "auto" or a key of FORMATS.

    A Tushare parquet holding a single code is accepted too (use load_panel_parquet for a panel)."""
    path = Path(path)
    file = str(path)
    if fmt != "auto" and fmt not in FORMATS:
        raise DataError(f"unknown format {fmt!r}; choose auto or one of {', '.join(FORMATS)}", file=file)
    if path.is_file() and _is_parquet(path):
        panel = load_panel_parquet(path, max_gap_days=max_gap_days)
        if len(panel) != 1:
            raise DataError(f"a panel of {len(panel)} codes; load it with load_panel_parquet", file=file)
        return next(iter(panel.values()))

    text, encoding = read_text(path)
    header = read_header(text, file)
    spec = FORMATS[detect_format(header, file) if fmt == "auto" else fmt]
    src = spec.resolve(header, file)
    tidy = [t for t in src if t != "code"]
    text_cols = tuple(src[t] for t in ("date", "code") if t in src)
    cells, lines = read_cells(text, file, [src[t] for t in src], text_cols)

    dates = parse_dates(cells[src["date"]], lines, file, src["date"])
    data: dict[str, np.ndarray] = {"date": dates}
    for t in tidy:
        if t == "date":
            continue
        values, _ = parse_numbers(cells[src[t]], lines, file, src[t])
        if t in PRICE_COLUMNS or t == "adj_close":
            check_positive(values, lines, file, src[t], allow_missing=t in spec.optional_prices)
        else:
            check_non_negative(values, lines, file, src[t])
        data[t] = values

    code = path.stem
    if "code" in src:
        codes = cells[src["code"]].fillna("").str.strip().str.lstrip("'")
        if (codes != codes.iloc[0]).any():
            i = int(np.argmax((codes != codes.iloc[0]).to_numpy()))
            raise DataError(f"a second code {codes.iloc[i]!r} after {codes.iloc[0]!r}: one series per file",
                            file=file, row=int(lines[i]), column=src["code"])
        code = codes.iloc[0] or code

    order = ["date", *PRICE_COLUMNS, "volume"] + [c for c in ("amount", "adj_close") if c in data]
    frame = pd.DataFrame({c: data[c] for c in order})
    frame, lines, dup_gaps = drop_repeated_rows(frame, lines, file, src["date"])
    frame, lines = sort_by_date(frame, lines, file, newest_first_ok=spec.newest_first)

    frame.attrs.update(code=str(code), source_format=spec.name, path=file, encoding=encoding,
                       gaps=dup_gaps + _market_gaps(frame, lines, max_gap_days))
    if spec.name == "tushare":  # like the panel: bare code, full ts_code beside it
        frame.attrs.update(code=str(code).split(".")[0], ts_code=str(code))
    return frame


def _market_gaps(frame: pd.DataFrame, lines: np.ndarray, max_gap_days: float) -> list[dict]:
    dates = frame["date"].to_numpy()
    gaps = calendar_gaps(dates, lines, max_gap_days)
    for c in frame.columns[1:]:
        gaps += value_gaps("missing", c, np.isnan(frame[c].to_numpy()), dates, lines)
    gaps += value_gaps("zero_volume", "volume", frame["volume"].to_numpy() == 0, dates, lines)
    return gaps


# ------------------------------------------------------------------------------------------------ parquet panel


def _normalise_codes(codes) -> list[str]:
    if isinstance(codes, str):
        codes = [codes]
    out: list[str] = []
    for c in codes:
        c = str(c).strip().lstrip("'").upper()
        out += [c] if "." in c else [f"{c}.SZ", f"{c}.SH", f"{c}.BJ"]
    return out


def load_panel_parquet(path: str | Path, codes=None, *, max_gap_days: float = MAX_GAP_DAYS
                       ) -> dict[str, pd.DataFrame]:
    """Tushare panel (ts_code, trade_date, open, high, low, close, vol|volume[, amount]) -> tidy frames keyed by
    ts_code as shipped ("000001.SZ"). codes: optional list of ts_codes or bare codes ("000001" matches any
    exchange suffix), pushed down to pyarrow as a filter so only those rows are read; a requested code that is
    not in the file is an error. attrs["code"] is the bare code, attrs["ts_code"] the full one."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise DataError("no such file", file=file)
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise DataError(f"not a readable parquet file: {e}", file=file) from None
    src = FORMATS["tushare"].resolve(list(schema.names), file)
    want = [src[t] for t in src]
    filters = None
    if codes is not None:
        asked = _normalise_codes(codes)
        filters = [(src["code"], "in", asked)]
    try:
        table = pq.read_table(path, columns=want, filters=filters)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as e:
        raise DataError(f"cannot read parquet: {e}", file=file) from None
    if codes is not None:
        got = set(pc.unique(table.column(src["code"])).to_pylist())
        absent = [c for c in ([codes] if isinstance(codes, str) else codes)
                  if not got & set(_normalise_codes([c]))]
        if absent:
            raise DataError(f"code(s) not in the panel: {', '.join(map(str, absent))}", file=file,
                            column=src["code"])
    if table.num_rows == 0:
        raise DataError("no data rows", file=file)

    code_col = table.column(src["code"])
    if code_col.null_count:
        raise DataError(f"{code_col.null_count} row(s) without a code", file=file, column=src["code"])
    enc = code_col.combine_chunks().dictionary_encode()
    names = enc.dictionary.to_pylist()
    idx = enc.indices.to_numpy(zero_copy_only=False)
    dates = _panel_dates(table.column(src["date"]), file, src["date"])

    data = {"date": dates}
    for t in (*PRICE_COLUMNS, "volume", "amount"):
        if t in src:
            col = table.column(src[t])
            data[t] = col.to_numpy().astype(np.float64) if col.null_count == 0 else \
                col.cast(pa.float64()).to_numpy(zero_copy_only=False)

    def where(i: int) -> str:
        return f"{names[idx[i]]} {pd.Timestamp(dates[i]).date()}: "

    for t in PRICE_COLUMNS:
        v = data[t]
        bad = np.isnan(v) | (v <= 0) | np.isinf(v)
        if bad.any():
            i = int(np.argmax(bad))
            what = "missing price" if np.isnan(v[i]) else f"price must be positive, got {v[i]:g}"
            raise DataError(where(i) + what, file=file, column=src[t])
    for t in ("volume", "amount"):
        if t in data and (data[t] < 0).any():
            i = int(np.argmax(data[t] < 0))
            raise DataError(where(i) + f"must not be negative, got {data[t][i]:g}", file=file, column=src[t])

    # Order: rows grouped by code (dictionary indices are in order of first appearance), dates ascending inside.
    d8 = dates.view("i8")
    same = idx[1:] == idx[:-1]
    if not ((idx[1:] >= idx[:-1]).all() and (d8[1:][same] >= d8[:-1][same]).all()):
        warnings.warn(f"{file}: rows not grouped by {src['code']} with ascending {src['date']}; sorted",
                      DataWarning, stacklevel=2)
        order = np.lexsort((d8, idx))
        idx, d8 = idx[order], d8[order]
        data = {k: v[order] for k, v in data.items()}
        same = idx[1:] == idx[:-1]

    # Repeated (code, date): exact copies are dropped and reported, conflicting values are an error.
    dup = np.flatnonzero(same & (d8[1:] == d8[:-1])) + 1
    dup_by_code: dict[int, np.ndarray] = {}
    if len(dup):
        equal = np.ones(len(dup), bool)
        for t, v in data.items():
            a, b = v[dup], v[dup - 1]
            equal &= (a == b) | (np.isnan(a) & np.isnan(b)) if v.dtype.kind == "f" else a == b
        if not equal.all():
            i = int(dup[np.argmax(~equal)])
            raise DataError(where(i) + "two rows for the same code and date with different values", file=file,
                            column=src["date"])
        keep = np.ones(len(idx), bool)
        keep[dup] = False
        for c in np.unique(idx[dup]):
            dup_by_code[int(c)] = data["date"][dup[idx[dup] == c]]
        warnings.warn(f"{file}: dropped {len(dup)} row(s) repeating an earlier row exactly (codes: "
                      f"{', '.join(names[c] for c in dup_by_code)})", DataWarning, stacklevel=2)
        idx = idx[keep]
        data = {k: v[keep] for k, v in data.items()}

    gaps = _panel_gaps(idx, data, max_gap_days)
    for c, dd in dup_by_code.items():
        gaps.setdefault(c, []).insert(0, gap_entry("duplicate_rows", None, dd.min(), dd.max(), len(dd), None))
    bounds = np.concatenate([[0], np.flatnonzero(idx[1:] != idx[:-1]) + 1, [len(idx)]])
    out: dict[str, pd.DataFrame] = {}
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        c = int(idx[a])
        frame = pd.DataFrame({k: v[a:b] for k, v in data.items()})
        frame.attrs.update(code=names[c].split(".")[0], ts_code=names[c], source_format="tushare", path=file,
                           gaps=gaps.get(c, []))
        out[names[c]] = frame
    return out


def _panel_gaps(idx: np.ndarray, data: dict[str, np.ndarray], max_gap_days: float) -> dict[int, list[dict]]:
    """The gap report of every code at once (rows grouped by code, dates ascending within a code)."""
    out: dict[int, list[dict]] = {}
    dates = data["date"]
    days = np.diff(dates.view("i8")) / 86_400e9
    for i in np.flatnonzero((idx[1:] == idx[:-1]) & (days > max_gap_days)).tolist():
        out.setdefault(int(idx[i]), []).append(
            gap_entry("calendar", None, dates[i], dates[i + 1], int(round(days[i])) - 1, None))
    masks = [("missing", c, np.isnan(v)) for c, v in data.items() if c != "date"]
    masks.append(("zero_volume", "volume", data["volume"] == 0))
    for kind, column, mask in masks:
        hit = np.flatnonzero(mask)
        if not len(hit):
            continue
        codes, first, count = np.unique(idx[hit], return_index=True, return_counts=True)
        for c, f, n in zip(codes.tolist(), first.tolist(), count.tolist()):
            out.setdefault(c, []).append(gap_entry(kind, column, dates[hit[f]], dates[hit[f + n - 1]], n, None))
    return out


def _panel_dates(col, file: str, column: str) -> np.ndarray:
    import pyarrow as pa

    if pa.types.is_date(col.type) or pa.types.is_timestamp(col.type):
        if col.null_count:
            raise DataError(f"{col.null_count} missing date(s)", file=file, column=column)
        t = col.type
        if pa.types.is_timestamp(t) and t.tz is not None:
            col = col.cast(pa.timestamp(t.unit))
        return col.cast(pa.timestamp("ns")).to_numpy().astype("datetime64[ns]")
    cells = pd.Series(col.cast(pa.string()).to_numpy(zero_copy_only=False))
    return parse_dates(cells, np.arange(2, len(cells) + 2), file, column)


# ------------------------------------------------------------------------------------------------ multivariate


DATE_NAMES = ("date", "datetime", "timestamp", "time")


def load_multivariate_csv(path: str | Path) -> pd.DataFrame:
    """ETT-style CSV: a date column + numeric columns -> frame with date (datetime64[ns]) first, then every other
    column as float64 in file order. A non-numeric cell is an error naming line and column; missing cells are
    kept as NaN and reported in attrs["gaps"] (kind "missing"), as are jumps longer than the regular step
    (kind "calendar"; attrs["step"] is the step, the most common difference between consecutive dates)."""
    path = Path(path)
    file = str(path)
    text, encoding = read_text(path)
    header = read_header(text, file)
    low = [h.lower() for h in header]
    date_col = next((header[low.index(n)] for n in DATE_NAMES if n in low), None)
    if date_col is None:
        raise DataError(f"missing required column: no date column ({'/'.join(DATE_NAMES)}); header has: "
                        f"{','.join(header)}", file=file, row=1, column="date")
    value_cols = [h for h in header if h != date_col and h != ""]
    if not value_cols:
        raise DataError("no value columns besides the date", file=file, row=1)
    cells, lines = read_cells(text, file, [date_col, *value_cols], (date_col,))
    data = {"date": parse_dates(cells[date_col], lines, file, date_col)}
    for c in value_cols:
        data[c], _ = parse_numbers(cells[c], lines, file, c)
    frame = pd.DataFrame(data)
    frame, lines, gaps = drop_repeated_rows(frame, lines, file, date_col)
    frame, lines = sort_by_date(frame, lines, file, newest_first_ok=False)
    dates = frame["date"].to_numpy()
    diffs = np.diff(dates.view("i8"))
    step = pd.Timedelta(int(pd.Series(diffs).mode().iloc[0])) if len(diffs) else pd.Timedelta(0)
    gaps += step_gaps(dates, lines, step)
    for c in value_cols:
        gaps += value_gaps("missing", c, np.isnan(frame[c].to_numpy()), dates, lines)
    frame.attrs.update(code=path.stem, source_format="multivariate", path=file, encoding=encoding, step=step,
                       gaps=gaps)
    return frame


# ------------------------------------------------------------------------------------------------ auto


def load_series_file(path: str | Path) -> pd.DataFrame:
    """Any supported file: a market layout (CSV, or a single-code Tushare parquet) via load_market_file,
    otherwise a date + numeric-columns CSV via load_multivariate_csv."""
    path = Path(path)
    if path.is_file() and _is_parquet(path):
        return load_market_file(path)
    text, _ = read_text(path)
    try:
        detect_format(read_header(text, str(path)), str(path))
    except DataError:
        return load_multivariate_csv(path)
    return load_market_file(path)
