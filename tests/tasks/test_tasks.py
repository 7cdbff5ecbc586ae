"""FinCUGE task definitions on real rows: loaders, formatters, parsers, gold scores, junk-row accounting."""

import json
import logging

import pytest

from bbt.errors import BBTError, DataError
from bbt.tasks import INVALID, TASKS, NSPAnswer, get_task, select_tasks

NAMES = ["finfe", "finne", "finnl", "finre", "finnsp", "finese", "finqa", "fincqa", "finna", "finner"]


def test_registry_has_the_ten_tasks_with_prompts():
    assert list(TASKS) == NAMES
    for t in TASKS.values():
        assert t.prompt.startswith("【") and t.prompt.endswith("】") and t.metric and t.max_new_tokens > 0
    assert len(get_task("finnl").labels) == 17 and len(get_task("finre").labels) == 44
    assert [t.name for t in select_tasks("finne, FINFE,finne")] == ["finne", "finfe"]
    assert len(select_tasks("all")) == 10 and len(get_task("finner").labels) == 11
    with pytest.raises(BBTError, match="valid: finfe, finne"):
        get_task("finxx")


# (task, eval row index, expected id, input prefix, target, reference)
KNOWN_ROWS = [
    ("finfe", 0, "0", "【股吧情绪】试仓500股，看看门道！", "积极", "积极"),
    ("finne", 0, "0", "【新闻情绪】创始人宣称每月增长很快", "积极", "积极"),
    ("finnl", 0, "0", "【新闻分类】开开实业：预计2021年", "中国、公司", frozenset({"中国", "公司"})),
    ("finnl", 1, "1", "【新闻分类】法国CAC40指数", "外国、大盘", frozenset({"外国", "大盘"})),
    ("finre", 0, "0", "【关系抽取】头实体：深圳光电；尾实体：京东方；近日,在", "分析", "分析"),
    ("finre", 1, "1", "【关系抽取】头实体：京东方；尾实体：深圳光电；", "被分析", "被分析"),
    ("finnsp", 0, "f2ec31f5", "【负面识别】实体：恒昌汇财、纳觅财务；正文：【山东荣成处非办", "是：恒昌汇财、纳觅财务",
     NSPAnswer(True, frozenset({"恒昌汇财", "纳觅财务"}))),
    ("finese", 0, "100781", "【事件主体】事件类型：其他；来自融360的数据", "无", "无"),
    ("finqa", 0, "0", "【事件问答】正海集团解除质押事件对应的事件时间是什么？每经AI快讯", "2020年6月22日", "2020年6月22日"),
    ("fincqa", 0, "0", "【因果问答】下文中需求减少导致市场价格下降事件对应的原因涉及的行业是？受海外", "农业,工业", "农业,工业"),
    ("finna", 0, "0", "【新闻摘要】1月13日消息，三大指数集体高开后跳水",
     "收评：两市午后走势疲软沪指跌逾1% 白酒股跌幅居前", "收评：两市午后走势疲软沪指跌逾1% 白酒股跌幅居前"),
]


@pytest.mark.parametrize("name,row,ex_id,prefix,target,reference", KNOWN_ROWS)
def test_known_rows_format(data_dir, name, row, ex_id, prefix, target, reference):
    ex = get_task(name).load(data_dir, "eval", limit=row + 1)[row]
    assert ex.id == ex_id
    assert ex.input.startswith(prefix), ex.input[:80]
    assert ex.target == target and ex.reference == reference


def test_fields_carry_the_raw_parts(data_dir):
    nsp = get_task("finnsp").load(data_dir, limit=2)[1]  # a row with a title that is not the text's start
    assert nsp.fields["title"] == "中国华融建议免沈易明华融信托董事长职务" and "标题：中国华融建议" in nsp.input
    assert nsp.fields["negative"] is False and nsp.target == "否" and nsp.fields["entities"] == ("华融信托", "华融国际信托有限责任公司")
    ese = get_task("finese").load(data_dir, limit=1)[0]
    assert ese.fields["subject"] is None and ese.fields["event_type"] == "其他"
    qa = get_task("finqa").load(data_dir, limit=1)[0]
    assert qa.fields["question"] == "正海集团解除质押事件对应的事件时间是什么？" and qa.fields["text"].startswith("每经AI快讯")
    re_ = get_task("finre").load(data_dir, limit=1)[0]
    assert (re_.fields["head"], re_.fields["tail"], re_.fields["relation"]) == ("深圳光电", "京东方", "分析")
    fe = get_task("finfe").load(data_dir, limit=1)[0]
    assert fe.fields["label"] == "积极" and fe.fields["text"] == "试仓500股，看看门道！"


