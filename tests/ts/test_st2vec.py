"""DWT-ST2Vec: parts add back, shapes for every ablation, no look-ahead, gradients reach every parameter."""

import pytest
import torch

from bbt.ts.st2vec import DWTST2Vec, ST2VecConfig

FLAGS = {
    "full": dict(),
    "no_dwt": dict(use_dwt=False),
    "no_spatial": dict(use_spatial=False),
    "plain_t2v": dict(plain_t2v=True),
    "no_split": dict(use_dwt=False, use_spatial=False),
}
PARTS = {
    "full": {"low_global", "low_local", "high_global", "high_local"},
    "no_dwt": {"global", "local"},
    "no_spatial": {"low", "high"},
    "plain_t2v": {"value"},
    "no_split": {"value"},
}


def make(flag: str, enc_in: int = 4, mark_dim: int = 3) -> DWTST2Vec:
    torch.manual_seed(0)
    return DWTST2Vec(enc_in, mark_dim, ST2VecConfig(d_model=32, t2v_dim=8, **FLAGS[flag]))


@pytest.mark.parametrize("flag", FLAGS)
def test_shapes_and_parts_add_back(flag):
    emb = make(flag)
    x, mark = torch.randn(2, 25, 4), torch.randn(2, 25, 3)
    assert emb(x, mark).shape == (2, 25, 32)
    assert emb(x, None).shape == (2, 25, 32)  # calendar features are optional
    parts = emb.parts(x)
    assert set(parts) == PARTS[flag]
    for name, p in parts.items():
        assert p.shape == ((2, 25, 1) if name.endswith("global") else (2, 25, 4))
    torch.testing.assert_close(sum(parts.values()), x, atol=1e-5, rtol=0)  # globals broadcast over channels


@pytest.mark.parametrize("flag", FLAGS)
def test_no_look_ahead(flag):
    """Windows cut from a longer series: changing values after the window leaves its embedding unchanged,
    while changing the window's own last value does change it (so the test can fail)."""
    emb = make(flag).eval()
    series, marks = torch.randn(1, 60, 4), torch.randn(1, 60, 3)
    L, end = 32, 40

    def embed(s):
        return emb(s[:, end - L : end], marks[:, end - L : end])

    base = embed(series)
    future = series.clone()
    future[:, end:] += torch.randn(1, 60 - end, 4) * 5
    torch.testing.assert_close(embed(future), base, atol=0, rtol=0)
    last = series.clone()
    last[:, end - 1] += 1.0
    assert (embed(last) - base).abs().max() > 1e-4


@pytest.mark.parametrize("flag", FLAGS)
def test_gradients_reach_every_parameter(flag):
    emb = make(flag)
    x = torch.randn(3, 16, 4, requires_grad=True)
    emb(x, torch.randn(3, 16, 3)).pow(2).mean().backward()
    assert x.grad.abs().sum() > 0
    for name, p in emb.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_short_windows_and_deep_levels():
    emb = DWTST2Vec(2, 0, ST2VecConfig(d_model=16, t2v_dim=4, wavelet="db4", level=4))
    for length in (1, 3, 9):
        assert emb(torch.randn(2, length, 2), None).shape == (2, length, 16)


def test_supplied_global_part_adds_back():
    """A channel-independent caller passes the panel's global part: local = series - global, parts add to x."""
    import torch

    from bbt.ts.st2vec import DWTST2Vec, ST2VecConfig

    torch.manual_seed(0)
    emb = DWTST2Vec(1, 0, ST2VecConfig(d_model=16))
    x, glob = torch.randn(3, 32, 1), torch.randn(3, 32, 1)
    parts = emb.parts(x, glob)
    torch.testing.assert_close(sum(parts.values()), x, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(parts["low_global"] + parts["high_global"], glob, atol=1e-5, rtol=1e-5)
    assert emb(x, None, glob=glob).shape == (3, 32, 16)
