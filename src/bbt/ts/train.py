"""One training loop for every trainable forecaster: shuffled mini-batches, early stopping on a validation
set, best weights restored, a time budget, and a progress bar."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from bbt.ts.windows import Windows


@dataclass
class TrainConfig:
    epochs: int = 10  # why: upper bound; early stopping usually ends sooner
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 3  # why: epochs without validation improvement before stopping
    grad_clip: float = 1.0
    loss: str = "mse"  # "mse" or "mae" (robust to price jumps)
    max_batches_per_epoch: int | None = None  # why: caps an epoch on huge pooled data sets
    time_budget_s: float | None = None  # why: a hard wall-clock cap per fit (CPU budgets in the issues)
    seed: int = 0
    lr_decay: float = 1.0  # multiplicative learning-rate decay per epoch


@dataclass
class FitResult:
    best_val: float
    epochs_run: int
    seconds: float
    history: list[dict] = field(default_factory=list)


def set_seed(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)


def _loss_fn(name: str):
    if name == "mse":
        return nn.functional.mse_loss
    if name == "mae":
        return nn.functional.l1_loss
    raise ValueError(f"unknown loss {name!r}")


def batch_loss(fn, pred: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
    """Summed loss over [B, H, C] elements, each window weighted by w [B] when given."""
    err = fn(pred, y, reduction="none")  # [B, H, C]
    if w is not None:
        err = err * w.view(-1, 1, 1)
    return err.sum()


@torch.no_grad()
def evaluate_loss(model: nn.Module, data: Windows, loss: str = "mse", batch_size: int = 1024) -> float:
    model.eval()
    fn, total, n = _loss_fn(loss), 0.0, 0
    for idx in data.index_batches(batch_size):
        x, m, y = data.batch(idx)
        total += batch_loss(fn, model(x, m), y, data.batch_weights(idx)).item()
        n += y.numel()
    return total / max(n, 1)


@torch.no_grad()
def predict(model: nn.Module, data: Windows, batch_size: int = 1024) -> np.ndarray:
    """Forecasts for every window, in order: [N, H, C_out]."""
    model.eval()
    outs = [model(x, m).numpy() for x, m, _ in data.batches(batch_size)]
    return np.concatenate(outs) if outs else np.zeros((0, data.pred_len, data.targets.shape[1]), np.float32)


def fit_forecaster(model: nn.Module, train: Windows, val: Windows | None, cfg: TrainConfig,
                   progress=None, desc: str = "train") -> FitResult:
    """Train in place; on return the model holds the weights with the best validation loss."""
    set_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=cfg.lr_decay)
    fn = _loss_fn(cfg.loss)
    steps = math.ceil(len(train) / cfg.batch_size)
    if cfg.max_batches_per_epoch:
        steps = min(steps, cfg.max_batches_per_epoch)
    task = progress.add_task(desc, total=cfg.epochs * steps) if progress is not None else None
    best, best_state, bad, history, t0 = math.inf, None, 0, [], time.perf_counter()
    if val is not None and len(val):
        # why: a model that starts from a sensible forecast (BBT-TS starts at persistence) keeps it when
        # training only makes validation worse.
        best = evaluate_loss(model, val, cfg.loss)
        best_state = copy.deepcopy(model.state_dict())
        history.append({"epoch": 0, "val_loss": best})
    epoch = 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        running, seen = 0.0, 0
        for i, idx in enumerate(train.index_batches(cfg.batch_size, shuffle=True, rng=rng)):
            if i >= steps:
                break
            x, m, y = train.batch(idx)
            loss = batch_loss(fn, model(x, m), y, train.batch_weights(idx)) / y.numel()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            running += loss.item() * len(y)
            seen += len(y)
            if task is not None:
                progress.advance(task)
        sched.step()
        val_loss = evaluate_loss(model, val, cfg.loss) if val is not None and len(val) else running / max(seen, 1)
        history.append({"epoch": epoch, "train_loss": running / max(seen, 1), "val_loss": val_loss})
        if val_loss < best - 1e-7:
            best, best_state, bad = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            bad += 1
        out_of_time = cfg.time_budget_s is not None and time.perf_counter() - t0 > cfg.time_budget_s
        if bad >= cfg.patience or out_of_time:
            break
    if task is not None:
        progress.update(task, completed=cfg.epochs * steps)
    if best_state is not None:
        model.load_state_dict(best_state)
    return FitResult(best, epoch, time.perf_counter() - t0, history)
