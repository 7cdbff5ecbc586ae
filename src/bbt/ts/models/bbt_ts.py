"""BBT-TS: a Transformer encoder over DWT-ST2Vec embeddings, plus a linear skip path.

    x [B, L, C] (- learned cycle) --window norm--> xn
        xn --DWT-ST2Vec--> [B, L, D] --encoder--> [B, L, D] --head--> [B, H, C_out]
        xn[targets] --linear over time (NLinear-style skip)---------------> [B, H, C_out] (+)
        xn[last k steps] --MLP (optional recent-step path)-----------------> [B, H, C_out] (+)
    then de-normalise with the target channels' window statistics (+ the cycle at the forecast steps).
Every path that learns starts at zero, so an untrained BBT-TS forecasts the reference (persistence for the
"last" and "ratio" norms). Options (BBTTSConfig): the cycle (CycleNet), which calendar marks the embedding
reads, a channel-independent Transformer path, the recent-step MLP.

Registered variants (same class, different defaults): `bbt` (full), `bbt_no_dwt` (no temporal split),
`bbt_no_spatial` (no global/local split), `bbt_t2v` (plain Time2Vec of the raw window), `bbt_no_recent` (without
the MLP over the last steps, for settings that switch it on).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from bbt.ts.models.base import ForecastSpec, register
from bbt.ts.models.layers import transformer_encoder
from bbt.ts.st2vec import DWTST2Vec, ST2VecConfig

NORMS = ("last", "ratio", "mean", "revin", "none")


@dataclass
class BBTTSConfig:
    d_model: int = 64  # why: small enough to train many stocks x seeds on CPU in minutes
    n_heads: int = 4
    e_layers: int = 2
    d_ff: int = 128
    dropout: float = 0.1
    wavelet: str = "db2"  # why: see ST2VecConfig; the embedding's own settings are flattened in here so
    level: int = 2  # build_forecaster(..., level=3) works like every other setting
    use_dwt: bool = True
    use_spatial: bool = True
    plain_t2v: bool = False
    t2v_dim: int = 16
    # why: windows drift in level (prices); "last" = subtract each channel's last value (NLinear), "mean" =
    # subtract the window mean, "revin" = also divide by the window std (RevIN without the affine). "last" gave
    # the lowest validation MSE on ETTh1 (L=96, H=24, short CPU runs: last 0.378 < mean 0.404 < revin 0.420).
    # "ratio" = divide by the last value (x / x_last - 1): for positive series such as prices, where a move
    # means the same at any price level (a limit-up day is +10 % at 5 or at 50 CNY); forecasts are relative
    # changes, so one pooled model learns them once for every stock and every year.
    norm: str = "last"
    # why: channel-mixing embeddings fit the noise of a few series (ETT: 7); channel-independent = each series
    # is embedded and encoded alone, as a [B*C, L, 1] batch with shared weights (PatchTST's remedy), its
    # DWT-ST2Vec global part being the panel's cross-series mean, so every series still sees what it shares.
    channel_independent: bool = False
    # why: a learned periodic profile per channel (CycleNet's residual cycle forecasting), removed from the
    # window before everything else and added back to the forecast: it holds the average daily load shape
    # estimated from all training rows, which a 96-step window sees only four noisy times. The position of a
    # step in the cycle comes from column `cycle_mark` of x_mark, TSLib's position feature in [-0.5, 0.5]
    # (hour of day: hour / 23 - 0.5 for cycle_len 24). 0 = off.
    cycle_len: int = 0
    cycle_mark: int = 0
    # why: calendar features the embedding reads (columns of x_mark; None = all). With one year of training
    # rows, day of year or of month is seen once per value, so a model can only memorise it.
    mark_columns: tuple[int, ...] | None = None
    linear_skip: bool = True  # why: a linear map over time per target (NLinear) keeps it >= a linear model
    # why: some targets hang on the last few steps far more than on the window, e.g. tomorrow's open on where
    # today closed in its range or whether it closed limit-up. A small MLP over the last `recent_steps` steps
    # of every channel (window-normalised) learns those non-linear rules quickly, where the whole-window paths
    # mostly fit noise (stock benchmark, validation). 0 = off.
    recent_steps: int = 0
    recent_hidden: int = 64
    head_dim: int = 4  # why: features per step and target fed to the time-mixing head; keeps the head O(L*H)
    eps: float = 1e-5  # why: guards the std of flat windows (suspended stocks, constant sensors)
    # why: channels in the same unit (open/high/low/close) normalised each by itself all end at 0, which erases
    # the gaps between them (today's open vs yesterday's close). Channels in ref_group use the statistics of
    # ref_channel instead (e.g. every price relative to the last close); -1 = each channel its own. With norm
    # "ratio" only the ref_group is divided; the other channels (volume, which can be <= 0 once scaled) are
    # only shifted by their last value.
    ref_channel: int = -1
    ref_group: tuple[int, ...] = ()


def window_stats(x: torch.Tensor, norm: str, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-window, per-channel reference and scale of x [B, L, C] -> ([B, 1, C], [B, 1, C]); window only."""
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    one = torch.ones_like(x[:, :1])  # [B, 1, C]
    if norm == "none":
        return torch.zeros_like(one), one
    if norm == "last":
        return x[:, -1:].detach(), one
    if norm == "ratio":
        last = x[:, -1:].detach()
        return last, last.abs().clamp_min(eps) / 100.0  # in percent: inputs of order 1, not 0.01
    mean = x.mean(dim=1, keepdim=True).detach()  # [B, 1, C]
    if norm == "mean":
        return mean, one
    std = torch.sqrt(x.var(dim=1, keepdim=True, unbiased=False) + eps).detach()
    return mean, std


