"""Event extraction: a small real training run (first 600 finqa / finese train rows), the held-out split, the
records on real texts, saving and loading."""

from __future__ import annotations

import json

import pytest

from bbt.errors import BBTError
from bbt.extract.events import (
    DUEE_NONE,
    SUBJECT_ROLE,
    TYPE_QUESTION,
    duee_documents,
    load_events,
    role_schema,
    split_by_text,
    train_events,
    typed_arguments,
)
from bbt.tasks import get_task

LIMIT = 600


@pytest.fixture(scope="module")
def trained(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("events")
    report = train_events(data_dir, out, progress=False, limit=LIMIT)
    return out, report


def test_report(trained):
    out, report = trained
    assert (out / "events.joblib").is_file() and (out / "report.json").is_file()
    assert json.loads((out / "report.json").read_text("utf-8"))["holdout_scores"] == report["holdout_scores"]
    s = report["holdout_scores"]
    for key in ("types_duee", "types_finese", "types_all", "types_duee_cv5"):
        assert set(s[key]) >= {"precision", "recall", "f1", "texts"} and 0 <= s[key]["f1"] <= 100
    assert s["roles"]["questions"] > 10 and 0 <= s["roles"]["char_f1"] <= 100
    assert s["finese_subject"]["rows"] > 10
    assert report["rows"]["finqa_fit"] + report["rows"]["finqa_held"] == LIMIT
    # a model that learnt something: far above chance on the finese types even from 540 rows
    assert s["types_finese"]["f1"] > 50 and s["finese_subject"]["char_f1"] > 50
    assert DUEE_NONE not in report["duee_types"] and "其他" not in report["finese_types"]


def test_held_out_texts_never_train(data_dir):
    qa = get_task("finqa").load(data_dir, "train")
    ese = get_task("finese").load(data_dir, "train")
    fit_qa, held_qa, fit_ese, held_ese = split_by_text(qa, ese, 0.1)
    fit = {e.fields["text"] for e in fit_qa + fit_ese}
    held = {e.fields["text"] for e in held_qa + held_ese}
    assert held and not fit & held
    assert 0.07 < len(held_qa) / len(qa) < 0.13 and 0.07 < len(held_ese) / len(ese) < 0.13
    assert split_by_text(qa, ese, 0.1) == (fit_qa, held_qa, fit_ese, held_ese)  # seeded
    assert len(duee_documents(held_qa)) > 5  # the type-question texts are among them


def test_role_schema_from_train_questions(data_dir):
    qa = get_task("finqa").load(data_dir, "train")
    types = {t for d in duee_documents(qa) for t in d.reference} - {DUEE_NONE}
    schema = role_schema(qa, types)
    assert len(types) >= 12 and set(schema) <= types
    assert all(roles[0] == SUBJECT_ROLE for roles in schema.values())
    assert {"质押物", "质权方", "质押股票/股份数量"} <= set(schema["解除质押"])
    assert {"回购股份数量", "每股交易价格", "交易金额"} <= set(schema["股份回购"])


def test_records_on_real_texts(trained, data_dir):
    out, report = trained
    model = load_events(out)
    qa = get_task("finqa").load(data_dir, "eval", limit=40)
    ese = get_task("finese").load(data_dir, "eval", limit=20)
    texts = list(dict.fromkeys(e.fields["text"] for e in qa))[:10] + [e.fields["text"] for e in ese][:10]
    records = model.predict(texts)
    assert len(records) == len(texts)
    assert json.loads(json.dumps(records, ensure_ascii=False)) == records
    n = 0
    for text, recs in zip(texts, records):
        for r in recs:
            n += 1
            assert set(r) == {"type", "source", "subject", "arguments", "values"}
            if r["source"] == "duee":
                assert r["type"] in report["duee_types"]
                assert set(r["arguments"]) <= set(report["roles"][r["type"]])
            else:
                assert r["source"] == "finese" and r["type"] in report["finese_types"] and not r["arguments"]
            assert r["subject"] is None or r["subject"] in text or "," in r["subject"]
            for role, vals in r["values"].items():
                assert role in r["arguments"] and all(v["kind"] in ("amount", "shares", "percent", "date")
                                                      for v in vals)
    assert n >= len(texts) // 2
    assert model.predict([]) == []


def test_typed_arguments_read_values_in_context():
    text = "公司于2020年6月15日将590万股解除质押，占其所持股份比例约为4.94%，6月18日公告。"
    got = typed_arguments(text, {"质押股票/股份数量": "590万", "披露时间": "6月18日", "质押物": "股份"})
    assert got["质押股票/股份数量"][0]["kind"] == "shares" and got["质押股票/股份数量"][0]["value"] == 5_900_000
    assert got["披露时间"][0]["value"] == "2020-06-18"  # year from the full date before it
    assert "质押物" not in got


def test_type_question_constant_matches_finqa(data_dir):
    qa = get_task("finqa").load(data_dir, "train", limit=400)
    assert any(e.fields["question"] == TYPE_QUESTION for e in qa)


def test_load_errors(tmp_path):
    with pytest.raises(BBTError, match="no EventExtractor model"):
        load_events(tmp_path)
    (tmp_path / "events.joblib").write_text("not a pickle", encoding="utf-8")
    with pytest.raises(BBTError, match="cannot load"):
        load_events(tmp_path)


def test_markdown_report(trained):
    from bbt.cli.extract import events_markdown

    md = events_markdown(trained[1])
    assert "| finese types, held-out texts |" in md and "| finqa role arguments (all) |" in md
