"""BBT-TS forecaster: registry variants, shapes, normalisation round trip, and it learns a sinusoid."""

import pytest
import torch

from bbt.ts.models import ForecastSpec, available, build_forecaster
from bbt.ts.models.bbt_ts import NORMS

VARIANTS = ("bbt", "bbt_no_dwt", "bbt_no_spatial", "bbt_t2v")
SPEC = ForecastSpec(seq_len=32, pred_len=8, enc_in=4, target_idx=(3, 1), mark_dim=2)


def test_registered_variants_differ_in_the_embedding():
    assert set(VARIANTS) <= set(available())
    parts = {n: tuple(build_forecaster(n, SPEC).embed.part_names()) for n in VARIANTS}
    assert len(set(parts.values())) == 4
    assert build_forecaster("bbt_no_dwt", SPEC).cfg.use_dwt is False
    assert build_forecaster("bbt_t2v", SPEC, level=3).cfg.plain_t2v is True  # variant default + override


@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize("norm", NORMS)
def test_forward_shapes(name, norm):
    torch.manual_seed(0)
    model = build_forecaster(name, SPEC, norm=norm)
    out = model(torch.randn(5, 32, 4), torch.randn(5, 32, 2))  # [B, H, C_out]
    assert out.shape == (5, 8, 2) and torch.isfinite(out).all()
    assert model(torch.randn(5, 32, 4), None).shape == (5, 8, 2)


@pytest.mark.parametrize("norm", ["last", "mean", "revin"])
def test_level_shift_passes_through(norm):
    """Window normalisation: shifting a whole window shifts the forecast of each target by the same amount."""
    torch.manual_seed(0)
    model = build_forecaster("bbt", SPEC, norm=norm)
    with torch.no_grad():  # make both paths non-trivial (they start at zero)
        model.time_head.weight.normal_(0, 0.1)
        model.skip.weight.normal_(0, 0.1)
    model.eval()
    x, mark = torch.randn(3, 32, 4), torch.randn(3, 32, 2)
    shift = torch.tensor([1.0, -2.0, 3.0, 10.0])
    torch.testing.assert_close(model(x + shift, mark), model(x, mark) + shift[[3, 1]], atol=1e-4, rtol=1e-4)


def test_starts_as_persistence_forecast():
    model = build_forecaster("bbt", SPEC, norm="last").eval()
    x = torch.randn(2, 32, 4)
    torch.testing.assert_close(model(x), x[:, -1:, [3, 1]].expand(-1, 8, -1))


def test_bad_norm():
    with pytest.raises(ValueError):
        build_forecaster("bbt", SPEC, norm="zscore")


