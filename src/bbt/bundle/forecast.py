"""The forecaster behind /v1/forecast: one univariate BBT-TS applied to each series a request sends.

Why univariate and channel-independent: a request may carry any number of series of any unit (a close price,
a volume, a sensor), so one model that reads a single series and is scale-free serves them all. Each window is
divided by its own standard deviation (look-back values only) and BBT-TS reads it relative to its last value
("last" normalisation), so the model is exactly shift- and scale-equivariant and starts from persistence; it
is trained on per-stock standardised closes and applied to raw values.

Trained on the daily closes of `n_stocks` A-shares: days [0, 4000 - val) train, the last `val_days` of the first
4000 days validation (early stopping), days [4000, 4200) test; the same split as the stock benchmark, so nothing
after day 4000 is ever trained on. The validation and test MSE (standardised scale) of BBT-TS and of the naive last-value
forecast are recorded; the one with the lower *validation* MSE serves. Days are each stock's own trading-day
index (as in the stock benchmark), so one stock's test days may fall on dates another stock trains on.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from bbt.data.universe import list_stock_files, select_stocks
from bbt.errors import BBTError
from bbt.results import atomic_path, write_text
from bbt.ts.models import ForecastSpec, build_forecaster
from bbt.ts.train import TrainConfig, fit_forecaster, predict
from bbt.ts.windows import Windows, concat_series

CONFIG, WEIGHTS = "forecaster.json", "forecaster.safetensors"


@dataclass
class ForecasterConfig:
    seq_len: int = 64  # why: about three months of trading days; longer inputs are cut to the last 64
    horizon: int = 20  # why: a trading month; shorter requests read the first steps
    n_stocks: int = 40
    train_days: int = 4000
    test_days: int = 200
    val_days: int = 400
    seed: int = 0
    epochs: int = 4  # why: with early stopping on validation; a fit is about a minute on 2 idle cores
    max_batches_per_epoch: int = 80
    model: dict | None = None  # BBT-TS settings (None = the defaults below)

    def model_settings(self) -> dict:
        return self.model or {"norm": "last", "d_model": 32, "e_layers": 1, "d_ff": 64}


class WindowScaled(nn.Module):
    """Divides each input window by its own std and the forecast back: scale-free forecasts of any series."""

    def __init__(self, inner: nn.Module, eps: float = 1e-8):
        super().__init__()
        self.inner, self.eps = inner, eps

    def forward(self, x: torch.Tensor, x_mark: torch.Tensor | None = None) -> torch.Tensor:  # x [B, L, 1]
        scale = x.std(dim=1, keepdim=True).clamp_min(self.eps)  # [B, 1, 1]
        return self.inner(x / scale, x_mark) * scale  # [B, H, 1]


def _build(cfg: "ForecasterConfig") -> nn.Module:
    return WindowScaled(build_forecaster("bbt", _spec(cfg), **cfg.model_settings()))


def _spec(cfg: ForecasterConfig) -> ForecastSpec:
    return ForecastSpec(cfg.seq_len, cfg.horizon, 1, target_idx=(0,), mark_dim=0)


def _windows(series: list[np.ndarray], lo: int, hi: int, cfg: ForecasterConfig) -> Windows:
    """Windows whose targets lie in days [lo, hi) of each series."""
    values, offsets = concat_series([s[:, None] for s in series])
    L, H = cfg.seq_len, cfg.horizon
    starts = np.concatenate([off + np.arange(max(L, lo), hi - H + 1) - L for off in offsets])
    return Windows(values, values, starts, L, H)


def train_forecaster(data_dir: str | Path, out_dir: str | Path, cfg: ForecasterConfig | None = None,
                     progress=None) -> dict:
    """Fit, test against naive, save config + weights atomically; returns the report (also in the config)."""
    cfg = cfg or ForecasterConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frames = select_stocks(list_stock_files(Path(data_dir)), cfg.n_stocks, cfg.train_days + cfg.test_days,
                           progress=progress)
    series = []
    for f in frames:
        close = f["close"].to_numpy(np.float64)[: cfg.train_days + cfg.test_days]
        mu, sd = close[: cfg.train_days].mean(), close[: cfg.train_days].std() or 1.0  # train days only
        series.append(((close - mu) / sd).astype(np.float32))
    val_start = cfg.train_days - cfg.val_days
    train = _windows(series, 0, val_start, cfg)
    val = _windows(series, val_start, cfg.train_days, cfg)
    test = _windows(series, cfg.train_days, cfg.train_days + cfg.test_days, cfg)
    torch.manual_seed(cfg.seed)
    model = _build(cfg)
    t0 = time.perf_counter()
    fit = fit_forecaster(model, train, val, TrainConfig(epochs=cfg.epochs, batch_size=256, patience=2, seed=cfg.seed,
                                                        max_batches_per_epoch=cfg.max_batches_per_epoch), progress=progress,
                         desc="forecaster")
    def mses(w: Windows) -> tuple[float, float, float, float]:
        """(model, naive) MSE over all horizons, then at step 1, on windows `w`."""
        pred = predict(model, w)  # [N, H, 1]
        truth = np.stack([w.targets[s + cfg.seq_len: s + cfg.seq_len + cfg.horizon] for s in w.starts])
        last = np.stack([w.values[s + cfg.seq_len - 1] for s in w.starts])[:, None, :]
        return (float(np.mean((pred - truth) ** 2)), float(np.mean((last - truth) ** 2)),
                float(np.mean((pred[:, 0] - truth[:, 0]) ** 2)), float(np.mean((last[:, 0] - truth[:, 0]) ** 2)))

    val_bbt, val_naive, _, _ = mses(val)
    test_bbt, test_naive, h1_bbt, h1_naive = mses(test)
    chosen = "bbt" if val_bbt < val_naive else "naive"  # why: chosen on validation, so the test score stays honest
    report = {"val_mse_bbt": val_bbt, "val_mse_naive": val_naive, "chosen": chosen,
              "test_mse": test_bbt if chosen == "bbt" else test_naive,
              "test_mse_bbt": test_bbt, "test_mse_naive": test_naive, "mse_h1_bbt": h1_bbt, "mse_h1_naive": h1_naive,
              "test_windows": len(test), "stocks": [str(f.attrs.get("code", "?")) for f in frames],
              "fit_seconds": round(time.perf_counter() - t0, 1), "epochs": fit.epochs_run,
              "metric": "MSE over all horizons, per-stock standardised closes"}
    with atomic_path(out / WEIGHTS) as tmp:
        save_file(model.state_dict(), str(tmp))
    write_text(out / CONFIG, json.dumps({"config": asdict(cfg), "report": report}, indent=2))
    return report


class ServiceForecaster:
    """Forecasts for many series at once: `forecast([np.ndarray [T]], horizons) -> [np.ndarray [h]]`."""

    def __init__(self, path: str | Path):
        path = Path(path)
        try:
            saved = json.loads((path / CONFIG).read_text(encoding="utf-8"))
            self.cfg = ForecasterConfig(**saved["config"])
            self.report = saved["report"]
        except (OSError, KeyError, TypeError, json.JSONDecodeError) as e:
            raise BBTError(f"{path} holds no usable forecaster ({CONFIG}: {e}); rebuild the bundle") from None
        self.model = _build(self.cfg)
        self.model.load_state_dict(load_file(str(path / WEIGHTS)))
        self.model.eval()
        self.name = "bbt-ts" if self.report["chosen"] == "bbt" else "naive-last-value"

    @property
    def max_horizon(self) -> int:
        return self.cfg.horizon

    def forecast(self, series: list[np.ndarray]) -> np.ndarray:
        """[N, horizon] forecasts of N series; each reads its last seq_len values (shorter ones are left-padded
        with their first value, i.e. a flat history)."""
        L = self.cfg.seq_len
        x = np.empty((len(series), L), np.float64)
        for i, s in enumerate(series):
            s = np.asarray(s, np.float64)[-L:]
            x[i, : L - len(s)] = s[0]
            x[i, L - len(s):] = s
        if self.report["chosen"] != "bbt":
            return np.repeat(x[:, -1:], self.cfg.horizon, axis=1)
        # why: centre on the last value and scale by the window's std in float64 before the float32 model, so
        # large prices stay precise and no magnitude a float64 holds can overflow float32 (the model is
        # shift- and scale-equivariant, so this changes nothing else)
        centre = x[:, -1:].copy()
        scale = x.std(axis=1, keepdims=True)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        z = (x - centre) / scale
        with torch.inference_mode():
            y = self.model(torch.from_numpy(z.astype(np.float32))[..., None], None)  # [N, H, 1]
        return y[..., 0].double().numpy() * scale + centre
