"""Sliding windows over one or many series, stored once and gathered per batch by fancy indexing.

A window starting at s reads inputs values[s : s+L] and targets targets[s+L : s+L+H], so a window can never
see its own targets. Several series are concatenated into one array; the caller supplies only starts whose
whole window and targets lie inside one series, so no window crosses two series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Windows:
    values: np.ndarray  # [T, C] float32 inputs (already scaled)
    targets: np.ndarray  # [T, C_out] float32 what is forecast (same scale as the loss)
    starts: np.ndarray  # [N] int64 window starts
    seq_len: int
    pred_len: int
    marks: np.ndarray | None = None  # [T, M] calendar features, or None
    # why: a loss weight per target row, e.g. (scale / price)^2 turns a scaled-space MSE into squared
    # relative error, so a pooled model does not spend itself on the highest-priced stocks. None = 1.
    weights: np.ndarray | None = None  # [T]

    def __post_init__(self):
        self.values = np.ascontiguousarray(self.values, dtype=np.float32)
        self.targets = np.ascontiguousarray(self.targets, dtype=np.float32)
        self.starts = np.asarray(self.starts, dtype=np.int64)
        if self.marks is not None:
            self.marks = np.ascontiguousarray(self.marks, dtype=np.float32)
        if self.weights is not None:
            self.weights = np.ascontiguousarray(self.weights, dtype=np.float32)
        if len(self.starts) and (self.starts.min() < 0 or self.starts.max() + self.seq_len + self.pred_len > len(self.values)):
            raise ValueError("a window start reaches outside the series")
        self._in = np.arange(self.seq_len)
        self._out = np.arange(self.seq_len, self.seq_len + self.pred_len)

    def __len__(self) -> int:
        return len(self.starts)

    def batch(self, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        s = self.starts[idx][:, None]
        x = torch.from_numpy(self.values[s + self._in])  # [B, L, C]
        y = torch.from_numpy(self.targets[s + self._out])  # [B, H, C_out]
        m = torch.from_numpy(self.marks[s + self._in]) if self.marks is not None else None  # [B, L, M]
        return x, m, y

    def batch_weights(self, idx: np.ndarray) -> torch.Tensor | None:
        """[B] loss weights of the windows' first target rows, or None."""
        if self.weights is None:
            return None
        return torch.from_numpy(self.weights[self.starts[idx] + self.seq_len])

    def index_batches(self, batch_size: int, shuffle: bool = False, rng: np.random.Generator | None = None):
        order = (rng or np.random.default_rng()).permutation(len(self)) if shuffle else np.arange(len(self))
        for i in range(0, len(order), batch_size):  # never drops the last, partial batch
            yield order[i : i + batch_size]

    def batches(self, batch_size: int, shuffle: bool = False, rng: np.random.Generator | None = None):
        for idx in self.index_batches(batch_size, shuffle, rng):
            yield self.batch(idx)


def concat_series(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stack series end to end; returns the joined array and each series' offset."""
    offsets = np.cumsum([0] + [len(a) for a in arrays[:-1]]).astype(np.int64)
    return np.concatenate(arrays, axis=0), offsets
