"""Facts of a window on constructed series (a limit-up day, a 20-day rise, a new 60-day low, a volume spike),
board rules by date, and no look-ahead."""

import numpy as np
import pandas as pd
import pytest

from bbt.data.boards import board_of, limit_prices, price_limits
from bbt.errors import BBTError, DataError
from bbt.ts.facts import window_facts


def series(closes, volumes=None, start="2021-01-04") -> pd.DataFrame:
    closes = np.asarray(closes, float)
    dates = pd.bdate_range(start, periods=len(closes))
    opens = np.r_[closes[0], closes[:-1]]
    return pd.DataFrame({"date": dates, "open": opens, "high": np.maximum(opens, closes) * 1.005,
                         "low": np.minimum(opens, closes) * 0.995, "close": closes,
                         "volume": np.full(len(closes), 1e6) if volumes is None else np.asarray(volumes, float)})


def kinds(wf):
    return {(f.kind, f.window, f.direction) for f in wf.facts}


def test_a_ten_percent_close_is_a_main_board_limit_up_but_not_a_chinext_one_after_the_reform():
    closes = np.r_[np.full(40, 10.0), 11.0]  # +10.00% on the last day
    df = series(closes, start="2021-01-04")
    main = window_facts(df, df["date"].iloc[-1], code="600519")
    assert ("limit", 1, "up") in kinds(main)
    assert [f.value for f in main.facts if f.kind == "change" and f.window == 1] == [pytest.approx(0.1)]
    chinext = window_facts(df, df["date"].iloc[-1], code="300750")  # 20% since 2020-08-24
    assert ("limit", 1, "up") not in kinds(chinext)
    old = series(closes, start="2019-01-02")  # ChiNext had 10% before the reform
    assert ("limit", 1, "up") in kinds(window_facts(old, old["date"].iloc[-1], code="300750"))
    assert ("limit", 1, "up") not in kinds(window_facts(df, df["date"].iloc[-1]))  # no code: no board


def test_board_rules_by_date():
    assert [board_of(c) for c in ("600519.SH", "sz000001", "300750", "688981", "830799")] == \
        ["main", "main", "chinext", "star", "bse"]
    lim = price_limits("600001", ["1995-01-03", "2020-01-02", "2025-08-01"], st=True)
    assert np.isnan(lim[0]) and list(lim[1:]) == [0.05, 0.10]  # ST 5% until 2025-07-07
    assert list(price_limits("300001", ["2020-08-21", "2020-08-24"])) == [0.10, 0.20]
    assert np.isnan(price_limits("688001", ["2019-07-22"], listed="2019-07-22")[0])  # new listing: free days
    up, down = limit_prices(np.array([3.33, 10.0]), np.array([0.1, 0.1]))
    assert list(up) == [3.66, 11.0] and list(down) == [3.0, 9.0]
    with pytest.raises(BBTError, match="six digits"):
        board_of("12345")


def test_a_twenty_day_rise_a_new_low_and_a_volume_spike():
    rise = np.r_[np.full(30, 10.0), np.linspace(10.0, 12.0, 21)[1:]]
    wf = window_facts(series(rise), "2030-01-01")
    change20 = [f for f in wf.facts if f.kind == "change" and f.window == 20][0]
    assert change20.direction == "up" and change20.value == pytest.approx(0.2)
    assert ("streak", 20, "up") in kinds(wf)
    fall = np.r_[np.linspace(12.0, 10.0, 70), 9.5]
    vols = np.r_[np.full(70, 1e6), 3.5e6]
    wf = window_facts(series(fall, vols), "2030-01-01")
    assert ("new_extreme", 60, "down") in kinds(wf)
    spike = [f for f in wf.facts if f.kind == "volume"][0]
    assert spike.direction == "spike" and spike.value == pytest.approx(3.5)
    assert wf.top(1)[0].salience == max(f.salience for f in wf.facts)


def test_only_rows_up_to_the_end_date_are_read():
    rng = np.random.default_rng(0)
    closes = 10 * np.exp(np.cumsum(rng.normal(0, 0.02, 300)))
    df = series(closes)
    end = df["date"].iloc[200]
    before = window_facts(df, end, code="600000").to_dict()
    later = df.copy()
    later.loc[201:, ["open", "high", "low", "close"]] *= 3  # a wild future
    later.loc[201:, "volume"] *= 50
    assert window_facts(later, end, code="600000").to_dict() == before
    assert before["end"] == end.date().isoformat() and before["rows"] == 201


def test_too_short_or_malformed_series_are_clear_errors():
    with pytest.raises(DataError, match="at least 21"):
        window_facts(series(np.full(10, 5.0)), "2030-01-01")
    with pytest.raises(DataError, match="'volume'"):
        window_facts(series(np.full(30, 5.0)).drop(columns="volume"), "2030-01-01")
