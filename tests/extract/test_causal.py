"""Causal event extraction: the causality file, its document split, the fincqa question template, a small real
training run (first 800 documents), records on real texts, and file errors naming file and line."""

from __future__ import annotations

import json
import re

import pytest

from bbt.errors import BBTError, DataError
from bbt.extract.causal import (
    ARGS,
    CAUSALITY_FILE,
    FIELDS,
    LINK,
    load_causal,
    load_causality,
    overlaps,
    question,
    split_documents,
    train_causal,
    windows,
)
from bbt.tasks import get_task

LIMIT = 800


@pytest.fixture(scope="module")
def docs(data_dir):
    return load_causality(data_dir)


@pytest.fixture(scope="module")
def trained(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("causal")
    return out, train_causal(data_dir, out, progress=False, limit=LIMIT)


def test_load_the_shared_file(docs):
    assert len(docs) > 6000
    assert all(d.pairs for d in docs) and len({d.text_id for d in docs}) == len(docs)
    assert set(docs[0].pairs[0]) == set(FIELDS)
    assert any(r["reason_product"] and r["reason_product"] in d.text for d in docs[:50] for r in d.pairs)


def test_split_never_shares_a_document(docs):
    fit, held = split_documents(docs, 0.1, seed=0)
    assert len(fit) + len(held) == len(docs) and abs(len(held) - len(docs) / 10) <= 2
    assert not {d.text_id for d in fit} & {d.text_id for d in held}
    assert not {d.text for d in fit} & {d.text for d in held}
    assert split_documents(docs, 0.1, seed=0) == (fit, held)
    assert split_documents(docs, 0.1, seed=1)[1] != held


def test_question_template_is_fincqa(data_dir):
    """Every argument question of the fincqa train list is one `question(...)` builds."""
    rows = get_task("fincqa").load(data_dir, "train")
    asked = [e.fields["question"] for e in rows if "事件对应的" in e.fields["question"]]
    assert len(asked) > 1000
    for q in asked:
        pair = re.match(r"下文中(.+?)事件对应的", q).group(1)
        cause, effect = pair.split(LINK, 1)
        assert q in {question(cause, effect, side, slot) for side, slot in ARGS}, q


def test_fincqa_rows_overlapping_held_documents_are_found(docs):
    held = docs[:20]
    w = windows([d.text for d in held])
    long = next(d for d in held if len(d.text) > 80)
    assert overlaps("前言。" + long.text[5:75] + "。后记", w)
    assert not overlaps("完全无关的一段文字，讲的是别的事情，和这些文档没有任何共同的三十个字符的片段。", w)


def test_report_and_held_out(trained):
    out, report = trained
    assert (out / "causal.joblib").is_file() and (out / "report.json").is_file()
    assert report["documents"]["fit"] + report["documents"]["held"] == LIMIT
    s = report["holdout_scores"]
    assert set(s["pairs"]) >= {"precision", "recall", "f1", "documents"}
    assert set(s["arguments"]) == {f"{side}_{slot}" for side, slot in ARGS}
    assert all(0 <= v["exact"] <= 100 and v["questions"] > 50 for v in s["arguments"].values())
    # learnt something: products are found far better than by chance even from 720 documents
    assert s["arguments"]["effect_product"]["char_f1_filled"] > 30
    assert report["fincqa_rows"]["used"] > 100


def test_records_on_real_texts(trained, data_dir):
    out, _ = trained
    model = load_causal(out)
    rows = get_task("fincqa").load(data_dir, "eval", limit=60)
    texts = list(dict.fromkeys(e.fields["text"] for e in rows))[:12]
    records = model.predict(texts)
    assert len(records) == len(texts) and all(records)  # every text gets at least its best pair
    assert json.loads(json.dumps(records, ensure_ascii=False)) == records
    for text, recs in zip(texts, records):
        for r in recs:
            assert set(r) == {"cause", "effect"}
            for side in ("cause", "effect"):
                assert set(r[side]) == {"type", "product", "region", "industry"} and r[side]["type"]
                for slot in ("product", "region", "industry"):
                    assert r[side][slot] is None or (r[side][slot] and r[side][slot] in text)
    assert model.predict([]) == []


def _copy(data_dir, tmp_path, n: int = 20) -> list[str]:
    with open(data_dir / CAUSALITY_FILE, encoding="utf-8") as f:
        return [next(f) for _ in range(n)]


def test_bad_json_line_names_file_and_line(data_dir, tmp_path):
    lines = _copy(data_dir, tmp_path)
    lines.insert(12, '{"text_id": "x", "text": "broken\n')
    bad = tmp_path / "causality.jsonl"
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataError, match=rf"{re.escape(str(bad))}.*line 13.*not valid JSON"):
        load_causality(bad)
    # the data-dir layout too: <dir>/kg/event_causality/ccks2021_raw.jsonl
    (tmp_path / "data" / CAUSALITY_FILE).parent.mkdir(parents=True)
    (tmp_path / "data" / CAUSALITY_FILE).write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataError, match="line 13"):
        train_causal(tmp_path / "data", tmp_path / "out", progress=False)


def test_bad_record_names_file_and_line(data_dir, tmp_path):
    lines = _copy(data_dir, tmp_path, 5)
    rec = json.loads(lines[3])
    del rec["result"][0]["result_type"]
    lines[3] = json.dumps(rec, ensure_ascii=False) + "\n"
    bad = tmp_path / "causality.jsonl"
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataError, match=r"causality.jsonl.*line 4.*result_type"):
        load_causality(bad)


def test_missing_file_and_model(tmp_path):
    with pytest.raises(BBTError, match="causality file not found"):
        load_causality(tmp_path)
    with pytest.raises(BBTError, match="no CausalExtractor model"):
        load_causal(tmp_path)


def test_cli_train_causal_writes_results(data_dir, tmp_path):
    from typer.testing import CliRunner

    from bbt.cli.extract import extract_app

    res = CliRunner().invoke(extract_app, ["train-causal", "--out", str(tmp_path / "m"), "--data-dir", str(data_dir),
                                           "--limit", "300", "--results-dir", str(tmp_path / "r"), "--no-progress"])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "r" / "causal_extract.json").read_text("utf-8"))
    md = (tmp_path / "r" / "causal_extract.md").read_text("utf-8")
    assert report["documents"]["fit"] + report["documents"]["held"] == 300
    assert "| cause_product |" in md and "### Cause -> effect type pairs" in md
    res = CliRunner().invoke(extract_app, ["causal", "--model", str(tmp_path / "m"), "猪瘟导致生猪供给减少，猪价上涨"])
    assert res.exit_code == 0, res.output
    assert set(json.loads(res.output)[0]) == {"cause", "effect"}
