"""The claim checker on hand-written true and false sentences about constructed series."""

import numpy as np
import pytest

from bbt.ts.claims import check_text, cn_int, summarise
from tests.ts.test_facts import series


@pytest.fixture
def falling():
    """70 days from 12 down to 10, then a day at 9.5 on 3.5x the volume."""
    return series(np.r_[np.linspace(12.0, 10.0, 70), 9.5], np.r_[np.full(70, 1e6), 3.5e6])


def verdicts(text, rows, code=None):
    return [(c.kind, c.verdict) for c in check_text(text, rows, code)]


def test_a_rise_claimed_on_a_fall_is_contradicted_and_the_true_move_verified(falling):
    true20 = (9.5 / falling["close"].iloc[-21] - 1) * 100
    assert verdicts("近20日累计上涨15%", falling) == [("window_change", "contradicted")]
    assert verdicts(f"近20日累计下跌{abs(true20):.1f}%", falling) == [("window_change", "verified")]
    assert verdicts(f"近20日累计下跌{abs(true20) + 3:.1f}%", falling) == [("window_change", "wrong")]
    assert verdicts("今日下跌5.0%", falling) == [("day_change", "verified")]  # 10 -> 9.5
    assert verdicts("今日上涨5%", falling) == [("day_change", "contradicted")]


def test_events_levels_and_their_offsets(falling):
    text = "该股放量下挫，收于9.50元，创60日新高，连续3日下跌，今日跌停。公司净利润同比下降39.68%。"
    claims = check_text(text, falling, code="600000")
    assert [(c.kind, c.verdict) for c in claims] == [
        ("volume", "verified"), ("close_level", "verified"), ("new_extreme", "contradicted"),
        ("streak", "verified"), ("limit", "wrong")]  # -5% is not a 10% limit; the profit figure is not a price
    assert all(text[c.start:c.end] == c.text for c in claims)
    s = summarise(claims)
    assert s["checkable"] == 5 and s["precision"] == pytest.approx(3 / 5) and s["contradiction_rate"] == pytest.approx(1 / 5)


def test_limit_and_moving_average_claims():
    up = series(np.r_[np.full(40, 10.0), 11.0])
    assert verdicts("今日涨停，突破20日均线", up, code="600000") == [("limit", "verified"), ("ma_break", "verified")]
    assert verdicts("今日涨停", up, code="300750") == [("limit", "wrong")]  # ChiNext: 20%
    assert verdicts("今日涨停", up) == [("limit", "unverifiable")]  # no code, no board
    assert verdicts("缩量", up) == [("volume", "wrong")]  # flat volume is neither


def test_chinese_numerals():
    assert [cn_int(s) for s in ("五", "二十", "十五", "六十", "12")] == [5, 20, 15, 60, 12]


def test_the_documented_phrasings_parse_as_their_claims(falling):
    said = {"近20日累计上涨15%": "window_change", "这5天跌了3.2%": "window_change", "本周涨幅达4%": "window_change",
            "今日收涨2.31%": "day_change", "平收": "flat_day", "较60日内高点回落11%": "drawdown",
            "连续4个交易日收涨": "streak", "3连阳": "streak", "2连板": "limit_run", "近20日有3个涨停": "limit_count",
            "创年内新低": "new_extreme", "站上20日均线": "ma_break", "跌破10.5元": "level_break",
            "成交量放大至前20日均量的2.3倍": "volume_ratio", "最高价10.80元": "extreme_level", "跳空高开": "gap",
            "波动率处于近一年高位": "volatility", "低频趋势向上": "wavelet_trend"}
    for text, kind in said.items():
        assert [c.kind for c in check_text(text, falling, "600000")] == [kind], text


def test_a_dated_extreme_must_name_the_right_day(falling):
    first = str(falling["date"].iloc[-60].date())
    top = falling["high"].iloc[-60:].max()
    assert verdicts(f"近60日最高价{top:.2f}元（{first}）", falling) == [("extreme_level", "verified")]
    assert verdicts(f"近60日最高价{top:.2f}元（2000-01-03）", falling) == [("extreme_level", "wrong")]
