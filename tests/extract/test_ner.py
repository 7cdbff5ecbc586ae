"""NER: gazetteer typing, weak labels and their offsets on real texts, a short training run, offset mapping."""

import json

import numpy as np
import pytest

from bbt.errors import BBTError
from bbt.extract.gazetteer import COMPANY, ORG, PERSON, TYPES, Gazetteer, build_gazetteer, type_by_rules
from bbt.extract.ner import CHUNK, chunk_spans, decode_tags, load_ner, train_ner


@pytest.fixture(scope="module")
def gaz(data_dir):
    return build_gazetteer(data_dir)


def _real_text(data_dir, task, *needles):
    from bbt.tasks import get_task

    for ex in get_task(task).load(data_dir, "train"):
        if all(n in ex.fields["text"] for n in needles):
            return ex.fields["text"]
    pytest.fail(f"no {task} train text holds {needles}")


def _check_spans(text, spans, gazetteer=None):
    assert spans == sorted(spans)
    for (s, e, t), nxt in zip(spans, spans[1:] + [(len(text), None, None)]):
        assert 0 <= s < e <= nxt[0]  # in range, no overlap
        assert t in TYPES
        if gazetteer is not None:
            assert gazetteer.names[text[s:e]] == t  # the span is exactly a gazetteer name


def test_gazetteer_types_real_names(gaz):
    names = gaz.names
    assert names["中国平安"] == COMPANY  # finre entity
    assert names["贵州茅台"] == COMPANY  # KG stock name
    assert names["万科A"] == COMPANY  # "万  科Ａ" in stock_names.csv, spaces and full width removed
    assert names["京东白条"] == COMPANY  # finnsp platform
    assert names["美联储"] == ORG and names["深交所"] == ORG and names["公安部"] == ORG
    assert names["杜玉岱"] == PERSON  # executive
    assert names["李宁"] == COMPANY  # annotated as a company in finre although an executive has the name
    for junk in ("网", "<N>", "e", "PE", "钱包", "资金链", "公司", "法国", "360", "其实"):
        assert junk not in names
    assert type_by_rules("北京正聚源通鼎信用管理有限公司") == COMPANY
    assert type_by_rules("中国证券监督管理委员会") == ORG and type_by_rules("华泰证券营业部") == COMPANY
    assert gaz.stats["by_type"][PERSON] > 1000 and gaz.stats["by_type"][COMPANY] > 10000


def test_weak_labels_exact_offsets_on_real_sentences(gaz, data_dir):
    text = _real_text(data_dir, "finre", "中国平安", "富通集团")
    spans = gaz.label(text)
    _check_spans(text, spans, gaz)
    assert (text.index("中国平安"), text.index("中国平安") + 4, COMPANY) in spans
    assert (text.index("富通集团"), text.index("富通集团") + 4, COMPANY) in spans

    text = _real_text(data_dir, "finnsp", "京东白条", "新华社")
    spans = gaz.label(text)
    _check_spans(text, spans, gaz)
    found = {text[s:e] for s, e, _ in spans}
    assert "京东白条" in found and "新华社" in found
    assert not any(text[s:e] == "京东" for s, e, _ in spans)  # longest match: 京东 inside 京东白条 is not a span


def test_longer_match_wins_then_earlier_and_ascii_boundaries():
    g = Gazetteer({"甲乙": COMPANY, "乙丙丁": COMPANY, "丁戊": ORG, "ABC": COMPANY})
    assert g.label("甲乙丙丁戊") == [(1, 4, COMPANY)]  # longer beats leftmost; 丁戊 overlaps it
    assert g.label("甲乙 丁戊") == [(0, 2, COMPANY), (3, 5, ORG)]
    assert g.label("ABCD ABC") == [(5, 8, COMPANY)]  # not inside a longer ASCII word
    assert g.label("") == []


def test_person_needs_job_word_or_employer(gaz):
    assert gaz.names["杜玉岱"] == PERSON
    assert gaz.label("杜玉岱表示") == []
    text = "青岛啤酒董事长杜玉岱表示"
    assert (7, 10, PERSON) in gaz.label(text)
    employer = gaz.employers["杜玉岱"][0]
    text = f"{employer}公告：近日杜玉岱表示"  # the company he serves is named, no job word nearby
    s = text.index("杜玉岱")
    assert (s, s + 3, PERSON) in gaz.label(text)


def test_chunks_cover_text_and_respect_protected_spans():
    text = "这是一句话。" * 40 + "甲" * 400
    chunks = chunk_spans(text)
    assert chunks[0][0] == 0 and chunks[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))
    assert all(0 < e - s <= CHUNK for s, e in chunks)
    assert chunks[0] == (0, 156)  # cut after the last sentence end that fits
    assert all(not (155 < s < 165) for s, _ in chunk_spans("甲" * 400, protect=[(155, 165, COMPANY)]))
    assert chunk_spans("") == []


def test_decode_repairs_bio():
    # O B-C I-C O I-C I-C B-P I-P I-O
    tags = np.array([0, 1, 2, 0, 2, 2, 3, 4, 6])
    assert decode_tags(tags) == [(1, 3, COMPANY), (4, 6, COMPANY), (6, 8, PERSON), (8, 9, ORG)]
    assert decode_tags(np.array([], dtype=np.int64)) == []


@pytest.fixture(scope="module")
def trained(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("ner")
    report = train_ner(data_dir, out, max_seconds=15, limit_texts=800, progress=False, seed=0)
    return out, report


def test_training_saves_report_and_model(trained):
    out, report = trained
    assert (out / "ner.pt").is_file()
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["scores"] == json.loads(
        json.dumps(report["scores"]))
    for system in ("model", "gazetteer_baseline", "hybrid"):
        for key in ("precision", "recall", "f1"):
            assert 0.0 <= report["scores"][system]["micro"][key] <= 1.0
        assert 0.0 <= report["scores"][system]["novel_recall"] <= 1.0
    assert report["scores"]["gazetteer_baseline"]["novel_recall"] == 0.0  # by construction
    assert report["data"]["held_out_texts"] == 80 and report["data"]["train_texts"] == 720
    assert "weak labels" in report["gold"]


def test_reloaded_model_predicts_consistent_offsets(trained, data_dir):
    model = load_ner(trained[0])
    long_text = json.loads((data_dir / "text/news_crawl/em_guzai.jsonl").open(encoding="utf-8").readline())["text"]
    assert len(long_text) > 3 * CHUNK
    texts = [long_text, _real_text(data_dir, "finre", "中国平安", "富通集团"), "", "   "]
    out = model.predict(texts)
    assert out[2] == [] and out[3] == []
    for text, ents in zip(texts, out):
        for e in ents:
            assert text[e["start"]:e["end"]] == e["text"] and e["type"] in TYPES
    # long text: model spans equal those of its chunks tagged one by one, shifted back to text offsets
    whole = model.spans([long_text])[0]
    pieces = chunk_spans(long_text)
    parts = model.spans([long_text[s:e] for s, e in pieces])
    assert whole == sorted((s + a, s + b, t) for (s, _), spans in zip(pieces, parts) for a, b, t in spans)
    # with the gazetteer merged, names past the first chunk are found at their offsets
    assert any(e["start"] >= CHUNK for e in out[0])
    assert [model.predict([t])[0] for t in texts[:2]] == out[:2]  # batching does not change the result


def test_load_ner_missing_dir(tmp_path):
    with pytest.raises(BBTError, match="no NER model"):
        load_ner(tmp_path)
    (tmp_path / "ner.pt").write_bytes(b"not a model")
    with pytest.raises(BBTError, match="cannot read"):
        load_ner(tmp_path)
