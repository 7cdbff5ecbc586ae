"""LTSF (ETT) benchmark: split borders, no leakage, window counts, exact naive metrics, end-to-end CLI."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import bbt.bench.ltsf as ltsf
from bbt.bench.ltsf import LTSFConfig, detect_freq, load_ltsf, make_windows, run_one, split_borders, time_features
from bbt.cli.main import app
from bbt.errors import DataError
from bbt.results import markdown_table, read_json, write_json

L = 24
TRAIN_END, VAL_END, TEST_END = 12 * 720, 16 * 720, 20 * 720  # ETT hourly borders


def _ett_csv(path, n_rows=TEST_END + 100, freq="h", seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2016-07-01", periods=n_rows, freq=freq)
    t = np.arange(n_rows)
    cols = {}
    for j, name in enumerate(["HUFL", "HULL", "MUFL", "OT"]):
        cols[name] = (np.sin(2 * np.pi * t / 24 + j) * (j + 1) + np.cumsum(rng.normal(0, 0.1, n_rows))
                      + 0.001 * t + 3 * j)
    df = pd.DataFrame({"date": dates.strftime("%Y-%m-%d %H:%M:%S"), **cols})
    df.to_csv(path, index=False)
    return df


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    path = tmp_path_factory.mktemp("ltsf") / "ETTh_synth.csv"
    df = _ett_csv(path)
    return path, df


def test_split_borders_ett_and_ratio():
    assert split_borders(17420, 96, "ett", "h") == {"train": (0, 8640), "val": (8544, 11520), "test": (11424, 14400)}
    assert split_borders(69680, 96, "ett", "m") == {"train": (0, 34560), "val": (34464, 46080),
                                                    "test": (45984, 57600)}
    b = split_borders(1000, 10, "ratio", "d")  # TSLib Dataset_Custom: 700 / 100 / 200 rows
    assert b == {"train": (0, 700), "val": (690, 800), "test": (790, 1000)}
    with pytest.raises(Exception):
        split_borders(10000, 96, "ett", "h")  # shorter than 20 months


def test_scaler_uses_training_rows_only_and_windows_start_at_borders(synth):
    path, df = synth
    cfg = LTSFConfig(csv=path, seq_len=L)
    data = load_ltsf(cfg)
    assert data.split == "ett" and data.freq == "h" and data.columns == ["HUFL", "HULL", "MUFL", "OT"]
    raw = df[data.columns].to_numpy(np.float64)
    assert np.allclose(data.mean, raw[:TRAIN_END].mean(0)) and np.allclose(data.std, raw[:TRAIN_END].std(0))
    assert np.allclose(data.scaled, ((raw[:TEST_END] - data.mean) / data.std), atol=1e-5)
    assert len(data.scaled) == TEST_END  # rows after 20 months are not used
    # a change in the validation or test rows must not move the scaler
    df2 = df.copy()
    df2.loc[TRAIN_END:, "OT"] *= 100
    path2 = path.with_name("ETTh_changed.csv")
    df2.to_csv(path2, index=False)
    data2 = load_ltsf(LTSFConfig(csv=path2, seq_len=L))
    assert np.array_equal(data2.mean, data.mean) and np.array_equal(data2.std, data.std)

    for H in (12, 24):
        tr, va, te = (make_windows(data, p, L, H) for p in ("train", "val", "test"))
        assert tr.starts[0] == 0 and tr.starts[-1] + L + H == TRAIN_END  # train targets stay in train rows
        assert va.starts[0] + L == TRAIN_END and va.starts[-1] + L + H == VAL_END
        assert te.starts[0] + L == VAL_END and te.starts[-1] + L + H == TEST_END
        test_len = TEST_END - (VAL_END - L)
        assert len(te) == test_len - L - H + 1 == (TEST_END - VAL_END) - H + 1  # nothing dropped
        assert np.all(np.diff(te.starts) == 1)
        x, m, y = te.batch(np.array([0]))
        assert np.allclose(y[0].numpy(), data.scaled[VAL_END: VAL_END + H])  # first target starts at the border
        assert np.allclose(x[0, -1].numpy(), data.scaled[VAL_END - 1])
        # every test batch is used, the last partial one included
        assert sum(len(b[2]) for b in te.batches(32)) == len(te)


def test_naive_metrics_match_hand_computation(synth):
    path, df = synth
    cfg = LTSFConfig(csv=path, seq_len=L, models=("naive",))
    data = load_ltsf(cfg)
    raw = df[data.columns].to_numpy(np.float64)
    z = (raw - raw[:TRAIN_END].mean(0)) / raw[:TRAIN_END].std(0)
    for H in (12, 24):
        errs = []
        for s in range(VAL_END - L, TEST_END - L - H + 1):
            last = z[s + L - 1]
            errs.append(z[s + L: s + L + H] - last)
        e = np.stack(errs)
        r = run_one("naive", H, 0, data, cfg)
        assert r["n_test_windows"] == len(errs) == TEST_END - VAL_END - H + 1
        assert r["MSE"] == pytest.approx(np.mean(e**2), rel=1e-5)
        assert r["MAE"] == pytest.approx(np.mean(np.abs(e)), rel=1e-5)
        assert r["epochs"] == 0


def test_time_features_and_freq():
    d = pd.date_range("2020-01-01", periods=48, freq="h")
    f = time_features(d, "h")
    assert f.shape == (48, 4) and f.min() >= -0.5 and f.max() <= 0.5
    assert f[0, 0] == -0.5 and f[23, 0] == 0.5  # hour of day
    assert detect_freq(pd.Series(d)) == "h"
    assert detect_freq(pd.Series(pd.date_range("2020-01-01", periods=10, freq="15min"))) == "m"
    assert time_features(pd.date_range("2020-01-01", periods=5, freq="15min"), "m").shape == (5, 5)


def test_report_helpers(tmp_path):
    p = tmp_path / "sub" / "r.json"
    write_json(p, {"a": np.float32(1.5), "b": (1, 2), "c": float("nan")})
    assert read_json(p) == {"a": 1.5, "b": [1, 2], "c": None}
    assert read_json(tmp_path / "missing.json", default={}) == {}
    assert not [x for x in p.parent.iterdir() if x.name.endswith(".tmp")]
    t = markdown_table(["x", "y"], [[1, None], ["a|b", 2]])
    assert t.splitlines() == ["| x | y |", "|---|---|", "| 1 | — |", "| a\\|b | 2 |"]


def test_cli_end_to_end_and_resume(synth, tmp_path, monkeypatch):
    path, _ = synth
    out = tmp_path / "res" / "ltsf.json"
    args = ["ts", "bench-ltsf", "--csv", str(path), "--seq-len", str(L), "--horizons", "12,24",
            "--models", "naive,dlinear,transformer", "--epochs", "1", "--batch-size", "256",
            "--set", "transformer.d_model=16", "--set", "transformer.d_ff=32", "--threads", "1", "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    j = json.loads(out.read_text())
    assert set(j) >= {"protocol", "models", "published"}
    assert j["protocol"]["rows"] == {"train": [0, TRAIN_END], "val": [TRAIN_END - L, VAL_END],
                                     "test": [VAL_END - L, TEST_END]}
    assert j["protocol"]["n_windows"]["12"]["test"] == TEST_END - VAL_END - 12 + 1
    assert j["protocol"]["model_overrides"]["transformer"] == {"d_model": 16, "d_ff": 32}
    assert set(j["models"]) == {"naive", "dlinear", "transformer"}
    for name, per_h in j["models"].items():
        assert set(per_h) == {"12", "24"}
        for m in per_h.values():
            assert {"MSE", "MAE", "MSE_std", "MAE_std", "train_seconds", "epochs", "val_MSE"} <= set(m)
            assert np.isfinite(m["MSE"]) and m["MSE"] > 0
            assert m["epochs"] == (0 if name == "naive" else 1)
    assert j["published"]["models"] == {}  # published numbers only at look-back 96
    md = out.with_suffix(".md").read_text()
    assert "ours (this run)" in md and "H=24 MSE" in md
    assert out.with_suffix(".partial.json").exists()

    # a re-run takes every result from the cache: nothing is trained again
    def boom(*a, **k):
        raise AssertionError("run_one called on a cached run")

    monkeypatch.setattr(ltsf, "run_one", boom)
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["models"]["dlinear"]["12"]["MSE"] == j["models"]["dlinear"]["12"]["MSE"]
    # --fresh ignores the cache
    res = CliRunner().invoke(app, args + ["--fresh"])
    assert res.exit_code != 0


def test_cli_bad_input_is_a_clear_error(tmp_path):
    res = CliRunner().invoke(app, ["ts", "bench-ltsf", "--csv", str(tmp_path / "nope.csv"), "--out",
                                   str(tmp_path / "o.json")])
    assert res.exit_code != 0
    assert "no such CSV" in str(res.exception)
    # a missing value is an error naming file, line and column (the protocol does not impute)
    bad = tmp_path / "ETTh_bad.csv"
    df = _ett_csv(bad, n_rows=200)
    df.loc[9, "MUFL"] = np.nan
    df.to_csv(bad, index=False)
    with pytest.raises(DataError) as e:
        load_ltsf(LTSFConfig(csv=bad, seq_len=L))
    assert e.value.column == "MUFL" and e.value.row == 11 and "ETTh_bad.csv" in str(e.value)


def test_settings_layering_and_ablation_inheritance(tmp_path):
    cfg = LTSFConfig(csv=tmp_path / "x.csv")
    cfg.model_overrides["bbt"] = {"d_model": 8, "use_dwt": True}
    assert cfg.model_config("bbt_no_dwt") == {"d_model": 8}  # what defines the ablation is never overridden
    assert cfg.model_config("bbt") == {"d_model": 8, "use_dwt": True}
    cfg.train_overrides = {"bbt": {"lr": 1e-3, "batch_size": 64}, "dlinear": {"lr": 5e-3}}
    cfg.global_train = {"lr": 2e-3, "epochs": 3}
    cfg.train_sets = {"bbt": {"lr": 7e-4}}
    t = cfg.train_config("bbt_t2v", seed=2)
    assert (t.lr, t.batch_size, t.epochs, t.seed) == (7e-4, 64, 3, 2)
    t = cfg.train_config("dlinear", seed=0)
    assert (t.lr, t.batch_size, t.epochs) == (2e-3, 32, 3)


def test_members_average_their_forecasts(synth):
    """A run with K members forecasts the mean of K fits with distinct seeds; its MSE is never above the
    members' mean MSE (Jensen), and each member's own MSE is kept."""
    path, _ = synth
    cfg = LTSFConfig(csv=path, seq_len=L, models=("dlinear",), members={"dlinear": 2})
    cfg.global_train = {"epochs": 1, "batch_size": 256}
    data = load_ltsf(cfg)
    r = run_one("dlinear", 12, 1, data, cfg)
    assert r["members"] == 2 and len(r["member_MSE"]) == 2 and len(r["member_val_MSE"]) == 2
    assert r["member_MSE"][0] != r["member_MSE"][1]  # seeds 2 and 3: different shuffles
    assert r["MSE"] <= np.mean(r["member_MSE"]) + 1e-12
    single = run_one("dlinear", 12, 2, data, LTSFConfig(csv=path, seq_len=L, models=("dlinear",),
                                                         global_train={"epochs": 1, "batch_size": 256}))
    assert single["members"] == 1 and "member_MSE" not in single
    assert single["MSE"] == pytest.approx(r["member_MSE"][0], rel=1e-6)  # member 1 of seed 1 = seed 2 alone
    assert cfg.members_for("naive") == 1
    assert LTSFConfig(csv=path, members={"bbt": 3}).members_for("bbt_no_dwt") == 3  # ablations inherit bbt's
    with pytest.raises(Exception, match="members"):
        LTSFConfig(csv=path, members={"dlinear": 0}).members_for("dlinear")


def test_search_report_over_runs(synth, tmp_path):
    """Two bbt settings (an ensemble and a single fit), each a benchmark run; the report puts them in one table."""
    path, _ = synth
    folder = tmp_path / "search"
    base = ["ts", "bench-ltsf", "--csv", str(path), "--seq-len", str(L), "--horizons", "12", "--models", "bbt",
            "--epochs", "1", "--batch-size", "256", "--set", "bbt.d_model=8", "--set", "bbt.d_ff=16", "--threads", "1"]
    for name, extra in (("ens", ["--members", "2"]), ("single", ["--members", "1", "--set", "bbt.cycle_len=0"])):
        res = CliRunner().invoke(app, base + extra + ["--out", str(folder / f"{name}.json")])
        assert res.exit_code == 0, res.output + repr(res.exception)
    ens = json.loads((folder / "ens.json").read_text())
    assert ens["protocol"]["members"] == {"bbt": 2}
    assert ens["protocol"]["model_overrides"]["bbt"]["cycle_len"] == 24  # hourly defaults applied
    assert ens["protocol"]["model_overrides"]["bbt"]["mark_columns"] == [0]
    assert "member_MSE_mean" in ens["models"]["bbt"]["12"]
    assert "bbt (mean of 2 fits)" in (folder / "ens.md").read_text()
    res = CliRunner().invoke(app, ["ts", "search-report", str(folder)])
    assert res.exit_code == 0, res.output + repr(res.exception)
    summary = json.loads((folder / "summary.json").read_text())
    assert set(summary) == {"ens", "single"}
    assert summary["single"]["settings"]["bbt"]["cycle_len"] == 0
    md = (folder / "summary.md").read_text()
    assert "| ens | bbt | 12 | 2 |" in md and "| single | bbt | 12 | 1 |" in md
