"""decompose(): every pair adds back; plot written; `bbt ts decompose` on a real shared file."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bbt.errors import DataError
from bbt.settings import DataNotFoundError, resolve_data_dir
from bbt.ts.decompose import PARTS, decompose, moving_average_np, plot_decomposition


def frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t = np.arange(n)
    return pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n),
                         "a": 100 + np.sin(t / 5) + rng.normal(0, 0.1, n),
                         "b": 1e6 * (1 + 0.1 * np.cos(t / 11)), "name": "x"})


def test_pairs_add_back_to_standardised_input():
    df = decompose(frame(), wavelet="sym4", level=3)
    assert list(df.columns) == ["date", "a", *[f"a__{p}" for p in PARTS], "b", *[f"b__{p}" for p in PARTS]]
    for col in ("a", "b"):
        assert abs(df[col].mean()) < 1e-9 and abs(df[col].std(ddof=0) - 1) < 1e-9
        for lo, hi in [("low", "high"), ("global", "local"), ("trend", "period")]:
            np.testing.assert_allclose(df[f"{col}__{lo}"] + df[f"{col}__{hi}"], df[col], atol=1e-10)
    np.testing.assert_allclose(df["a__global"], (df["a"] + df["b"]) / 2)


def test_columns_missing_rows_and_errors():
    f = frame(50)
    f.loc[3, "a"] = np.nan
    df = decompose(f, ["a"], standardize=False)
    assert len(df) == 49 and "b__low" not in df.columns
    np.testing.assert_allclose(df["a__global"], df["a"])  # one series: all global
    with pytest.raises(DataError):
        decompose(f, ["nope"])


def test_moving_average_keeps_length_and_constants():
    x = np.full((10, 2), 3.0)
    np.testing.assert_allclose(moving_average_np(x, 25), x)
    y = np.arange(9.0)[:, None]
    np.testing.assert_allclose(moving_average_np(y, 3)[1:-1, 0], y[1:-1, 0])  # linear interior is kept


def test_plot_written(tmp_path):
    png = plot_decomposition(decompose(frame(60)), tmp_path / "d.png")
    assert png.stat().st_size > 1000


def test_cli_on_real_ett_file(tmp_path, monkeypatch):
    try:
        ett = resolve_data_dir() / "ltsf" / "ETTh1.csv"
    except DataNotFoundError:
        pytest.skip("shared data not found")
    import bbt.data

    if not hasattr(bbt.data, "load_series_file"):  # until the data loaders land: a plain CSV read
        monkeypatch.setattr(bbt.data, "load_series_file",
                            lambda p: pd.read_csv(p, parse_dates=["date"]), raising=False)
    from bbt.cli.main import app

    out = tmp_path / "dec"
    res = CliRunner().invoke(app, ["ts", "decompose", str(ett), "--out", str(out), "--last", "500",
                                   "--columns", "HUFL,OT", "--level", "3"])
    assert res.exit_code == 0, res.output
    assert "decomposition.csv" in res.output
    df = pd.read_csv(out / "decomposition.csv")
    assert len(df) == 500 and {"date", "OT__low", "OT__period", "HUFL__global"} <= set(df.columns)
    np.testing.assert_allclose(df["OT__low"] + df["OT__high"], df["OT"], atol=1e-8)
    assert Path(out / "decomposition.png").stat().st_size > 1000


def test_cli_bad_wavelet_is_a_clear_error(tmp_path):
    from bbt.cli.main import app
    from bbt.errors import BBTError

    f = tmp_path / "s.csv"
    frame(30).to_csv(f, index=False)
    res = CliRunner().invoke(app, ["ts", "decompose", str(f), "--wavelet", "nope"])
    assert isinstance(res.exception, BBTError) and "unknown wavelet" in str(res.exception)
