"""Stock forecasting benchmark (the BBT seed's protocol), one pooled model per forecaster.

Protocol
- Universe: N stocks drawn at random (seeded) from the A-share files with at least 4200 trading days.
- Days [0, 4000) of each stock are training days, days [4000, 4200) test days. The last `val_days` training
  days (default 400) are held out of gradient steps for early stopping; nothing from test days is used.
- Target: the opening price of day t (and t+1..t+H-1 for --horizon H), forecast from a look-back window of
  daily open/high/low/close/log-volume for days [t-L, t), i.e. known by day t-1's close.
- Scaling, per stock, fitted on the training days only: the four price columns share one scaler (so scaled
  open and close stay directly comparable): by default each price is divided by the stock's mean training
  price ("divide_mean", which keeps ratios between prices, so a model can read moves as percentages), or a
  StandardScaler ("standard"); log1p(volume) has its own StandardScaler.
- One pooled model per forecaster and seed, trained on the windows of all N stocks together.
- Metrics per stock on the price scale (forecasts inverse-transformed): MSE, RMSE, MAE, MAPE (%), R2,
  averaged over stocks; the seed's summed score MSE+RMSE+MAE+MAPE; mean and std over seeds.
- Naive baselines are computed exactly from the raw prices: naive_close (open_t = close_{t-1}),
  naive_open (open_t = open_{t-1}); for H > 1 the last value is repeated. The classical baseline `gbm`
  (bbt.classical.stock_gbm) is a gradient-boosted median regression of the overnight gap on last-bar features.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from bbt.data.universe import list_stock_files, select_stocks
from bbt.errors import BBTError
from bbt.ts.metrics import regression_metrics, seed_score
from bbt.ts.models import ForecastSpec, build_forecaster, get
from bbt.ts.train import TrainConfig, fit_forecaster, predict
from bbt.ts.windows import Windows, concat_series

FEATURES = ("open", "high", "low", "close", "log_volume")
PRICES = ("open", "high", "low", "close")
NAIVE_SOURCES = {"naive_close": "close", "naive_open": "open"}
CLASSICAL = ("gbm",)  # bbt.classical.stock_gbm: gradient-boosted median regression on last-bar features
DETERMINISTIC = (*NAIVE_SOURCES, *CLASSICAL)  # run once, not once per seed
DEFAULT_MODELS = ("naive_close", "naive_open", "gbm", "transformer", "dlinear", "bbt")
ABLATIONS = ("bbt_no_dwt", "bbt_no_spatial", "bbt_t2v", "bbt_no_recent")
# BBT-TS settings for this benchmark; the ablations share them except what defines each ablation. Chosen on the
# validation days (the last 400 training days), MAE loss, seed 0:
# - prices relative to the last close ("ratio" over the price group, in percent): a window reads the same at
#   any price level. With the old shift-only "last" norm the MAE fit never left persistence (validation loss
#   0.004944 at every epoch; 0.00487 with "ratio" after 2,000 batches).
# - recent_steps 2: an MLP over the last two bars learns the overnight-gap rules (limit-up closes, where the
#   close sits in the day's range): an MLP over the last 2 / 5 / 30 bars alone reached 0.00478 / 0.00483 /
#   0.00492 (whole windows fit noise), the Transformer path alone 0.00487.
# - d_model 32, 1 layer, d_ff 64 (the ETT size): 5x faster steps, no worse on validation; dropout 0 vs 0.1:
#   0.004801 vs 0.004810 (a tie; 0 is simpler).
STOCK_BBT_SETTINGS = {"norm": "ratio", "ref_channel": 3, "ref_group": (0, 1, 2, 3), "recent_steps": 2,
                      "d_model": 32, "e_layers": 1, "d_ff": 64, "dropout": 0.0}


@dataclass
class StockBenchConfig:
    n_stocks: int = 40  # why: the seed's universe size
    train_days: int = 4000  # why: the seed's protocol, days [0, 4000) train
    test_days: int = 200  # days [4000, 4200) test
    val_days: int = 400  # why: the last training days early-stop the fit; never test days
    seq_len: int = 30  # L: about six trading weeks of history
    horizon: int = 1  # H
    seeds: tuple[int, ...] = (0, 1, 2)
    sample_seed: int = 0  # why: which stocks are drawn is part of the protocol, so it is fixed and recorded
    models: tuple[str, ...] = DEFAULT_MODELS
    # why: "relative" weights each window's loss by (price scale / yesterday's close)^p (p = 2 for MSE, 1 for
    # MAE), i.e. trains every model on relative (percentage) errors, the scale on which stocks are comparable;
    # "none" = plain loss on the per-stock standardised scale.
    loss_weighting: str = "relative"
    # why: "divide_mean" (price / mean training price) keeps every ratio between two prices, so a +10 % day
    # reads the same at any price level; "standard" (subtract the mean, divide by the std) does not.
    price_scaling: str = "divide_mean"
    # why MAE: with relative weighting it is the relative absolute error, i.e. what MAPE measures, and the
    # forecast it leads to (a conditional median) keeps yesterday's close where the gap is unpredictable, where
    # an MSE fit shifts every forecast by the mean gap (MSE-trained BBT-TS: MSE -1.8 % but MAPE +2.3 % vs
    # naive_close). Batches of 64: four times the updates of 256 for the same windows seen and about the same
    # CPU time (BBT-TS validation loss 0.00478 after 10 x 480 batches of 64).
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        epochs=10, batch_size=64, lr=1e-3, patience=3, max_batches_per_epoch=480, time_budget_s=None, loss="mae"))
    # why no time budget: a budget makes results depend on machine load; 10 x 480 batches is 1-2 min per fit
    model_overrides: dict[str, dict] = field(default_factory=lambda: {
        name: dict(STOCK_BBT_SETTINGS) for name in ("bbt", *ABLATIONS)})

    @property
    def min_days(self) -> int:
        return self.train_days + self.test_days


@dataclass
class StockData:
    code: str
    frame: pd.DataFrame  # first train_days + test_days rows of the tidy frame
    scaled: np.ndarray  # [T, 5] float32 scaled features
    price_shift: float  # scaled price = (price - price_shift) / price_scale; statistics of training days only
    price_scale: float


def prepare(frame: pd.DataFrame, cfg: StockBenchConfig) -> StockData:
    """Cut to the protocol's days and scale with statistics of the training days only."""
    df = frame.iloc[: cfg.min_days].reset_index(drop=True)
    train = df.iloc[: cfg.train_days]
    prices = df[list(PRICES)].to_numpy(np.float64)
    train_prices = train[list(PRICES)].to_numpy()
    if cfg.price_scaling == "divide_mean":
        shift, scale = 0.0, float(np.abs(train_prices).mean()) or 1.0
    elif cfg.price_scaling == "standard":
        shift, scale = float(train_prices.mean()), float(train_prices.std()) or 1.0
    else:
        raise BBTError(f"price_scaling must be 'divide_mean' or 'standard', got {cfg.price_scaling!r}")
    logv = np.log1p(df["volume"].to_numpy(np.float64))
    v_mean, v_std = float(logv[: cfg.train_days].mean()), float(logv[: cfg.train_days].std()) or 1.0
    scaled = np.column_stack([(prices - shift) / scale, (logv - v_mean) / v_std]).astype(np.float32)
    return StockData(str(frame.attrs.get("code", "?")), df, scaled, shift, scale)


