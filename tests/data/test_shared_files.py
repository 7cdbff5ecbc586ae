"""Every loader on the real shared files: each file loads cleanly, in the tidy layout, with the known values."""

import time
import warnings

import numpy as np
import pandas as pd
import pytest

from bbt.data import (DataWarning, load_market_file, load_multivariate_csv, load_panel_parquet,
                      load_series_file)

TIDY = ["date", "open", "high", "low", "close", "volume"]


def assert_tidy(df: pd.DataFrame, fmt: str) -> None:
    assert list(df.columns[:6]) == TIDY
    assert df["date"].dtype == "datetime64[ns]"
    assert all(df[c].dtype == np.float64 for c in df.columns[1:])
    assert isinstance(df.index, pd.RangeIndex) and df.index.start == 0
    assert df["date"].is_monotonic_increasing and df["date"].is_unique
    assert (df["close"] > 0).all() and (df["volume"] >= 0).all()
    assert df.attrs["source_format"] == fmt
    assert isinstance(df.attrs["code"], str) and df.attrs["code"]
    for g in df.attrs["gaps"]:
        assert set(g) == {"kind", "column", "start", "end", "count", "row"}
        assert g["kind"] in {"calendar", "missing", "zero_volume", "duplicate_rows"}
        assert g["start"] <= g["end"] and g["count"] > 0


def _files(data_dir, sub, pattern):
    files = sorted((data_dir / "stocks" / sub).glob(pattern))
    assert files, f"no files in stocks/{sub}"
    return files


def test_every_akshare_file_loads(data_dir):
    files = _files(data_dir, "ashare_qfq", "*.csv")
    assert len(files) == 141
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # clean files: no fix-up warnings either
        for f in files:
            df = load_market_file(f)
            assert_tidy(df, "akshare")
            assert list(df.columns) == TIDY + ["amount"]
            assert df.attrs["code"] == f.stem  # from the 股票代码 column, leading zeros kept
            assert df.attrs["encoding"] == "utf-8"
            assert 4243 <= len(df) <= 8453
            assert df["date"].iloc[-1] <= pd.Timestamp("2025-12-31")


def test_akshare_values_and_gaps(data_dir):
    df = load_market_file(data_dir / "stocks/ashare_qfq/000096.csv")
    first = df.iloc[0]
    # 2000-07-24,000096,5.3,5.06,5.49,4.69,444671,515889856.0,... (开盘,收盘,最高,最低 order in the file)
    assert first["date"] == pd.Timestamp("2000-07-24")
    assert (first["open"], first["high"], first["low"], first["close"]) == (5.3, 5.49, 4.69, 5.06)
    assert first["volume"] == 444671 and first["amount"] == 515889856.0
    cal = [g for g in df.attrs["gaps"] if g["kind"] == "calendar"]
    dates = df["date"]
    # every reported gap is a real jump > 14 days between consecutive bars, and every such jump is reported
    jumps = dates.diff().dt.days
    assert len(cal) == int((jumps > 14).sum())
    for g in cal:
        i = int(np.flatnonzero(dates == g["end"])[0])
        assert dates[i - 1] == g["start"] and g["count"] == (g["end"] - g["start"]).days - 1
        assert g["row"] == i + 2  # the file is ascending, so data row i is line i + 2


def test_zero_volume_days_are_kept_and_reported(data_dir):
    df = load_market_file(data_dir / "stocks/ashare_qfq/600601.csv")
    zero = [g for g in df.attrs["gaps"] if g["kind"] == "zero_volume"]
    assert len(zero) == 1 and zero[0]["count"] == int((df["volume"] == 0).sum()) == 26


def test_ratio_qfq_close_before_low(data_dir):
    files = _files(data_dir, "ashare_ratio_qfq", "*.csv")
    assert len(files) == 9
    for f in files:
        df = load_market_file(f)
        assert_tidy(df, "english")
        assert "amount" not in df.columns and df.attrs["code"] == f.stem
        assert (df["high"] >= df["low"]).all()
    df = load_market_file(data_dir / "stocks/ashare_ratio_qfq/000651.csv")
    # header date,open,high,close,low,volume; first row 1996-11-18,0.099713,0.313384,0.284894,0.099713,6278300
    assert df.loc[0, "close"] == 0.284894 and df.loc[0, "low"] == 0.099713 and df.loc[0, "high"] == 0.313384


def test_yahoo_files(data_dir):
    files = _files(data_dir, "us_yahoo", "*.txt")
    assert len(files) == 3
    for f in files:
        df = load_market_file(f)
        assert_tidy(df, "yahoo")
        assert list(df.columns) == TIDY + ["adj_close"]
    df = load_market_file(data_dir / "stocks/us_yahoo/nvda-1999-2014.txt")
    # 1999-01-22,1.750000,1.953125,1.552083,1.640625,1.518424,67867200: prices as shipped, not adjusted
    assert df.loc[0, ["open", "high", "low", "close", "adj_close", "volume"]].tolist() == \
        [1.75, 1.953125, 1.552083, 1.640625, 1.518424, 67867200.0]
    assert df["date"].iloc[-1] == pd.Timestamp("2014-12-31")


def test_netease_files(data_dir):
    files = _files(data_dir, "index_163", "*.csv")
    assert len(files) == 7
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # newest-first is the format's layout: reversed without a warning
        for f in files:
            df = load_market_file(f)
            assert_tidy(df, "netease")
            assert df.attrs["code"] == f.stem and df.attrs["encoding"] == "gbk"
            assert list(df.columns) == TIDY + ["amount"]


