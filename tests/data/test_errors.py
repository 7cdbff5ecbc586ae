"""Small broken files: each bad input gets a DataError naming file, line (header = line 1) and column, and the
problems the loader fixes (order, exact repeats) are fixed with a DataWarning, never silently."""

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bbt.data import (DataWarning, load_market_file, load_multivariate_csv, load_panel_parquet,
                      load_series_file)
from bbt.errors import DataError

AK_HEADER = "日期,股票代码,开盘,收盘,最高,最低,成交量,成交额,振幅,涨跌幅,涨跌额,换手率"
AK_ROWS = [
    "2020-01-02,000001,10.0,10.5,10.8,9.9,1000,1050000.0,9.0,5.0,0.5,1.2",
    "2020-01-03,000001,10.5,10.2,10.6,10.1,800,816000.0,4.8,-2.9,-0.3,0.9",
    "2020-01-06,000001,10.2,10.4,10.5,10.0,900,936000.0,4.9,2.0,0.2,1.0",
]
EN_HEADER = "date,open,high,close,low,volume"


def write(tmp_path, lines, name="000001.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return p


def error_of(fn, *args, **kw) -> DataError:
    with pytest.raises(DataError) as info:
        fn(*args, **kw)
    return info.value


def test_good_akshare_file(tmp_path):
    df = load_market_file(write(tmp_path, [AK_HEADER, *AK_ROWS]))
    assert df.attrs["source_format"] == "akshare" and df.attrs["code"] == "000001"
    assert df["close"].tolist() == [10.5, 10.2, 10.4] and df["high"].tolist() == [10.8, 10.6, 10.5]
    assert df.attrs["gaps"] == []


def test_missing_required_column(tmp_path):
    header = AK_HEADER.replace("收盘,", "")
    rows = [",".join(r.split(",")[:3] + r.split(",")[4:]) for r in AK_ROWS]
    p = write(tmp_path, [header, *rows])
    e = error_of(load_market_file, p)
    assert (e.file, e.row, e.column) == (str(p), 1, "收盘")
    assert "missing required column" in str(e) and str(p) in str(e)
    e = error_of(load_market_file, write(tmp_path, ["date,open,high,low,volume", "2020-01-02,1,2,0.5,10"],
                                         name="x.csv"))
    assert (e.row, e.column) == (1, "close")


def test_unrecognised_header(tmp_path):
    e = error_of(load_market_file, write(tmp_path, ["when,price", "2020-01-02,1"]))
    assert e.row == 1 and "unrecognised header" in str(e)


def test_non_numeric_price(tmp_path):
    rows = list(AK_ROWS)
    rows[1] = rows[1].replace("10.5,10.2,10.6", "10.5,abc,10.6")
    p = write(tmp_path, [AK_HEADER, *rows])
    e = error_of(load_market_file, p)
    assert (e.file, e.row, e.column) == (str(p), 3, "收盘")
    assert "not a number: 'abc'" in str(e)
    assert str(e).startswith(f"file {p}, row 3, column '收盘'")


@pytest.mark.parametrize("value", ["-1.5", "0"])
def test_negative_or_zero_price(tmp_path, value):
    p = write(tmp_path, [EN_HEADER, "2020-01-02,1,2,1.5,0.5,10", f"2020-01-03,1,2,1.5,{value},10"])
    e = error_of(load_market_file, p)
    assert (e.row, e.column) == (3, "low") and "price must be positive" in str(e)


def test_missing_price_is_an_error(tmp_path):
    p = write(tmp_path, [EN_HEADER, "2020-01-02,1,2,1.5,0.5,10", "2020-01-03,1,2,,0.5,10"])
    e = error_of(load_market_file, p)
    assert (e.row, e.column) == (3, "close") and "missing price" in str(e)


def test_blank_lines_do_not_shift_line_numbers(tmp_path):
    p = write(tmp_path, [EN_HEADER, "2020-01-02,1,2,1.5,0.5,10", "", "", "2020-01-03,1,2,x,0.5,10"])
    e = error_of(load_market_file, p)
    assert e.row == 5  # as an editor shows it


def test_unparseable_date(tmp_path):
    p = write(tmp_path, [EN_HEADER, "2020-01-02,1,2,1.5,0.5,10", "2020-13-45,1,2,1.5,0.5,10"])
    e = error_of(load_market_file, p)
    assert (e.file, e.row, e.column) == (str(p), 3, "date") and "'2020-13-45'" in str(e)


def test_missing_date(tmp_path):
    p = write(tmp_path, [EN_HEADER, "2020-01-02,1,2,1.5,0.5,10", ",1,2,1.5,0.5,10"])
    e = error_of(load_market_file, p)
    assert (e.row, e.column) == (3, "date") and "missing date" in str(e)


def test_duplicate_date_names_both_lines(tmp_path):
    p = write(tmp_path, [EN_HEADER, "2020-01-02,1,2,1.5,0.5,10", "2020-01-03,1,2,1.5,0.5,10",
                         "2020-01-02,1,2,1.6,0.5,10"])
    e = error_of(load_market_file, p)
    assert (e.row, e.column) == (4, "date")
    assert "duplicate date 2020-01-02 on lines 2 and 4" in str(e)


def test_exact_repeated_row_is_dropped_with_warning(tmp_path):
    p = write(tmp_path, [EN_HEADER, "2020-01-02,1,2,1.5,0.5,10", "2020-01-02,1,2,1.5,0.5,10",
                         "2020-01-03,1,2,1.5,0.5,10"])
    with pytest.warns(DataWarning, match="line 3"):
        df = load_market_file(p)
    assert len(df) == 2
    assert [g["kind"] for g in df.attrs["gaps"]] == ["duplicate_rows"]
    assert df.attrs["gaps"][0]["row"] == 3 and df.attrs["gaps"][0]["count"] == 1


def test_unsorted_dates_are_sorted_with_warning(tmp_path):
    p = write(tmp_path, [EN_HEADER, "2020-01-02,1,2,1.2,0.5,10", "2020-01-06,1,2,1.6,0.5,10",
                         "2020-01-03,1,2,1.3,0.5,10"])
    with pytest.warns(DataWarning, match=r"line 4: 2020-01-03 comes after 2020-01-06"):
        df = load_market_file(p)
    assert df["date"].is_monotonic_increasing and df["close"].tolist() == [1.2, 1.3, 1.6]
    assert isinstance(df.index, pd.RangeIndex) and df.index.tolist() == [0, 1, 2]


def test_newest_first_english_file_is_reversed_with_warning(tmp_path):
    p = write(tmp_path, [EN_HEADER, "2020-01-03,1,2,1.3,0.5,10", "2020-01-02,1,2,1.2,0.5,10"])
    with pytest.warns(DataWarning, match="newest-first"):
        df = load_market_file(p)
    assert df["close"].tolist() == [1.2, 1.3]


def test_netease_gbk_newest_first_quote_codes(tmp_path):
    lines = ["日期,股票代码,名称,收盘价,最高价,最低价,开盘价,前收盘,涨跌额,涨跌幅,成交量,成交金额",
             "2020-01-03,'399001,深证成指,12.0,12.5,11.5,11.8,11.9,0.1,0.8,100,1200.0",
             "2020-01-02,'399001,深证成指,11.9,12.0,11.0,11.2,None,None,None,0,None"]
    p = write(tmp_path, lines, name="whatever.csv", encoding="gbk")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = load_market_file(p)
    assert df.attrs["source_format"] == "netease" and df.attrs["encoding"] == "gbk"
    assert df.attrs["code"] == "399001"  # from the column, ' stripped, not the file name
    assert df["date"].tolist() == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]
    assert df.loc[0, ["open", "high", "low", "close"]].tolist() == [11.2, 12.0, 11.0, 11.9]
    assert np.isnan(df.loc[0, "amount"])  # None kept missing, never filled
    kinds = {(g["kind"], g["column"]): g for g in df.attrs["gaps"]}
    assert kinds[("missing", "amount")]["row"] == 3 and kinds[("zero_volume", "volume")]["count"] == 1


