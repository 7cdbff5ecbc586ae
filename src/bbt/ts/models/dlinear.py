"""DLinear (Zeng et al., AAAI 2023): moving-average trend + remainder, one linear map over time for each."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from bbt.ts.models.base import ForecastSpec, register
from bbt.ts.models.layers import MovingAverage


@dataclass
class DLinearConfig:
    kernel_size: int = 25  # why: the paper's moving-average window for the trend
    individual: bool = False  # why: one map per channel overfits small data; shared is the paper's default


@register("dlinear", DLinearConfig)
class DLinear(nn.Module):
    def __init__(self, spec: ForecastSpec, cfg: DLinearConfig):
        super().__init__()
        self.spec = spec
        self.decomp = MovingAverage(min(cfg.kernel_size, spec.seq_len if spec.seq_len % 2 else spec.seq_len - 1))
        n = spec.enc_in if cfg.individual else 1
        self.seasonal = nn.ModuleList(nn.Linear(spec.seq_len, spec.pred_len) for _ in range(n))
        self.trend = nn.ModuleList(nn.Linear(spec.seq_len, spec.pred_len) for _ in range(n))
        for lin in [*self.seasonal, *self.trend]:  # the paper starts from the window mean
            nn.init.constant_(lin.weight, 1.0 / spec.seq_len)
            nn.init.zeros_(lin.bias)
        self.register_buffer("target", torch.tensor(spec.target_idx, dtype=torch.long), persistent=False)

    def forward(self, x: torch.Tensor, x_mark: torch.Tensor | None = None) -> torch.Tensor:
        x = x.index_select(-1, self.target)  # [B, L, C_out]: channel-independent, only targets matter
        trend = self.decomp(x)  # [B, L, C_out]
        seasonal = (x - trend).transpose(1, 2)  # [B, C_out, L]
        trend = trend.transpose(1, 2)
        if len(self.seasonal) == 1:
            out = self.seasonal[0](seasonal) + self.trend[0](trend)  # [B, C_out, H]
        else:
            idx = self.spec.target_idx
            out = torch.stack([self.seasonal[c](seasonal[:, i]) + self.trend[c](trend[:, i])
                               for i, c in enumerate(idx)], dim=1)
        return out.transpose(1, 2)  # [B, H, C_out]