@register("bbt_no_recent", BBTTSConfig, recent_steps=0)
@register("bbt_t2v", BBTTSConfig, plain_t2v=True)
@register("bbt_no_spatial", BBTTSConfig, use_spatial=False)
@register("bbt_no_dwt", BBTTSConfig, use_dwt=False)
@register("bbt", BBTTSConfig)
class BBTTS(nn.Module):
    def __init__(self, spec: ForecastSpec, cfg: BBTTSConfig):
        super().__init__()
        if cfg.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {cfg.norm!r}")
        self.spec, self.cfg = spec, cfg
        L, H, c_out = spec.seq_len, spec.pred_len, spec.c_out
        st = ST2VecConfig(d_model=cfg.d_model, wavelet=cfg.wavelet, level=cfg.level, use_dwt=cfg.use_dwt,
                          use_spatial=cfg.use_spatial, plain_t2v=cfg.plain_t2v, t2v_dim=cfg.t2v_dim,
                          dropout=cfg.dropout)
        ci = cfg.channel_independent
        cols = tuple(range(spec.mark_dim)) if cfg.mark_columns is None else tuple(cfg.mark_columns)
        if any(not 0 <= c < spec.mark_dim for c in cols):
            raise ValueError(f"mark_columns {cols} are not all columns of the {spec.mark_dim} calendar marks")
        self.register_buffer("mark_cols", torch.tensor(cols, dtype=torch.long), persistent=False)
        self.embed = DWTST2Vec(1 if ci else spec.enc_in, len(cols), st)
        self.encoder = transformer_encoder(cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.e_layers, cfg.dropout)
        # Head: per step, head_dim features for each target; then one map over (time x features) -> H,
        # shared by the targets (channel-independent like PatchTST's flatten head, but O(L * head_dim * H)).
        self.to_target = nn.Linear(cfg.d_model, (1 if ci else c_out) * cfg.head_dim)
        self.head_drop = nn.Dropout(cfg.dropout)
        self.time_head = nn.Linear(L * cfg.head_dim, H)
        # why: start the Transformer path at zero so training starts from the skip path (a persistence /
        # window-mean forecast) and the encoder only adds what it can improve on.
        nn.init.zeros_(self.time_head.weight)
        nn.init.zeros_(self.time_head.bias)
        self.skip = nn.Linear(L, H) if cfg.linear_skip else None
        if self.skip is not None:  # zero = forecast the reference (last value / window mean) at step 0
            nn.init.zeros_(self.skip.weight)
            nn.init.zeros_(self.skip.bias)
        self.cycle = nn.Parameter(torch.zeros(cfg.cycle_len, spec.enc_in)) if cfg.cycle_len else None  # [W, C]
        if self.cycle is not None and not 0 <= cfg.cycle_mark < spec.mark_dim:
            raise ValueError(f"cycle_mark {cfg.cycle_mark} is not a column of the {spec.mark_dim} calendar marks")
        self.recent = None
        if cfg.recent_steps:
            if not 0 < cfg.recent_steps <= L:
                raise ValueError(f"recent_steps must be in [1, seq_len={L}], got {cfg.recent_steps}")
            self.recent = nn.Sequential(nn.Linear(cfg.recent_steps * spec.enc_in, cfg.recent_hidden), nn.GELU(),
                                        nn.Linear(cfg.recent_hidden, cfg.recent_hidden), nn.GELU(),
                                        nn.Linear(cfg.recent_hidden, H * c_out))
            nn.init.zeros_(self.recent[-1].weight)  # starts at zero like the other paths
            nn.init.zeros_(self.recent[-1].bias)
        self.register_buffer("target", torch.tensor(spec.target_idx, dtype=torch.long), persistent=False)

    def forward(self, x: torch.Tensor, x_mark: torch.Tensor | None = None) -> torch.Tensor:
        b = x.shape[0]  # x: [B, L, C]
        H, c_out, k = self.spec.pred_len, self.spec.c_out, self.cfg.head_dim
        if self.cycle is not None:
            phase_in, phase_out = self._cycle_phases(x_mark)  # [B, L], [B, H]
            x = x - self.cycle[phase_in]  # [B, L, C]
        ref, scale = window_stats(x, self.cfg.norm, self.cfg.eps)  # [B, 1, C] each
        if self.cfg.ref_channel >= 0 and self.cfg.ref_group:
            g, r = list(self.cfg.ref_group), self.cfg.ref_channel
            ref, scale = ref.clone(), scale.clone()
            ref[..., g], scale[..., g] = ref[..., r : r + 1], scale[..., r : r + 1]
            if self.cfg.norm == "ratio":
                rest = [c for c in range(x.shape[-1]) if c not in set(g)]
                scale[..., rest] = 1.0
        xn = (x - ref) / scale  # [B, L, C]
        if x_mark is not None:
            x_mark = x_mark.index_select(-1, self.mark_cols)  # [B, L, M'] the marks the embedding reads
        if self.cfg.channel_independent:
            out = self._encode_each_series(xn, x_mark).index_select(1, self.target)  # [B, C_out, H]
        else:
            h = self.encoder(self.embed(xn, x_mark))  # [B, L, D]
            z = self.to_target(h).view(b, -1, c_out, k)  # [B, L, C_out, k]
            z = z.permute(0, 2, 1, 3).flatten(2)  # [B, C_out, L * k]
            out = self.time_head(self.head_drop(z))  # [B, C_out, H]
        if self.skip is not None:
            out = out + self.skip(xn.index_select(-1, self.target).transpose(1, 2))  # [B, C_out, H]
        out = out.transpose(1, 2)  # [B, H, C_out]
        if self.recent is not None:
            out = out + self.recent(xn[:, -self.cfg.recent_steps:].flatten(1)).view(b, H, c_out)  # [B, H, C_out]
        t_ref, t_scale = ref.index_select(-1, self.target), scale.index_select(-1, self.target)  # [B, 1, C_out]
        out = out * t_scale + t_ref  # [B, H, C_out]
        if self.cycle is not None:
            out = out + self.cycle.index_select(1, self.target)[phase_out]  # [B, H, C_out]
        return out

    def _cycle_phases(self, x_mark: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Position in the cycle of every input step [B, L] and forecast step [B, H], from the marks."""
        if x_mark is None:
            raise ValueError("cycle_len needs calendar marks (x_mark) to place the window in its cycle")
        w = self.cfg.cycle_len
        pos = x_mark[..., self.cfg.cycle_mark]  # [B, L] in [-0.5, 0.5]
        phase_in = torch.round((pos + 0.5) * (w - 1)).long().remainder(w)  # [B, L]
        steps = torch.arange(1, self.spec.pred_len + 1, device=pos.device)  # the forecast follows the window
        return phase_in, (phase_in[:, -1:] + steps).remainder(w)  # [B, L], [B, H]

    def _encode_each_series(self, xn: torch.Tensor, x_mark: torch.Tensor | None) -> torch.Tensor:
        """Channel-independent Transformer path: xn [B, L, C] -> [B, C, H], every series encoded alone."""
        b, length, c = xn.shape
        glob = xn.mean(dim=-1, keepdim=True).repeat_interleave(c, dim=0)  # [B*C, L, 1]: the panel's shared part
        series = xn.transpose(1, 2).reshape(b * c, length, 1)  # [B*C, L, 1], row b*C + c = series c of window b
        marks = x_mark.repeat_interleave(c, dim=0) if x_mark is not None else None  # [B*C, L, M]
        h = self.encoder(self.embed(series, marks, glob=glob))  # [B*C, L, D]
        z = self.to_target(h).flatten(1)  # [B*C, L * k]
        return self.time_head(self.head_drop(z)).view(b, c, -1)  # [B, C, H]
