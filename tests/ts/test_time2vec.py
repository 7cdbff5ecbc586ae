"""Time2Vec: one linear term + learned-frequency sines, any leading shape, trainable frequencies."""

import pytest
import torch

from bbt.ts.time2vec import Time2Vec


def test_shape_linear_term_and_bounded_sines():
    t2v = Time2Vec(3, 8)
    x = torch.randn(2, 5, 3) * 10
    out = t2v(x)
    assert out.shape == (2, 5, 8)
    torch.testing.assert_close(out[..., 0], t2v.linear(x)[..., 0])
    torch.testing.assert_close(out[..., 1:], torch.sin(t2v.periodic(x)))
    assert out[..., 1:].abs().max() <= 1.0
    # the linear term is linear: t2v(2x)[0] - b = 2 (t2v(x)[0] - b)
    b = t2v.linear.bias
    torch.testing.assert_close(t2v(2 * x)[..., 0] - b, 2 * (out[..., 0] - b))


def test_frequencies_and_phases_learn():
    t2v = Time2Vec(1, 4)
    t2v(torch.linspace(0, 1, 30).view(30, 1)).pow(2).sum().backward()
    assert t2v.periodic.weight.grad.abs().sum() > 0  # frequencies
    assert t2v.periodic.bias.grad.abs().sum() > 0  # phases
    assert t2v.linear.weight.grad.abs().sum() > 0


def test_needs_two_outputs():
    with pytest.raises(ValueError):
        Time2Vec(1, 1)
