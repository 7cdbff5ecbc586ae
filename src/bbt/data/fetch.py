"""Download A-share daily histories with akshare (optional extra: pip install 'bbt[fetch]') and write them in
exactly the layout that akshare's stock_zh_a_hist returns and load_market_file reads as "akshare"."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from bbt.errors import BBTError, DataError
from bbt.results import atomic_path

AKSHARE_COLUMNS = ["日期", "股票代码", "开盘", "收盘", "最高", "最低", "成交量", "成交额", "振幅", "涨跌幅", "涨跌额",
                   "换手率"]
ADJUST = {"qfq": "qfq", "hfq": "hfq", "none": "", "": ""}


def import_akshare():
    try:
        return importlib.import_module("akshare")
    except ImportError:
        raise BBTError("fetching needs the akshare package: pip install 'bbt[fetch]'") from None


def normalise_code(code: str) -> str:
    """'600000', 'sh600000', '600000.SH', "'600000" -> '600000'; anything else is an error."""
    m = re.fullmatch(r"(?:sh|sz|bj)?'?(\d{6})(?:\.(?:sh|sz|bj))?", str(code).strip().lower())
    if not m:
        raise BBTError(f"not an A-share code: {code!r} (expected six digits, e.g. 600000)")
    return m.group(1)


def normalise_day(day: str | dt.date | None, default: str) -> str:
    """'2020-01-31', '20200131' or a date -> '20200131' (akshare's form)."""
    if day is None or day == "":
        return default
    try:
        return pd.Timestamp(str(day)).strftime("%Y%m%d")
    except ValueError:
        raise BBTError(f"not a date: {day!r} (expected YYYY-MM-DD or YYYYMMDD)") from None


def to_akshare_layout(raw: pd.DataFrame, code: str) -> pd.DataFrame:
    """akshare's frame in the exact column order and formats of the shared files (dates YYYY-MM-DD, six-digit
    code text). Older akshare versions have no 股票代码 column: it is added."""
    df = raw.copy()
    if "股票代码" not in df.columns:
        df.insert(1, "股票代码", code)
    missing = [c for c in AKSHARE_COLUMNS if c not in df.columns]
    if missing:
        raise BBTError(f"akshare returned an unexpected layout for {code}: missing {', '.join(missing)}; "
                       f"got {', '.join(map(str, df.columns))} (try upgrading akshare)")
    df = df[AKSHARE_COLUMNS]
    df["日期"] = pd.to_datetime(df["日期"]).dt.strftime("%Y-%m-%d")
    df["股票代码"] = df["股票代码"].astype(str).str.zfill(6)
    return df


def fetch_stocks(codes: Iterable[str], out_dir: str | Path, *, start: str | None = None, end: str | None = None,
                 adjust: str = "qfq", on_done: Callable[[str, Path | None], None] | None = None) -> list[Path]:
    """Write <out_dir>/<code>.csv for each code via akshare.stock_zh_a_hist(period="daily"), then load each
    written file with load_market_file so a bad download is caught here. Codes akshare has no rows for are
    skipped and named in one BBTError at the end (the others are written). on_done(code, path or None) is
    called after each code (for a progress bar)."""
    from bbt.data.market import load_market_file

    if adjust not in ADJUST:
        raise BBTError(f"--adjust must be one of qfq, hfq, none; got {adjust!r}")
    codes = [normalise_code(c) for c in codes]
    if not codes:
        raise BBTError("no codes given")
    start_day = normalise_day(start, "19900101")
    end_day = normalise_day(end, dt.date.today().strftime("%Y%m%d"))
    ak = import_akshare()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    failed: list[str] = []
    for code in codes:
        try:
            raw = ak.stock_zh_a_hist(symbol=code, period="daily", start_date=start_day, end_date=end_day,
                                     adjust=ADJUST[adjust])
        except Exception as e:  # network / upstream errors: say which code and go on with the others
            failed.append(f"{code} ({type(e).__name__}: {e})")
            if on_done:
                on_done(code, None)
            continue
        if raw is None or len(raw) == 0:
            failed.append(f"{code} (no rows between {start_day} and {end_day})")
            if on_done:
                on_done(code, None)
            continue
        path = out / f"{code}.csv"
        with atomic_path(path) as tmp:
            to_akshare_layout(raw, code).to_csv(tmp, index=False, encoding="utf-8")
        try:
            load_market_file(path, fmt="akshare")
        except DataError as e:
            failed.append(f"{code} (written but invalid: {e})")
        else:
            written.append(path)
        if on_done:
            on_done(code, path)
    if failed:
        raise BBTError(f"wrote {len(written)} of {len(codes)} files to {out}; failed: {'; '.join(failed)}")
    return written
