"""The streaming source mixture: exact shapes, Source Prompt, weights as token shares, exact resume."""

import json

import numpy as np
import pytest

from bbt.errors import BBTError
from bbt.pretrain.objectives import reconstruct
from bbt.pretrain.stream import CorpusStream, StreamConfig, load_weights, source_shards
from bbt.text.tokenizer import load_tokenizer


@pytest.fixture(scope="module")
def tok(tokenizer_dir):
    return load_tokenizer(tokenizer_dir)


def stream(corpus, tok, weights=None, **kw):
    return CorpusStream(corpus, tok, weights or {"news": 0.5, "forum": 0.5}, StreamConfig(input_len=64, **kw))


def test_corpus_has_several_shards_per_source(small_corpus):
    shards = source_shards(small_corpus)
    assert set(shards) == {"news", "forum"} and len(shards["forum"]) >= 2


def test_batches_are_packed_to_exact_lengths(small_corpus, tok):
    s = stream(small_corpus, tok)
    b = s.batch(8)
    assert b["input_ids"].shape == (8, 64) and b["labels"].shape == (8, s.target_len)
    assert (b["input_ids"][:, -1] == tok.eos_token_id).all() and (b["labels"][:, -1] == tok.eos_token_id).all()
    assert (b["input_ids"] != tok.pad_token_id).all()  # packed: no padding anywhere
    sentinel0 = tok.convert_tokens_to_ids("<extra_id_0>")
    assert (b["input_ids"] == sentinel0).sum(1).tolist() == [1] * 8


def _raw_text(s, tok, n=20):
    out = []
    for _ in range(n):
        x, y = s.example()
        out.append(tok.decode(reconstruct(x, y, s.sentinels, tok.eos_token_id)))
    return "".join(out)


def test_source_prompt_switch(small_corpus, tok):
    with_tags = _raw_text(stream(small_corpus, tok, source_prompt=True), tok)
    without = _raw_text(stream(small_corpus, tok, source_prompt=False), tok)
    assert "【股吧】" in with_tags and "【新闻】" in with_tags
    assert "【股吧】" not in without and "【新闻】" not in without


def test_weights_are_token_shares(small_corpus, tok):
    s = stream(small_corpus, tok, {"news": 0.8, "forum": 0.2})
    s.batch(300)
    share = s.tokens_by_source["news"] / sum(s.tokens_by_source.values())
    assert abs(share - 0.8) < 0.07  # binomial sd over 300 draws is 0.023
    only = stream(small_corpus, tok, {"news": 0.0, "forum": 1.0})
    only.batch(20)
    assert only.tokens_by_source == {"forum": only.raw_len * 20}


def test_stream_wraps_into_new_epochs(small_corpus, tok):
    s = stream(small_corpus, tok, {"forum": 1.0})
    for _ in range(30):  # 400 short posts hold a few thousand tokens: several epochs
        s.batch(16)
    assert s.sources[0].epoch >= 1


def test_resume_gives_the_same_next_batches(small_corpus, tok):
    a = stream(small_corpus, tok, seed=3)
    for _ in range(7):
        a.batch(8)
    saved = json.loads(json.dumps(a.state()))  # the checkpoint stores it as JSON
    expected = [a.batch(8) for _ in range(4)]
    b = stream(small_corpus, tok, seed=3)
    b.load_state(saved)
    for e in expected:
        got = b.batch(8)
        assert np.array_equal(got["input_ids"], e["input_ids"]) and np.array_equal(got["labels"], e["labels"])
    c = stream(small_corpus, tok, seed=4)  # another seed draws other batches
    assert not np.array_equal(c.batch(8)["input_ids"], expected[0]["input_ids"])


def test_bad_weights_and_corpus(small_corpus, tok, tmp_path):
    with pytest.raises(BBTError, match="announcement"):
        stream(small_corpus, tok, {"news": 0.5, "announcement": 0.5})
    with pytest.raises(BBTError, match="weight 0"):
        stream(small_corpus, tok, {"news": 0.0})
    with pytest.raises(BBTError, match="no corpus shards"):
        stream(tmp_path, tok)


def test_load_weights(small_corpus, tmp_path):
    size = load_weights("size", small_corpus)
    assert set(size) == {"news", "forum"} and abs(sum(size.values()) - 1) < 1e-9
    report = tmp_path / "w.json"
    report.write_text(json.dumps({"sources": {"news": {"similarity_weight": 0.7}, "forum": {"similarity_weight": 0.3}}}))
    assert load_weights(report, small_corpus) == {"news": 0.7, "forum": 0.3}
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(BBTError, match="bad.json"):
        load_weights(tmp_path / "bad.json", small_corpus)


def test_bad_weight_files_are_named(small_corpus, tmp_path):
    for name, content in (("list.json", "[1, 2]"), ("nosim.json", '{"sources": {"news": {"chars": 3}}}'),
                          ("neg.json", '{"news": -1, "forum": 1}')):
        (tmp_path / name).write_text(content)
        with pytest.raises(BBTError, match=name):
            load_weights(tmp_path / name, small_corpus)


def test_infill_targets_are_the_whole_original_sequence(small_corpus, tok):
    span, infill = stream(small_corpus, tok, seed=3), stream(small_corpus, tok, seed=3)
    for _ in range(5):
        xs, ys = span.example()
        xi, yi = infill.example(infill=True)
        assert np.array_equal(xs, xi)  # same input: only the target differs
        assert np.array_equal(yi[:-1], reconstruct(xs, ys, span.sentinels, tok.eos_token_id))
        assert yi[-1] == tok.eos_token_id and len(yi) == span.raw_len + 1
    b = infill.batch(4, infill=True)
    assert b["labels"].shape == (4, infill.raw_len + 1) and b["input_ids"].shape == (4, 64)
    assert not np.isin(b["labels"], infill.sentinels).any()  # the original text holds no sentinels
