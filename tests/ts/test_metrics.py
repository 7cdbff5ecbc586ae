import numpy as np
import pytest

from bbt.ts.metrics import regression_metrics, seed_score


def test_metrics_by_hand():
    y = [1.0, 2.0, 4.0]
    p = [2.0, 2.0, 2.0]
    m = regression_metrics(y, p)
    assert m["MSE"] == pytest.approx((1 + 0 + 4) / 3)
    assert m["RMSE"] == pytest.approx(np.sqrt(5 / 3))
    assert m["MAE"] == pytest.approx(1.0)
    assert m["MAPE"] == pytest.approx(100 * (1 / 1 + 0 + 2 / 4) / 3)
    # mean of y = 7/3; SS_tot = (16 + 1 + 25) / 9 = 42/9
    assert m["R2"] == pytest.approx(1 - 5 / (42 / 9))
    assert seed_score(m) == pytest.approx(m["MSE"] + m["RMSE"] + m["MAE"] + m["MAPE"])


def test_mape_skips_zero_targets_and_shape_errors():
    assert regression_metrics([0.0, 2.0], [1.0, 1.0])["MAPE"] == pytest.approx(50.0)
    with pytest.raises(ValueError):
        regression_metrics([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        regression_metrics([], [])
