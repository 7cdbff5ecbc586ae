"""Joint text + series examples: the issue's requirement that the joint objective never sees data from T or later,
checked as invariants (real and synthetic data) and by perturbing everything dated T or later."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bbt.errors import BBTError, DataError
from bbt.pretrain.joint import build_joint_examples, split_by_time

DAYS = pd.bdate_range("2020-01-01", "2020-06-30")  # a weekday calendar; day 2020-03-16..20 suspended for 600000
NEWS = [  # (CODE as the source writes it, DATE, text)
    ("1", "2020-01-03 09:00:00", "早期消息：窗口不足"),  # T = 01-06, fewer than 30 days before it
    ("1", "2020-03-02 17:30:00", "平安银行公告一季度业绩预增"),
    ("1", "2020-03-05 08:00:00", "平安银行获评级上调"),
    ("1", "2020-03-05 20:00:00", "平安银行回购股份"),
    ("1", "2020-03-06 10:00:00", "平安银行发行永续债"),
    ("1", "2020-03-07 12:00:00", "周末消息：平安银行董事会换届"),  # Saturday: T = Monday 03-09
    ("600000", "2020-03-13 18:00:00", "浦发银行停牌公告"),  # suspended a week: next trading day 03-23 > 7 days
    ("600000", "2020-04-10 18:00:00", "浦发银行年报"),
    ("999999", "2020-04-10 18:00:00", "不在价格面板中的股票"),
]


def _panel(days=DAYS, scale=None):
    """Two stocks, random-walk prices; 600000.SH is suspended 2020-03-16..20. scale: {(code, from_day): k}."""
    rng = np.random.default_rng(0)
    rows = []
    for code in ("000001.SZ", "600000.SH"):
        d = days[~((days >= "2020-03-16") & (days <= "2020-03-20"))] if code == "600000.SH" else days
        close = 10 * np.exp(np.cumsum(rng.normal(0, 0.02, len(d))))
        f = pd.DataFrame({"ts_code": code, "trade_date": d.date, "open": close * 0.99, "high": close * 1.02,
                          "low": close * 0.97, "close": close, "volume": rng.integers(1000, 9000, len(d)),
                          "amount": rng.integers(1000, 9000, len(d))})
        for (c, start), k in (scale or {}).items():
            if c == code:
                m = f["trade_date"] >= pd.Timestamp(start).date()
                f.loc[m, ["open", "high", "low", "close", "volume"]] *= k
        rows.append(f)
    return pa.Table.from_pandas(pd.concat(rows, ignore_index=True), preserve_index=False)


def _write(root, news=NEWS, **panel):
    root.mkdir(exist_ok=True)
    pq.write_table(_panel(**panel), root / "panel.parquet")
    pd.DataFrame([{"CODE": c, "DATE": d, "label": 1, "text_a": t, "TITLE": t} for c, d, t in news]).to_csv(
        root / "news.csv", sep="\t", index=False)
    return {"news_files": [root / "news.csv"], "panel_path": root / "panel.parquet"}


def _no_future(examples):
    for e in examples:
        assert all(d < e.day for d in e.news_dates), e
        assert e.window_end < e.day
        assert e.news_dates == sorted(e.news_dates, reverse=True)


def test_synthetic_examples_and_skips(tmp_path):
    ex, stats = build_joint_examples(window=30, news_days=7, max_news=3, **_write(tmp_path))
    by = {(e.code, e.day): e for e in ex}
    assert sorted(by) == [("000001.SZ", "2020-03-03"), ("000001.SZ", "2020-03-06"), ("000001.SZ", "2020-03-09"),
                          ("600000.SH", "2020-04-13")]
    _no_future(ex)
    e = by[("000001.SZ", "2020-03-09")]  # news of 03-02..03-07, the 3 newest, newest first
    assert e.text.split("\n") == ["周末消息：平安银行董事会换届", "平安银行发行永续债", "平安银行回购股份"]
    assert e.news_dates == ["2020-03-07", "2020-03-06", "2020-03-05"] and e.window_end == "2020-03-06"
    panel = _panel().to_pandas()
    p = panel[panel.ts_code == "000001.SZ"].reset_index(drop=True)
    t = int(np.flatnonzero(pd.to_datetime(p.trade_date) == "2020-03-09")[0])
    want = np.column_stack([p[["open", "high", "low", "close"]].to_numpy(), np.log1p(p.volume.to_numpy())])
    assert e.series.shape == (30, 5) and e.series.dtype == np.float32 and e.target.shape == (1, 1)
    np.testing.assert_allclose(e.series, want[t - 30:t], rtol=1e-6)
    assert e.target[0, 0] == pytest.approx(p.open[t], rel=1e-6)
    assert by[("000001.SZ", "2020-03-03")].news_dates == ["2020-03-02"]
    assert stats["short_window"] == 1 and stats["stale_news"] == 1 and stats["news_stock_not_in_panel"] == 1
    assert stats["examples"] == 4
    short, _ = build_joint_examples(max_chars=10, max_news=1, **_write(tmp_path))
    assert all(len(e.text) <= 10 and len(e.news_dates) == 1 for e in short)


def test_nothing_from_t_or_later_reaches_an_example(tmp_path):
    """Perturb one stock's prices from T on and add news dated T and later: the example for T keeps its inputs."""
    base, _ = build_joint_examples(**_write(tmp_path / "a"))
    key = ("000001.SZ", "2020-03-06")
    later_news = NEWS + [("1", "2020-03-06 08:00:00", "T 日盘前消息"), ("1", "2020-03-09 10:00:00", "T 之后"),
                         ("000001", "2020-03-10 10:00:00", "更晚的消息")]
    moved, _ = build_joint_examples(**_write(tmp_path / "b", news=later_news, scale={("000001.SZ", key[1]): 3.0}))
    a, b = ({(e.code, e.day): e for e in x}[key] for x in (base, moved))
    assert (a.text, a.news_dates, a.window_end) == (b.text, b.news_dates, b.window_end)
    np.testing.assert_array_equal(a.series, b.series)
    assert b.target[0, 0] == pytest.approx(3 * a.target[0, 0], rel=1e-6)  # the target is day T's open, by design
    # from T+1 on, the target is untouched as well
    after, _ = build_joint_examples(**_write(tmp_path / "c", news=later_news,
                                             scale={("000001.SZ", "2020-03-09"): 3.0}))
    c = {(e.code, e.day): e for e in after}[key]
    np.testing.assert_array_equal(a.series, c.series)
    np.testing.assert_array_equal(a.target, c.target)
    _no_future(moved + after)


