"""Checkpoints: BBT round trip, plain-transformers T5 checkpoints (dir, .tar.gz, .bin, wrapper prefixes), errors."""

import json
import tarfile

import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import T5Config, T5ForConditionalGeneration

from bbt.errors import BBTError
from bbt.model.checkpoint import save_pretrained
from bbt.model.config import preset_config
from bbt.model.modeling import BBTModel, load_model

VOCAB = 100


def inputs():
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(3, VOCAB, (2, 6), generator=g)
    series = 5 + torch.randn(2, 12, 5, generator=g).cumsum(1)
    labels = torch.randint(3, VOCAB, (2, 3), generator=g)
    return ids, torch.ones_like(ids), series, labels


def perturb(model):
    """Non-trivial values for the zero-initialised parts, so a round trip is a real check."""
    with torch.no_grad():
        for p in model.bbt.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return model


def test_bbt_round_trip_gives_identical_outputs(tmp_path):
    torch.manual_seed(0)
    model = perturb(BBTModel(preset_config("tiny", VOCAB, cls_heads={"t": ["a", "b"]}))).eval()
    ids, mask, series, labels = inputs()
    save_pretrained(model, tmp_path / "ckpt", extra={"step": 7})
    back, tok, report = load_model(tmp_path / "ckpt")
    assert tok is None and report.initialised == [] and not report.text_only
    with torch.no_grad():
        a = model(ids, mask, series=series, labels=labels, task="t")
        b = back(ids, mask, series=series, labels=labels, task="t")
    for name in ("lm_logits", "cls_logits", "forecast"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    assert json.loads((tmp_path / "ckpt" / "bbt_state.json").read_text())["step"] == 7
    # the file is a standard T5 config with the BBT settings under one key
    cfg = json.loads((tmp_path / "ckpt" / "config.json").read_text())
    assert cfg["model_type"] == "t5" and cfg["bbt"]["cls_heads"] == {"t": ["a", "b"]}
    assert cfg["tie_word_embeddings"] is False and cfg["feed_forward_proj"] == "gated-gelu"
    # the transformers-style method names do the same
    model.save_pretrained(tmp_path / "ckpt2")
    again = BBTModel.from_pretrained(tmp_path / "ckpt2").eval()
    with torch.no_grad():
        assert torch.equal(again(ids, mask, series=series, labels=labels, task="t").cls_logits, a.cls_logits)


def test_plain_transformers_loads_the_text_part(tmp_path):
    torch.manual_seed(0)
    model = perturb(BBTModel(preset_config("tiny", VOCAB))).eval()
    save_pretrained(model, tmp_path / "ckpt")
    t5 = T5ForConditionalGeneration.from_pretrained(tmp_path / "ckpt").eval()
    ids, mask, _, labels = inputs()
    with torch.no_grad():
        theirs = t5(input_ids=ids, attention_mask=mask, labels=labels).logits
        # BBT adds a learned type embedding to text tokens; with it zeroed the text path is plain T5
        model.bbt.modality.weight.zero_()
        ours = model(ids, mask, labels=labels).lm_logits
    assert torch.allclose(ours, theirs, atol=1e-5)


def make_plain_t5(directory, tied=False, prefix="", fmt="safetensors"):
    torch.manual_seed(3)
    cfg = T5Config(vocab_size=VOCAB, d_model=32, d_ff=64, num_layers=2, num_heads=2, d_kv=16,
                   feed_forward_proj="gated-gelu" if not tied else "relu", tie_word_embeddings=tied,
                   decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    t5 = T5ForConditionalGeneration(cfg).eval()
    if not tied:  # a v1.1-style checkpoint carries its own LM head
        t5.lm_head.weight = torch.nn.Parameter(torch.randn(VOCAB, 32) * 0.2)
    t5.save_pretrained(directory)
    state = load_file(str(directory / "model.safetensors"))
    if not tied:
        state["lm_head.weight"] = t5.lm_head.weight.detach().clone()
    state = {prefix + k: v for k, v in state.items()}
    (directory / "model.safetensors").unlink()
    if fmt == "bin":
        torch.save(state, directory / "pytorch_model.bin")
    else:
        save_file(state, str(directory / "model.safetensors"), metadata={"format": "pt"})
    conf = json.loads((directory / "config.json").read_text())
    conf["tie_word_embeddings"] = tied
    (directory / "config.json").write_text(json.dumps(conf))
    return t5


@pytest.mark.parametrize("tied,prefix,fmt", [(False, "", "safetensors"), (False, "module._orig_mod.", "bin"),
                                             (True, "module.", "safetensors")])
def test_plain_t5_checkpoint_loads_text_only(tmp_path, tied, prefix, fmt):
    d = tmp_path / "t5"
    d.mkdir()
    t5 = make_plain_t5(d, tied=tied, prefix=prefix, fmt=fmt)
    model, _, report = load_model(d, n_series=3)
    assert report.text_only and report.initialised and all(k.startswith("bbt.") for k in report.initialised)
    assert model.config.bbt.n_series == 3
    ids, mask, _, labels = inputs()
    with torch.no_grad():
        ours = model(ids, mask, labels=labels).lm_logits
        theirs = t5(input_ids=ids, attention_mask=mask, labels=labels).logits
    assert torch.allclose(ours, theirs, atol=1e-5)
    # and the series path works on the freshly initialised parts
    out = model(ids, mask, series=torch.randn(2, 8, 3).cumsum(1))
    assert out.forecast.shape == (2, 1, 1)


def test_tar_gz_checkpoint(tmp_path):
    d = tmp_path / "t5_small"
    d.mkdir()
    make_plain_t5(d)
    archive = tmp_path / "t5_small.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(d, arcname="t5_small")
    model, _, report = load_model(archive)
    assert report.text_only and model.config.t5.d_model == 32


def test_mismatched_shapes_are_refused(tmp_path):
    model = BBTModel(preset_config("tiny", VOCAB))
    save_pretrained(model, tmp_path / "ckpt")
    conf = json.loads((tmp_path / "ckpt" / "config.json").read_text())
    conf["vocab_size"] = VOCAB + 8
    (tmp_path / "ckpt" / "config.json").write_text(json.dumps(conf))
    with pytest.raises(BBTError, match=r"do not fit the config.*shared.weight: checkpoint \(100, 32\) vs model \(108, 32\)"):
        load_model(tmp_path / "ckpt")


def test_missing_and_foreign_weights_are_refused(tmp_path):
    model = BBTModel(preset_config("tiny", VOCAB))
    save_pretrained(model, tmp_path / "ckpt")
    state = load_file(str(tmp_path / "ckpt" / "model.safetensors"))
    save_file({k: v for k, v in state.items() if "encoder.block.1" not in k},
              str(tmp_path / "ckpt" / "model.safetensors"))
    with pytest.raises(BBTError, match="incomplete T5 checkpoint"):
        load_model(tmp_path / "ckpt")
    save_file({**state, "bert.pooler.weight": torch.zeros(2)}, str(tmp_path / "ckpt" / "model.safetensors"))
    with pytest.raises(BBTError, match="weights the model does not have: bert.pooler.weight"):
        load_model(tmp_path / "ckpt")


def test_truncated_weights_name_the_file(tmp_path):
    save_pretrained(BBTModel(preset_config("tiny", VOCAB)), tmp_path / "ckpt")
    weights = tmp_path / "ckpt" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(BBTError, match="model.safetensors: cannot read safetensors weights"):
        load_model(tmp_path / "ckpt")


def test_not_a_checkpoint_errors(tmp_path):
    with pytest.raises(BBTError, match="checkpoint not found"):
        load_model(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BBTError, match="no config.json"):
        load_model(tmp_path / "empty")
    (tmp_path / "bert").mkdir()
    (tmp_path / "bert" / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(BBTError, match="T5-family checkpoints only"):
        load_model(tmp_path / "bert")


def test_save_is_atomic_over_an_existing_checkpoint(tmp_path):
    model = BBTModel(preset_config("tiny", VOCAB))
    save_pretrained(model, tmp_path / "ckpt")

    def boom(_):
        raise RuntimeError("killed mid-save")

    with pytest.raises(RuntimeError):
        save_pretrained(model, tmp_path / "ckpt", extra={"step": 2}, also=boom)
    # the previous checkpoint is intact and no temporary directory is left behind
    load_model(tmp_path / "ckpt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_checkpoint_records_and_restores_the_newline_mapping(tokenizer_dir, tmp_path):
    from bbt.text.tokenizer import load_tokenizer, maps_newlines

    tok = load_tokenizer(tokenizer_dir)
    assert maps_newlines(tok)  # the test tokenizer is trained with [newline]/[tab] (the default)
    save_pretrained(BBTModel(preset_config("tiny", len(tok))), tmp_path / "c", tok)
    assert json.loads((tmp_path / "c" / "config.json").read_text())["bbt"]["newline_tokens"] is True
    _, back, _ = load_model(tmp_path / "c")
    ids = back("甲\n乙\t丙")["input_ids"]
    assert back.convert_tokens_to_ids("[newline]") in ids
    assert back.decode(ids, skip_special_tokens=True) == "甲\n乙\t丙"
    # without a tokenizer the setting stays as it was
    save_pretrained(BBTModel(preset_config("tiny", len(tok))), tmp_path / "bare")
    assert json.loads((tmp_path / "bare" / "config.json").read_text())["bbt"]["newline_tokens"] is False
