"""Does text help the series? Next-day open (as the overnight gap) and its direction on the news days of
`text/astock_news`, from the series alone vs. text + series, with day-clustered bootstrap intervals.

    bbt bench text-series --out results/text_series.json

Examples are the joint pre-training objective's (bbt.pretrain.joint: a stock's news dated before day T and its
30-day OHLCV window ending at T-1; target: the open of T); train: T < 2020-07-01, test: T >= 2020-07-01 (the
joint objective's held-out period, never in a pre-training batch). Target: the gap g = open_T / close_{T-1} - 1;
direction: g > 0.

Models, all fitted on train only (regularisation chosen by cross-validation on train):
- naive: g = 0 (the open repeats the last close) and the train majority direction;
- series: ridge / logistic regression on window features (last 1 / 5 / 20-day returns, the last day's body and
  range, 20-day volatility, volume vs its 20-day mean, the window's mean overnight gap and the last one);
- text + series: the same plus character TF-IDF of the news text;
- text: the TF-IDF alone;
- placebo: the text + series model with the test texts shuffled across test rows (20 shuffles, averaged).
Intervals resample trading days (news on one day share the market's move), 2,000 draws; the text-vs-series
difference is paired on the same draws. BBT-TS and the BBT model's TS head with text are not in this table yet.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from bbt.results import markdown_table, write_json, write_markdown

CUTOFF = "2020-07-01"
DRAWS = 2000


def series_features(x: np.ndarray) -> np.ndarray:
    """[N, L, 5] windows (open, high, low, close, log1p volume) -> [N, 9] features."""
    o, h, lo, c, lv = (x[:, :, k].astype(np.float64) for k in range(5))
    v = np.expm1(lv)
    ret = np.diff(np.log(c), axis=1)  # [N, L-1]
    gaps = np.log(o[:, 1:] / c[:, :-1])  # overnight gaps inside the window
    return np.column_stack([
        np.log(c[:, -1] / c[:, -2]), np.log(c[:, -1] / c[:, -6]), np.log(c[:, -1] / c[:, -21]),
        np.log(c[:, -1] / o[:, -1]), np.log(h[:, -1] / lo[:, -1]), ret[:, -20:].std(axis=1),
        np.log((v[:, -1] + 1) / (v[:, -21:-1].mean(axis=1) + 1)), gaps.mean(axis=1), gaps[:, -1]])


def _targets(examples) -> tuple[np.ndarray, np.ndarray]:
    last_close = np.array([e.series[-1, 3] for e in examples], np.float64)
    open_t = np.array([e.target[0, 0] for e in examples], np.float64)
    gap = open_t / last_close - 1
    return gap, (gap > 0).astype(int)


def _metrics(gap, up, pred_gap, prob_up) -> dict:
    from sklearn.metrics import roc_auc_score

    both = len(np.unique(up)) == 2
    return {"accuracy": float(np.mean((prob_up > 0.5) == up)),
            "auc": float(roc_auc_score(up, prob_up)) if both and np.ptp(prob_up) > 0 else 0.5,
            "gap_mae_pp": float(np.mean(np.abs(pred_gap - gap)) * 100)}


def _bootstrap(days: np.ndarray, gap, up, preds: dict[str, tuple], seed: int = 0, n_draws: int = DRAWS) -> dict:
    """Day-clustered bootstrap: per model the 95% interval of each metric; and the paired interval of
    (text + series) - series."""
    rng = np.random.default_rng(seed)
    uniq, inv = np.unique(days, return_inverse=True)
    members = [np.flatnonzero(inv == k) for k in range(len(uniq))]
    draws: dict[str, list[dict]] = {m: [] for m in preds}
    for _ in range(n_draws):
        idx = np.concatenate([members[k] for k in rng.integers(0, len(uniq), len(uniq))])
        for m, (pg, pu) in preds.items():
            draws[m].append(_metrics(gap[idx], up[idx], pg[idx], pu[idx]))
    out = {}
    for m, ds in draws.items():
        out[m] = {k: [float(np.percentile([d[k] for d in ds], q)) for q in (2.5, 97.5)] for k in ds[0]}
    if "text+series" in draws and "series" in draws:
        out["text+series - series"] = {
            k: [float(np.percentile([a[k] - b[k] for a, b in zip(draws["text+series"], draws["series"])], q))
                for q in (2.5, 97.5)] for k in draws["series"][0]}
    return out


def run(data_dir: Path, out: Path, seed: int = 0, draws: int = DRAWS) -> dict:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegressionCV, RidgeCV
    from sklearn.preprocessing import StandardScaler

    from bbt.classical.common import char_tfidf
    from bbt.pretrain.joint import build_joint_examples, split_by_time

    t0 = time.perf_counter()
    examples, stats = build_joint_examples(data_dir)
    train, test = split_by_time(examples, CUTOFF)
    g_tr, up_tr = _targets(train)
    g_te, up_te = _targets(test)
    scaler = StandardScaler().fit(series_features(np.stack([e.series for e in train])))
    s_tr = scaler.transform(series_features(np.stack([e.series for e in train])))
    s_te = scaler.transform(series_features(np.stack([e.series for e in test])))
    tfidf = char_tfidf(min_df=2).fit([e.text for e in train])
    t_tr, t_te = tfidf.transform([e.text for e in train]), tfidf.transform([e.text for e in test])
    alphas, cs = np.logspace(-2, 3, 11), np.logspace(-3, 1, 9)

    def fit(x_tr, x_te_list):
        import warnings

        reg = RidgeCV(alphas=alphas).fit(x_tr, g_tr)
        with warnings.catch_warnings():  # why: scikit-learn 1.8 announces attribute changes we do not use
            warnings.simplefilter("ignore", FutureWarning)
            clf = LogisticRegressionCV(Cs=cs, cv=5, max_iter=2000, scoring="roc_auc").fit(x_tr, up_tr)
        return [(reg.predict(x), clf.predict_proba(x)[:, 1]) for x in x_te_list], \
            {"ridge_alpha": float(reg.alpha_), "logistic_C": float(clf.C_[0])}

    majority = float(up_tr.mean() > 0.5)
    preds = {"naive": (np.zeros(len(test)), np.full(len(test), majority))}
    chosen = {}
    (preds["series"],), chosen["series"] = fit(s_tr, [s_te])
    rng = np.random.default_rng(seed)
    shuffles = [rng.permutation(len(test)) for _ in range(20)]
    both_tr = hstack([csr_matrix(s_tr), t_tr]).tocsr()
    x_te = [hstack([csr_matrix(s_te), t_te]).tocsr()] + [hstack([csr_matrix(s_te), t_te[p]]).tocsr() for p in shuffles]
    outs, chosen["text+series"] = fit(both_tr, x_te)
    preds["text+series"] = outs[0]
    placebo = [_metrics(g_te, up_te, pg, pu) for pg, pu in outs[1:]]
    (preds["text"],), chosen["text"] = fit(t_tr, [t_te])
    scores = {m: _metrics(g_te, up_te, *p) for m, p in preds.items()}
    scores["placebo (text shuffled)"] = {k: float(np.mean([p[k] for p in placebo])) for k in placebo[0]}
    days = np.array([e.day for e in test])
    intervals = _bootstrap(days, g_te, up_te, preds, seed, draws)
    diff = intervals["text+series - series"]
    verdict = {k: ("text helps" if (lo > 0 if k != "gap_mae_pp" else hi < 0) else
                   "text hurts" if (hi < 0 if k != "gap_mae_pp" else lo > 0) else "no significant difference")
               for k, (lo, hi) in diff.items()}
    res = {"cutoff": CUTOFF, "train": len(train), "test": len(test), "test_days": int(len(np.unique(days))),
           "test_up_share": float(up_te.mean()), "examples": stats, "scores": scores, "intervals_95": intervals,
           "verdict": verdict, "chosen_on_train_cv": chosen, "draws": draws, "seconds": round(time.perf_counter() - t0, 1)}
    write_json(out, res)
    write_markdown(out.with_suffix(".md"), markdown(res))
    return res


def markdown(res: dict) -> str:
    iv = res["intervals_95"]

    def cell(m, k, digits=3):
        v = res["scores"][m][k]
        lo_hi = iv.get(m, {}).get(k)
        return f"{v:.{digits}f}" + (f" [{lo_hi[0]:.{digits}f}, {lo_hi[1]:.{digits}f}]" if lo_hi else "")

    rows = [[m, cell(m, "accuracy"), cell(m, "auc"), cell(m, "gap_mae_pp")] for m in res["scores"]]
    d = iv["text+series - series"]
    rows.append(["text+series - series (paired)", *(f"[{d[k][0]:+.3f}, {d[k][1]:+.3f}]" for k in
                                                     ("accuracy", "auc", "gap_mae_pp"))])
    v = res["verdict"]
    return "\n\n".join([
        "### Does text help the series? (next-day open on news days)",
        markdown_table(["model", "direction accuracy", "direction AUC", "gap MAE (pp)"], rows),
        f"Train: {res['train']} (stock, day) pairs with T < {res['cutoff']}; test: {res['test']} pairs on "
        f"{res['test_days']} days from {res['cutoff']} ({100 * res['test_up_share']:.1f}% opened above the last "
        f"close). 95% intervals from {res['draws']} day-clustered bootstrap draws. Verdict (paired interval of the "
        f"difference): accuracy: {v['accuracy']}; AUC: {v['auc']}; gap MAE: {v['gap_mae_pp']}. Regularisation chosen "
        "by 5-fold CV on train; no choice made on the test period."])