def calendar_marks(dates: pd.Series) -> np.ndarray:
    """Day of week, day of month, month, each scaled to [-0.5, 0.5] (TSLib's time features)."""
    d = pd.DatetimeIndex(dates)
    return np.column_stack([d.dayofweek / 4.0 - 0.5, (d.day - 1) / 30.0 - 0.5,
                            (d.month - 1) / 11.0 - 0.5]).astype(np.float32)


def build_windows(stocks: list[StockData], cfg: StockBenchConfig) -> tuple[Windows, Windows, Windows, list[slice]]:
    """Train / val / test windows over all stocks; test windows of stock i are rows test_rows[i] of test."""
    L, H = cfg.seq_len, cfg.horizon
    values, offsets = concat_series([s.scaled for s in stocks])
    marks, _ = concat_series([calendar_marks(s.frame["date"]) for s in stocks])
    targets = values[:, [0]]  # scaled open
    val_start = cfg.train_days - cfg.val_days
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    # target day t: window [t-L, t) -> targets [t, t+H); a split owns t when all of [t, t+H) lies in it
    for off in offsets:
        parts["train"].append(off + np.arange(L, val_start - H + 1) - L)
        parts["val"].append(off + np.arange(val_start, cfg.train_days - H + 1) - L)
        parts["test"].append(off + np.arange(cfg.train_days, cfg.min_days - H + 1) - L)
    n_test = cfg.test_days - H + 1
    test_rows = [slice(i * n_test, (i + 1) * n_test) for i in range(len(stocks))]
    weights = None
    if cfg.loss_weighting == "relative":
        power = 2.0 if cfg.train.loss == "mse" else 1.0
        prev_close = np.concatenate([np.r_[s.frame["close"].iloc[0], s.frame["close"].to_numpy()[:-1]] for s in stocks])
        scale = np.concatenate([np.full(len(s.frame), s.price_scale) for s in stocks])
        weights = (scale / prev_close) ** power
        weights /= weights.mean()  # keeps the loss (and so the learning rate) on its usual scale
    elif cfg.loss_weighting != "none":
        raise BBTError(f"loss_weighting must be 'relative' or 'none', got {cfg.loss_weighting!r}")
    make = lambda k: Windows(values, targets, np.concatenate(parts[k]), L, H, marks, weights)  # noqa: E731
    return make("train"), make("val"), make("test"), test_rows


