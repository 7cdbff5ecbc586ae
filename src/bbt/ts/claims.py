"""The claim checker: find the market claims a Chinese text makes about one stock's price series and check each
against the series, with stated tolerances. Any text source can be scored this way (our template realiser, the
BBT model, an `openai:` endpoint, texts someone else wrote).

A claim pattern is declared once (name, regular expression, checker) in CLAIMS; `check_text` runs them all over
the text, keeps non-overlapping matches (earlier patterns win: the windowed change before the bare day change)
and returns each claim with its character offsets, what it states, what the series says and a verdict:

- verified: the series agrees within the tolerance;
- wrong: the direction is right but the number is off (a numeric error), or an event did not happen;
- contradicted: the stated direction is the opposite of what the series did;
- unverifiable: the series is too short for the stated window.

Tolerances (settings of `Tolerance`): a percentage is right when within 0.5 percentage points or 5% of the true
move, whichever is larger (texts round); a price level within 0.5% (or one cent); 放量 needs the day's volume at
>= 1.5x the mean of the 20 days before, 缩量 at <= 0.7x; a break of a level or moving average happened within
the last 3 trading days with the close now on the stated side. Percentages of company figures (profit, revenue,
同比 / 环比 growth) are not price claims: a number preceded by such a word is skipped.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import pandas as pd

from bbt.ts.facts import VOLUME_BASE, change, fact_id, limit_flags, streak, volatility_percentile

CN_NUM = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
          "二十": 20, "三十": 30, "六十": 60, "一百二十": 120, "二百五十": 250}
NUM = r"(?:\d+|[一两二三四五六七八九十]+)"
PCT = r"(?P<pct>\d+(?:\.\d+)?)\s*[%％]"
PRICE = r"(?P<price>\d+(?:\.\d+)?)\s*元"
UP, DOWN = "涨幅|上涨|上升|攀升|走高|上扬|反弹|回升|收涨|涨", "跌幅|下跌|下降|下滑|走低|下挫|回落|收跌|跌"
# words that make a nearby percentage a company figure, not a price move
NOT_PRICE = re.compile(r"(利润|收入|营收|业绩|同比|环比|销量|产量|增速|GDP|CPI|PPI|毛利|净利|份额|占比|股息|分红|利率|"
                       r"出口|进口|成本|费用|资产|负债|市场规模|订单)")
WINDOW_WORDS = {"一周": 5, "周": 5, "一个月": 20, "一月": 20, "月": 20, "三个月": 60, "一季度": 60, "季度": 60,
                "半年": 120, "一年": 250}
WINDOW = (r"(?:(?:近|过去|最近)(?P<n>" + NUM + r")个?(?:交易)?日|(?:这|这几|近|最近)(?P<d>" + NUM + r")天|(?:近|过去|最近|本)(?P<w>一周|周|一个月|一月|月|三个月|"
          r"一季度|季度|半年|一年))(?:来|以来|内|里|中)?")


def cn_int(s: str) -> int:
    if s.isdigit():
        return int(s)
    if s in CN_NUM:
        return CN_NUM[s]
    if s.startswith("十"):
        return 10 + CN_NUM.get(s[1:], 0)
    if "十" in s:
        a, _, b = s.partition("十")
        return CN_NUM.get(a, 1) * 10 + (CN_NUM.get(b, 0) if b else 0)
    raise ValueError(s)


@dataclass(frozen=True)
class Tolerance:
    pct_points: float = 0.5  # percentage points
    pct_relative: float = 0.05
    price_relative: float = 0.005
    spike: float = 1.5
    drought: float = 0.7
    break_days: int = 3


@dataclass
class Claim:
    start: int
    end: int
    text: str
    kind: str  # the CLAIMS key
    stated: dict
    actual: dict
    verdict: str  # verified | wrong | contradicted | unverifiable
    fact: str  # the fact id (bbt.ts.facts.Fact.id form) the claim states, for coverage

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Series:
    """What the checkers read: the rows up to the end day (cut by the caller) and the limit flags."""

    rows: pd.DataFrame
    code: str | None = None
    st: bool = False

    def __post_init__(self):
        self.close = self.rows["close"].to_numpy(float)
        self.high, self.low = self.rows["high"].to_numpy(float), self.rows["low"].to_numpy(float)
        self.volume = self.rows["volume"].to_numpy(float)
        self.end = pd.Timestamp(self.rows["date"].iloc[-1]).date().isoformat()
        self.limit_up, self.limit_down = limit_flags(self.rows, self.code, self.st)


Verdict = tuple[str, dict, str]  # verdict, actual, fact id
CHECKS: list[tuple[str, re.Pattern, Callable[[Series, re.Match, Tolerance], Verdict]]] = []


def claim(name: str, pattern: str):
    def deco(fn):
        CHECKS.append((name, re.compile(pattern), fn))
        return fn
    return deco


def _direction(word: str) -> str:
    return "up" if "涨" in word or re.fullmatch(UP, word) else "down"


def _window(m: re.Match) -> int:
    for g in ("n", "d"):
        if m.groupdict().get(g):
            return cn_int(m[g])
    if m.groupdict().get("w"):
        return WINDOW_WORDS[m["w"]]
    return 1


def _pct_verdict(s: Series, window: int, direction: str, pct: float, tol: Tolerance) -> Verdict:
    if len(s.close) <= window:
        return "unverifiable", {"rows": len(s.close)}, ""
    r = change(s.close, window) * 100
    actual = {"pct": round(r, 2), "window": window}
    fact = fact_id("change", window, "up" if r > 0 else "down" if r < 0 else "", s.end)
    if (r > 0) != (direction == "up") or r == 0:
        return "contradicted", actual, fact
    ok = abs(abs(r) - pct) <= max(tol.pct_points, tol.pct_relative * abs(r))
    return ("verified" if ok else "wrong"), actual, fact


@claim("drawdown", r"较(?:近)?(?P<n>" + NUM + r")个?(?:交易)?日(?:内|以来)?(?:的)?(?:高点|最高收盘价?)(?:已)?(?:回落|下跌|回撤)了?(?:约|近)?" + PCT)
def _drawdown(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    n = cn_int(m["n"])
    w = min(n, len(s.close))
    dd = (1 - s.close[-1] / s.close[-w:].max()) * 100
    pct = float(m["pct"])
    ok = abs(dd - pct) <= max(tol.pct_points, tol.pct_relative * dd)
    actual = {"drawdown_pct": round(float(dd), 2), "window": w}
    return ("verified" if ok else "wrong"), actual, fact_id("drawdown", w, "down", s.end)


@claim("limit_count", r"近(?P<n>" + NUM + r")个?(?:交易)?日(?:内|以来)?(?:共有|共|有|出现|录得)?(?P<k>" + NUM +
       r")(?:个|次)(?P<what>涨停|跌停)")
def _limit_count(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    if s.code is None:
        return "unverifiable", {"reason": "no stock code: board limits unknown"}, ""
    flags = s.limit_up if m["what"] == "涨停" else s.limit_down
    k = int(flags[-cn_int(m["n"]):].sum())
    return ("verified" if k == cn_int(m["k"]) else "wrong"), {"count": k}, ""


@claim("volume_ratio", r"(?:成交量|量能)(?:放大至|放大到|萎缩至|萎缩到|为|是)(?:前)?(?P<n>" + NUM + r")日均量的(?P<ratio>\d+(?:\.\d+)?)倍")
def _volume_ratio(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    n = cn_int(m["n"])
    if len(s.volume) <= n:
        return "unverifiable", {"rows": len(s.volume)}, ""
    ratio = float(s.volume[-1] / np.mean(s.volume[-1 - n:-1]))
    ok = abs(ratio - float(m["ratio"])) <= max(0.05, 0.05 * ratio)
    kind = "spike" if ratio >= 1 else "drought"
    return ("verified" if ok else "wrong"), {"ratio": round(ratio, 3)}, fact_id("volume", 1, kind, s.end)


@claim("gap", r"跳空(?P<what>高开|低开)")
def _gap(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    o, ph, pl = s.rows["open"].iloc[-1], s.high[-2], s.low[-2]
    up = m["what"] == "高开"
    hit = o > ph if up else o < pl
    other = o < pl if up else o > ph
    actual = {"open": float(o), "prev_high": float(ph), "prev_low": float(pl)}
    return ("verified" if hit else "contradicted" if other else "wrong"), actual, \
        fact_id("gap", 1, "up" if up else "down", s.end)


@claim("volatility", r"波动率?(?:已)?(?:处于|位于|升至|降至|来到)(?:近一年|一年来|年内)?的?(?P<what>高位|低位)")
def _volatility(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    vol = volatility_percentile(s.close)
    if vol is None:
        return "unverifiable", {"rows": len(s.close)}, ""
    pct = vol[1]
    high = m["what"] == "高位"
    ok = pct >= 0.7 if high else pct <= 0.3
    other = pct <= 0.3 if high else pct >= 0.7
    return ("verified" if ok else "contradicted" if other else "wrong"), {"percentile": round(pct, 3)}, \
        fact_id("volatility", 20, "high" if high else "low", s.end)


@claim("wavelet_trend", r"低频(?:趋势|部分|分量)(?:仍)?(?P<what>向上|向下|上行|下行)")
def _wavelet_trend(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    from bbt.ts.facts import wavelet_facts

    facts = wavelet_facts(s.close[-60:], s.end)
    if not facts:
        return "unverifiable", {"rows": len(s.close)}, ""
    up = m["what"] in ("向上", "上行")
    ok = (facts[0].direction == "up") == up
    return ("verified" if ok else "contradicted"), {"slope": round(facts[0].value, 5)}, facts[0].id if ok else ""


@claim("window_change", WINDOW + r"[，,]?(?:股价|累计|区间|该股)?(?:累计)?(?P<dir>" + UP + "|" + DOWN + r")(?:为|达到|达)?了?(?:约|近|超)?" + PCT)
def _window_change(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    return _pct_verdict(s, _window(m), _direction(m["dir"]), float(m["pct"]), tol)


@claim("streak", r"连续(?P<n>" + NUM + r")个?(?:交易)?日(?P<dir>" + UP + "|" + DOWN + r"|收阳|收阴)|(?P<n2>" + NUM +
       r")连(?P<dir2>阳|阴|涨|跌)")
def _streak(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    n = cn_int(m["n"] or m["n2"])
    word = m["dir"] or m["dir2"]
    direction = "up" if word in ("收阳", "阳") or (word not in ("收阴", "阴") and _direction(word) == "up") else "down"
    run = streak(s.close)
    run = int(run)
    actual = {"streak": run}
    fact = fact_id("streak", abs(run), "up" if run > 0 else "down", s.end)
    if run == 0 or (run > 0) != (direction == "up"):
        return "contradicted", actual, fact
    return ("verified" if abs(run) >= n else "wrong"), actual, fact


@claim("limit_run", r"(?P<n>" + NUM + r")连板")
def _limit_run(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    flags, run = s.limit_up, 0
    while run < len(flags) and flags[-1 - run]:
        run += 1
    verdict = "verified" if run >= cn_int(m["n"]) else "wrong"
    return verdict, {"consecutive_limit_up": run}, fact_id("limit", 1, "up", s.end)


@claim("limit", r"(?P<neg>未|没有|没)?(?P<what>涨停|跌停)")
def _limit(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    up = m["what"] == "涨停"
    hit = bool((s.limit_up if up else s.limit_down)[-1])
    if s.code is None:
        return "unverifiable", {"reason": "no stock code: board limits unknown"}, ""
    said = not m["neg"]
    fact = fact_id("limit", 1, "up" if up else "down", s.end)
    if said == hit:
        return "verified", {"at_limit": hit}, fact if hit else ""
    if said and bool((s.limit_down if up else s.limit_up)[-1]):
        return "contradicted", {"at_limit": hit}, ""
    return "wrong", {"at_limit": hit}, ""


@claim("new_extreme", r"创(?:出)?(?:近)?(?:(?P<n>" + NUM + r")个?(?:交易)?日|(?P<w>一年|半年|年内|阶段))?(?P<what>新高|新低)")
def _new_extreme(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    n = cn_int(m["n"]) if m["n"] else {"一年": 250, "年内": 250, "半年": 120, "阶段": 20, None: 20}[m["w"]]
    if len(s.close) <= n:
        return "unverifiable", {"rows": len(s.close)}, ""
    up = m["what"] == "新高"
    # why close or high (low): "创新高" is said of the close and of the intraday high alike
    prior_c, prior_h, prior_l = s.close[-n:-1], s.high[-n:-1], s.low[-n:-1]
    hit = (s.close[-1] > prior_c.max() or s.high[-1] > prior_h.max()) if up else \
        (s.close[-1] < prior_c.min() or s.low[-1] < prior_l.min())
    other = (s.close[-1] < prior_c.min()) if up else (s.close[-1] > prior_c.max())
    fact = fact_id("new_extreme", n, "up" if up else "down", s.end)
    return ("verified" if hit else "contradicted" if other else "wrong"), {"window": n, "hit": bool(hit)}, fact


@claim("ma_break", r"(?P<what>突破|站上|站稳|上穿|跌破|失守|下穿)(?P<n>" + NUM + r")日均线")
def _ma_break(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    n = cn_int(m["n"])
    if len(s.close) <= n + tol.break_days:
        return "unverifiable", {"rows": len(s.close)}, ""
    ma = pd.Series(s.close).rolling(n).mean().to_numpy()
    up = m["what"] in ("突破", "站上", "站稳", "上穿")
    return _break_verdict(s.close, ma, up, tol, fact_id("ma_cross", n, "up" if up else "down", s.end),
                          {"ma": round(float(ma[-1]), 3)})


@claim("level_break", r"(?P<what>突破|站上|跌破|失守)" + PRICE)
def _level_break(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    level = np.full(len(s.close), float(m["price"]))
    up = m["what"] in ("突破", "站上")
    return _break_verdict(s.close, level, up, tol, "", {"level": float(m["price"])})


def _break_verdict(close, line, up: bool, tol: Tolerance, fact: str, actual: dict) -> Verdict:
    now_side = close[-1] > line[-1] if up else close[-1] < line[-1]
    before = close[-1 - tol.break_days:-1] <= line[-1 - tol.break_days:-1] if up else \
        close[-1 - tol.break_days:-1] >= line[-1 - tol.break_days:-1]
    actual = {**actual, "close": float(close[-1])}
    if not now_side:
        return "contradicted", actual, ""
    return ("verified" if before.any() else "wrong"), actual, fact


@claim("volume", r"(?P<what>放量|缩量)")
def _volume(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    if len(s.volume) <= VOLUME_BASE:
        return "unverifiable", {"rows": len(s.volume)}, ""
    base = float(np.mean(s.volume[-1 - VOLUME_BASE:-1]))
    ratio = float(s.volume[-1] / base) if base > 0 else float("nan")
    spike = m["what"] == "放量"
    ok = ratio >= tol.spike if spike else ratio <= tol.drought
    opposite = ratio <= 1 / tol.spike if spike else ratio >= 1 / tol.drought
    fact = fact_id("volume", 1, "spike" if spike else "drought", s.end)
    return ("verified" if ok else "contradicted" if opposite else "wrong"), {"ratio": round(ratio, 3)}, fact


@claim("close_level", r"(?:收于|收报|收在|报收|收盘价为?)" + PRICE)
def _close_level(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    p = float(m["price"])
    ok = abs(p - s.close[-1]) <= max(0.01, tol.price_relative * s.close[-1])
    return ("verified" if ok else "wrong"), {"close": float(s.close[-1])}, ""


@claim("extreme_level", r"(?P<what>最高|最低)(?:价)?(?:触及|达到|探至|至|到|为|报)?" + PRICE +
       r"(?:[（(](?P<date>\d{4}-\d{2}-\d{2})[)）])?")
def _extreme_level(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    p, w = float(m["price"]), min(60, len(s.close))
    high = m["what"] == "最高"
    col = s.high if high else s.low
    i = len(col) - w + int(np.argmax(col[-w:]) if high else np.argmin(col[-w:]))
    close_to = lambda c: abs(p - c) <= max(0.01, tol.price_relative * c)  # noqa: E731
    # the window's extreme or the day's: both readings are common
    window_ok, day_ok = close_to(col[i]), close_to(col[-1])
    day = pd.Timestamp(s.rows["date"].iloc[i]).date().isoformat()
    fact = fact_id("high" if high else "low", w, "", day) if window_ok else ""
    actual = {"day": float(col[-1]), "window": float(col[i]), "window_date": day}
    if m["date"]:  # a dated extreme: the date must be the window extreme's (or the end day's, for the day's)
        ok = (window_ok and m["date"] == day) or (day_ok and m["date"] == s.end)
        return ("verified" if ok else "wrong"), actual, fact if ok else ""
    return ("verified" if window_ok or day_ok else "wrong"), actual, fact


@claim("flat_day", r"(?:今日|当日|今天)?(?:平收|收平)")
def _flat_day(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    r = change(s.close, 1) * 100
    fact = fact_id("change", 1, "", s.end) if r == 0 else ""
    return ("verified" if abs(r) < 0.05 else "wrong"), {"pct": round(r, 2), "window": 1}, fact


@claim("day_change", r"(?:今日|当日|今天|全天|收盘|日内|该股|股价)?(?P<dir>" + UP + "|" + DOWN + r")(?:为|达到|达)?了?(?:约|近|超)?" + PCT)
def _day_change(s: Series, m: re.Match, tol: Tolerance) -> Verdict:
    return _pct_verdict(s, 1, _direction(m["dir"]), float(m["pct"]), tol)


def check_text(text: str, rows: pd.DataFrame, code: str | None = None, st: bool = False,
               tol: Tolerance = Tolerance()) -> list[Claim]:
    """Every claim of `text` about the series `rows` (dated up to the end day the text was written at)."""
    rows = rows.reset_index(drop=True)
    rows.attrs = {}  # why: pandas deep-copies attrs on every column access
    s = Series(rows, code, st)
    taken = np.zeros(len(text) + 1, bool)
    out = []
    for name, pattern, fn in CHECKS:
        for m in pattern.finditer(text):
            a, b = m.span()
            if taken[a:b].any():
                continue
            if name in ("window_change", "day_change") and NOT_PRICE.search(text[max(0, a - 8):a + 2]):
                continue
            verdict, actual, fact = fn(s, m, tol)
            stated = {k: v for k, v in m.groupdict().items() if v is not None}
            out.append(Claim(a, b, m.group(0), name, stated, actual, verdict, fact))
            taken[a:b] = True
    return sorted(out, key=lambda c: c.start)


def summarise(claims: list[Claim]) -> dict:
    """Totals of one or many texts' claims: precision (verified among checkable claims), contradiction rate,
    mean absolute numeric error of percentage claims (percentage points)."""
    checkable = [c for c in claims if c.verdict != "unverifiable"]
    errors = [abs(abs(c.actual["pct"]) - float(c.stated["pct"])) for c in checkable if "pct" in c.actual and "pct" in c.stated]
    n = len(checkable)
    return {"claims": len(claims), "checkable": n,
            "verified": sum(c.verdict == "verified" for c in checkable),
            "precision": (sum(c.verdict == "verified" for c in checkable) / n) if n else None,
            "contradiction_rate": (sum(c.verdict == "contradicted" for c in checkable) / n) if n else None,
            "numeric_error_pp": float(np.mean(errors)) if errors else None}
