"""Joint text + time-series examples for pre-training (issue 5), leakage-free by construction.

One example per (stock, trading day T):
- text: the stock's news dated strictly before T (calendar day < T), the `max_news` most recent within
  `news_days` calendar days before T, newest first, joined by newlines and cut to `max_chars`;
- series: daily open, high, low, close, log1p(volume) of the `window` trading days T-L..T-1 ([L, 5] float32,
  raw prices: the model's "last" normalisation rescales each window, as in the stock benchmark);
- target: the open of day T ([1, 1]; channel 0, the model's default forecast target).

T is the first trading day strictly after a news item's date, so every news item feeds the next session's
open; (code, T) pairs are deduplicated. Nothing dated T or later reaches an example's inputs: news are cut by
calendar day (`day < T`) and the window ends at row T-1. `split_by_time` keeps later evaluation off future days.

Files: news `text/astock_news/{test,val}.csv` (tab-separated; CODE as a bare number such as 2376, DATE
"2020-07-16 17:02:00", text_a, TITLE) and the Tushare panel `stocks/ashare_daily_2018_2021.parquet` (ts_code such
as "002376.SZ"), read with `bbt.data.market.load_panel_parquet`. Explicit paths override the `data_dir` defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bbt.errors import BBTError, DataError

NEWS_FILES = ("text/astock_news/test.csv", "text/astock_news/val.csv")
PANEL_FILE = "stocks/ashare_daily_2018_2021.parquet"
FEATURES = ("open", "high", "low", "close", "log_volume")  # same channels and order as bbt.bench.stocks


@dataclass
class JointExample:
    code: str  # ts_code as in the panel, e.g. "002376.SZ"
    day: str  # ISO date of T, the target day
    text: str
    series: np.ndarray  # [window, 5] float32, days T-L..T-1
    target: np.ndarray  # [1, 1] float32, open of day T
    window_end: str  # ISO date of day T-1
    news_dates: list[str] = field(default_factory=list)  # ISO dates of the news in `text`, newest first


def load_news(files: list[str | Path]) -> pd.DataFrame:
    """News rows -> frame code (6 digits), time, day (midnight), text; exact repeats across files dropped."""
    if not files:
        raise BBTError("no news files given")
    frames = []
    for f in map(Path, files):
        if not f.is_file():
            raise DataError("no such news file", file=str(f))
        try:
            df = pd.read_csv(f, sep="\t", dtype=str, keep_default_na=False,
                             usecols=lambda c: c in ("CODE", "DATE", "TITLE", "text_a"))
        except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as e:
            raise DataError(f"not a tab-separated news file: {e}", file=str(f)) from None
        for col in ("CODE", "DATE", "text_a"):
            if col not in df.columns:
                raise DataError(f"missing column (have {', '.join(df.columns)})", file=str(f), column=col)
        code = df["CODE"].str.strip().str.lstrip("'")
        bad = ~code.str.fullmatch(r"\d{1,6}")
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            raise DataError(f"not a stock code: {df['CODE'].iloc[i]!r}", file=str(f), row=i + 2, column="CODE")
        time = pd.to_datetime(df["DATE"], errors="coerce")
        if time.isna().any():
            i = int(np.argmax(time.isna().to_numpy()))
            raise DataError(f"not a date: {df['DATE'].iloc[i]!r}", file=str(f), row=i + 2, column="DATE")
        # why the fallback: TITLE repeats text_a in this source and is empty where text_a is
        text = df["text_a"].where(df["text_a"].str.strip() != "", df.get("TITLE", "")).str.strip()
        frames.append(pd.DataFrame({"code": code.str.zfill(6).to_numpy(), "time": time.to_numpy(),
                                    "text": text.to_numpy()}))
    news = pd.concat(frames, ignore_index=True)
    news = news[news["text"] != ""].drop_duplicates(["code", "time", "text"])
    news["day"] = news["time"].dt.normalize()
    return news.sort_values(["code", "time"], kind="stable").reset_index(drop=True)


def _panel_codes(panel_path: Path) -> pd.Series:
    """Bare code -> the panel's ts_code, for codes listed on exactly one exchange (read from one column only)."""
    import pyarrow.parquet as pq

    from bbt.data.market import FORMATS

    try:
        col = FORMATS["tushare"].resolve(list(pq.read_schema(panel_path).names), str(panel_path))["code"]
        ts = pd.Series(pq.read_table(panel_path, columns=[col]).column(col).unique().to_pylist(), dtype=str)
    except OSError as e:
        raise DataError(f"not a readable parquet file: {e}", file=str(panel_path)) from None
    bare = ts.str.split(".").str[0]
    # why drop repeats: a bare number on two exchanges cannot be matched to a news CODE without guessing
    return pd.Series(ts.to_numpy(), index=bare.to_numpy())[~bare.duplicated(keep=False).to_numpy()]


