"""Stock benchmark: protocol pieces on real shared files, and a small end-to-end CLI run."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bbt.bench.stocks import StockBenchConfig, actual_opens, aggregate, build_windows, naive_forecast, prepare
from bbt.cli.main import app
from bbt.data.universe import list_stock_files, select_stocks
from bbt.errors import BBTError


@pytest.fixture(scope="module")
def two_stocks(data_dir):
    cfg = StockBenchConfig(n_stocks=2, seq_len=10)
    return cfg, [prepare(f, cfg) for f in select_stocks(list_stock_files(data_dir), cfg.n_stocks, cfg.min_days, cfg.sample_seed)]


def test_scaler_uses_training_days_only(two_stocks):
    cfg, stocks = two_stocks
    s = stocks[0]
    train_prices = s.frame[["open", "high", "low", "close"]].iloc[: cfg.train_days].to_numpy()
    assert cfg.price_scaling == "divide_mean"
    assert s.price_shift == 0.0 and s.price_scale == pytest.approx(train_prices.mean())
    standard = prepare(s.frame, dataclasses.replace(cfg, price_scaling="standard"))
    assert standard.price_shift == pytest.approx(train_prices.mean())
    assert standard.price_scale == pytest.approx(train_prices.std())
    # changing a test-day price must not move either scaler
    f2 = s.frame.copy()
    f2.loc[cfg.train_days + 5, "open"] *= 10
    assert prepare(f2, cfg).price_scale == pytest.approx(s.price_scale)
    assert prepare(f2, dataclasses.replace(cfg, price_scaling="standard")).price_shift == pytest.approx(
        standard.price_shift)
    with pytest.raises(BBTError, match="price_scaling"):
        prepare(s.frame, dataclasses.replace(cfg, price_scaling="minmax"))


def test_divide_mean_scaling_keeps_price_ratios(two_stocks):
    """Ratios between prices (the overnight gap open_t / close_t-1) survive the default scaling exactly."""
    cfg, stocks = two_stocks
    s = stocks[1]
    raw = s.frame["open"].to_numpy()[1:50] / s.frame["close"].to_numpy()[:49]
    scaled = s.scaled[1:50, 0] / s.scaled[:49, 3]
    assert np.allclose(scaled, raw, rtol=1e-5)


def test_ablation_keeps_what_defines_it():
    """bbt_no_recent takes the benchmark's BBT-TS settings except the recent path it switches off."""
    from bbt.bench.stocks import STOCK_BBT_SETTINGS, model_settings

    cfg = StockBenchConfig()
    assert model_settings("bbt", cfg) == STOCK_BBT_SETTINGS
    no_recent = model_settings("bbt_no_recent", cfg)
    assert "recent_steps" not in no_recent and no_recent["norm"] == "ratio"
    assert model_settings("bbt_no_dwt", cfg)["recent_steps"] == 2


def test_windows_respect_split_and_never_see_target(two_stocks):
    cfg, stocks = two_stocks
    train, val, test, rows = build_windows(stocks, cfg)
    n = cfg.min_days
    for w, lo, hi in [(train, cfg.seq_len, cfg.train_days - cfg.val_days), (val, cfg.train_days - cfg.val_days, cfg.train_days),
                      (test, cfg.train_days, n)]:
        t = (w.starts % n) + cfg.seq_len  # target day within its stock (all stocks are cut to n rows)
        assert t.min() == lo and t.max() == hi - cfg.horizon
    assert len(test) == 2 * cfg.test_days  # every test day of both stocks, none dropped
    # test targets are the scaled opens of days 4000.. of stock 0
    x, _, y = test.batch(np.arange(3))
    assert np.allclose(y[:, 0, 0].numpy(), stocks[0].scaled[cfg.train_days: cfg.train_days + 3, 0])
    assert np.allclose(x[0, -1].numpy(), stocks[0].scaled[cfg.train_days - 1])  # input ends the day before


def test_naive_forecasts_are_yesterdays_prices(two_stocks):
    cfg, stocks = two_stocks
    s = stocks[1]
    close = s.frame["close"].to_numpy()
    assert np.array_equal(naive_forecast(s, cfg, "close")[:, 0], close[cfg.train_days - 1: cfg.min_days - 1])
    assert np.array_equal(actual_opens(s, cfg)[:, 0], s.frame["open"].to_numpy()[cfg.train_days: cfg.min_days])


