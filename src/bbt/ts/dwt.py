"""Temporal split of a window by the discrete wavelet transform: low + high frequency parts that add back.

x -> J-level DWT -> (a_J, d_J, ..., d_1);  low = IDWT(a_J, 0, ..., 0),  high = IDWT(0, d_J, ..., d_1).
Both parts are reconstructed from their own coefficients (nothing is defined as x - low); because the IDWT is
linear and perfectly reconstructing, low + high == x up to float rounding.

Boundaries: the DWT runs in pywt's "periodization" mode (orthogonal, coefficient length N/2 per level) on a
*mirrored* copy of the window: [flip(x) | x | flip(x)], plus a few more mirrored samples on the far left so the
length divides 2^J. The mirror keeps the series continuous at both window edges, and periodization's
wrap-around seam falls a full window away from them. Every padded sample is a copy of a value inside the
window, so the split never reads outside the window; the result is cropped back to the window.

The torch module uses conv1d / conv_transpose1d with pywt's filter banks (differentiable, batched over series);
`wavelet_split_np` is its NumPy twin built on pywt.wavedec / waverec, and the two agree to float precision.
"""

from __future__ import annotations

import warnings

import numpy as np
import pywt
import torch
import torch.nn.functional as F
from torch import nn


def _pad_widths(length: int, level: int) -> tuple[int, int]:
    """(left, right) mirror padding: a full window each side, then extra on the left to divide 2^level."""
    n = 3 * length
    extra = (-n) % (2**level)
    return length + extra, length


def _mirror_index(length: int, left: int, right: int) -> np.ndarray:
    """Indices into a window of `length` for positions -left .. length+right-1, half-sample symmetric.

    Same as np.pad(mode="symmetric") for any pad width: the mirrored series repeats with period 2 * length.
    """
    pos = np.arange(-left, length + right) % (2 * length)
    return np.where(pos < length, pos, 2 * length - 1 - pos)


def _check(wavelet: str, level: int) -> pywt.Wavelet:
    if level < 1:
        raise ValueError(f"wavelet level must be >= 1, got {level}")
    w = pywt.Wavelet(wavelet)
    if w.dec_len % 2:
        raise ValueError(f"wavelet {wavelet!r} has an odd filter length; periodization needs an even one")
    return w


class WaveletSplit(nn.Module):
    """[B, L, C] -> (low [B, L, C], high [B, L, C]); low + high == x. Any L >= 1, any C."""

    def __init__(self, wavelet: str = "db2", level: int = 2):
        super().__init__()
        w = _check(wavelet, level)
        self.wavelet, self.level, self.flen = wavelet, level, w.dec_len
        # float64 filters, cast to the input dtype per call, so a float64 run matches pywt to ~1e-12.
        # conv1d cross-correlates, pywt convolves: analysis filters are stored reversed; conv_transpose1d
        # scatters with the kernel as is, which already is a convolution with rec_*.
        for name, taps in [("dec_lo", w.dec_lo[::-1]), ("dec_hi", w.dec_hi[::-1]),
                           ("rec_lo", w.rec_lo), ("rec_hi", w.rec_hi)]:
            self.register_buffer(name, torch.tensor(taps, dtype=torch.float64).view(1, 1, -1), persistent=False)

    def _analysis(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One periodized DWT level: x [S, 1, N] (N even) -> (a, d) each [S, 1, N/2].

        pywt: a[o] = sum_j dec_lo[j] * x[(2o + F/2 - j) mod N]; the circular gather below lines up the same
        samples for a strided cross-correlation with the reversed filter (works even when N < F).
        """
        n, f = x.shape[-1], self.flen
        idx = torch.arange(-(f // 2 - 1), n + f // 2, device=x.device) % n
        xp = x.index_select(-1, idx)  # [S, 1, N + F - 1]
        a = F.conv1d(xp, self.dec_lo.to(x.dtype), stride=2)[..., : n // 2]
        d = F.conv1d(xp, self.dec_hi.to(x.dtype), stride=2)[..., : n // 2]
        return a, d

    def _synthesis(self, c: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        """Periodized IDWT contribution of one band: c [S, 1, N/2] -> [S, 1, N] (transpose of _analysis)."""
        n, f = 2 * c.shape[-1], self.flen
        y = F.conv_transpose1d(c, kernel.to(c.dtype), stride=2)  # [S, 1, N + F - 2]
        # Fold the linear result back onto the circle: position m lands on (m - (F/2 - 1)) mod N.
        idx = (torch.arange(y.shape[-1], device=c.device) - (f // 2 - 1)) % n
        out = torch.zeros(c.shape[0], 1, n, dtype=c.dtype, device=c.device)
        return out.index_add(-1, idx, y)

    def coefficients(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Mirror-padded J-level DWT of x [B, L, C]: [a_J, d_J, ..., d_1], each [B*C, 1, N / 2^j]."""
        b, length, c = x.shape
        left, right = _pad_widths(length, self.level)
        idx = torch.as_tensor(_mirror_index(length, left, right), device=x.device)
        s = x.index_select(1, idx).permute(0, 2, 1).reshape(b * c, 1, -1)  # [B*C, 1, N]
        details = []
        for _ in range(self.level):
            s, d = self._analysis(s)
            details.append(d)
        return [s, *details[::-1]]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, length, c = x.shape  # [B, L, C]
        coeffs = self.coefficients(x)
        low = coeffs[0]  # [B*C, 1, N / 2^J]: approximation only
        high = torch.zeros_like(low)  # details only; nothing at the coarsest level yet
        for d in coeffs[1:]:  # coarse to fine
            low = self._synthesis(low, self.rec_lo)  # detail band of low is zero
            high = self._synthesis(high, self.rec_lo) + self._synthesis(d, self.rec_hi)
        left, _ = _pad_widths(length, self.level)
        crop = slice(left, left + length)

        def back(y: torch.Tensor) -> torch.Tensor:
            return y[..., crop].reshape(b, c, length).permute(0, 2, 1)  # [B, L, C]

        return back(low), back(high)

    def extra_repr(self) -> str:
        return f"wavelet={self.wavelet!r}, level={self.level}"


def wavelet_split_np(x: np.ndarray, wavelet: str = "db2", level: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """NumPy twin of WaveletSplit along axis 0: x [L] or [L, C] -> (low, high) of the same shape (float64)."""
    _check(wavelet, level)
    x = np.asarray(x, dtype=np.float64)
    length = x.shape[0]
    left, right = _pad_widths(length, level)
    xp = x[_mirror_index(length, left, right)]
    with warnings.catch_warnings():  # pywt warns when level exceeds its "useful" depth; the split stays exact
        warnings.simplefilter("ignore", UserWarning)
        coeffs = pywt.wavedec(xp, wavelet, mode="periodization", level=level, axis=0)
        low = pywt.waverec([coeffs[0]] + [np.zeros_like(d) for d in coeffs[1:]], wavelet, mode="periodization", axis=0)
        high = pywt.waverec([np.zeros_like(coeffs[0])] + coeffs[1:], wavelet, mode="periodization", axis=0)
    return low[left : left + length], high[left : left + length]