def test_undecodable_bytes(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_bytes(b"date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,10\n2020-01-03,\xff\xff,2,0.5,1\n")
    e = error_of(load_market_file, p)
    assert e.file == str(p) and e.row == 3
    assert "cannot decode" in str(e) and "byte 69" in str(e) and "0xff" in str(e)


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_file(tmp_path, content):
    p = tmp_path / "empty.csv"
    p.write_bytes(content)
    e = error_of(load_market_file, p)
    assert e.file == str(p) and "empty file" in str(e)
    assert "empty file" in str(error_of(load_multivariate_csv, p))


def test_header_only_file(tmp_path):
    p = write(tmp_path, [AK_HEADER])
    e = error_of(load_market_file, p)
    assert e.file == str(p) and e.row == 1 and "no data rows" in str(e)


def test_missing_file(tmp_path):
    e = error_of(load_market_file, tmp_path / "nope.csv")
    assert "no such file" in str(e)


def test_two_codes_in_one_file(tmp_path):
    rows = list(AK_ROWS)
    rows[2] = rows[2].replace(",000001,", ",600000,")
    e = error_of(load_market_file, write(tmp_path, [AK_HEADER, *rows]))
    assert (e.row, e.column) == (4, "股票代码") and "'600000'" in str(e)


def test_volume_rules(tmp_path):
    e = error_of(load_market_file, write(tmp_path, [EN_HEADER, "2020-01-02,1,2,1.5,0.5,-10"]))
    assert (e.row, e.column) == (2, "volume") and "negative" in str(e)
    df = load_market_file(write(tmp_path, [EN_HEADER, "2020-01-02,1,2,1.5,0.5,0", "2020-01-03,1,2,1.5,0.5,"],
                                name="y.csv"))
    assert df["volume"].iloc[0] == 0 and np.isnan(df["volume"].iloc[1])
    kinds = [(g["kind"], g["row"]) for g in df.attrs["gaps"]]
    assert ("zero_volume", 2) in kinds and ("missing", 3) in kinds


def test_calendar_gap_reported_not_filled(tmp_path):
    p = write(tmp_path, ["Date,Open,High,Low,Close,Adj Close,Volume", "2020-01-02,1,2,0.5,1.5,1.4,10",
                         "2020-02-03,1,2,0.5,1.5,1.4,10", "2020-02-04,1,2,0.5,1.5,1.4,10"], name="abc.txt")
    df = load_market_file(p)
    assert len(df) == 3 and df.attrs["source_format"] == "yahoo" and df.attrs["code"] == "abc"
    assert df.attrs["gaps"] == [{"kind": "calendar", "column": None, "start": pd.Timestamp("2020-01-02"),
                                 "end": pd.Timestamp("2020-02-03"), "count": 31, "row": 3}]
    assert load_market_file(p, max_gap_days=40).attrs["gaps"] == []


def test_explicit_format(tmp_path):
    p = write(tmp_path, [AK_HEADER, *AK_ROWS])
    assert load_market_file(p, fmt="akshare").attrs["source_format"] == "akshare"
    e = error_of(load_market_file, p, fmt="english")
    assert e.row == 1 and e.column == "date"
    assert "unknown format" in str(error_of(load_market_file, p, fmt="bloomberg"))


# ------------------------------------------------------------------------------------------ multivariate


def test_multivariate_non_numeric_cell(tmp_path):
    p = write(tmp_path, ["date,a,b", "2020-01-01 00:00:00,1.0,2.0", "2020-01-01 01:00:00,1.5,oops"], "m.csv")
    e = error_of(load_multivariate_csv, p)
    assert (e.file, e.row, e.column) == (str(p), 3, "b") and "'oops'" in str(e)


def test_multivariate_missing_values_and_step_gaps_reported(tmp_path):
    p = write(tmp_path, ["date,a,b", "2020/1/1 0:00,1,2", "2020/1/1 1:00,,3", "2020/1/1 2:00,1,4",
                         "2020/1/1 5:00,1,5", "2020/1/1 6:00,1,6"], "m.csv")
    df = load_multivariate_csv(p)
    assert df.attrs["step"] == pd.Timedelta(hours=1) and np.isnan(df.loc[1, "a"])
    gaps = {g["kind"]: g for g in df.attrs["gaps"]}
    assert gaps["missing"]["column"] == "a" and gaps["missing"]["row"] == 3 and gaps["missing"]["count"] == 1
    assert gaps["calendar"]["count"] == 2 and gaps["calendar"]["end"] == pd.Timestamp("2020-01-01 05:00")
    assert len(df) == 5  # nothing filled


def test_multivariate_needs_a_date_column(tmp_path):
    e = error_of(load_multivariate_csv, write(tmp_path, ["a,b", "1,2"], "m.csv"))
    assert e.row == 1 and e.column == "date"


def test_load_series_file_falls_back_to_multivariate(tmp_path):
    df = load_series_file(write(tmp_path, ["date,x", "2020-01-01,1", "2020-01-02,2"], "m.csv"))
    assert df.attrs["source_format"] == "multivariate" and df["x"].tolist() == [1.0, 2.0]


# ------------------------------------------------------------------------------------------ parquet panel


def panel(tmp_path, rows, name="p.parquet", date_type=pa.date32()):
    codes, dates, closes = zip(*rows)
    if date_type == pa.string():
        dates = [d.replace("-", "") for d in dates]
    else:
        dates = [pd.Timestamp(d).date() for d in dates]
    t = pa.table({"ts_code": list(codes), "trade_date": pa.array(dates, date_type),
                  "open": np.array(closes, np.float32), "high": np.array(closes, np.float32) + 1,
                  "low": np.array(closes, np.float32) - 0.5, "close": np.array(closes, np.float32),
                  "volume": np.arange(len(rows), dtype=np.int64), "amount": np.arange(len(rows), dtype=np.int64)})
    p = tmp_path / name
    pq.write_table(t, p)
    return p


def test_panel_small(tmp_path):
    p = panel(tmp_path, [("000001.SZ", "2020-01-02", 10), ("000001.SZ", "2020-01-03", 11),
                         ("600000.SH", "2020-01-02", 5)], date_type=pa.string())
    out = load_panel_parquet(p)
    assert list(out) == ["000001.SZ", "600000.SH"]
    assert out["000001.SZ"]["close"].tolist() == [10.0, 11.0]
    assert out["000001.SZ"]["date"].dtype == "datetime64[ns]"
    assert list(load_panel_parquet(p, codes="600000")) == ["600000.SH"]
    e = error_of(load_panel_parquet, p, codes=["000001", "999999"])
    assert "999999" in str(e) and e.file == str(p)
    e = error_of(load_market_file, p)
    assert "load_panel_parquet" in str(e)
    one = load_market_file(panel(tmp_path, [("000001.SZ", "2020-01-02", 10)], name="one.parquet"))
    assert one.attrs["source_format"] == "tushare" and one.attrs["code"] == "000001"


def test_panel_unsorted_warns_and_sorts(tmp_path):
    p = panel(tmp_path, [("000001.SZ", "2020-01-03", 11), ("600000.SH", "2020-01-02", 5),
                         ("000001.SZ", "2020-01-02", 10)])
    with pytest.warns(DataWarning, match="sorted"):
        out = load_panel_parquet(p)
    assert out["000001.SZ"]["close"].tolist() == [10.0, 11.0]


def test_panel_bad_price_and_conflicting_duplicate(tmp_path):
    e = error_of(load_panel_parquet, panel(tmp_path, [("000001.SZ", "2020-01-02", 10),
                                                      ("000001.SZ", "2020-01-03", -1)]))
    assert e.column == "open" and "000001.SZ 2020-01-03" in str(e) and "positive" in str(e)
    e = error_of(load_panel_parquet, panel(tmp_path, [("000001.SZ", "2020-01-02", 10),
                                                      ("000001.SZ", "2020-01-02", 11)], name="d.parquet"))
    assert "000001.SZ 2020-01-02" in str(e) and "different values" in str(e)


def test_panel_missing_column(tmp_path):
    p = tmp_path / "x.parquet"
    pq.write_table(pa.table({"ts_code": ["000001.SZ"], "trade_date": ["20200102"], "close": [1.0]}), p)
    e = error_of(load_panel_parquet, p)
    assert e.column == "open" and e.file == str(p)


def test_row_with_too_many_fields(tmp_path):
    p = write(tmp_path, [EN_HEADER, "2020-01-02,1,2,1.5,0.5,10", "", "2020-01-03,1,2,1.5,0.5,10,99"])
    e = error_of(load_market_file, p)
    assert e.file == str(p) and e.row == 4 and "7 fields where the header has 6" in str(e)


def test_tushare_csv_export(tmp_path):
    # Tushare's daily() CSV: newest first, trade_date as yyyymmdd, volume column named vol: no warning
    p = write(tmp_path, ["ts_code,trade_date,open,high,low,close,pre_close,change,pct_chg,vol,amount",
                         "000001.SZ,20200103,16.94,17.31,16.92,17.18,16.87,0.31,1.84,1116194.81,1914495.47",
                         "000001.SZ,20200102,16.65,16.95,16.55,16.87,16.45,0.42,2.55,1530231.87,2571196.48"],
              name="t.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = load_market_file(p)
    assert df.attrs["source_format"] == "tushare" and df.attrs["code"] == "000001"
    assert df.attrs["ts_code"] == "000001.SZ"
    assert df["date"].tolist() == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]
    assert df["volume"].tolist() == [1530231.87, 1116194.81]


def test_row_with_too_few_fields(tmp_path):
    p = write(tmp_path, [AK_HEADER, AK_ROWS[0], ",".join(AK_ROWS[1].split(",")[:-2])])
    e = error_of(load_market_file, p)
    assert e.row == 3 and "10 fields where the header has 12" in str(e)


def test_quoted_fields_are_read(tmp_path):
    p = write(tmp_path, ['date,open,high,low,close,volume,note', '2020-01-02,1,2,0.5,1.5,10,"a, b"',
                         '2020-01-03,1,2,0.5,1.6,10,""'])
    assert load_market_file(p)["close"].tolist() == [1.5, 1.6]
    p = write(tmp_path, ['date,open,high,low,close,volume,note', '2020-01-02,1,2,0.5,1.5,10,"a, b",9'])
    assert error_of(load_market_file, p).row == 2
