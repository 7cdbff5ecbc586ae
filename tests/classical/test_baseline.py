"""Classical FinCUGE baselines: pieces on hand-made inputs, then all ten tasks (nine + finner) trained on 300 train
rows each."""

from collections import Counter

import pytest
from typer.testing import CliRunner

from bbt.classical import load_baseline, score_outputs, train_baselines
from bbt.classical.candidates import candidates
from bbt.classical.classify import mark_pair
from bbt.classical.common import holdout_split
from bbt.tasks.entities import bio_tags, tag_pairs
from bbt.classical.qa import parse_question
from bbt.classical.summary import LeadModel
from bbt.errors import BBTError
from bbt.tasks import FINNL_LABELS, INVALID, SEP, TASKS, Example, NSPAnswer

LIMIT = 300


def _ex(i: int, **fields) -> Example:
    return Example(str(i), "", fields.get("target", ""), fields.get("target", ""), fields)


# ---------------------------------------------------------------------------------------------- pieces

def test_mark_pair_replaces_longer_name_first():
    # "东方航空" holds "东方": replacing the short name first would leave "◇航空"
    assert mark_pair("东方航空与东方合作", "东方", "东方航空") == "◇与◆合作"


def test_parse_question_splits_entity_event_and_role():
    events = {"质押", "解除质押"}
    assert parse_question("正海集团解除质押事件对应的事件时间是什么？", events) == ("role:事件时间", "正海集团")
    assert parse_question("股份回购事件对应的主体有哪些？", {"股份回购"}) == ("role:主体", "")
    assert parse_question("下文中发生的事件类型有哪些？", events) == ("text:下文中发生的事件类型有哪些", "")
    key, entity = parse_question("下文中供给减少导致市场价格提升事件对应的原因涉及的产品是？", set())
    assert key == "role:原因涉及的产品"


def test_candidates_cover_names_dates_amounts():
    text = "公司控股股东正海集团于2020年6月22日质押3600万股，占其所持股份比例约为8.59%，质权方为上海开开（集团）有限公司。"
    found = candidates(text)
    for span in ("正海集团", "2020年6月22日", "3600万股", "8.59%", "上海开开（集团）有限公司"):
        assert span in found, span
    assert "org" in found["上海开开（集团）有限公司"].sources
    assert "，" not in "".join(found)  # no span crosses punctuation


def test_holdout_split_keeps_a_text_on_one_side():
    exs = [_ex(i, text=f"t{i // 3}") for i in range(30)]  # 10 texts, 3 rows each
    fit, held = holdout_split(exs, 0.2)
    assert len(fit) + len(held) == 30 and len(held) == 6
    assert not {e.fields["text"] for e in fit} & {e.fields["text"] for e in held}


def test_lead_model_picks_the_cut_on_train():
    text = "9月1日消息，甲公司发布公告称净利润增长。其他内容。"
    train = [_ex(i, text=text, target="甲公司发布公告称净利润增长") for i in range(5)]
    model = LeadModel().fit(train)
    # the dateline clause dropped, stopped at the first sentence end: an exact match, first at cap 13 (the mean)
    assert (model.length, model.first_sentence, model.drop_dateline) == (13, True, True)
    assert model.predict(train[:1]) == ["甲公司发布公告称净利润增长"]
    assert model._lead(text, 5, True, True) == "甲公司发布"
    assert model._lead(text, 7, False, False) == "9月1日消息"  # 7 chars end in "，", which is trimmed


def test_bio_tags_and_tag_runs_round_trip():
    text = "中国平安董事长马明哲说"
    tags = bio_tags(text, [("中国平安", "公司"), ("马明哲", "人物"), ("董事长", "头衔/职务")])
    assert tags == ["B-公司", "I-公司", "I-公司", "I-公司", "B-头衔/职务", "I-头衔/职务", "I-头衔/职务",
                    "B-人物", "I-人物", "I-人物", "O"]
    assert tag_pairs(text, tags) == [(0, 4, "公司"), (4, 7, "头衔/职务"), (7, 10, "人物")]
    # lenient decoding: an I- run without its B- is a mention; a type change ends a run
    assert tag_pairs("abcd", ["I-公司", "I-公司", "I-人物", "O"]) == [(0, 2, "公司"), (2, 3, "人物")]