def actual_opens(s: StockData, cfg: StockBenchConfig) -> np.ndarray:
    """[n_test, H] true opening prices of the test targets."""
    opens = s.frame["open"].to_numpy(np.float64)
    t = np.arange(cfg.train_days, cfg.min_days - cfg.horizon + 1)
    return opens[t[:, None] + np.arange(cfg.horizon)]


def naive_forecast(s: StockData, cfg: StockBenchConfig, source: str) -> np.ndarray:
    """[n_test, H] last known value of `source` (day t-1) repeated over the horizon, on raw prices."""
    col = s.frame[source].to_numpy(np.float64)
    t = np.arange(cfg.train_days, cfg.min_days - cfg.horizon + 1)
    return np.repeat(col[t - 1][:, None], cfg.horizon, axis=1)


def model_settings(name: str, cfg: StockBenchConfig) -> dict:
    """The benchmark's settings for `name`, minus those that define a registered variant (an ablation keeps
    what makes it an ablation)."""
    own = get(name).defaults
    return {k: v for k, v in cfg.model_overrides.get(name, {}).items() if k not in own}


def run_model(name: str, seed: int, stocks: list[StockData], windows, cfg: StockBenchConfig,
              progress=None) -> dict:
    """Forecast the test days of every stock with one model and seed; returns per-stock forecasts + fit info."""
    train, val, test, test_rows = windows
    if name in NAIVE_SOURCES:
        preds = {s.code: naive_forecast(s, cfg, NAIVE_SOURCES[name]) for s in stocks}
        return {"preds": preds, "train_seconds": 0.0, "epochs": 0}
    if name == "gbm":
        from bbt.classical.stock_gbm import fit_predict_gbm

        t0 = time.perf_counter()
        preds = fit_predict_gbm(stocks, cfg, seed)
        return {"preds": preds, "train_seconds": time.perf_counter() - t0, "epochs": 0}
    torch.manual_seed(seed)
    spec = ForecastSpec(cfg.seq_len, cfg.horizon, len(FEATURES), target_idx=(0,), mark_dim=3)
    model = build_forecaster(name, spec, **model_settings(name, cfg))
    tcfg = dataclasses.replace(cfg.train, seed=seed)
    fit = fit_forecaster(model, train, val, tcfg, progress=progress, desc=f"{name} seed {seed}")
    out = predict(model, test)[..., 0].astype(np.float64)  # [N_test_all, H] scaled opens
    preds = {s.code: out[rows] * s.price_scale + s.price_shift for s, rows in zip(stocks, test_rows)}
    return {"preds": preds, "train_seconds": fit.seconds, "epochs": fit.epochs_run, "best_val": fit.best_val,
            "n_params": sum(p.numel() for p in model.parameters())}


