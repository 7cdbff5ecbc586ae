"""WaveletSplit: perfect reconstruction, torch == pywt twin, window-only, differentiable."""

import numpy as np
import pytest
import torch

from bbt.ts.dwt import WaveletSplit, wavelet_split_np

CASES = [(w, lev, length) for w in ("haar", "db2", "db4", "sym5", "coif1", "bior2.2")
         for lev in (1, 2, 4) for length in (1, 7, 33, 96)]


@pytest.mark.parametrize("wavelet,level,length", CASES)
def test_low_plus_high_is_input_and_matches_numpy(wavelet, level, length):
    rng = np.random.default_rng(level * 100 + length)
    x = rng.normal(size=(2, length, 3))  # [B, L, C]
    split = WaveletSplit(wavelet, level)
    low, high = split(torch.tensor(x))  # float64 run
    assert low.shape == high.shape == x.shape
    np.testing.assert_allclose((low + high).numpy(), x, atol=1e-10)
    low_np, high_np = wavelet_split_np(x[1], wavelet, level)  # [L, C]
    np.testing.assert_allclose(low[1].numpy(), low_np, atol=1e-10)
    np.testing.assert_allclose(high[1].numpy(), high_np, atol=1e-10)


@pytest.mark.parametrize("length", [30, 31, 97])
def test_float32_reconstruction(length):
    x = torch.randn(4, length, 5)
    low, high = WaveletSplit("db2", 2)(x)
    assert low.dtype == torch.float32
    assert (low + high - x).abs().max() < 1e-5


def test_low_keeps_slow_waves_and_high_keeps_fast_ones():
    t = np.arange(128)
    slow = np.sin(2 * np.pi * t / 64)  # period 64 >> 2^(level+1)
    fast = np.cos(np.pi * t)  # +1, -1, ...: the Nyquist frequency
    low, high = wavelet_split_np(slow + fast, "db4", 2)
    assert np.abs(low - slow)[8:-8].max() < 0.05  # interior: boundaries are mirrored, not exact
    assert np.abs(high - fast)[8:-8].max() < 0.05


def test_numpy_twin_handles_1d():
    x = np.random.default_rng(0).normal(size=50)
    low, high = wavelet_split_np(x, "sym4", 3)
    assert low.shape == (50,)
    np.testing.assert_allclose(low + high, x, atol=1e-12)


def test_window_only_and_per_series():
    """Each window's split depends on that window alone: not on other series in the batch or other channels."""
    x = torch.randn(3, 40, 4, dtype=torch.float64)
    split = WaveletSplit("db2", 2)
    low, _ = split(x)
    low_one, _ = split(x[1:2, :, 2:3])
    torch.testing.assert_close(low[1:2, :, 2:3], low_one)


def test_gradcheck():
    x = torch.randn(1, 11, 2, dtype=torch.float64, requires_grad=True)
    split = WaveletSplit("db2", 2)
    assert torch.autograd.gradcheck(lambda v: split(v), (x,))


def test_bad_settings():
    with pytest.raises(ValueError):
        WaveletSplit("db2", 0)
    with pytest.raises(ValueError):
        WaveletSplit("not-a-wavelet", 2)