def test_split_by_time_and_split_date(tmp_path):
    paths = _write(tmp_path)
    ex, _ = build_joint_examples(**paths)
    train, test = split_by_time(ex, "2020-03-09")
    assert [e.day for e in train] == ["2020-03-03", "2020-03-06"]
    assert all(e.day >= "2020-03-09" for e in test) and len(train) + len(test) == len(ex)
    cut, stats = build_joint_examples(split_date="2020-03-09", **paths)
    assert [e.day for e in cut] == [e.day for e in train] and stats["after_split_date"] == 2
    with pytest.raises(BBTError, match="cutoff_date"):
        split_by_time(ex, "not a date")


def test_bad_news_file_names_file_and_column(tmp_path):
    paths = _write(tmp_path)
    pd.DataFrame({"CODE": ["1"], "DATE": ["2020-03-02"]}).to_csv(tmp_path / "bad.csv", sep="\t", index=False)
    with pytest.raises(DataError, match=r"bad\.csv.*text_a"):
        build_joint_examples(news_files=[tmp_path / "bad.csv"], panel_path=paths["panel_path"])
    pd.DataFrame({"CODE": ["1"], "DATE": ["yesterday"], "text_a": ["x"]}).to_csv(tmp_path / "bad.csv", sep="\t",
                                                                                index=False)
    with pytest.raises(DataError, match=r"bad\.csv.*row 2.*DATE"):
        build_joint_examples(news_files=[tmp_path / "bad.csv"], panel_path=paths["panel_path"])
    with pytest.raises(DataError, match="missing.parquet"):
        build_joint_examples(news_files=paths["news_files"], panel_path=tmp_path / "missing.parquet")


def test_real_shared_data(data_dir):
    ex, stats = build_joint_examples(data_dir)
    assert len(ex) > 100 and stats["examples"] == len(ex)
    assert len({(e.code, e.day) for e in ex}) == len(ex)
    assert all(e.series.shape == (30, 5) and np.isfinite(e.series).all() and np.isfinite(e.target).all()
               and e.target.shape == (1, 1) and 0 < len(e.text) <= 400 for e in ex)
    _no_future(ex)