# ---------------------------------------------------------------------------------------------- trained

@pytest.fixture(scope="module")
def trained(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("baseline")
    manifest = train_baselines(data_dir, out, "all", progress=False, limit=LIMIT)
    return out, manifest


def test_manifest_records_every_task(trained):
    out, manifest = trained
    assert set(manifest["tasks"]) == set(TASKS)
    for name, entry in manifest["tasks"].items():
        assert (out / entry["file"]).is_file()
        assert entry["train_rows"] == LIMIT
        assert 0 <= entry["holdout_score"]["score"] <= 100, name
    assert manifest["versions"]["scikit-learn"]
    assert manifest["split"] == "train"


def test_predictions_are_in_each_tasks_target_format(trained, data_dir):
    baseline = load_baseline(trained[0])
    for name, task in TASKS.items():
        examples = task.load(data_dir, "eval", limit=40)
        outputs = baseline.predict_texts(name, examples)
        assert len(outputs) == len(examples) and all(isinstance(o, str) and o for o in outputs), name
        parsed = [task.parse(o, e) for o, e in zip(outputs, examples)]
        if name in ("finfe", "finne", "finre"):
            assert INVALID not in parsed, name
        if name == "finnl":
            assert all(set(o.split(SEP)) <= set(FINNL_LABELS) for o in outputs)
            assert all(p for p in parsed)
        if name == "finnsp":
            assert all(isinstance(p, NSPAnswer) for p in parsed)
            # predicted entities come from the row's own candidate list
            assert all(p.entities <= set(e.fields["entities"]) for p, e in zip(parsed, examples))
        if name == "finner":  # every predicted mention is a piece of its own text
            assert all(span in e.fields["text"] for p, e in zip(parsed, examples) for span, _ in p)
            assert sum(len(p) for p in parsed) > 0
        if name == "finese":
            # a predicted subject is a substring of its text, or the none answer
            assert all(o == task.none or o in e.fields["text"] for o, e in zip(outputs, examples))
        assert 0 <= score_outputs(task, outputs, examples)["score"] <= 100


def test_finfe_beats_the_majority_label(trained, data_dir):
    task = TASKS["finfe"]
    train = task.load(data_dir, "train", limit=LIMIT)
    examples = task.load(data_dir, "eval", limit=500)
    majority = Counter(e.target for e in train).most_common(1)[0][0]
    floor = score_outputs(task, [majority] * len(examples), examples)["score"]
    got = score_outputs(task, load_baseline(trained[0]).predict_texts("finfe", examples), examples)["score"]
    assert got > floor + 5, (got, floor)


def test_missing_things_are_clear_errors(trained, tmp_path):
    with pytest.raises(BBTError, match="not found"):
        load_baseline(tmp_path / "nope")
    with pytest.raises(BBTError, match="no manifest.json"):
        load_baseline(tmp_path)
    out, manifest = trained
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "manifest.json").write_text((out / "manifest.json").read_text(encoding="utf-8"), encoding="utf-8")
    (partial / "finfe.joblib").write_bytes((out / "finfe.joblib").read_bytes())
    baseline = load_baseline(partial)
    with pytest.raises(BBTError, match="baseline file missing"):
        baseline.predict_texts("finne", [])
    with pytest.raises(BBTError, match="unknown FinCUGE task"):
        baseline.predict_texts("finxx", [])


def test_cli_trains_selected_tasks(data_dir, tmp_path):
    from bbt.cli.main import app

    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["train", "baseline", "--data-dir", str(data_dir), "--out", str(out),
                                      "--tasks", "finfe,finna", "--limit", "100", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["finfe.joblib", "finna.joblib", "manifest.json"]
    assert set(load_baseline(out).tasks) == {"finfe", "finna"}