def score(stocks: list[StockData], preds: dict[str, np.ndarray], cfg: StockBenchConfig) -> dict[str, dict]:
    return {s.code: regression_metrics(actual_opens(s, cfg), preds[s.code]) for s in stocks}


METRICS = ("MSE", "RMSE", "MAE", "MAPE", "R2")


def aggregate(per_seed: list[dict[str, dict]]) -> dict:
    """per_seed: [{code: metrics}] -> mean over stocks, then mean/std over seeds; per_stock = mean over seeds."""
    codes = list(per_seed[0])
    by_seed = []
    for ps in per_seed:
        m = {k: float(np.mean([ps[c][k] for c in codes])) for k in METRICS}
        m["score"] = seed_score(m)
        by_seed.append(m)
    out: dict = {}
    for k in (*METRICS, "score"):
        vals = np.array([m[k] for m in by_seed])
        out[k] = float(vals.mean())
        out[f"{k}_std"] = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
    out["per_stock"] = {c: {k: float(np.mean([ps[c][k] for ps in per_seed])) for k in METRICS} for c in codes}
    return out


def compare_to(models: dict, ref: str, metric: str = "MSE") -> tuple[dict, dict]:
    """Percent change of the mean `metric` vs `ref`, and the share of stocks where each model's is lower."""
    if ref not in models:
        return {}, {}
    base = models[ref]
    change = {n: 100.0 * (m[metric] - base[metric]) / base[metric] for n, m in models.items() if n != ref}
    wins = {}
    for n, m in models.items():
        if n == ref:
            continue
        codes = list(base["per_stock"])
        wins[n] = float(np.mean([m["per_stock"][c][metric] < base["per_stock"][c][metric] for c in codes]))
    return change, wins


def comparisons(models: dict) -> dict:
    """The result's comparison keys: MSE vs transformer (the seed's claim), MSE and MAPE vs naive_close."""
    out = {}
    for ref, metric, key in (("transformer", "MSE", "transformer"), ("naive_close", "MSE", "naive_close"),
                             ("naive_close", "MAPE", "naive_close_mape")):
        change, wins = compare_to(models, ref, metric)
        out[f"vs_{key}"], out[f"share_of_stocks_beating_{key}"] = change, wins
    return out


def protocol_dict(cfg: StockBenchConfig, codes: list[str], data_dir: Path) -> dict:
    return {
        "data_dir": str(data_dir), "source": "stocks/ashare_qfq (akshare qfq daily)", "stocks": codes,
        "n_stocks": len(codes), "sample_seed": cfg.sample_seed, "train_days": [0, cfg.train_days],
        "val_days_for_early_stopping": [cfg.train_days - cfg.val_days, cfg.train_days],
        "test_days": [cfg.train_days, cfg.min_days], "target": "open of day t (t..t+H-1)",
        "inputs": list(FEATURES) + ["calendar marks"], "seq_len": cfg.seq_len, "horizon": cfg.horizon,
        "scaling": ("per stock, fitted on training days: OHLC " + (
            "divided by the mean training price" if cfg.price_scaling == "divide_mean" else "one StandardScaler")
            + ", a StandardScaler for log1p(volume)"),
        "price_scaling": cfg.price_scaling,
        "training": "one pooled model per forecaster and seed over all stocks' training windows",
        "seeds": list(cfg.seeds), "train_config": dataclasses.asdict(cfg.train),
        "model_overrides": {n: model_settings(n, cfg) for n in cfg.models if n not in DETERMINISTIC},
        "loss_weighting": cfg.loss_weighting, "metrics": "price scale, mean over stocks; score = MSE+RMSE+MAE+MAPE",
        "torch_threads": torch.get_num_threads(),
    }


