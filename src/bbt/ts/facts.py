"""Facts of a price window: what a market commentary may say about a stock at the close of an end date, computed
from the series (never guessed by a model), each with a salience score so a writer can pick the notable ones.

    wf = window_facts(frame, "2020-07-03", code="600519")   # frame: a tidy daily frame (bbt.data loaders)
    [f.kind for f in wf.top(5)]

Only rows dated on or before `end` are read (the frame is cut first; tested by changing later rows). Changes are
close-to-close; a window of N days compares the end close with the close N trading days earlier. Salience is
comparable across kinds: for moves it is the move in units of the stock's own daily volatility over the window
(sqrt-of-time scaled), for volume a ratio, for rare events (limit days, new highs) a fixed rank. Limit days use
the board rules of bbt.data.boards on the prices given: a forward-adjusted history shifts old prices, so limit
facts far back in such a history are approximate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from bbt.data.boards import board_of, limit_prices, price_limits
from bbt.errors import DataError

WINDOWS = (5, 20, 60)  # trading days: a week, a month, a quarter
EXTREMES = (20, 60, 250)  # new N-day highs / lows
VOLUME_BASE = 20  # the volume of a day is compared with the mean of the VOLUME_BASE days before it
SPIKE, DROUGHT = 2.0, 0.5  # 放量 at >= 2x the base volume, 缩量 at <= 0.5x
LIMIT_TOLERANCE = 0.01  # yuan: a close within a cent of the limit price is at the limit
MIN_ROWS = 21  # one month of history at least, so the 20-day facts exist


@dataclass(frozen=True)
class Fact:
    kind: str  # change | high | low | drawdown | volatility | volume | limit | streak | gap | ma_cross | new_extreme | wavelet
    window: int  # trading days the fact looks back over (1: the end day itself)
    direction: str  # up | down | "" (levels); for volume: spike | drought; for volatility: high | low
    value: float  # the number stated: a fraction for changes, a price for levels, a ratio, a count
    date: str  # ISO day the fact is about (the end day, or the day of the high / low / limit / cross)
    salience: float
    extra: dict = field(default_factory=dict)  # numbers a writer may also state (the MA level, the base volume)

    @property
    def id(self) -> str:
        return fact_id(self.kind, self.window, self.direction, self.date)

    def to_dict(self) -> dict:
        return {"id": self.id, **asdict(self)}


def fact_id(kind: str, window: int, direction: str, date: str) -> str:
    """The id a fact and a claim that states it share (claims are matched to facts by it, for coverage)."""
    return f"{kind}:{window}:{direction}:{date}"


def volatility_percentile(close: np.ndarray) -> tuple[float, float] | None:
    """(annualised 20-day volatility at the end, its percentile among the last year's 20-day volatilities), or
    None with fewer than 81 closes."""
    rets = np.diff(np.log(close))
    if len(rets) < 80:
        return None
    vol20 = pd.Series(rets).rolling(20).std().to_numpy()[-250:]
    vol20 = vol20[~np.isnan(vol20)]
    return float(vol20[-1] * np.sqrt(250)), float(np.mean(vol20 <= vol20[-1]))


@dataclass
class WindowFacts:
    code: str | None
    end: str  # the last trading day read (<= the requested end)
    close: float
    facts: list[Fact]
    series: pd.DataFrame  # the rows read: date <= end

    def top(self, n: int) -> list[Fact]:
        return sorted(self.facts, key=lambda f: -f.salience)[:n]

    def to_dict(self) -> dict:
        return {"code": self.code, "end": self.end, "close": self.close, "rows": len(self.series),
                "facts": [f.to_dict() for f in sorted(self.facts, key=lambda f: -f.salience)]}


def _day(ts) -> str:
    return pd.Timestamp(ts).date().isoformat()


def cut(frame: pd.DataFrame, end) -> pd.DataFrame:
    """The rows dated on or before `end`, checked: enough of them, prices positive."""
    for col in ("date", "open", "high", "low", "close", "volume"):
        if col not in frame.columns:
            raise DataError(f"price series has no {col!r} column (columns: {list(frame.columns)})", column=col)
    try:
        end_ts = pd.Timestamp(end)
    except (ValueError, TypeError, OverflowError):
        raise DataError(f"end date {end!r} is not a date such as 2020-07-03", column="date") from None
    if pd.isna(end_ts):
        raise DataError(f"end date {end!r} is not a date such as 2020-07-03", column="date")
    rows = frame[pd.to_datetime(frame["date"]) <= end_ts].reset_index(drop=True)
    rows.attrs = {}  # why: pandas deep-copies attrs (a loader's gap report) on every column access
    if len(rows) < MIN_ROWS:
        raise DataError(f"{len(rows)} trading day(s) on or before {end_ts.date()}; facts need at least {MIN_ROWS}",
                        column="date")
    return rows


def limit_flags(rows: pd.DataFrame, code: str | None, st: bool = False, listed=None) -> tuple[np.ndarray, np.ndarray]:
    """Per row: closed at limit-up, closed at limit-down (False without a code or where the day has no limit)."""
    n = len(rows)
    if code is None:
        return np.zeros(n, bool), np.zeros(n, bool)
    limit = price_limits(code, rows["date"], st=st, listed=listed)
    prev = rows["close"].shift(1).to_numpy()
    up, down = limit_prices(prev, limit)
    close = rows["close"].to_numpy()
    ok = ~np.isnan(limit) & ~np.isnan(prev)
    return ok & (close >= up - LIMIT_TOLERANCE), ok & (close <= down + LIMIT_TOLERANCE)


def change(close: np.ndarray, window: int) -> float:
    """End close over the close `window` trading days earlier, minus one."""
    return float(close[-1] / close[-1 - window] - 1)


def streak(close: np.ndarray) -> int:
    """Signed run of consecutive up (+) or down (-) closes ending at the last row."""
    d = np.sign(np.diff(close))
    if len(d) == 0 or d[-1] == 0:
        return 0
    run = np.flatnonzero(d != d[-1])
    return int(d[-1]) * (len(d) - (run[-1] + 1 if len(run) else 0))


def window_facts(frame: pd.DataFrame, end, code: str | None = None, st: bool = False, listed=None) -> WindowFacts:
    rows = cut(frame, end)
    board = board_of(code) if code else None  # why first: a bad code is an error before any work
    close, high, low = (rows[c].to_numpy(float) for c in ("close", "high", "low"))
    open_, volume, dates = rows["open"].to_numpy(float), rows["volume"].to_numpy(float), rows["date"]
    end_day, n = _day(dates.iloc[-1]), len(rows)
    rets = np.diff(np.log(close))
    sigma = float(np.std(rets[-60:])) or 1e-4  # the stock's own daily volatility over the last quarter
    facts: list[Fact] = []

    def add(kind, window, direction, value, date=end_day, salience=0.0, **extra):
        facts.append(Fact(kind, int(window), direction, float(value), date, round(float(salience), 3), extra))

    for w in (1, *WINDOWS):
        if n > w:
            r = change(close, w)
            add("change", w, "up" if r > 0 else "down" if r < 0 else "", r,
                salience=abs(np.log1p(r)) / (sigma * np.sqrt(w)), start_close=float(close[-1 - w]))
    span = min(60, n)
    i_hi, i_lo = n - span + int(np.argmax(high[-span:])), n - span + int(np.argmin(low[-span:]))
    recency = lambda i: 1.0 / (1 + (n - 1 - i) / 5)  # noqa: E731 — a high set today matters more than one 2 months ago
    add("high", span, "", high[i_hi], _day(dates.iloc[i_hi]), 0.6 + recency(i_hi))
    add("low", span, "", low[i_lo], _day(dates.iloc[i_lo]), 0.6 + recency(i_lo))
    peak = float(np.max(close[-span:]))
    dd = close[-1] / peak - 1
    if dd < 0:
        add("drawdown", span, "down", dd, salience=abs(np.log1p(dd)) / (sigma * np.sqrt(20)), peak=peak)
    for w in sorted(EXTREMES, reverse=True):  # the longest window only: a new 250-day high is a new 20-day one
        if n > w:
            prior = close[-w:-1]
            if close[-1] > prior.max() or close[-1] < prior.min():
                add("new_extreme", w, "up" if close[-1] > prior.max() else "down", close[-1],
                    salience=1.0 + w / 125)
                break
    if n > VOLUME_BASE:
        base = float(np.mean(volume[-1 - VOLUME_BASE:-1]))
        ratio = volume[-1] / base if base > 0 else np.nan
        if ratio >= SPIKE:
            add("volume", 1, "spike", ratio, salience=ratio, base=base)
        elif ratio <= DROUGHT:
            add("volume", 1, "drought", ratio, salience=1 / max(ratio, 1e-3), base=base)
    up, down = limit_flags(rows, code, st, listed)
    for flags, direction in ((up, "up"), (down, "down")):
        recent = np.flatnonzero(flags[-20:]) + n - min(20, n)
        for i in recent:
            run = 1
            while i - run >= 0 and flags[i - run]:
                run += 1
            add("limit", 1, direction, close[i], _day(dates.iloc[i]), 2.5 + recency(i) + 0.5 * (run - 1),
                consecutive=run, board=board)
    s = streak(close)
    if abs(s) >= 3:
        add("streak", abs(s), "up" if s > 0 else "down", abs(s), salience=abs(s) / 2)
    if n > 1:
        if open_[-1] > high[-2]:
            add("gap", 1, "up", open_[-1] / high[-2] - 1, salience=(open_[-1] / high[-2] - 1) / sigma,
                prev_high=float(high[-2]))
        elif open_[-1] < low[-2]:
            add("gap", 1, "down", open_[-1] / low[-2] - 1, salience=(1 - open_[-1] / low[-2]) / sigma,
                prev_low=float(low[-2]))
    for w in (60, 20):  # one cross a day: the longer average's, when both are crossed
        if n > w and not any(f.kind == "ma_cross" for f in facts):
            ma = pd.Series(close).rolling(w).mean().to_numpy()
            if close[-2] <= ma[-2] and close[-1] > ma[-1]:
                add("ma_cross", w, "up", ma[-1], salience=1.2 + w / 100)
            elif close[-2] >= ma[-2] and close[-1] < ma[-1]:
                add("ma_cross", w, "down", ma[-1], salience=1.2 + w / 100)
    vol = volatility_percentile(close)
    if vol is not None and (vol[1] >= 0.8 or vol[1] <= 0.2):
        add("volatility", 20, "high" if vol[1] >= 0.8 else "low", vol[0], salience=0.8 + 2 * abs(vol[1] - 0.5),
            percentile=vol[1])
    facts += wavelet_facts(close[-span:], end_day)
    return WindowFacts(code, end_day, float(close[-1]), facts, rows)


def wavelet_facts(close: np.ndarray, day: str) -> list[Fact]:
    """DWT-ST2Vec's split of the window's log closes: the low-frequency part's direction over the last 20 days
    (the trend) and the high-frequency share of the variance (how much of the window is cycle and noise). The
    split reads only the window, which ends at the end day."""
    from bbt.ts.dwt import wavelet_split_np

    if len(close) < 24:
        return []
    x = np.log(close)[:, None]
    low, high = wavelet_split_np(x - x.mean(), "db2", 2)
    slope = float(low[-1, 0] - low[-20, 0])
    share = float(np.var(high) / max(np.var(x), 1e-12))
    return [Fact("wavelet", 20, "up" if slope > 0 else "down", slope, day, 0.5,
                 {"high_frequency_share": round(share, 4)})]
