"""Knowledge-enhanced masking: triples from the real shared KG, sentence matching, mining, example layout."""

import json
import time
from collections import Counter

import numpy as np
import pytest

from bbt.errors import BBTError
from bbt.kg import build_kg
from bbt.pretrain.knowledge import RELATIONS, Triple, TripleIndex, load_triples, mine, triple_example
from bbt.pretrain.objectives import sentinel_ids

EXEC = Triple("平安银行", "高管", "谢永林")
INDUSTRY = Triple("平安银行", "所属行业", "银行")


@pytest.fixture(scope="module")
def kg_path(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("kg") / "kg.sqlite"
    build_kg(data_dir, out, progress=False)
    return out


@pytest.fixture(scope="module")
def triples(kg_path):
    return load_triples(kg_path)


@pytest.fixture(scope="module")
def tok(tokenizer_dir):
    from bbt.text.tokenizer import load_tokenizer

    return load_tokenizer(tokenizer_dir)


def test_load_triples_from_shared_kg(triples, kg_path):
    from bbt.kg import load_kg

    counts = Counter(t.relation for t in triples)
    assert set(counts) == set(RELATIONS.values())
    # the 2018 stock_kg: ~24.7k executive, ~9.4k concept and ~6.6k industry links (two industry taxonomies)
    assert counts["高管"] > 20_000 and counts["所属概念"] > 8_000 and counts["所属行业"] > 5_000
    assert len(set(triples)) == len(triples)
    with load_kg(kg_path) as kg:
        names = set(kg.company_names())
    heads = {t.head for t in triples}
    assert len(heads) > 3_000 and heads <= names  # company short names, as the KG spells them (NFKC)
    assert {EXEC, INDUSTRY, Triple("平安银行", "所属概念", "深圳本地")} <= set(triples)
    assert "万科A" in heads and "万科Ａ" not in heads  # full-width letters normalised, as news writes them


def test_find_same_sentence_only():
    index = TripleIndex([EXEC, INDUSTRY, Triple("万科A", "所属概念", "深圳本地")])
    text = "平安银行董事长谢永林出席会议！随后平安银行发布公告。谢永林表示看好\n万科A是深圳本地龙头"
    assert index.find(text) == [(EXEC, "平安银行董事长谢永林出席会议"),
                                (Triple("万科A", "所属概念", "深圳本地"), "万科A是深圳本地龙头")]
    assert index.find("平安银行发布公告。谢永林表示看好") == []   # different sentences
    assert index.find("平安银行发布公告；谢永林表示看好") == []   # ；also ends a sentence
    assert index.find("平安银行股价上涨") == []                 # 银行 only inside the head itself
    assert index.find("银行板块上涨，平安银行领涨") == [(INDUSTRY, "银行板块上涨，平安银行领涨")]
    assert index.find("") == [] and index.find("无关文本") == []


def test_find_longest_head_and_short_names_skipped():
    short = Triple("平安", "所属行业", "保险")
    index = TripleIndex([short, Triple("平安银行", "所属概念", "保险重仓"), Triple("A", "高管", "王五")])
    assert index.find("平安银行是保险重仓股") == [(Triple("平安银行", "所属概念", "保险重仓"), "平安银行是保险重仓股")]
    assert index.find("平安涉足保险") == [(short, "平安涉足保险")]
    assert index.find("A公司王五") == []


def test_mine_caps_and_spreads():
    index = TripleIndex([EXEC, INDUSTRY, Triple("平安银行", "高管", "胡跃飞")])
    text = "银行股走强，平安银行董事长谢永林与胡跃飞出席。平安银行行长胡跃飞表示"
    got = mine([text, "无关", text], index, max_per_text=2)
    assert len(got) == 4
    assert got[0][1] != got[1][1]  # two sentences before a second triple of one sentence
    assert len(mine([text], index, max_per_text=10)) == 4


def test_mine_real_news_is_fast(triples, data_dir):
    texts = [r[0] for r in json.loads((data_dir / "fincuge/finnl/train_list.json").read_text("utf-8"))][:1500]
    start = time.perf_counter()
    index = TripleIndex(triples)
    hits = mine(texts, index)
    assert time.perf_counter() - start < 3
    assert len(hits) > 10
    for t, sentence in hits:
        assert t.head in sentence and t.tail in sentence.replace(t.head, "")
        assert not any(c in sentence for c in "。！？；\n")


def _check_example(t, sentence, tok, ids, rng, max_len=256):
    s = sentinel_ids(tok)
    inputs, targets = triple_example(t, sentence, tok, rng, s, tok.eos_token_id, max_len=max_len)
    assert all(isinstance(i, int) for i in inputs + targets)
    assert len(inputs) <= max_len and inputs[-1] == targets[-1] == tok.eos_token_id
    text = tok.decode(inputs)
    masked_head = not text.startswith(f"【知识】{t.head}")
    answer = t.head if masked_head else t.tail
    assert answer not in text
    prefix_end = inputs.index(int(s[0])) + 1
    prefix = tok.decode(inputs[:prefix_end])
    assert prefix.startswith("【知识】") and prefix.count("<extra_id_0>") == 1
    assert targets[0] == s[0] and targets[1:1 + len(ids(answer))] == ids(answer)
    assert tok.decode(targets[1:1 + len(ids(answer))]) == answer
    # the stand-ins in the sentence: one <extra_id_0> per occurrence of the answer (untruncated sentences)
    if max_len >= 256:
        assert inputs.count(int(s[0])) == 1 + sentence.count(answer)
    rest = set(s[1:].tolist())
    used = [i for i in inputs if i in rest]
    assert used == s[1:1 + len(used)].tolist()  # <extra_id_1>, <extra_id_2>, ... each once, in order
    assert [i for i in targets if i in rest] == used
    return masked_head


def test_triple_example_layout(tok):
    def ids(x):
        return tok.encode(x, add_special_tokens=False)

    sentence = "平安银行董事长谢永林出席会议，谢永林表示，平安银行将加大零售转型力度，持续推进数字化经营"
    heads = [_check_example(EXEC, sentence, tok, ids, np.random.default_rng(seed)) for seed in range(20)]
    assert 0 < sum(heads) < 20  # head and tail are both chosen
    # 银行 is inside 平安银行 in the prefix, so only the head may be masked
    assert all(_check_example(INDUSTRY, "银行板块走强，平安银行领涨", tok, ids, np.random.default_rng(seed))
               for seed in range(5))


def test_triple_example_real_hits_and_truncation(tok, triples, data_dir):
    def ids(x):
        return tok.encode(x, add_special_tokens=False)

    texts = [r[0] for r in json.loads((data_dir / "fincuge/finnl/train_list.json").read_text("utf-8"))][:800]
    hits = mine(texts, TripleIndex(triples))
    rng = np.random.default_rng(0)
    for t, sentence in hits[:30]:
        _check_example(t, sentence, tok, ids, rng)
        _check_example(t, sentence, tok, ids, rng, max_len=32)
    a = triple_example(*hits[0], tok, np.random.default_rng(5), sentinel_ids(tok), tok.eos_token_id)
    assert a == triple_example(*hits[0], tok, np.random.default_rng(5), sentinel_ids(tok), tok.eos_token_id)


def test_triple_example_errors(tok):
    s = sentinel_ids(tok)
    with pytest.raises(BBTError, match="cannot mask"):
        triple_example(Triple("银行", "所属行业", "银行"), "银行", tok, np.random.default_rng(0), s, 1)
    with pytest.raises(BBTError, match="max_len 8"):
        triple_example(EXEC, "平安银行董事长谢永林", tok, np.random.default_rng(0), s, 1, max_len=8)
