"""A measured score for the rule-based announcement extractor, from labelled data it was never fitted on.

FinQA (DuEE-fin) asks, per event, for arguments such as 质押股票/股份数量, 交易金额, 占公司总股本比例, 披露时间.
Where the gold answer is itself one typed value (1050.3万股, 1.2亿元, 3.00%, 2019年8月20日), the extractor should
return that value among its fields for the same text:
- value recall: share of those answers found among the extracted fields with the same kind and value
  (amounts compared in base units, dates as ISO strings; the role label is not required);
- type accuracy: for texts whose "which event types" answer names exactly one DuEE type that maps to one of
  the extractor's announcement types, the share where the extractor's type is that one.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from bbt.errors import DataError
from bbt.extract.announcement import AnnouncementExtractor
from bbt.extract.values import parse_values

DUEE_TO_TYPE = {"质押": "股份质押", "解除质押": "解除质押", "股份回购": "股份回购", "股东增持": "增持", "股东减持": "减持",
                "中标": "中标", "企业收购": "对外投资/收购", "高管变动": "高管变动"}
_ROLE = "事件对应的"
_TYPES_Q = "下文中发生的事件类型有哪些"


def _same(a: dict, b: dict) -> bool:
    if a["kind"] != b["kind"]:
        return False
    if isinstance(a["value"], float) and isinstance(b["value"], float):
        return math.isclose(a["value"], b["value"], rel_tol=1e-6)
    return a["value"] == b["value"] and a.get("unit") == b.get("unit")


def evaluate_announcements(data_dir: str | Path, extractor: AnnouncementExtractor, split: str = "eval") -> dict:
    f = Path(data_dir) / "fincuge" / "finqa" / f"{split}_list.json"
    try:
        rows = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"cannot read {f}: {e}") from None
    value_cases, type_cases = [], []
    for i, row in enumerate(rows):
        if not (isinstance(row, list) and len(row) == 2):
            raise DataError(f"{f}: row {i} is not [question_and_text, answer]")
        question, _, text = str(row[0]).partition("？")
        answer = str(row[1]).strip()
        if _ROLE in question:
            gold = parse_values(answer)
            if len(gold) == 1 and gold[0]["text"] == answer:
                value_cases.append((text, gold[0]))
        elif question.endswith(_TYPES_Q):
            mapped = {DUEE_TO_TYPE.get(t.strip()) for t in answer.replace("，", ",").split(",")}
            if len(mapped) == 1 and None not in mapped:
                type_cases.append((text, mapped.pop()))
    texts = list(dict.fromkeys([t for t, _ in value_cases] + [t for t, _ in type_cases]))
    out = dict(zip(texts, extractor.predict(texts)))
    found = [any(_same(v, g) for v in out[t]["fields"]) for t, g in value_cases]
    right = [out[t]["type"] == want for t, want in type_cases]
    return {"split": split, "file": str(f),
            "value_recall": 100 * sum(found) / max(1, len(found)), "values": len(found),
            "type_accuracy": 100 * sum(right) / max(1, len(right)), "typed_texts": len(right),
            "by_kind": {k: [sum(ok for (_, g), ok in zip(value_cases, found) if g["kind"] == k),
                            sum(1 for _, g in value_cases if g["kind"] == k)]
                        for k in sorted({g["kind"] for _, g in value_cases})}}
