"""A-share boards and their daily price limits by date: which board a code trades on, and how far its price may
move from the previous close on a given day.

No library we depend on carries these exchange rules (akshare and Tushare publish prices, not the rule table), so
they are written down here, each with the date it took effect:

| board | codes | limit | from |
|---|---|---|---|
| main (SSE / SZSE, incl. the former SME board 002) | 600/601/603/605, 000/001/002/003 | 10% | 1996-12-16 (none before) |
| main, risk-warning (ST / *ST) | same | 5%; 10% | 1998-04-22; 2025-07-07 |
| ChiNext | 300/301 | 10%; 20% | its start; 2020-08-24 (registration reform) |
| STAR | 688/689 | 20% | 2019-07-22 (its start) |
| Beijing (BSE) | 4xx / 8xx / 920 | 30% | 2021-11-15 |

Newly listed shares trade without a limit for their first days (ChiNext and STAR: 5 days under registration; the
main board: 5 days from 2023-04-10, before that a first-day band of +44% / -36%); `price_limits` leaves those days
without a limit when it is told the listing date. A limit price is the previous close times (1 +- limit), rounded
to the cent, which is how the exchanges quote it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bbt.errors import BBTError

BOARDS = ("main", "chinext", "star", "bse")
MAIN_FROM = pd.Timestamp("1996-12-16")
ST_FROM = pd.Timestamp("1998-04-22")
ST_MAIN_10PCT_FROM = pd.Timestamp("2025-07-07")
CHINEXT_20PCT_FROM = pd.Timestamp("2020-08-24")
STAR_FROM = pd.Timestamp("2019-07-22")
BSE_FROM = pd.Timestamp("2021-11-15")
MAIN_REGISTRATION_FROM = pd.Timestamp("2023-04-10")
NEW_LISTING_FREE_DAYS = 5


def bare_code(code: str) -> str:
    """'600519', 'sh600519', '600519.SH', "'600519" -> '600519'."""
    digits = "".join(ch for ch in str(code) if ch.isdigit())
    if len(digits) != 6:
        raise BBTError(f"stock code {code!r}: expected six digits (e.g. 600519 or 600519.SH)")
    return digits


def board_of(code: str) -> str:
    """The board a six-digit A-share code trades on."""
    c = bare_code(code)
    if c.startswith(("688", "689")):
        return "star"
    if c.startswith(("300", "301")):
        return "chinext"
    if c.startswith(("60", "000", "001", "002", "003")):
        return "main"
    if c.startswith(("4", "8", "920")):
        return "bse"
    raise BBTError(f"stock code {code!r}: not an A-share board prefix (60x, 000-003, 300/301, 688/689, 4/8/920)")


def is_st_name(name: str | None) -> bool:
    """ST / *ST / SST in a short name marks a risk-warning stock."""
    return bool(name) and "ST" in str(name).upper()


def price_limits(code: str, dates, st: bool = False, listed: str | pd.Timestamp | None = None) -> np.ndarray:
    """The daily limit (a fraction: 0.1 for 10%) of `code` on each of `dates`; NaN where the day has no limit
    (before the rule existed, or within a new listing's free days when `listed` is given)."""
    d = pd.DatetimeIndex(pd.to_datetime(dates))
    board = board_of(code)
    out = np.full(len(d), np.nan)
    if board == "main":
        out[d >= MAIN_FROM] = 0.10
        if st:
            out[(d >= ST_FROM) & (d < ST_MAIN_10PCT_FROM)] = 0.05
    elif board == "chinext":
        out[:] = 0.10
        out[d >= CHINEXT_20PCT_FROM] = 0.20
    elif board == "star":
        out[d >= STAR_FROM] = 0.20
    else:
        out[d >= BSE_FROM] = 0.30
    if listed is not None:
        first = pd.Timestamp(listed)
        trading = np.flatnonzero(d >= first)[:NEW_LISTING_FREE_DAYS]
        free = trading if (board in ("chinext", "star") or first >= MAIN_REGISTRATION_FROM) else trading[:1]
        out[free] = np.nan
    return out


def limit_prices(prev_close: np.ndarray, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(limit-up, limit-down) prices: previous close times (1 +- limit), rounded half up to the cent."""
    prev = np.asarray(prev_close, dtype=float)
    up = np.floor(prev * (1 + limit) * 100 + 0.5 + 1e-9) / 100
    down = np.floor(prev * (1 - limit) * 100 + 0.5 + 1e-9) / 100
    return up, down
