"""`bbt bench text-series`: features read only the window before T; the run writes every model with intervals."""

import json

import numpy as np
import pytest

from bbt.bench.text_series import _targets, run, series_features
from bbt.pretrain.joint import build_joint_examples


def test_features_and_target_keep_to_their_days(data_dir):
    examples, _ = build_joint_examples(data_dir)
    e = examples[0]
    x = series_features(np.stack([e.series]))
    assert x.shape == (1, 9) and np.isfinite(x).all()
    gap, up = _targets([e])
    assert gap[0] == pytest.approx(float(e.target[0, 0]) / float(e.series[-1, 3]) - 1, rel=1e-6) and up[0] == (gap[0] > 0)
    bumped = e.series.copy()
    bumped[-1, 3] *= 1.1  # the last close moves the 1-day return feature
    assert series_features(np.stack([bumped]))[0, 0] > x[0, 0]
    assert all(d < e.day for d in e.news_dates) and e.window_end < e.day


def test_run_writes_models_placebo_and_intervals(data_dir, tmp_path):
    res = run(data_dir, tmp_path / "ts.json", draws=30)
    assert set(res["scores"]) == {"naive", "series", "text+series", "text", "placebo (text shuffled)"}
    assert res["train"] > 1000 and res["test"] > 500 and res["draws"] == 30
    lo, hi = res["intervals_95"]["series"]["auc"]
    assert lo <= res["scores"]["series"]["auc"] <= hi
    assert set(res["verdict"].values()) <= {"text helps", "text hurts", "no significant difference"}
    assert json.loads((tmp_path / "ts.json").read_text())["cutoff"] == "2020-07-01"
    assert "paired" in (tmp_path / "ts.md").read_text()
