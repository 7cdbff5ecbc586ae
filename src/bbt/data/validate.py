"""Shared checks for the loaders: decoding, CSV reading with line numbers, date and number parsing, duplicates,
ordering and gap reports. Every check is vectorised (no per-row Python loops); every error is a DataError that
names the file, the line as an editor shows it (header = line 1) and the column as the file spells it."""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from bbt.errors import DataError

# Cells that mean "no value" in the sources (NetEase writes the string None; Eastmoney uses -- or empty).
MISSING_MARKERS = frozenset({"", "None", "none", "NULL", "null", "NaN", "nan", "NA", "N/A", "n/a", "--", "-"})

# Date formats tried after ISO 8601, in order; the first that parses every cell wins.
DATE_FORMATS = ("ISO8601", "%Y%m%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%m/%d/%Y")


class DataWarning(UserWarning):
    """Input was usable but not as expected (unsorted dates, repeated rows); the loader fixed it and says so."""


def read_text(path: Path) -> tuple[str, str]:
    """The file decoded as UTF-8 (BOM allowed) or, failing that, GBK (NetEase). Returns (text, encoding)."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError("no such file", file=file) from None
    except IsADirectoryError:
        raise DataError("is a directory, not a file", file=file) from None
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror or e}", file=file) from e
    if not raw.strip():
        raise DataError("empty file (no header, no rows)", file=file)
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as e_utf8:
        try:
            return raw.decode("gbk"), "gbk"
        except UnicodeDecodeError as e_gbk:
            pos = e_utf8.start
            line = raw.count(b"\n", 0, pos) + 1
            raise DataError(
                f"cannot decode the file: not UTF-8 (invalid byte 0x{raw[pos]:02x} at byte {pos}) and not GBK "
                f"(invalid byte 0x{raw[e_gbk.start]:02x} at byte {e_gbk.start}); save it as UTF-8",
                file=file, row=line) from None


def read_header(text: str, file: str) -> list[str]:
    """Column names of the first line, stripped of spaces and BOM. Repeated names are an error."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise DataError("the first line is empty; expected a header row of column names", file=file, row=1)
    names = [c.strip().lstrip("\ufeff") for c in next(csv.reader([first]))]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise DataError("column name appears twice in the header", file=file, row=1, column=n)
        seen.add(n)
    return names


def read_cells(text: str, file: str, columns: list[str], text_columns: tuple[str, ...] = ()
               ) -> tuple[pd.DataFrame, np.ndarray]:
    """The named columns, blank lines dropped, and each row's line number in the file.

    Missing markers become NaN; text_columns stay strings, the others are parsed by pandas' C reader (a column
    with a non-numeric cell comes back as strings, and parse_numbers finds the cell). Blank lines are kept while
    parsing (skip_blank_lines=False) so that row i is line i + 2 exactly, then dropped."""
    wanted = set(columns)
    text = text.lstrip("\ufeff")
    quoted = '"' in text
    if not quoted:  # with quotes a comma may sit inside a field; pandas checks the counts then (no usecols)
        check_field_counts(text, file)
    try:
        df = pd.read_csv(io.StringIO(text), dtype={c: str for c in text_columns},
                         na_values=sorted(MISSING_MARKERS), keep_default_na=False, skip_blank_lines=False,
                         usecols=None if quoted else (lambda c: c.strip().lstrip("\ufeff") in wanted))
    except pd.errors.ParserError as e:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if m:
            raise DataError(f"{m.group(3)} fields where the header has {m.group(1)}", file=file,
                            row=int(m.group(2))) from None
        raise DataError(f"malformed CSV: {str(e).replace('Error tokenizing data. C error: ', '')}",
                        file=file) from None
    except ValueError as e:  # e.g. a text column that is entirely empty
        raise DataError(f"cannot read CSV: {e}", file=file) from None
    df.columns = [c.strip().lstrip("\ufeff") for c in df.columns]
    df = df[columns]
    lines = np.arange(2, len(df) + 2)
    if len(df):
        blank = df.isna().all(axis=1).to_numpy()
        if blank.any():
            df, lines = df.loc[~blank].reset_index(drop=True), lines[~blank]
    if not len(df):
        raise DataError("no data rows: the file has a header but nothing below it", file=file, row=1)
    return df, lines


