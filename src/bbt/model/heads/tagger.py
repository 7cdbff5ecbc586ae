"""Token tagging head with a linear-chain CRF (BIO tags over the encoder states), for NER.

    hidden [B, L, D] --Linear--> emissions [B, L, n_tags] --CRF (pytorch-crf)--> tag sequence per row

Tags are "O" then B-/I- per entity type, in the order of `types`. The CRF's transition scores learn that an I-
follows its own B-; the answer adapter turns tag runs back into character offsets.
"""

from __future__ import annotations

import torch
from torch import nn
from torchcrf import CRF

from bbt.model.heads.base import register_head


def bio_labels(types) -> list[str]:
    return ["O", *(f"{p}-{t}" for t in types for p in ("B", "I"))]


@register_head("tagger")
class TaggerHead(nn.Module):
    fused = None  # per-token tags: no lexical channel
    def __init__(self, d_model: int, types: list[str], none: str = "无"):
        super().__init__()
        self.types, self.none = list(types), none
        self.tags = bio_labels(self.types)
        self.emit = nn.Linear(d_model, len(self.tags))
        self.crf = CRF(len(self.tags), batch_first=True)
        self.drop = nn.Dropout(0.1)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor, **_) -> dict:
        return {"emissions": self.emit(self.drop(hidden))}  # [B, L, n_tags]

    def loss(self, out: dict, mask: torch.Tensor, tags: torch.Tensor, **_) -> torch.Tensor:
        # why mean over tokens: the CRF's log-likelihood grows with length; per token it mixes with the LM loss
        llh = self.crf(out["emissions"].float(), tags, mask=mask.bool(), reduction="sum")
        return -llh / mask.sum().clamp(min=1)

    def decode(self, out: dict, mask: torch.Tensor) -> list[list[str]]:
        return [[self.tags[k] for k in row] for row in self.crf.decode(out["emissions"].float(), mask=mask.bool())]
