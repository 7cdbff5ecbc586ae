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