def check_field_counts(text: str, file: str) -> None:
    """Every non-blank line has as many comma-separated fields as the header (pandas, reading selected
    columns, would silently drop extra fields and pad short rows). Vectorised over the bytes; for unquoted text."""
    b = np.frombuffer(text.encode("utf-8"), np.uint8)
    nl = np.flatnonzero(b == 10)
    starts = np.concatenate([[0], nl + 1])
    ends = np.concatenate([nl, [len(b)]])
    commas = np.concatenate([[0], np.cumsum(b == 44, dtype=np.int64)])
    solid = np.concatenate([[0], np.cumsum(~np.isin(b, (9, 10, 13, 32)), dtype=np.int64)])
    fields = commas[ends] - commas[starts] + 1
    used = solid[ends] - solid[starts] > 0
    bad = used & (fields != fields[0])
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"{fields[i]} fields where the header has {fields[0]}", file=file, row=i + 1)


def parse_dates(cells: pd.Series, lines: np.ndarray, file: str, column: str) -> np.ndarray:
    """datetime64[ns] values; a missing or unparseable cell is an error naming its line."""
    missing = cells.isna().to_numpy()
    if missing.any():
        raise DataError("missing date", file=file, row=int(lines[np.argmax(missing)]), column=column)
    if cells.dtype.kind in "iuf":  # e.g. 20200131 read as a number
        cells = cells.astype("int64").astype(str)
    cells = cells.str.strip()
    best_bad = None
    for fmt in DATE_FORMATS:
        try:
            parsed = pd.to_datetime(cells, format=fmt, errors="coerce")
        except (ValueError, TypeError, OverflowError):
            continue
        if getattr(parsed.dtype, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(None)
        bad = parsed.isna().to_numpy()
        if not bad.any():
            return parsed.to_numpy().astype("datetime64[ns]")
        if best_bad is None or bad.sum() < best_bad.sum():
            best_bad = bad
    i = int(np.argmax(best_bad)) if best_bad is not None else 0
    raise DataError(f"cannot parse date {cells.iloc[i]!r} (expected e.g. 2020-01-31)", file=file,
                    row=int(lines[i]), column=column)


def parse_numbers(cells: pd.Series, lines: np.ndarray, file: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    """float64 values and the mask of missing cells (empty, None, NaN, --). Text or infinity is an error."""
    if cells.dtype.kind in "iufb":
        values = cells.to_numpy(dtype=np.float64, copy=True)
        missing = cells.isna().to_numpy()
    else:  # the C reader met something that is not a number: find it
        text = cells.astype(object).where(cells.notna(), "").astype(str).str.strip()
        missing = text.isin(MISSING_MARKERS).to_numpy()
        values = np.array(pd.to_numeric(text.where(~missing, "nan"), errors="coerce"), dtype=np.float64)
        values[missing] = np.nan
    bad = ~np.isfinite(values) & ~missing
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"not a number: {str(cells.iloc[i]).strip()!r}", file=file, row=int(lines[i]),
                        column=column)
    return values, missing


def check_positive(values: np.ndarray, lines: np.ndarray, file: str, column: str, *, allow_missing: bool) -> None:
    """Prices: missing is an error unless allowed; zero or negative is always an error."""
    if not allow_missing:
        nan = np.isnan(values)
        if nan.any():
            raise DataError("missing price", file=file, row=int(lines[np.argmax(nan)]), column=column)
    nonpos = values <= 0  # NaN compares False
    if nonpos.any():
        i = int(np.argmax(nonpos))
        raise DataError(f"price must be positive, got {values[i]:g}", file=file, row=int(lines[i]), column=column)


def check_non_negative(values: np.ndarray, lines: np.ndarray, file: str, column: str) -> None:
    neg = values < 0
    if neg.any():
        i = int(np.argmax(neg))
        raise DataError(f"must not be negative, got {values[i]:g}", file=file, row=int(lines[i]), column=column)


def drop_repeated_rows(frame: pd.DataFrame, lines: np.ndarray, file: str, date_column: str
                       ) -> tuple[pd.DataFrame, np.ndarray, list[dict]]:
    """Rows that repeat an earlier row exactly are dropped (DataWarning + a 'duplicate_rows' gap entry);
    two rows with the same date and different values are an error naming both lines."""
    if not frame["date"].duplicated().any():
        return frame, lines, []
    exact = frame.duplicated(keep="first").to_numpy()
    kept, kept_lines = frame.loc[~exact], lines[~exact]
    clash = kept["date"].duplicated(keep=False).to_numpy()
    if clash.any():
        day = kept["date"].to_numpy()[np.argmax(clash)]
        where = kept_lines[kept["date"].to_numpy() == day]
        raise DataError(f"duplicate date {pd.Timestamp(day).date()} on lines {where[0]} and {where[1]} "
                        "with different values", file=file, row=int(where[1]), column=date_column)
    dropped_dates = frame["date"].to_numpy()[exact]
    n = int(exact.sum())
    warnings.warn(f"{file}: dropped {n} row(s) that repeat an earlier row exactly (first on line "
                  f"{lines[exact][0]})", DataWarning, stacklevel=3)
    gap = gap_entry("duplicate_rows", None, dropped_dates.min(), dropped_dates.max(), n, int(lines[exact][0]))
    return kept.reset_index(drop=True), kept_lines, [gap]


def sort_by_date(frame: pd.DataFrame, lines: np.ndarray, file: str, *, newest_first_ok: bool
                 ) -> tuple[pd.DataFrame, np.ndarray]:
    """Ascending dates. A file that is entirely newest-first is reversed (silently when the format ships that
    way, e.g. NetEase); any other disorder is sorted with a DataWarning naming the first out-of-order line."""
    d = frame["date"].to_numpy().view("i8")
    step = np.diff(d)
    if (step > 0).all():
        return frame, lines
    if (step < 0).all():
        if not newest_first_ok:
            warnings.warn(f"{file}: dates are newest-first; reversed to ascending", DataWarning, stacklevel=3)
        return frame.iloc[::-1].reset_index(drop=True), lines[::-1].copy()
    i = int(np.argmax(step < 0)) + 1
    warnings.warn(f"{file}: dates are not in ascending order (line {lines[i]}: {pd.Timestamp(d[i]).date()} comes "
                  f"after {pd.Timestamp(d[i - 1]).date()}); rows sorted by date", DataWarning, stacklevel=3)
    order = np.argsort(d, kind="stable")
    return frame.iloc[order].reset_index(drop=True), lines[order]


def gap_entry(kind: str, column: str | None, start, end, count: int, row: int | None) -> dict:
    return {"kind": kind, "column": column, "start": pd.Timestamp(start), "end": pd.Timestamp(end),
            "count": int(count), "row": None if row is None else int(row)}


def calendar_gaps(dates: np.ndarray, lines: np.ndarray | None, max_days: float) -> list[dict]:
    """Jumps between consecutive (sorted) daily bars longer than max_days calendar days.
    Entry: start = last date before, end = first date after, count = calendar days without a bar."""
    if len(dates) < 2:
        return []
    days = np.diff(dates.astype("datetime64[ns]").view("i8")) / 86_400e9
    idx = np.flatnonzero(days > max_days)
    return [gap_entry("calendar", None, dates[i], dates[i + 1], int(round(days[i])) - 1,
                      None if lines is None else lines[i + 1]) for i in idx]


def step_gaps(dates: np.ndarray, lines: np.ndarray, step: pd.Timedelta) -> list[dict]:
    """Jumps longer than the series' regular step. count = timestamps missing in between."""
    if len(dates) < 2 or step <= pd.Timedelta(0):
        return []
    diffs = np.diff(dates.view("i8"))
    idx = np.flatnonzero(diffs > step.value)
    return [gap_entry("calendar", None, dates[i], dates[i + 1], int(diffs[i] // step.value) - 1 +
                      (1 if diffs[i] % step.value else 0), lines[i + 1]) for i in idx]


def value_gaps(kind: str, column: str, mask: np.ndarray, dates: np.ndarray, lines: np.ndarray | None) -> list[dict]:
    """One summary entry for the rows where mask holds (missing values, zero volume), or nothing."""
    if not mask.any():
        return []
    hit = np.flatnonzero(mask)
    return [gap_entry(kind, column, dates[hit[0]], dates[hit[-1]], len(hit),
                      None if lines is None else lines[hit[0]])]
