"""Classical baseline of the stock benchmark: gradient-boosted median regression on last-bar features.

What a quant would try first for tomorrow's open: the overnight gap open_t / close_{t-1} - 1 as a function of the
last two bars (the day's return and the one before, where the close sits in the day's range, high / low / open
relative to the close, the change in log volume). scikit-learn's HistGradientBoostingRegressor with the absolute
error loss, each row weighted by close_{t-1} / open_t, so it minimises exactly the absolute percentage error of
the implied open forecast (MAPE). One pooled model over all stocks, fitted on the same gradient days as the
neural models (days [3, 4000 - val_days)); deterministic, so it runs once (like the naive baselines). For H > 1
one model per step ahead (open_{t+h} / close_{t-1} - 1).
"""

from __future__ import annotations

import numpy as np

FEATURES = ("ret_1", "ret_2", "close_in_range", "high_vs_close", "low_vs_close", "open_vs_close", "log_volume_change")
FIRST_DAY = 3  # features read days t-1, t-2 and t-3


def last_bar_features(frame, days: np.ndarray) -> np.ndarray:
    """[len(days), 7] features of target days t (each >= 3), all from days t-1 and earlier."""
    o, h, lo, c, v = (frame[k].to_numpy(np.float64) for k in ("open", "high", "low", "close", "volume"))
    t = np.asarray(days)
    c1, c2, c3 = c[t - 1], c[t - 2], c[t - 3]
    span = h[t - 1] - lo[t - 1]
    in_range = np.divide(c1 - lo[t - 1], span, out=np.full(len(t), 0.5), where=span > 0)
    logv = np.log1p(v)
    return np.column_stack([c1 / c2 - 1, c2 / c3 - 1, in_range, h[t - 1] / c1 - 1, lo[t - 1] / c1 - 1,
                            o[t - 1] / c1 - 1, logv[t - 1] - logv[t - 2]])


def fit_predict_gbm(stocks, cfg, seed: int = 0) -> dict[str, np.ndarray]:
    """Forecast the test opens of every stock: {code: [n_test, H]} on the price scale."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    H = cfg.horizon
    fit_days = np.arange(FIRST_DAY, cfg.train_days - cfg.val_days - H + 1)
    test_days = np.arange(cfg.train_days, cfg.min_days - H + 1)
    X = np.concatenate([last_bar_features(s.frame, fit_days) for s in stocks])
    preds = {s.code: np.zeros((len(test_days), H)) for s in stocks}
    for step in range(H):
        opens = np.concatenate([s.frame["open"].to_numpy(np.float64)[fit_days + step] for s in stocks])
        prev_close = np.concatenate([s.frame["close"].to_numpy(np.float64)[fit_days - 1] for s in stocks])
        gap = opens / prev_close - 1.0
        model = HistGradientBoostingRegressor(loss="absolute_error", max_iter=200, learning_rate=0.05,
                                              random_state=seed)
        model.fit(X, gap, sample_weight=prev_close / opens)  # |gap - g| * close / open = |open - forecast| / open
        for s in stocks:
            close = s.frame["close"].to_numpy(np.float64)
            preds[s.code][:, step] = close[test_days - 1] * (1.0 + model.predict(last_bar_features(s.frame, test_days)))
    return preds