@pytest.mark.parametrize("name", NAMES)
def test_parse_of_target_is_reference_and_gold_scores_100(data_dir, name):
    task = get_task(name)
    examples = task.load(data_dir, "eval")
    assert len(examples) > 300 and len({e.id for e in examples}) == len(examples)
    preds = [task.parse(e.target, e) for e in examples]
    bad = [(e.target, p) for e, p in zip(examples, preds) if p != e.reference]
    assert not bad, bad[:5]
    scores = task.score(preds, examples)
    assert scores["score"] == pytest.approx(100.0)
    assert all(0.0 <= v <= 100.0 for v in scores.values())


def test_junk_rows_are_skipped_and_counted(data_dir, caplog):
    with caplog.at_level(logging.WARNING, logger="bbt.tasks"):
        ne = get_task("finne").load(data_dir, "train")
    assert len(ne) == 3599 and "skipped 1 row(s)" in caplog.text  # the stray "Sentiment" header
    nsp, notes = get_task("finnsp").load_with_notes(data_dir, "train")
    assert len(nsp) == 3599 and any("skipped 1 row(s)" in n for n in notes)
    nl, notes = get_task("finnl").load_with_notes(data_dir, "train")
    assert any("skipped 4 row(s)" in n for n in notes) and any("kept 24 row(s)" in n for n in notes)
    labels = set(get_task("finnl").labels)
    assert all(e.reference and e.reference <= labels for e in nl)
    glued = [e for e in nl if e.fields["labels"] == ("中国", "公司") and "安脉盛" in e.fields["text"]]
    assert glued  # "中国公司" read as 中国 + 公司


def test_limit_and_splits(data_dir):
    assert len(get_task("finre").load(data_dir, "train", limit=7)) == 7
    with pytest.raises(BBTError, match="unlabelled"):
        get_task("finfe").load(data_dir, "problem")
    with pytest.raises(BBTError, match="splits there: eval, problem, train"):
        get_task("finfe").load(data_dir, "nope")


def test_own_split_and_bad_files(tmp_path):
    d = tmp_path / "finfe"
    d.mkdir()
    (d / "dev_list.json").write_text(json.dumps([["好", 2], ["差", 0]], ensure_ascii=False), encoding="utf-8")
    # data_dir may be the fincuge folder itself
    assert [e.target for e in get_task("finfe").load(tmp_path, "dev")] == ["积极", "消极"]
    (d / "bad_list.json").write_text(json.dumps([["好", 2], ["差"]]), encoding="utf-8")
    with pytest.raises(DataError, match="row 1"):
        get_task("finfe").load(tmp_path, "bad")
    (d / "broken_list.json").write_text("[[", encoding="utf-8")
    with pytest.raises(DataError, match="broken_list.json"):
        get_task("finfe").load(tmp_path, "broken")
    (d / "wrong_list.json").write_text(json.dumps([["x", 9]] * 20), encoding="utf-8")
    with pytest.raises(DataError, match="20 of 20 rows"):  # a wrong layout is an error, not 20 skipped rows
        get_task("finfe").load(tmp_path, "wrong")


MESSY = [
    ("finfe", "  积极。", "积极"), ("finfe", "答案：负面", "消极"), ("finfe", "该帖子情绪是中性的。\n因为", "中性"),
    ("finfe", "2", "积极"), ("finfe", "Positive", "积极"), ("finfe", "???", INVALID), ("finfe", "", INVALID),
    ("finne", "0.5", "中性"), ("finne", "情绪：利好", "积极"),
    ("finre", "关系：被分析。", "被分析"), ("finre", "无关系", "unknown"), ("finre", "UNKNOWN", "unknown"),
    ("finre", "它们是合作关系", "合作"), ("finre", "xyz", INVALID),
    ("finnl", "该新闻属于中国公司类别", frozenset({"中国", "公司"})), ("finnl", "外国 债券", frozenset({"外国", "债券"})),
    ("finnl", "其他", frozenset({"其它"})), ("finnl", "", frozenset()),
    ("finese", "“雅虎”", "雅虎"), ("finese", "答案：没有", "无"), ("finese", "主体是：钱妈妈。", "钱妈妈"),
    ("finqa", "无", "无相应参数"), ("finqa", "答案：2020年6月22日\n解释……", "2020年6月22日"),
    ("fincqa", "没有", "无参数"),
    ("finna", "摘要：两市午后走弱\n", "两市午后走弱"),
]


