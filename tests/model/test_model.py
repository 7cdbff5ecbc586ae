"""BBTModel: shapes and gradients for text-only, series-only and mixed inputs; presets; no look-ahead."""

import pytest
import torch

from bbt.errors import BBTError
from bbt.model.config import BBTConfig, preset_config
from bbt.model.modeling import BBTModel

VOCAB = 120


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    cfg = preset_config("tiny", vocab_size=VOCAB, cls_heads={"finfe": ["消极", "中性", "积极"], "finnl": list("abcd")},
                        multilabel_heads=("finnl",), forecast_horizon=2)
    return BBTModel(cfg)


def batch(b=3, lt=7, ls=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, VOCAB, (b, lt), generator=g)
    mask = torch.ones_like(ids)
    mask[0, -2:] = 0  # a padded row
    series = 10 + torch.randn(b, ls, 5, generator=g).cumsum(1)
    labels = torch.randint(3, VOCAB, (b, 4), generator=g)
    return ids, mask, series, labels


def test_text_only_forward_backward(model):
    ids, mask, _, labels = batch()
    out = model(ids, mask, labels=labels, task="finfe", cls_labels=torch.tensor([0, 1, 2]))
    assert out.lm_logits.shape == (3, 4, VOCAB)
    assert out.cls_logits.shape == (3, 3)
    assert out.encoder_hidden.shape == (3, 7, 32) and out.forecast is None
    assert set(out.losses) == {"lm", "cls"}
    model.zero_grad()
    out.loss.backward()
    assert model.t5.shared.weight.grad is not None and model.bbt.cls_heads["finfe"].weight.grad is not None
    assert model.bbt.series_embed.fuse.weight.grad is None  # no series -> the series path is untouched


def test_series_only_forward_backward(model):
    _, _, series, _ = batch()
    target = series[:, -2:, :1] + 0.5
    out = model(series=series, series_target=target)
    assert out.forecast.shape == (3, 2, 1) and out.encoder_hidden.shape == (3, 16, 32)
    assert set(out.losses) == {"ts"}
    model.zero_grad()
    out.loss.backward()
    assert model.bbt.ts_head[-1].weight.grad.abs().sum() > 0
    # the output layer starts at zero (persistence); after one step the gradient reaches the embedding
    with torch.no_grad():
        model.bbt.ts_head[-1].weight -= 0.1 * model.bbt.ts_head[-1].weight.grad
    model.zero_grad()
    model(series=series, series_target=target).loss.backward()
    assert model.bbt.series_embed.fuse.weight.grad.abs().sum() > 0


def test_mixed_input_joint_mask_and_all_heads(model):
    ids, mask, series, labels = batch()
    multi_hot = torch.tensor([[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, 0]], dtype=torch.float)
    out = model(ids, mask, series=series, labels=labels, task="finnl", cls_labels=multi_hot,
                series_target=series[:, -2:, :1])
    assert out.encoder_hidden.shape == (3, 7 + 16, 32)
    assert out.encoder_mask.shape == (3, 23) and out.encoder_mask[0, 5:7].sum() == 0 and out.encoder_mask[0, 7:].all()
    assert set(out.losses) == {"lm", "cls", "ts"}
    out.loss.backward()


def test_forecast_starts_at_persistence_of_the_reference_channel(model):
    _, _, series, _ = batch()
    fresh = BBTModel(model.config).eval()
    with torch.no_grad():
        f = fresh(series=series).forecast
    # ref_channel 3 (close) for the price group: a fresh model forecasts open_t = close_{t-1}
    assert torch.allclose(f, series[:, -1:, 3:4].expand(-1, 2, -1))


def test_series_after_the_window_cannot_change_outputs(model):
    model.eval()
    _, _, series, _ = batch(ls=24)
    ids, mask, _, _ = batch()
    with torch.no_grad():
        a = model(ids, mask, series=series[:, :16]).forecast
        changed = series.clone()
        changed[:, 16:] += 100.0
        b = model(ids, mask, series=changed[:, :16]).forecast
    assert torch.equal(a, b)
    model.train()


def test_padded_text_positions_do_not_change_the_forecast(model):
    model.eval()
    ids, mask, series, _ = batch()
    with torch.no_grad():
        a = model(ids, mask, series=series).forecast
        ids2 = ids.clone()
        ids2[0, -2:] = 5  # masked positions
        b = model(ids2, mask, series=series).forecast
    assert torch.allclose(a[0], b[0], atol=1e-5)
    model.train()


def test_generate_from_joint_input(model):
    model.eval()
    ids, mask, series, _ = batch()
    out = model.generate(ids, mask, series=series, max_new_tokens=5)
    assert out.shape[0] == 3 and out.shape[1] <= 6 and (out[:, 0] == 0).all()  # starts with decoder start (pad)
    model.train()


def test_bad_series_shape_is_a_clear_error(model):
    with pytest.raises(BBTError, match=r"series must be \[batch, steps, 5\]"):
        model(series=torch.zeros(2, 10, 3))
    nan = torch.ones(1, 8, 5)
    nan[0, 3, 2] = float("nan")
    with pytest.raises(BBTError, match="NaN or inf \\(first at batch 0, step 3, channel 2\\)"):
        model(series=nan)
    with pytest.raises(BBTError, match="needs input_ids, series, or both"):
        model()


def test_patching_shortens_the_series_tokens():
    cfg = preset_config("tiny", vocab_size=VOCAB, patch_len=4)
    m = BBTModel(cfg)
    _, _, series, _ = batch()
    out = m(series=series)
    assert out.encoder_hidden.shape == (3, 4, 32)
    with pytest.raises(BBTError, match="multiple of patch_len"):
        m(series=series[:, :15])


def test_config_round_trip_keeps_t5_and_bbt_settings(tmp_path):
    cfg = preset_config("tiny", vocab_size=VOCAB, n_series=7, cls_heads={"x": ["a", "b"]})
    cfg.save(tmp_path)
    back = BBTConfig.load(tmp_path)
    assert back.bbt == cfg.bbt and back.t5.d_model == 32 and back.t5.is_gated_act
    assert back.t5.scale_decoder_outputs is False  # v1.1: no output scaling


def test_preset_sizes_on_meta_device():
    counts = {}
    for name in ("base", "large"):
        with torch.device("meta"):
            counts[name] = BBTModel(preset_config(name, vocab_size=32128)).num_parameters()
    # T5 v1.1 base is 248M (untied head; "220M" is v1.0 base with a tied head), v1.1 large 783M
    assert 240e6 < counts["base"] < 260e6
    assert 0.77e9 < counts["large"] < 0.80e9
    with torch.device("meta"):
        assert BBTModel(preset_config("large", vocab_size=64100)).num_parameters() > 0.85e9
    with pytest.raises(BBTError, match="unknown preset"):
        preset_config("huge")
