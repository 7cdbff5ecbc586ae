"""Similarity-weighted source sampling: weight arithmetic, a synthetic similarity case, a tmp corpus end-to-end."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bbt.corpus.ingest import SCHEMA
from bbt.errors import BBTError
from bbt.pretrain.weights import (
    downstream_texts,
    read_source_sample,
    similarity_weights,
    size_weights,
    source_similarity,
    source_sizes,
    weights_markdown,
    weights_table,
)
from bbt.tasks import TASKS


def test_similarity_weights_sum_to_one_and_are_monotone():
    sims = dict(zip("abcdef", np.random.default_rng(0).uniform(0.2, 0.9, 6).tolist()))
    for tau in (0.01, 0.05, 1.0):
        w = similarity_weights(sims, tau)
        assert sum(w.values()) == pytest.approx(1.0)
        order = sorted(sims, key=sims.get)
        assert all(w[a] < w[b] for a, b in zip(order, order[1:]))
    # a lower temperature puts more weight on the closest source
    best = max(sims, key=sims.get)
    assert similarity_weights(sims, 0.01)[best] > similarity_weights(sims, 1.0)[best]
    with pytest.raises(BBTError, match="temperature"):
        similarity_weights(sims, 0)


def test_size_weights_are_proportional():
    w = size_weights({"news": 300, "forum": 100, "other": 0})
    assert w == pytest.approx({"news": 0.75, "forum": 0.25, "other": 0.0})
    with pytest.raises(BBTError, match="sizes"):
        size_weights({"news": 0})


def test_a_source_copying_the_targets_is_the_most_similar():
    targets = ["公司公告，上半年实现净利润同比增长，营业收入创新高。", "券商研报认为，银行板块估值修复，维持买入评级。",
               "央行下调存款准备金率，释放长期资金约一万亿元。", "该公司拟非公开发行股票，募集资金用于智能制造项目。"]
    samples = {"copy": list(targets), "forum": ["今天又跌了，明天还能涨吗？", "主力在洗盘，拿住别慌"],
               "other": ["the weather is nice today", "football match results and scores"]}
    sims = source_similarity(samples, targets)
    assert sims["copy"] == pytest.approx(1.0, abs=1e-6)
    assert sims["copy"] > sims["forum"] > sims["other"]
    w = similarity_weights(sims)
    assert max(w, key=w.get) == "copy"
    with pytest.raises(BBTError, match="empty"):
        source_similarity({"empty": []}, targets)


def _write_corpus(root, data_dir):
    """Two shards in the real ingest schema, with real texts of three source types."""
    news = pd.read_csv(data_dir / "text" / "astock_news" / "test.csv", sep="\t", nrows=60)["text_a"].tolist()
    forum = [r[0] for r in json.loads((data_dir / "fincuge" / "finfe" / "train_list.json").read_text("utf-8"))[:40]]
    other = [json.loads(line)["text"][:300] for line in
             (data_dir / "text" / "news_crawl" / "em_xiadie.jsonl").read_text("utf-8").splitlines()[:20]]
    rows = [{"text": t, "source": s, "date": None, "codes": [], "origin": "test", "line": i, "hash": str(i),
             "minhash": b""} for i, (t, s) in enumerate([(t, "news") for t in news] + [(t, "forum") for t in forum]
                                                        + [(t, "other") for t in other])]
    order = np.random.default_rng(0).permutation(len(rows))  # why: sources mixed across both shards
    rows = [rows[i] for i in order]
    root.mkdir()
    for k, part in enumerate((rows[:70], rows[70:])):
        pq.write_table(pa.Table.from_pylist(part, schema=SCHEMA), root / f"shard-{k:05d}.parquet")
    (root / "manifest.json").write_text("{}", encoding="utf-8")
    return {"news": news, "forum": forum, "other": other}


def test_weights_table_end_to_end(tmp_path, data_dir):
    texts = _write_corpus(tmp_path / "corpus", data_dir)
    corpus = tmp_path / "corpus"
    assert source_sizes(corpus) == {s: sum(map(len, t)) for s, t in sorted(texts.items())}
    sample = read_source_sample(corpus, per_source=25, seed=1)
    assert {s: len(v) for s, v in sample.items()} == {"forum": 25, "news": 25, "other": 20}
    assert all(set(v) <= set(texts[s]) for s, v in sample.items())
    assert sample == read_source_sample(corpus, per_source=25, seed=1)  # seeded

    targets = downstream_texts(data_dir, per_task=5)
    prompts = tuple(t.prompt for t in TASKS.values())  # real texts may start with a 【headline】, prompts never
    assert len(targets) == 50 and not any(t.startswith(prompts) for t in targets)

    table = weights_table(corpus, data_dir, temperature=0.05, per_source=25, per_task=20)
    src = table["sources"]
    assert set(src) == {"news", "forum", "other"}
    for key in ("size_weight", "similarity_weight"):
        assert sum(r[key] for r in src.values()) == pytest.approx(1.0)
    by_sim = sorted(src, key=lambda s: src[s]["similarity"])
    assert all(src[a]["similarity_weight"] < src[b]["similarity_weight"] for a, b in zip(by_sim, by_sim[1:]))
    md = weights_markdown(table)
    assert md.count("\n|") == 5 and all(f"| {s} |" in md for s in src)


def test_bad_corpus_dir_is_a_clear_error(tmp_path):
    with pytest.raises(BBTError, match="no corpus shards"):
        source_sizes(tmp_path)
    pq.write_table(pa.table({"body": ["x"]}), tmp_path / "shard-00000.parquet")
    with pytest.raises(BBTError, match="shard-00000.parquet"):
        read_source_sample(tmp_path)
