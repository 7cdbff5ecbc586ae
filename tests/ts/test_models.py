"""Every registered forecaster: one signature, right shapes, trains; naive is exact; windows never leak."""

import numpy as np
import pytest
import torch

from bbt.errors import BBTError
from bbt.ts.models import ForecastSpec, available, build_forecaster, get
from bbt.ts.train import TrainConfig, fit_forecaster, predict
from bbt.ts.windows import Windows

SPEC = ForecastSpec(seq_len=24, pred_len=6, enc_in=3, target_idx=(2, 0), mark_dim=2)


def test_registry_has_the_issue_models():
    assert {"naive", "dlinear", "transformer", "bbt", "bbt_no_dwt", "bbt_no_spatial", "bbt_t2v"} <= set(available())


@pytest.mark.parametrize("name", available())
def test_forward_signature_and_shape(name):
    torch.manual_seed(0)
    model = build_forecaster(name, SPEC)
    x, mark = torch.randn(5, 24, 3), torch.rand(5, 24, 2) - 0.5
    out = model(x, mark)  # [B, H, C_out]
    assert out.shape == (5, 6, 2)
    assert torch.isfinite(out).all()
    if get(name).trainable:
        out.sum().backward()
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_naive_repeats_last_value_of_source_channel():
    model = build_forecaster("naive", SPEC, source_idx=(1, 1))
    x = torch.randn(4, 24, 3)
    out = model(x)
    assert torch.equal(out, x[:, -1:, [1, 1]].expand(-1, 6, -1))


def test_unknown_model_and_setting_are_clear_errors():
    with pytest.raises(BBTError, match="unknown forecaster"):
        build_forecaster("nope", SPEC)
    with pytest.raises(BBTError, match="no setting"):
        build_forecaster("dlinear", SPEC, colour="red")


def test_windows_gather_inputs_before_targets():
    v = np.arange(40, dtype=np.float32).reshape(20, 2)
    w = Windows(v, v[:, [1]], np.array([0, 5]), seq_len=4, pred_len=2)
    x, m, y = w.batch(np.array([1]))
    assert m is None
    assert x[0, :, 0].tolist() == [10, 12, 14, 16]  # rows 5..8
    assert y[0, :, 0].tolist() == [19, 21]  # rows 9..10, channel 1
    assert sum(len(b[2]) for b in w.batches(1)) == 2
    with pytest.raises(ValueError):
        Windows(v, v, np.array([15]), seq_len=4, pred_len=2)


@pytest.mark.parametrize("name", ["dlinear", "transformer", "bbt"])
def test_training_beats_untrained_on_a_sine(name):
    torch.manual_seed(0)
    t = np.arange(1200)
    v = np.stack([np.sin(t / 6), np.cos(t / 9), np.sin(t / 4)], 1).astype(np.float32)
    spec = ForecastSpec(24, 6, 3, (2, 0))
    train = Windows(v, v[:, [2, 0]], np.arange(0, 900), 24, 6)
    val = Windows(v, v[:, [2, 0]], np.arange(900, 1170), 24, 6)
    model = build_forecaster(name, spec)
    before = np.mean((predict(model, val) - val.batch(np.arange(len(val)))[2].numpy()) ** 2)
    fit = fit_forecaster(model, train, val, TrainConfig(epochs=4, batch_size=64, lr=3e-3))
    assert fit.best_val < 0.5 * before
