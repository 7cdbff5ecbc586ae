"""The nine FinCUGE tasks and FinNER (`finner`, the FinCUGE authors' NER set), declared by name with keyword fields
(prompt, columns, metric, labels, parser kind).

Each declaration is the single definition of a task: the harness evaluates it, the trainers fine-tune on it and
the API capabilities call it. A new task of a known kind is one more `register_task(...)` call here (see
docs/architecture.md, "Add a task").
"""

from __future__ import annotations

from bbt.tasks.base import LabelTask, MultiLabelTask, NegativeTask, QATask, RelationTask, SubjectTask, SummaryTask
from bbt.tasks.entities import EntityTask
from bbt.tasks.registry import register_task

SENTIMENT = ("消极", "中性", "积极")
_SENTIMENT_SYNONYMS = {
    "负面": "消极", "负向": "消极", "悲观": "消极", "看空": "消极", "利空": "消极", "看跌": "消极", "negative": "消极",
    "中立": "中性", "neutral": "中性",
    "正面": "积极", "正向": "积极", "乐观": "积极", "看多": "积极", "利好": "积极", "看涨": "积极", "positive": "积极",
}
FINNL_LABELS = ("公司", "行业", "大盘", "中国", "外国", "国际", "经济", "政策", "政治", "期货", "债券", "房地产",
                "外汇", "虚拟货币", "新冠", "能源", "其它")  # the 17 published categories (其它 is never used)
FINRE_LABELS = (
    "unknown", "自己", "合作", "竞争", "拥有", "被拥有", "持股", "被持股", "签约", "分析", "被分析", "纠纷", "交易",
    "收购", "被收购", "增持", "被增持", "减持", "被减持", "重组", "订单", "合并", "入股", "被入股", "注资", "被注资",
    "合资", "成立", "被成立", "帮助", "被帮助", "发行", "被发行", "拟收购", "被拟收购", "买资", "被买资", "商讨",
    "转让", "被转让", "欠款", "被欠款", "借壳", "被借壳")  # 44 relations incl. unknown, as in the train list
# the nine FinCUGE tasks (finner, the tenth, is FinNER): the averages that compare with earlier results use these
FINCUGE_NINE = ("finfe", "finne", "finnl", "finre", "finnsp", "finese", "finqa", "fincqa", "finna")
FINNER_TYPES = ("公司", "人物", "行业/领域", "产品", "政府机构", "国家/地区", "政策/文件", "头衔/职务", "其他机构", "会议",
                "地址")  # the 11 FinNER types

register_task(LabelTask(
    name="finfe", title="FinFE 股吧情绪", prompt="【股吧情绪】", columns=("text", "label"), metric="accuracy",
    labels=SENTIMENT, max_new_tokens=4, raw_labels={0: "消极", 1: "中性", 2: "积极"}, synonyms=_SENTIMENT_SYNONYMS,
    question="判断下面这条股吧帖子表达的情绪。"))
register_task(LabelTask(
    name="finne", title="FinNE 新闻情绪", prompt="【新闻情绪】", columns=("text", "label"), metric="accuracy",
    labels=SENTIMENT, max_new_tokens=4, raw_labels={"0.0": "消极", "0.5": "中性", "1.0": "积极"},
    synonyms=_SENTIMENT_SYNONYMS, question="判断下面这段金融新闻文字的情绪倾向。"))
register_task(MultiLabelTask(
    name="finnl", title="FinNL 新闻分类", prompt="【新闻分类】", columns=("text", "labels"), metric="micro_f1",
    labels=FINNL_LABELS, max_new_tokens=16,
    synonyms={"其他": "其它", "个股": "公司", "板块": "行业", "国外": "外国", "疫情": "新冠"}))
register_task(RelationTask(
    name="finre", title="FinRE 关系抽取", prompt="【关系抽取】", columns=("head", "tail", "relation", "text"),
    metric="micro_f1_no_unknown", labels=FINRE_LABELS, max_new_tokens=8,
    template="头实体：{head}；尾实体：{tail}；{text}", label_column="relation", words={"unknown": "无关系"},
    synonyms={"没有关系": "unknown", "无明确关系": "unknown", "未知": "unknown", "无": "unknown",
              "none": "unknown", "其他": "unknown", "其它": "unknown"},
    question="判断下面金融新闻中“{head}”（头实体）与“{tail}”（尾实体）之间的关系，即“{head}”对“{tail}”是什么关系。"))
register_task(NegativeTask(
    name="finnsp", title="FinNSP 负面识别", prompt="【负面识别】",
    columns=("id", "title", "text", "entities", "negative", "negative_entities"), metric="mean_acc_entity_f1",
    max_new_tokens=64))
register_task(SubjectTask(
    name="finese", title="FinESE 事件主体", prompt="【事件主体】", columns=("id", "text", "event_type", "subject"),
    metric="char_f1", max_new_tokens=32, template="事件类型：{event_type}；{text}", none="无"))
register_task(QATask(
    name="finqa", title="FinQA 事件问答", prompt="【事件问答】", columns=("question_and_text", "answer"),
    metric="char_f1", max_new_tokens=64, template="{question_and_text}", none="无相应参数"))
register_task(QATask(
    name="fincqa", title="FinCQA 因果问答", prompt="【因果问答】", columns=("question_and_text", "answer"),
    metric="char_f1", max_new_tokens=32, template="{question_and_text}", none="无参数"))
register_task(SummaryTask(
    name="finna", title="FinNA 新闻摘要", prompt="【新闻摘要】", columns=("summary", "text"),
    metric="rouge_chars_mean", max_new_tokens=64))
register_task(EntityTask(
    name="finner", title="FinNER 实体识别", prompt="【实体识别】", columns=("text", "labels"), metric="entity_micro_f1",
    labels=FINNER_TYPES, max_new_tokens=96,
    synonyms={"行业": "行业/领域", "领域": "行业/领域", "国家": "国家/地区", "地区": "国家/地区", "政策": "政策/文件",
              "文件": "政策/文件", "职务": "头衔/职务", "头衔": "头衔/职务", "机构": "其他机构", "人名": "人物"}))
