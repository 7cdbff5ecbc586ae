"""Spatial split of a multivariate window: a global part shared by all series + local per-series parts.

glob[t] = sum_c w_c * x[t, c]  (default w_c = 1/C: the cross-series mean),   local = x - glob,   glob + local == x.

Why the cross-series mean: it is the least-squares estimate of one common component added to every series
(the "market factor" when the series are stocks, the shared load level for ETT sensors), needs no fitting,
and uses only the current step, so it can never look ahead in time. Callers should put the series on one
scale first (BBT-TS normalises each channel over its window; `decompose` standardises each column), otherwise
the largest-scale series dominates the mean. Weights (e.g. market caps) may replace the equal weights; they are
normalised to sum to 1.
"""

from __future__ import annotations

import numpy as np
import torch


def spatial_split(x: torch.Tensor, weights: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """x [B, L, C] -> (glob [B, L, 1], local [B, L, C]) with glob + local == x (broadcast over C)."""
    if weights is None:
        glob = x.mean(dim=-1, keepdim=True)  # [B, L, 1]
    else:
        w = weights.to(x.dtype) / weights.sum()  # [C]
        glob = (x * w).sum(dim=-1, keepdim=True)  # [B, L, 1]
    return glob, x - glob  # [B, L, 1], [B, L, C]


def spatial_split_np(x: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """NumPy twin over the last axis: x [..., C] -> (glob [..., 1], local [..., C])."""
    x = np.asarray(x, dtype=np.float64)
    if weights is None:
        glob = x.mean(axis=-1, keepdims=True)
    else:
        w = np.asarray(weights, dtype=np.float64)
        glob = (x * (w / w.sum())).sum(axis=-1, keepdims=True)
    return glob, x - glob