@pytest.mark.parametrize("linear_skip", [True, False])
def test_overfits_a_sinusoid_batch(linear_skip):
    torch.manual_seed(0)
    spec = ForecastSpec(seq_len=24, pred_len=6, enc_in=2, target_idx=(0,))
    t = torch.arange(30, dtype=torch.float32)
    phase = torch.rand(16, 1) * 6.28
    series = torch.stack([torch.sin(2 * torch.pi * t / 12 + phase), torch.cos(2 * torch.pi * t / 7 + phase)], -1)
    x, y = series[:, :24], series[:, 24:, :1]  # [16, 24, 2], [16, 6, 1]
    model = build_forecaster("bbt", spec, linear_skip=linear_skip, dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(60):
        loss = torch.nn.functional.mse_loss(model(x, None), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0], (losses[0], losses[-1])  # observed ~1e-3 x; False = encoder alone
    assert model.time_head.weight.abs().sum() > 0  # the Transformer path took part, not only the skip


def test_ref_group_starts_at_the_reference_channels_last_value():
    """With prices normalised by the last close, an untrained BBT-TS forecasts the open as yesterday's close."""
    from bbt.ts.models import ForecastSpec, build_forecaster

    spec = ForecastSpec(seq_len=16, pred_len=2, enc_in=5, target_idx=(0,))
    model = build_forecaster("bbt", spec, norm="last", ref_channel=3, ref_group=(0, 1, 2, 3)).eval()
    x = torch.randn(4, 16, 5)
    out = model(x)  # [B, H, 1]
    assert torch.allclose(out, x[:, -1:, 3:4].expand(-1, 2, -1), atol=1e-6)
    plain = build_forecaster("bbt", spec, norm="last").eval()
    assert torch.allclose(plain(x), x[:, -1:, 0:1].expand(-1, 2, -1), atol=1e-6)


def _randomise_paths(model):
    """Give every zero-initialised output layer random weights so each path takes part in the forecast."""
    with torch.no_grad():
        for lin in [model.time_head, model.skip] + ([model.recent[-1]] if model.recent is not None else []):
            if lin is not None:
                lin.weight.normal_(0, 0.1)
                lin.bias.normal_(0, 0.1)
    return model.eval()


def test_ratio_norm_is_scale_equivariant():
    """Prices normalised by the last close: scaling every price of a window by k scales the forecast by k
    (a move reads as the same percentage at any price level); the volume channel is only shifted."""
    torch.manual_seed(0)
    spec = ForecastSpec(seq_len=16, pred_len=2, enc_in=5, target_idx=(0,), mark_dim=2)
    model = _randomise_paths(build_forecaster("bbt", spec, norm="ratio", ref_channel=3, ref_group=(0, 1, 2, 3),
                                              recent_steps=2))
    prices = 10 + torch.rand(3, 16, 4)
    volume = torch.randn(3, 16, 1)
    mark = torch.randn(3, 16, 2)
    base = model(torch.cat([prices, volume], -1), mark)
    torch.testing.assert_close(model(torch.cat([prices * 7.0, volume], -1), mark), base * 7.0, rtol=1e-4, atol=1e-4)
    # the volume channel is shifted, not divided: shifting it changes nothing
    torch.testing.assert_close(model(torch.cat([prices, volume + 3.0], -1), mark), base, rtol=1e-4, atol=1e-4)
    fresh = build_forecaster("bbt", spec, norm="ratio", ref_channel=3, ref_group=(0, 1, 2, 3)).eval()
    x = torch.cat([prices, volume], -1)
    torch.testing.assert_close(fresh(x), x[:, -1:, 3:4].expand(-1, 2, -1))  # untrained = yesterday's close


def test_recent_path_reads_only_the_last_steps():
    torch.manual_seed(0)
    spec = ForecastSpec(seq_len=16, pred_len=3, enc_in=4, target_idx=(0, 2))
    model = build_forecaster("bbt", spec, recent_steps=2, linear_skip=False)
    assert model.recent is not None
    x = torch.randn(4, 16, 4)
    torch.testing.assert_close(model.eval()(x), x[:, -1:, [0, 2]].expand(-1, 3, -1))  # zero-initialised
    with torch.no_grad():
        model.recent[-1].weight.normal_(0, 0.1)  # only the recent path is non-zero
    y = model(x)
    x2 = x.clone()
    x2[:, :13] += torch.randn(4, 13, 4)  # everything but the last two steps (and the last value, the reference)
    torch.testing.assert_close(model(x2), y)
    x3 = x.clone()
    x3[:, -2] += 1.0
    assert not torch.allclose(model(x3), y)
    with pytest.raises(ValueError, match="recent_steps"):
        build_forecaster("bbt", spec, recent_steps=17)


def test_bbt_no_recent_variant_switches_the_path_off():
    spec = ForecastSpec(seq_len=16, pred_len=3, enc_in=4)
    assert build_forecaster("bbt_no_recent", spec).recent is None
    assert build_forecaster("bbt", spec, recent_steps=3).recent is not None


def test_channel_independent_encodes_each_series_alone():
    """Without the spatial split, a channel-independent forecast of series c reads series c only; with it,
    the other series reach it only through the shared global part (their cross-series mean)."""
    torch.manual_seed(0)
    spec = ForecastSpec(seq_len=24, pred_len=4, enc_in=3, target_idx=(0, 1, 2), mark_dim=2)
    alone = _randomise_paths(build_forecaster("bbt", spec, channel_independent=True, use_spatial=False))
    x, mark = torch.randn(2, 24, 3), torch.randn(2, 24, 2)
    y = alone(x, mark)
    assert y.shape == (2, 4, 3)
    x2 = x.clone()
    x2[..., 1] += torch.randn(2, 24)
    y2 = alone(x2, mark)
    torch.testing.assert_close(y2[..., [0, 2]], y[..., [0, 2]])
    assert not torch.allclose(y2[..., 1], y[..., 1])
    shared = _randomise_paths(build_forecaster("bbt", spec, channel_independent=True))
    assert not torch.allclose(shared(x2, mark)[..., 0], shared(x, mark)[..., 0])  # via the global part
    # a window's forecast never depends on the other windows of its batch
    torch.testing.assert_close(shared(x[:1], mark[:1]), shared(x, mark)[:1])
    fresh = build_forecaster("bbt", spec, channel_independent=True).eval()
    torch.testing.assert_close(fresh(x, mark), x[:, -1:].expand(-1, 4, -1))  # untrained = persistence