def test_aggregate_mean_over_stocks_then_seeds():
    m = lambda v: {"MSE": v, "RMSE": v ** 0.5, "MAE": v, "MAPE": v, "R2": 1 - v}  # noqa: E731
    agg = aggregate([{"a": m(1.0), "b": m(3.0)}, {"a": m(2.0), "b": m(4.0)}])
    assert agg["MSE"] == pytest.approx(2.5)
    assert agg["MSE_std"] == pytest.approx(np.std([2.0, 3.0], ddof=1))
    assert agg["per_stock"]["a"]["MSE"] == pytest.approx(1.5)
    # seed 0: MSE=MAE=MAPE=2, RMSE=(1+sqrt3)/2; seed 1: MSE=MAE=MAPE=3, RMSE=(sqrt2+2)/2
    assert agg["score"] == pytest.approx(np.mean([6 + (1 + 3 ** 0.5) / 2, 9 + (2 ** 0.5 + 2) / 2]))


def test_cli_end_to_end_two_stocks(data_dir, tmp_path, monkeypatch):
    out = tmp_path / "bench.json"
    args = ["ts", "bench", "--data-dir", str(data_dir), "--stocks", "2", "--seeds", "2", "--seq-len", "16",
            "--models", "naive_close,naive_open,gbm,dlinear,transformer,bbt", "--epochs", "1",
            "--batches-per-epoch", "3", "--plots", "1", "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output + repr(res.exception)
    r = json.loads(out.read_text())
    assert set(r) >= {"protocol", "models", "vs_transformer", "vs_naive_close_mape", "share_of_stocks_beating_naive_close_mape"}
    assert set(r["models"]) == {"naive_close", "naive_open", "gbm", "dlinear", "transformer", "bbt"}
    assert r["models"]["gbm"]["seeds"] == 1  # deterministic: run once, like the naive baselines
    for m in r["models"].values():
        assert set(m) >= {"MSE", "RMSE", "MAE", "MAPE", "R2", "per_stock"}
        assert len(m["per_stock"]) == 2
    assert set(r["vs_transformer"]) == {"naive_close", "naive_open", "gbm", "dlinear", "bbt"}
    assert r["models"]["bbt"]["seeds"] == 2
    assert out.with_suffix(".md").exists() and out.with_suffix(".png").stat().st_size > 10_000
    # naive_close computed exactly from the raw CSV
    for code, got in r["models"]["naive_close"]["per_stock"].items():
        raw = pd.read_csv(data_dir / "stocks" / "ashare_qfq" / f"{code}.csv")
        y, p = raw["开盘"].to_numpy()[4000:4200], raw["收盘"].to_numpy()[3999:4199]
        assert got["MSE"] == pytest.approx(np.mean((y - p) ** 2), rel=1e-12)
        assert got["MAPE"] == pytest.approx(100 * np.mean(np.abs(y - p) / y), rel=1e-12)
        assert got["R2"] == pytest.approx(1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2), rel=1e-12)
    # a second call resumes from the cache: nothing is retrained
    def no_training(*a, **k):
        raise AssertionError("retrained a cached run")

    monkeypatch.setattr("bbt.bench.stocks.fit_forecaster", no_training)
    res2 = CliRunner().invoke(app, args)
    assert res2.exit_code == 0, repr(res2.exception)
    r2 = json.loads(out.read_text())
    assert r2["models"]["bbt"]["MSE"] == r["models"]["bbt"]["MSE"]


def test_gbm_features_never_see_the_target_day(two_stocks):
    """Last-bar features of day t read days t-1 and earlier only: changing day t and later changes nothing."""
    from bbt.classical.stock_gbm import FEATURES, last_bar_features

    cfg, stocks = two_stocks
    frame = stocks[0].frame
    days = np.arange(3, 60)
    base = last_bar_features(frame, days)
    assert base.shape == (len(days), len(FEATURES)) and np.isfinite(base).all()
    changed = frame.copy()
    changed.loc[30:, ["open", "high", "low", "close", "volume"]] *= 1.5
    after = last_bar_features(changed, days)
    assert np.array_equal(after[days <= 30], base[days <= 30])
    assert not np.allclose(after[days == 31], base[days == 31])
    # hand check of day 10: yesterday's return and where yesterday closed within its range
    o, h, lo, c = (frame[k].to_numpy() for k in ("open", "high", "low", "close"))
    row = base[days == 10][0]
    assert row[0] == pytest.approx(c[9] / c[8] - 1)
    assert row[2] == pytest.approx((c[9] - lo[9]) / (h[9] - lo[9]) if h[9] > lo[9] else 0.5)
    assert row[5] == pytest.approx(o[9] / c[9] - 1)


def test_unknown_model_fails_before_loading(data_dir, tmp_path):
    from bbt.bench.stocks import run_stock_benchmark

    with pytest.raises(BBTError, match="unknown forecaster"):
        run_stock_benchmark(data_dir, StockBenchConfig(n_stocks=2, models=("naive_close", "prophet")),
                            tmp_path / "x.json")
