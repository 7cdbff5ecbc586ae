"""Relation head: the pooled states of the marked head and tail entities (and of the whole text) -> a label.

    hidden [B, L, D], head_mask / tail_mask [B, L] (the tokens of each marked entity, markers included)
      --> [mean(head tokens), mean(tail tokens), mean(all)] [B, 3D] --> Linear --> logits [B, n_labels]

The input carries entity markers around head and tail mentions (bbt.train.task_heads.mark_entities), so the
encoder sees which entity is which; the masks say where they are.
"""

from __future__ import annotations

import torch
from torch import nn

from bbt.model.heads.base import masked_mean, register_head


@register_head("relation")
class RelationHead(nn.Module):
    fused = "logits"  # the output the lexical channel adds to (bbt.model.lexical)
    def __init__(self, d_model: int, labels: list[str]):
        super().__init__()
        self.labels = list(labels)
        self.classify = nn.Sequential(nn.Dropout(0.1), nn.Linear(3 * d_model, d_model), nn.GELU(),
                                      nn.Linear(d_model, len(self.labels)))

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor, head_mask: torch.Tensor,
                tail_mask: torch.Tensor, **_) -> dict:
        feats = torch.cat([masked_mean(hidden, head_mask), masked_mean(hidden, tail_mask),
                           masked_mean(hidden, mask)], dim=-1)  # [B, 3D]
        return {"logits": self.classify(feats)}  # [B, n_labels]

    def loss(self, out: dict, mask: torch.Tensor, rel_label: torch.Tensor, **_) -> torch.Tensor:
        return nn.functional.cross_entropy(out["logits"], rel_label)
