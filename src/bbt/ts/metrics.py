"""Regression metrics on the price (or standardised) scale. Defined once, used by every benchmark.

MSE = mean((y - p)^2); RMSE = sqrt(MSE); MAE = mean(|y - p|); MAPE = 100 * mean(|y - p| / |y|) (in %, rows
with y == 0 are excluded and counted); R2 = 1 - SS_res / SS_tot with SS_tot around the mean of y.
"""

from __future__ import annotations

import numpy as np


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y_true has {y.size} values, y_pred {p.size}")
    if y.size == 0:
        raise ValueError("no values to score")
    err = y - p
    mse = float(np.mean(err**2))
    nz = y != 0
    mape = float(100.0 * np.mean(np.abs(err[nz]) / np.abs(y[nz]))) if nz.any() else float("nan")
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else float("nan")
    return {"MSE": mse, "RMSE": float(np.sqrt(mse)), "MAE": float(np.mean(np.abs(err))), "MAPE": mape, "R2": r2}


def seed_score(m: dict[str, float]) -> float:
    """The seed paper's single summed score: MSE + RMSE + MAE + MAPE (lower is better)."""
    return m["MSE"] + m["RMSE"] + m["MAE"] + m["MAPE"]
