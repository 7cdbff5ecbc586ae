"""Naive last value: repeats the last observed value of a chosen input channel per target."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from bbt.ts.models.base import ForecastSpec, register


@dataclass
class NaiveConfig:
    # why: the stock benchmark forecasts the open from yesterday's close, so the source channel of each
    # target may differ from the target itself. None = repeat each target channel's own last value.
    source_idx: tuple[int, ...] | None = None


@register("naive", NaiveConfig, trainable=False)
class NaiveLast(nn.Module):
    def __init__(self, spec: ForecastSpec, cfg: NaiveConfig):
        super().__init__()
        self.spec = spec
        src = cfg.source_idx if cfg.source_idx is not None else spec.target_idx
        if len(src) != spec.c_out:
            raise ValueError(f"source_idx has {len(src)} channels, spec forecasts {spec.c_out}")
        self.register_buffer("src", torch.tensor(src, dtype=torch.long), persistent=False)

    def forward(self, x: torch.Tensor, x_mark: torch.Tensor | None = None) -> torch.Tensor:
        last = x[:, -1, :].index_select(-1, self.src)  # [B, C_out]
        return last.unsqueeze(1).expand(-1, self.spec.pred_len, -1)  # [B, H, C_out]