@pytest.mark.parametrize("name,output,expected", MESSY)
def test_parsers_forgive_messy_outputs(data_dir, name, output, expected):
    task = get_task(name)
    assert task.parse(output, task.load(data_dir, limit=1)[0]) == expected


@pytest.mark.parametrize("output,negative,entities", [
    ("否", False, set()), ("不是负面消息", False, set()), ("", False, set()),
    ("是：恒昌汇财", True, {"恒昌汇财"}), ("是，恒昌汇财、纳觅财务。", True, {"恒昌汇财", "纳觅财务"}),
    ("负面主体是纳觅财务", True, {"纳觅财务"}), ("是", True, set()), ("是：别的公司", True, {"别的公司"}),
])
def test_finnsp_parser(data_dir, output, negative, entities):
    task = get_task("finnsp")
    ex = task.load(data_dir, limit=1)[0]
    assert task.parse(output, ex) == NSPAnswer(negative, frozenset(entities))


def test_wrong_and_fallback_predictions_score_low(data_dir):
    task = get_task("finre")
    exs = task.load(data_dir, limit=50)
    s = task.score([INVALID] * len(exs), exs)
    assert s["score"] == 0.0 and s["accuracy"] == 0.0
    s = task.score(["unknown"] * len(exs), exs)  # predicting no relation finds nothing: F1 0, accuracy > 0
    assert s["score"] == 0.0 and 0 < s["accuracy"] < 100
    nsp = get_task("finnsp")
    exs = nsp.load(data_dir, limit=40)
    s = nsp.score([NSPAnswer(False, frozenset())] * len(exs), exs)
    assert s["entity_f1"] == 0.0 and 0 < s["negative_accuracy"] < 100


@pytest.mark.parametrize("name", NAMES)
def test_instructions_say_the_task_and_answer_format(data_dir, name):
    task = get_task(name)
    ex = task.load(data_dir, limit=1)[0]
    text = task.instruction(ex)
    assert ex.fields["text"][:20] in text and text.endswith("：")
    if task.labels:
        assert all(lab in text for lab in task.labels if lab != "unknown")


def _examples(refs):
    from bbt.tasks import Example

    return [Example(str(i), "", "", r, {}) for i, r in enumerate(refs)]


def test_composite_task_scores_by_hand():
    # finre: 合作 and 自己 right (2 TP); 竞争 on an `unknown` row is a false positive; the missed 合作 a false
    # negative; `unknown` predictions never count. P = R = 2/3 -> F1 66.67; accuracy 2/4
    r = get_task("finre").score(["合作", "unknown", "竞争", "自己"], _examples(["合作", "合作", "unknown", "自己"]))
    assert r["score"] == pytest.approx(200 / 3) and r["accuracy"] == pytest.approx(50.0)
    # finnsp: negative/not accuracy 2/3; entities TP 1 (A), predicted 3 (A, B, C), gold 2 (A, B):
    # P 1/3, R 1/2, F1 0.4 -> score (66.67 + 40) / 2
    preds = [NSPAnswer(True, frozenset("A")), NSPAnswer(False, frozenset()), NSPAnswer(True, frozenset("BC"))]
    gold = [NSPAnswer(True, frozenset("AB")), NSPAnswer(False, frozenset()), NSPAnswer(False, frozenset())]
    r = get_task("finnsp").score(preds, _examples(gold))
    assert r["negative_accuracy"] == pytest.approx(200 / 3) and r["entity_f1"] == pytest.approx(40.0)
    assert r["score"] == pytest.approx((200 / 3 + 40) / 2)
    # finna: 营收增长 vs 营收大幅增长 on characters: ROUGE-1 F1 2*1*(4/6)/(1+4/6) = 0.8; ROUGE-2 bigrams 2 of 3
    # vs 2 of 5 -> 0.5; ROUGE-L (LCS 4) 0.8; score = their mean, 70
    r = get_task("finna").score(["营收增长。"], _examples(["营收大幅增长"]))
    assert (r["rouge1"], r["rouge2"], r["rougeL"]) == pytest.approx((80.0, 50.0, 80.0))
    assert r["score"] == pytest.approx(70.0)