def run_stock_benchmark(data_dir: Path, cfg: StockBenchConfig, out: Path, *, fresh: bool = False,
                        n_plots: int = 3, console=None) -> dict:
    """Run every model x seed (cached per pair in <out>.partial.json, so a killed run resumes), then write
    <out> (JSON), <out>.md (table) and <out>.png (forecast vs actual)."""
    from bbt.bench.stock_report import plot_forecasts, stock_markdown
    from bbt.progress import progress_bar
    from bbt.results import read_json, write_json, write_markdown

    out = Path(out)
    partial_path = out.with_suffix(".partial.json")
    t0 = time.perf_counter()
    for name in cfg.models:
        if name not in DETERMINISTIC:
            get(name)  # an unknown name fails before any stock is loaded
    with progress_bar(console=console) as progress:
        frames = select_stocks(list_stock_files(data_dir), cfg.n_stocks, cfg.min_days, cfg.sample_seed, progress)
        stocks = [prepare(f, cfg) for f in frames]
        codes = [s.code for s in stocks]
        protocol = protocol_dict(cfg, codes, data_dir)
        key = {k: protocol[k] for k in ("stocks", "seq_len", "horizon", "train_config", "model_overrides",
                                        "loss_weighting", "price_scaling")}
        key = json.loads(json.dumps(key))  # as it reads back from the cache (tuples become lists)
        cache = {} if fresh else read_json(partial_path, default={})
        if cache.get("key") != key:
            cache = {"key": key, "runs": {}}
        windows = build_windows(stocks, cfg)
        plot_codes = codes[:n_plots]
        for name in cfg.models:
            for seed in cfg.seeds if name not in DETERMINISTIC else cfg.seeds[:1]:
                run_id = f"{name}/{seed}"
                if run_id in cache["runs"]:
                    continue
                r = run_model(name, seed, stocks, windows, cfg, progress)
                cache["runs"][run_id] = {
                    "per_stock": score(stocks, r["preds"], cfg),
                    "fit": {k: v for k, v in r.items() if k != "preds"},
                    "plot": {c: r["preds"][c][:, 0].tolist() for c in plot_codes},
                }
                write_json(partial_path, cache)
    models, fits = {}, {}
    for name in cfg.models:
        runs = [cache["runs"][f"{name}/{s}"] for s in cfg.seeds if f"{name}/{s}" in cache["runs"]]
        models[name] = aggregate([r["per_stock"] for r in runs])
        models[name]["seeds"] = len(runs)
        fits[name] = [r["fit"] for r in runs]
    result = {
        "protocol": protocol,
        "models": models,
        **comparisons(models),
        "fits": fits,
        "wall_seconds": time.perf_counter() - t0,
    }
    write_json(out, result)
    write_markdown(out.with_suffix(".md"), stock_markdown(result))
    actual = {s.code: actual_opens(s, cfg)[:, 0] for s in stocks if s.code in plot_codes}
    dates = {s.code: s.frame["date"].iloc[cfg.train_days: cfg.min_days - cfg.horizon + 1] for s in stocks
             if s.code in plot_codes}
    preds = {name: cache["runs"][f"{name}/{cfg.seeds[0]}"]["plot"] for name in cfg.models}
    plot_forecasts(actual, dates, preds, out.with_suffix(".png"))
    return result
