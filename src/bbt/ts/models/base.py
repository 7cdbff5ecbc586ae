"""What every forecaster shares: the shape spec and the registry.

A forecaster is an nn.Module built as `cls(spec, cfg)` whose forward is
    forward(x: [B, L, C], x_mark: [B, L, M] | None) -> [B, H, C_out]
so the stock benchmark, the ETT benchmark, the TS head of BBTModel and /v1/forecast reuse the same models.
Inputs arrive already scaled by the caller (scalers fitted on training rows only); a model may normalise
further inside, using the look-back window alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

from torch import nn


@dataclass(frozen=True)
class ForecastSpec:
    seq_len: int  # L: look-back window length
    pred_len: int  # H: steps forecast
    enc_in: int  # C: input channels
    target_idx: tuple[int, ...] = (0,)  # input channels that are forecast, in output order (C_out = len)
    mark_dim: int = 0  # M: calendar features per step (0 = none)

    @property
    def c_out(self) -> int:
        return len(self.target_idx)


@dataclass
class RegisteredForecaster:
    name: str
    cls: type[nn.Module]
    config_cls: type
    defaults: dict[str, Any] = field(default_factory=dict)  # config overrides that define this variant
    trainable: bool = True


_REGISTRY: dict[str, RegisteredForecaster] = {}


def register(name: str, config_cls: type, trainable: bool = True, **defaults: Any) -> Callable:
    """Register `cls` under `name`; the same class may be registered several times as variants (ablations)."""

    def deco(cls: type[nn.Module]) -> type[nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"forecaster {name!r} registered twice")
        _REGISTRY[name] = RegisteredForecaster(name, cls, config_cls, dict(defaults), trainable)
        return cls

    return deco


def available() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> RegisteredForecaster:
    if name not in _REGISTRY:
        from bbt.errors import BBTError

        raise BBTError(f"unknown forecaster {name!r}; available: {', '.join(available())}")
    return _REGISTRY[name]


def build_forecaster(name: str, spec: ForecastSpec, **overrides: Any) -> nn.Module:
    """Build a registered forecaster; `overrides` may name any field of its config (unknown ones are errors)."""
    entry = get(name)
    fields = {f.name for f in dataclasses.fields(entry.config_cls)}
    unknown = set(overrides) - fields
    if unknown:
        from bbt.errors import BBTError

        raise BBTError(f"forecaster {name!r} has no setting(s) {sorted(unknown)}; settings: {sorted(fields)}")
    cfg = entry.config_cls(**{**entry.defaults, **overrides})
    model = entry.cls(spec, cfg)
    model.forecaster_name = name
    return model
