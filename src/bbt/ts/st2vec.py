"""DWT-ST2Vec: the time-vector embedding of BBT 乾元 — wavelet (temporal) x global/local (spatial) + Time2Vec.

A window x [B, L, C] is split into four parts that add back to x:
    low_global [B, L, 1], low_local [B, L, C], high_global [B, L, 1], high_local [B, L, C]
(low/high: WaveletSplit over time per channel; global/local: cross-series mean and deviations from it).
Each part gets its own Time2Vec (a global part is one value per step; a local part is the channel vector),
calendar time gets one more Time2Vec over (relative position in the window, x_mark), and the concatenation
is projected to d_model: [B, L, d_model]. Everything is computed from the window alone (no look-ahead).

Ablations: use_dwt=False keeps only global/local; use_spatial=False keeps only low/high; plain_t2v=True is
plain Time2Vec of the raw window (no split at all).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from bbt.ts.dwt import WaveletSplit
from bbt.ts.spatial import spatial_split
from bbt.ts.time2vec import Time2Vec


@dataclass
class ST2VecConfig:
    d_model: int = 64  # why: width of the fused embedding = the encoder's width; small enough for CPU training
    wavelet: str = "db2"  # why: short (4-tap) smooth orthogonal filter; sharp enough for daily/hourly windows
    level: int = 2  # why: low = periods longer than ~2^(level+1) = 8 steps, high = the rest (noise, daily swings)
    use_dwt: bool = True  # why: ablation switch for the temporal (low/high frequency) split
    use_spatial: bool = True  # why: ablation switch for the spatial (global/local) split
    plain_t2v: bool = False  # why: ablation baseline: plain Time2Vec of the raw window, no split at all
    t2v_dim: int = 16  # why: Time2Vec width per part (1 linear + 15 sines); 5 parts x 16 = 80 fused features
    dropout: float = 0.1  # why: regularises the fused embedding; windows are few on daily stock data


class DWTST2Vec(nn.Module):
    """forward(x [B, L, C], x_mark [B, L, M] | None, glob [B, L, 1] | None) -> [B, L, d_model]."""

    def __init__(self, enc_in: int, mark_dim: int, cfg: ST2VecConfig):
        super().__init__()
        self.cfg, self.enc_in, self.mark_dim = cfg, enc_in, mark_dim
        self.dwt = WaveletSplit(cfg.wavelet, cfg.level) if self._dwt else None
        # One Time2Vec per part: global parts see 1 value per step, the others the C-channel vector.
        self.part_t2v = nn.ModuleDict({name: Time2Vec(1 if name.endswith("global") else enc_in, cfg.t2v_dim)
                                       for name in self.part_names()})
        self.time_t2v = Time2Vec(1 + mark_dim, cfg.t2v_dim)  # relative position + calendar features
        n_feat = (len(self.part_t2v) + 1) * cfg.t2v_dim
        self.fuse = nn.Linear(n_feat, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    @property
    def _dwt(self) -> bool:
        return self.cfg.use_dwt and not self.cfg.plain_t2v

    @property
    def _spatial(self) -> bool:
        return self.cfg.use_spatial and not self.cfg.plain_t2v

    def part_names(self) -> list[str]:
        if self._dwt and self._spatial:
            return ["low_global", "low_local", "high_global", "high_local"]
        if self._dwt:
            return ["low", "high"]
        if self._spatial:
            return ["global", "local"]
        return ["value"]  # plain Time2Vec (or both splits switched off)

    def parts(self, x: torch.Tensor, glob: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The split of x [B, L, C] the flags select; the parts always add back to x (globals broadcast).
        `glob` [B, L, 1] supplies the global part from outside: a channel-independent caller embeds each series
        alone (C = 1) together with the panel's cross-series mean, so local = the series minus that mean."""
        if self._spatial:
            glob, local = (glob, x - glob) if glob is not None else spatial_split(x)  # [B, L, 1], [B, L, C]
        if self._dwt and self._spatial:
            # Both splits are linear and commute; splitting space first halves the DWT work (C+1 channels, not 2C).
            low, high = self.dwt(torch.cat([glob, local], dim=-1))  # each [B, L, 1 + C]
            return {"low_global": low[..., :1], "low_local": low[..., 1:],
                    "high_global": high[..., :1], "high_local": high[..., 1:]}
        if self._dwt:
            low, high = self.dwt(x)  # [B, L, C] each
            return {"low": low, "high": high}
        if self._spatial:
            return {"global": glob, "local": local}
        return {"value": x}

    def forward(self, x: torch.Tensor, x_mark: torch.Tensor | None = None,
                glob: torch.Tensor | None = None) -> torch.Tensor:
        b, length, _ = x.shape  # [B, L, C]
        feats = [self.part_t2v[name](p) for name, p in self.parts(x, glob).items()]  # each [B, L, t2v_dim]
        # Position relative to the window's end (last step = 0), so it means the same for any window length.
        pos = (torch.arange(length, device=x.device, dtype=x.dtype) - (length - 1)) / length
        t = pos.view(1, length, 1).expand(b, -1, -1)  # [B, L, 1]
        if self.mark_dim:
            mark = x_mark if x_mark is not None else x.new_zeros(b, length, self.mark_dim)
            t = torch.cat([t, mark.to(x.dtype)], dim=-1)  # [B, L, 1 + M]
        feats.append(self.time_t2v(t))  # [B, L, t2v_dim]
        return self.drop(self.fuse(torch.cat(feats, dim=-1)))  # [B, L, d_model]