def test_netease_csi300_order_rows_and_gaps(data_dir):
    path = data_dir / "stocks/index_163/000300.csv"
    df = load_market_file(path)
    n_lines = len(path.read_bytes().splitlines())
    assert len(df) == n_lines - 1 == 4556
    assert df["date"].iloc[0] == pd.Timestamp("2002-01-04") and df["date"].iloc[-1] == pd.Timestamp("2020-10-16")
    # last line of the file: 2020-10-16,'000300,沪深300,4791.676,4825.5518,4765.967,4798.9162,...
    last = df.iloc[-1]
    assert (last["close"], last["high"], last["low"], last["open"]) == (4791.676, 4825.5518, 4765.967, 4798.9162)
    assert last["volume"] == 116716102 and last["amount"] == 2.04175130718e11
    zero = [g for g in df.attrs["gaps"] if g["kind"] == "zero_volume"][0]
    # early index rows carry volume 0: kept, reported; the first one (2002-01-04) is the file's last line
    assert zero["count"] == 721 and zero["start"] == pd.Timestamp("2002-01-04") and zero["row"] == n_lines


def test_netease_missing_open_high_low_are_kept_as_nan_and_reported(data_dir):
    # 399986 publishes only the close (None for 开盘价/最高价/最低价) on 358 days of 2013-07..2014-12
    df = load_market_file(data_dir / "stocks/index_163/399986.csv")
    missing = {g["column"]: g for g in df.attrs["gaps"] if g["kind"] == "missing"}
    assert set(missing) == {"open", "high", "low"}
    assert missing["open"]["count"] == 358 == int(df["open"].isna().sum())
    assert missing["open"]["start"] == pd.Timestamp("2013-07-15") and missing["open"]["row"] == 1769
    assert df["close"].notna().all()
    # amount None on early 399005 rows: NaN, reported
    df = load_market_file(data_dir / "stocks/index_163/399005.csv")
    missing = [g for g in df.attrs["gaps"] if g["kind"] == "missing"]
    assert [(g["column"], g["count"]) for g in missing] == [("amount", 588)]


@pytest.fixture(scope="module")
def full_panel(data_dir):
    with pytest.warns(DataWarning, match="300894.SZ, 300895.SZ"):
        return load_panel_parquet(data_dir / "stocks/ashare_daily_2018_2021.parquet")


def test_panel_loads_whole(full_panel):
    assert len(full_panel) == 4551
    # 3,324,130 rows shipped, 504 of them exact repeats of the row above (all of 300894.SZ and 300895.SZ twice)
    assert sum(len(f) for f in full_panel.values()) == 3_324_130 - 504
    for code in ("000001.SZ", "600000.SH", "300894.SZ"):
        assert_tidy(full_panel[code], "tushare")
        assert list(full_panel[code].columns) == TIDY + ["amount"]
    dup = [g for g in full_panel["300894.SZ"].attrs["gaps"] if g["kind"] == "duplicate_rows"]
    assert dup and dup[0]["count"] == len(full_panel["300894.SZ"]) == 220


def test_panel_codes_filter_is_fast_and_matches_full(data_dir, full_panel):
    t0 = time.perf_counter()
    sub = load_panel_parquet(data_dir / "stocks/ashare_daily_2018_2021.parquet", codes=["000001", "600000.SH"])
    assert time.perf_counter() - t0 < 2.0
    assert list(sub) == ["000001.SZ", "600000.SH"]
    f = sub["000001.SZ"]
    assert f.attrs["code"] == "000001" and f.attrs["ts_code"] == "000001.SZ"
    assert f["date"].iloc[0] == pd.Timestamp("2018-05-02") and f["date"].iloc[-1] <= pd.Timestamp("2021-11-29")
    # first row: 000001.SZ 2018-05-02 open 10.68 close 10.60 volume 1190523 amount 1295804 (float32 in the file)
    assert f.loc[0, "open"] == pytest.approx(10.68, abs=1e-5) and f.loc[0, "volume"] == 1190523
    pd.testing.assert_frame_equal(f, full_panel["000001.SZ"])


def test_ett_and_exchange_rate(data_dir):
    ett = load_multivariate_csv(data_dir / "ltsf/ETTh1.csv")
    assert list(ett.columns) == ["date", "HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]
    assert len(ett) == 17420 and ett["date"].dtype == "datetime64[ns]"
    assert all(ett[c].dtype == np.float64 for c in ett.columns[1:])
    assert ett.attrs["step"] == pd.Timedelta(hours=1) and ett.attrs["gaps"] == []
    assert ett.loc[0, "OT"] == pytest.approx(30.5310001373291)
    ex = load_multivariate_csv(data_dir / "ltsf/exchange_rate.csv")
    assert list(ex.columns) == ["date", "0", "1", "2", "3", "4", "5", "6", "OT"]
    assert len(ex) == 7588 and ex.attrs["step"] == pd.Timedelta(days=1) and ex.attrs["gaps"] == []
    # dates written 1990/1/1 0:00
    assert ex["date"].iloc[0] == pd.Timestamp("1990-01-01") and ex["date"].iloc[1] == pd.Timestamp("1990-01-02")
    assert ex.loc[0, "0"] == 0.7855


@pytest.mark.parametrize("rel, fmt", [
    ("stocks/ashare_qfq/000096.csv", "akshare"), ("stocks/ashare_ratio_qfq/000002.csv", "english"),
    ("stocks/us_yahoo/orcl-1995-2014.txt", "yahoo"), ("stocks/index_163/000905.csv", "netease"),
    ("ltsf/ETTh1.csv", "multivariate"), ("ltsf/exchange_rate.csv", "multivariate")])
def test_load_series_file_detects_format(data_dir, rel, fmt):
    assert load_series_file(data_dir / rel).attrs["source_format"] == fmt
