"""finner (FinNER): loader on real rows, pair parsing, locating spans, exact-pair micro-F1 on hand-computed cases."""

import pytest

from bbt.eval.backends import load_backend
from bbt.tasks import FINNER_TYPES, Example, Mention, get_task, locate
from bbt.tasks.runner import evaluate

TASK = get_task("finner")


def _ex(text, pairs):
    return Example("0", TASK.prompt + text, "", frozenset(pairs), {"text": text, "entities": tuple(pairs)})


def test_loader_reads_objects_and_keeps_every_gold_pair(data_dir):
    train, notes = TASK.load_with_notes(data_dir, "train")
    assert len(train) == 8080  # every row of the published train list, none skipped
    assert train[0].target == "杭氧股份:公司；宁沪高速:公司；江苏省:国家/地区"
    assert train[0].reference == frozenset({("杭氧股份", "公司"), ("宁沪高速", "公司"), ("江苏省", "国家/地区")})
    assert train[1].target == "无" and train[1].reference == frozenset()
    assert train[0].input.startswith("【实体识别】$杭氧股份")
    assert any("gold span not found in its text" in n for n in notes)  # annotators' typos are counted, not lost
    assert {t for e in train for _, t in e.reference} == set(FINNER_TYPES)
    assert TASK.parse(train[2].target, train[2]) == train[2].reference  # the target parses back to the gold


def test_parse_is_forgiving_about_separators_colons_and_type_synonyms():
    ex = _ex("x", [])
    assert TASK.parse("中国平安:公司；马明哲:人物", ex) == {("中国平安", "公司"), ("马明哲", "人物")}
    assert TASK.parse("中国平安：公司;马明哲:人名\n上海:地区", ex) == {("中国平安", "公司"), ("马明哲", "人物"),
                                                                ("上海", "国家/地区")}
    assert TASK.parse("A:B股:公司", ex) == {("A:B股", "公司")}  # the last colon splits off the type
    assert TASK.parse("无", ex) == frozenset() and TASK.parse("", ex) == frozenset()
    assert TASK.parse("中国平安:火星人；没有冒号", ex) == frozenset()  # unknown types and junk pieces drop


def test_locate_finds_every_occurrence_longest_first_without_overlap():
    text = "外交部发言人说，外交部欢迎"
    got = locate(text, [("外交部", "政府机构"), ("外交部发言人", "头衔/职务")])
    assert got == [Mention(0, 6, "头衔/职务"), Mention(8, 11, "政府机构")]
    assert locate("平安平安", [("平安", "公司")]) == [Mention(0, 2, "公司"), Mention(2, 4, "公司")]
    assert locate("abc", [("不在", "公司")]) == []


def test_exact_pair_micro_f1_and_per_type_f1_by_hand():
    gold = [_ex("t1", [("中国平安", "公司"), ("马明哲", "人物")]), _ex("t2", [("上海", "国家/地区")])]
    # row 1: one right, one wrong type (a miss and a false positive); row 2: right plus an extra
    preds = [frozenset({("中国平安", "公司"), ("马明哲", "公司")}),
             frozenset({("上海", "国家/地区"), ("浦东", "地址")})]
    s = TASK.score(preds, gold)
    # tp 2, fp 2, fn 1: P 2/4, R 2/3, F1 = 2PR/(P+R) = 4/7
    assert s["precision"] == pytest.approx(50.0) and s["recall"] == pytest.approx(200 / 3)
    assert s["score"] == pytest.approx(400 / 7)
    assert s["f1_公司"] == pytest.approx(2 * 0.5 * 1.0 / 1.5 * 100)  # tp 1 fp 1 fn 0
    assert s["f1_人物"] == 0.0 and s["f1_国家/地区"] == pytest.approx(100.0)
    assert set(s) >= {f"f1_{t}" for t in FINNER_TYPES}


def test_gold_scores_100_and_first_scores_0_through_the_harness(data_dir):
    assert evaluate(load_backend("dummy:gold"), ["finner"], data_dir, limit=50, progress=False)["average"] == \
        pytest.approx(100.0)
    assert evaluate(load_backend("dummy"), ["finner"], data_dir, limit=50, progress=False)["average"] == 0.0


def test_bad_rows_are_named_or_counted(tmp_path):
    import json

    from bbt.errors import BBTError

    folder = tmp_path / "fincuge" / "finner"
    folder.mkdir(parents=True)
    f = folder / "eval_list.json"
    f.write_text('[{"text": "中国平安", "labels": ["中国平安:公司"]}, {"text": NaN, "labels": []}]', encoding="utf-8")
    examples, notes = TASK.load_with_notes(tmp_path, "eval")
    assert len(examples) == 1 and any("text is not a string" in n for n in notes)
    f.write_text(json.dumps([{"text": "abc", "labels": "中国平安:公司"}]), encoding="utf-8")
    with pytest.raises(BBTError, match="row 0.*labels must be a list"):
        TASK.load(tmp_path, "eval")
