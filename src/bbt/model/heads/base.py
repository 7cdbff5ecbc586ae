"""What every task head shares: the registry and the calling convention.

A head is an nn.Module built as `cls(d_model, **spec)` (spec: the JSON dict saved in config.json under
"bbt" -> "task_heads" -> TASK, minus "kind") with
    forward(hidden: [B, L, D], mask: [B, L], **inputs) -> dict of logits
    loss(out: dict, mask: [B, L], **targets) -> scalar
    fused: the key of the output [B, n] the lexical channel adds to (None: not fusable)
Heads see encoder states only; which characters a token covers, how targets are made from a task's gold answer
and how logits become an answer live with the task adapters (bbt.train.task_heads) and BBTGenerator.
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from bbt.errors import BBTError

_REGISTRY: dict[str, type[nn.Module]] = {}


def register_head(kind: str) -> Callable[[type[nn.Module]], type[nn.Module]]:
    def deco(cls: type[nn.Module]) -> type[nn.Module]:
        if kind in _REGISTRY:
            raise ValueError(f"head kind {kind!r} registered twice")
        cls.kind = kind
        _REGISTRY[kind] = cls
        return cls

    return deco


def build_head(spec: dict, d_model: int) -> nn.Module:
    spec = dict(spec)
    kind = spec.pop("kind", None)
    if kind not in _REGISTRY:
        raise BBTError(f"unknown head kind {kind!r} in config.json 'task_heads'; known: {sorted(_REGISTRY)}")
    try:
        return _REGISTRY[kind](d_model, **spec)
    except TypeError as e:
        raise BBTError(f"head {kind!r}: bad settings {spec} ({e})") from None


def available() -> list[str]:
    return sorted(_REGISTRY)


def masked_mean(h, m):
    """Mean of h [B, L, D] over the positions where m [B, L] is set -> [B, D] (zeros where none is)."""
    w = m.unsqueeze(-1).to(h.dtype)  # [B, L, 1]
    return (h * w).sum(1) / w.sum(1).clamp(min=1.0)