def build_joint_examples(data_dir: str | Path | None = None, window: int = 30, news_days: int = 7,
                         max_news: int = 3, max_chars: int = 400, split_date: str | None = None, *,
                         news_files: list[str | Path] | None = None, panel_path: str | Path | None = None
                         ) -> tuple[list[JointExample], dict]:
    """Examples of every (stock, T) with news in the `news_days` before T; returns (examples, stats).

    split_date: keep only examples with T < split_date (a training cut). stats counts news items and the
    (stock, T) pairs skipped, by reason, so nothing is dropped silently.
    """
    from bbt.data.market import load_panel_parquet

    if window < 1 or news_days < 1 or max_news < 1 or max_chars < 1:
        raise BBTError(f"window, news_days, max_news and max_chars must be at least 1, got {window}, {news_days}, "
                       f"{max_news}, {max_chars}")
    if (news_files is None or panel_path is None) and data_dir is None:
        raise BBTError("give data_dir or both news_files and panel_path")
    news_files = [Path(data_dir) / f for f in NEWS_FILES] if news_files is None else news_files
    panel_path = Path(data_dir) / PANEL_FILE if panel_path is None else Path(panel_path)
    news = load_news(news_files)
    codes = _panel_codes(panel_path)
    stats = {"news": len(news), "news_stock_not_in_panel": int((~news["code"].isin(codes.index)).sum())}
    news = news[news["code"].isin(codes.index)]
    news = news.assign(ts_code=codes.loc[news["code"]].to_numpy())
    panel = load_panel_parquet(panel_path, codes=sorted(news["ts_code"].unique())) if len(news) else {}

    skips = dict.fromkeys(("news_no_trading_day_after", "short_window", "stale_news", "after_split_date"), 0)
    examples: list[JointExample] = []
    cut = np.datetime64(_iso(split_date, "split_date"), "D") if split_date else None
    for ts_code, items in news.groupby("ts_code", sort=True):
        frame = panel[ts_code]
        dates = frame["date"].to_numpy().astype("datetime64[D]")
        x = np.column_stack([frame[list(FEATURES[:4])].to_numpy(np.float64),
                             np.log1p(frame["volume"].to_numpy(np.float64))]).astype(np.float32)
        nday = items["day"].to_numpy().astype("datetime64[D]")  # sorted ascending (by time)
        # T = first trading day strictly after the news day, per news item; then unique (code, T)
        t_idx = np.searchsorted(dates, nday, side="right")
        skips["news_no_trading_day_after"] += int((t_idx >= len(dates)).sum())
        t_idx = np.unique(t_idx[t_idx < len(dates)])
        t_day = dates[t_idx]
        # news of T: calendar day in [T - news_days, T), as index ranges into the sorted news days
        lo = np.searchsorted(nday, t_day - np.timedelta64(news_days, "D"), side="left")
        hi = np.searchsorted(nday, t_day, side="left")
        keep = hi > lo  # why: a suspension can push T past the news horizon; then no news "precedes" T
        skips["stale_news"] += int((~keep).sum())
        short = t_idx < window
        skips["short_window"] += int((keep & short).sum())
        keep &= ~short
        if cut is not None:
            late = keep & (t_day >= cut)
            skips["after_split_date"] += int(late.sum())
            keep &= ~late
        texts, times = items["text"].to_numpy(), items["time"].to_numpy()
        for t, a, b in zip(t_idx[keep].tolist(), lo[keep].tolist(), hi[keep].tolist()):
            picked = np.arange(b - 1, max(a, b - max_news) - 1, -1)  # newest first
            examples.append(JointExample(
                code=ts_code, day=str(dates[t]), text="\n".join(texts[picked])[:max_chars],
                series=x[t - window:t].copy(), target=x[t:t + 1, :1].copy(), window_end=str(dates[t - 1]),
                news_dates=[str(d) for d in times[picked].astype("datetime64[D]")]))
    stats.update(skips, stocks=len({e.code for e in examples}), examples=len(examples), window=window,
                 news_days=news_days, max_news=max_news, max_chars=max_chars, split_date=split_date)
    return examples, stats


def _iso(date, name: str) -> str:
    try:
        return str(pd.Timestamp(date).date())
    except (ValueError, TypeError) as e:
        raise BBTError(f"{name} must be a date such as 2020-06-30, got {date!r} ({e})") from None


def split_by_time(examples: list[JointExample], cutoff_date: str) -> tuple[list[JointExample], list[JointExample]]:
    """(train, test): T < cutoff_date and T >= cutoff_date. Train inputs and targets all lie before the cutoff."""
    cut = _iso(cutoff_date, "cutoff_date")
    train = [e for e in examples if e.day < cut]  # ISO dates compare correctly as strings
    return train, [e for e in examples if e.day >= cut]
