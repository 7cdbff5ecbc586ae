"""Spatial split: global = cross-series mean (or weighted), local = the rest; adds back; NumPy twin agrees."""

import numpy as np
import torch

from bbt.ts.spatial import spatial_split, spatial_split_np


def test_adds_back_and_global_is_mean():
    x = torch.randn(4, 20, 5)
    glob, local = spatial_split(x)
    assert glob.shape == (4, 20, 1) and local.shape == x.shape
    torch.testing.assert_close(glob + local, x)
    torch.testing.assert_close(glob[..., 0], x.mean(-1))
    assert local.sum(-1).abs().max() < 1e-5  # deviations from the mean cancel


def test_weights_and_numpy_twin():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(3, 10, 4)), np.array([1.0, 2.0, 3.0, 4.0])
    glob, local = spatial_split(torch.tensor(x), torch.tensor(w))
    glob_np, local_np = spatial_split_np(x, w)
    np.testing.assert_allclose(glob.numpy(), glob_np, atol=1e-12)
    np.testing.assert_allclose(local.numpy(), local_np, atol=1e-12)
    np.testing.assert_allclose(glob_np[..., 0], x @ (w / w.sum()), atol=1e-12)
    np.testing.assert_allclose(glob_np + local_np, x, atol=1e-12)
    g, _ = spatial_split_np(x)
    np.testing.assert_allclose(g[..., 0], x.mean(-1))


def test_single_series_is_all_global():
    x = torch.randn(2, 8, 1)
    glob, local = spatial_split(x)
    torch.testing.assert_close(glob, x)
    assert local.abs().max() == 0
