"""Time2Vec (Kazemi et al., 2019): one linear term plus sines with learned frequencies and phases.

t2v(x)[0] = w_0 . x + b_0          (non-periodic: trends, levels)
t2v(x)[i] = sin(w_i . x + b_i)      i = 1 .. k-1 (periodic patterns, frequencies learned)

Here x may be a vector (a step's channel values, or position + calendar features), so each w_i is a row of
an [in_features -> k] linear map.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class Time2Vec(nn.Module):
    """[..., in_features] -> [..., out_features]; out_features >= 2 (one linear + at least one sine)."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        if out_features < 2:
            raise ValueError("Time2Vec needs out_features >= 2 (a linear term and at least one sine)")
        self.linear = nn.Linear(in_features, 1)
        self.periodic = nn.Linear(in_features, out_features - 1)
        # why: spread the initial frequencies over ~[0.1, 6] rad per unit so short and long periods both start
        # covered (inputs are normalised values or relative positions of order 1); the phases start uniform.
        if self.periodic.weight.is_meta:  # shapes only (parameter counting): nothing to initialise
            return
        with torch.no_grad():
            scale = torch.exp(torch.linspace(math.log(0.1), math.log(6.0), out_features - 1)).unsqueeze(1)
            signs = torch.randn(out_features - 1, in_features).sign()
            self.periodic.weight.copy_(signs * scale / math.sqrt(in_features))
            self.periodic.bias.uniform_(-math.pi, math.pi)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.linear(x), torch.sin(self.periodic(x))], dim=-1)  # [..., out_features]
