"""Vanilla Transformer forecaster: linear value embedding + sinusoidal positions (the seed's baseline).

Encoder-only: the encoded window is flattened and mapped to all H steps at once (no autoregressive decoder,
so no error accumulation). No normalisation inside: it sees the series exactly as the caller scaled it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from bbt.ts.models.base import ForecastSpec, register
from bbt.ts.models.layers import sinusoidal_positions, transformer_encoder


@dataclass
class TransformerConfig:
    d_model: int = 64  # why: small enough to train 40 stocks x 3 seeds on CPU in minutes
    n_heads: int = 4
    e_layers: int = 2
    d_ff: int = 128
    dropout: float = 0.1


@register("transformer", TransformerConfig)
class VanillaTransformer(nn.Module):
    def __init__(self, spec: ForecastSpec, cfg: TransformerConfig):
        super().__init__()
        self.spec = spec
        self.value = nn.Linear(spec.enc_in, cfg.d_model)
        self.mark = nn.Linear(spec.mark_dim, cfg.d_model) if spec.mark_dim else None
        self.register_buffer("pos", sinusoidal_positions(spec.seq_len, cfg.d_model), persistent=False)
        self.drop = nn.Dropout(cfg.dropout)
        self.encoder = transformer_encoder(cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.e_layers, cfg.dropout)
        self.head = nn.Linear(spec.seq_len * cfg.d_model, spec.pred_len * spec.c_out)

    def forward(self, x: torch.Tensor, x_mark: torch.Tensor | None = None) -> torch.Tensor:
        h = self.value(x) + self.pos  # [B, L, D]
        if self.mark is not None and x_mark is not None:
            h = h + self.mark(x_mark)
        h = self.encoder(self.drop(h))  # [B, L, D]
        out = self.head(h.flatten(1))  # [B, H * C_out]
        return out.view(x.shape[0], self.spec.pred_len, self.spec.c_out)  # [B, H, C_out]
