"""Replaced-token detection (bbt.model.electra): the objective's invariants, its batches, and a pre-training run
that resumes exactly and saves a model without the scaffolding."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from bbt.model.config import preset_config
from bbt.model.electra import ReplacedTokenDetection
from bbt.model.modeling import BBTModel, load_model
from bbt.pretrain.loop import PretrainConfig, pretrain
from bbt.pretrain.stream import CorpusStream, StreamConfig, load_weights
from bbt.text.tokenizer import load_tokenizer


def cfg(tokenizer_dir, **kw):
    base = dict(preset="tiny", tokenizer=str(tokenizer_dir), input_len=64, batch_size=4, steps=6, warmup_steps=2,
                log_every=1, save_every=100, mixed_precision="no", seed=1, rtd_rate=0.5)
    return PretrainConfig(**{**base, **kw})


def losses(out):
    return {r["step"]: r for r in map(json.loads, (out / "log.jsonl").read_text().splitlines())}


def test_detection_batches_mask_real_tokens_never_the_end(small_corpus, tokenizer_dir):
    tok = load_tokenizer(tokenizer_dir)
    stream = CorpusStream(small_corpus, tok, load_weights("size", small_corpus), StreamConfig(input_len=64))
    b = stream.detection_batch(16, 0.15)
    assert b["input_ids"].shape == b["rtd_mask"].shape == (16, 64)
    assert (b["input_ids"][:, -1] == tok.eos_token_id).all()
    assert not b["rtd_mask"][b["input_ids"] == tok.eos_token_id].any()
    assert b["rtd_mask"].any(axis=1).all()  # at least one token to fill per row
    assert 0.08 < b["rtd_mask"].mean() < 0.25
    low = stream.detection_batch(8, 0.0)  # a zero rate still gives each row one position
    assert (low["rtd_mask"].sum(axis=1) == 1).all()


def _model_and_rtd(tokenizer_dir):
    tok = load_tokenizer(tokenizer_dir)
    model = BBTModel(preset_config("tiny", vocab_size=len(tok)))
    model.rtd = ReplacedTokenDetection(model.config.d_model, len(tok), mask_id=tok.eos_token_id)
    return model, tok


def test_only_filled_real_tokens_change_and_gradients_reach_the_encoder(tokenizer_dir):
    torch.manual_seed(0)
    model, tok = _model_and_rtd(tokenizer_dir)
    ids = torch.randint(10, len(tok), (3, 20))
    mask = torch.ones_like(ids)
    mask[2, 15:] = 0  # padding is never filled nor scored
    fill = torch.zeros_like(ids, dtype=torch.bool)
    fill[:, ::4] = True
    real = mask.bool()
    _, corrupted = model.rtd.fill(model, ids, real, fill & real)
    assert ((corrupted != ids) & ~(fill & real)).sum() == 0
    out = model(input_ids=ids, attention_mask=mask, rtd_mask=fill)
    assert set(out.losses) == {"generator", "detector"} and torch.isfinite(out.loss)
    out.loss.backward()
    assert model.rtd.detector.weight.grad.abs().sum() > 0  # the detector learns
    assert model.t5.encoder.block[0].layer[0].SelfAttention.q.weight.grad.abs().sum() > 0  # through the encoder
    assert model.t5.shared.weight.grad.abs().sum() > 0  # and the tied embedding (generator + encoder)
    assert model.t5.decoder.block[0].layer[0].SelfAttention.q.weight.grad is None  # the decoder is not used


def test_a_sampled_original_token_counts_as_original(tokenizer_dir, monkeypatch):
    torch.manual_seed(0)
    model, tok = _model_and_rtd(tokenizer_dir)
    ids = torch.randint(10, len(tok), (2, 16))
    fill = torch.zeros_like(ids, dtype=torch.bool)
    fill[:, 1::3] = True
    monkeypatch.setattr(torch, "multinomial", lambda probs, n: ids[fill].unsqueeze(-1))  # a perfect generator
    seen = {}
    real_bce = torch.nn.functional.binary_cross_entropy_with_logits

    def bce(score, target):
        seen["target"] = target
        return real_bce(score, target)

    monkeypatch.setattr(torch.nn.functional, "binary_cross_entropy_with_logits", bce)
    model(input_ids=ids, attention_mask=torch.ones_like(ids), rtd_mask=fill)
    assert seen["target"].shape == (32,) and seen["target"].sum() == 0


def test_rtd_run_resumes_exactly_and_saves_no_scaffolding(small_corpus, tokenizer_dir, tmp_path):
    full, crashed = tmp_path / "full", tmp_path / "crashed"
    pretrain(cfg(tokenizer_dir, steps=8), small_corpus, full)
    pretrain(cfg(tokenizer_dir, steps=8, stop_at=4), small_corpus, crashed)
    pretrain(cfg(tokenizer_dir, steps=8), small_corpus, crashed, resume=True)
    a, b = losses(full), losses(crashed)
    assert {k for r in a.values() for k in r if k.startswith("loss_")} == \
        {"loss_text", "loss_rtd", "loss_rtd_generator", "loss_rtd_detector"}
    for step in range(5, 9):
        for k in a[step]:
            if k.startswith("loss_"):
                assert a[step][k] == pytest.approx(b[step][k], rel=1e-5), (step, k)
    for d in (full / "final", full / "last"):
        assert not [k for k in load_file(str(d / "model.safetensors")) if k.startswith("rtd.")]
    model, tok, _ = load_model(full / "final")  # a plain BBT model: what `bbt finetune --init` reads
    assert getattr(model, "rtd", None) is None
    wa, wb = model.state_dict(), load_model(crashed / "final")[0].state_dict()
    assert all(torch.allclose(wa[k], wb[k], atol=1e-6) for k in wa)
    assert all(np.isfinite(r["loss_rtd"]) for r in a.values() if "loss_rtd" in r)


def test_rtd_rate_is_checked(small_corpus, tokenizer_dir, tmp_path):
    from bbt.errors import BBTError

    with pytest.raises(BBTError, match="rtd_rate"):
        pretrain(cfg(tokenizer_dir, rtd_rate=0.6, infill_rate=0.5), small_corpus, tmp_path / "bad")
    model, tok = _model_and_rtd(tokenizer_dir)
    del model.rtd
    with pytest.raises(BBTError, match="no replaced-token detection"):
        ids = torch.randint(10, len(tok), (1, 8))
        model(input_ids=ids, attention_mask=torch.ones_like(ids), rtd_mask=torch.ones_like(ids))
