"""Batch helpers shared by the task mixture (bbt.train.data) and the head adapters (bbt.train.task_heads)."""

from __future__ import annotations

import torch


def pad(seqs: list, value: int) -> torch.Tensor:
    """Right-pad rows of ints to the longest row: [B, max_len] long tensor."""
    n = max(len(s) for s in seqs)
    return torch.tensor([list(s) + [value] * (n - len(s)) for s in seqs], dtype=torch.long)
