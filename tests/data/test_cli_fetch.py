"""`bbt data validate` and `bbt data fetch-stocks` (with a fake akshare module: no network in CI)."""

import datetime as dt
import sys
import types

import pandas as pd
import pytest
from typer.testing import CliRunner

from bbt.cli.main import app
from bbt.data import load_market_file
from bbt.data.fetch import AKSHARE_COLUMNS, fetch_stocks
from bbt.errors import BBTError

runner = CliRunner()


def fake_akshare(calls: list, *, with_code_column=True, empty_for=()):
    """Mimics akshare.stock_zh_a_hist: 日期 as datetime.date, numbers as numbers, 股票代码 in new versions."""
    def stock_zh_a_hist(symbol, period, start_date, end_date, adjust):
        calls.append(dict(symbol=symbol, period=period, start_date=start_date, end_date=end_date, adjust=adjust))
        if symbol in empty_for:
            return pd.DataFrame()
        days = [dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 4)]
        df = pd.DataFrame({"日期": days, "股票代码": [symbol] * 3, "开盘": [10.0, 10.5, 10.2],
                           "收盘": [10.5, 10.2, 10.4], "最高": [10.8, 10.6, 10.5], "最低": [9.9, 10.1, 10.0],
                           "成交量": [1000, 800, 900], "成交额": [1050000.0, 816000.0, 936000.0],
                           "振幅": [9.0, 4.8, 4.9], "涨跌幅": [5.0, -2.9, 2.0], "涨跌额": [0.5, -0.3, 0.2],
                           "换手率": [1.2, 0.9, 1.0]})
        return df if with_code_column else df.drop(columns="股票代码")
    return types.SimpleNamespace(stock_zh_a_hist=stock_zh_a_hist)


@pytest.mark.parametrize("with_code_column", [True, False])
def test_fetch_writes_the_akshare_layout(tmp_path, monkeypatch, with_code_column):
    calls = []
    monkeypatch.setitem(sys.modules, "akshare", fake_akshare(calls, with_code_column=with_code_column))
    done = []
    paths = fetch_stocks(["000001", "sh600000"], tmp_path, start="2024-01-01", end="20240105",
                         on_done=lambda c, p: done.append(c))
    assert [p.name for p in paths] == ["000001.csv", "600000.csv"] and done == ["000001", "600000"]
    assert calls[0] == dict(symbol="000001", period="daily", start_date="20240101", end_date="20240105",
                            adjust="qfq")
    lines = (tmp_path / "000001.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(AKSHARE_COLUMNS)
    assert lines[0] == "日期,股票代码,开盘,收盘,最高,最低,成交量,成交额,振幅,涨跌幅,涨跌额,换手率"
    assert lines[1] == "2024-01-02,000001,10.0,10.5,10.8,9.9,1000,1050000.0,9.0,5.0,0.5,1.2"
    df = load_market_file(tmp_path / "000001.csv")
    assert df.attrs["source_format"] == "akshare" and df.attrs["code"] == "000001"
    assert df["close"].tolist() == [10.5, 10.2, 10.4] and df["low"].tolist() == [9.9, 10.1, 10.0]


def test_fetch_reports_codes_without_rows(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "akshare", fake_akshare([], empty_for={"600000"}))
    with pytest.raises(BBTError, match=r"wrote 1 of 2 files.*600000 \(no rows"):
        fetch_stocks(["000001", "600000"], tmp_path)
    assert (tmp_path / "000001.csv").exists() and not (tmp_path / "600000.csv").exists()


def test_fetch_rejects_bad_codes_and_adjust(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "akshare", fake_akshare([]))
    with pytest.raises(BBTError, match="not an A-share code"):
        fetch_stocks(["AAPL"], tmp_path)
    with pytest.raises(BBTError, match="--adjust"):
        fetch_stocks(["000001"], tmp_path, adjust="ratio")


def test_fetch_without_akshare_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "akshare", None)  # import akshare -> ImportError
    with pytest.raises(BBTError, match=r"pip install 'bbt\[fetch\]'"):
        fetch_stocks(["000001"], tmp_path)
    result = runner.invoke(app, ["data", "fetch-stocks", "000001", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "pip install 'bbt[fetch]'" in result.output


def test_cli_fetch_then_validate(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "akshare", fake_akshare([]))
    result = runner.invoke(app, ["data", "fetch-stocks", "000001", "600000", "--out", str(tmp_path),
                                 "--start", "2024-01-01", "--end", "2024-01-05"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["000001.csv", "600000.csv"]
    result = runner.invoke(app, ["data", "validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "000001.csv" in result.output and "akshare" in result.output and "2024-01-04" in result.output


def test_cli_validate_shared_and_bad_file(data_dir, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,10\n2020-01-03,1,2,0.5,-1,10\n")
    good = [data_dir / "stocks/index_163/000300.csv", data_dir / "ltsf/ETTh1.csv",
            data_dir / "stocks/us_yahoo/nvda-1999-2014.txt"]
    result = runner.invoke(app, ["data", "validate", *map(str, good)])
    assert result.exit_code == 0, result.output
    assert "netease" in result.output and "4556" in result.output and "17420" in result.output
    result = runner.invoke(app, ["data", "validate", str(good[0]), str(bad), "--show-gaps", "5"])
    assert result.exit_code == 2
    assert "row 3" in result.output and "'close'" in result.output and "price must be positive" in result.output
    assert "zero_volume volume: 721" in result.output
