"""finqa / fincqa baseline: question templates + the span ranker + per-template text classifiers.

Both tasks ask templated questions. "<entity><event>事件对应的<role>是什么" asks for a span: the role (披露时间,
原因涉及的产品 ...) is the ranker's query key and the entity, when there is one, anchors it (answers sit near
their subject). Questions about the whole text ("下文中发生的事件类型有哪些", "下文中有哪些因果事件") have
answers from a small closed set that is rarely a span, so each such template gets a text classifier instead.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter

from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from bbt.classical.common import SEED, char_tfidf
from bbt.classical.spans import SpanItem, SpanRanker
from bbt.tasks import Example

_ROLE_END = re.compile(r"(?:是什么|有哪些|是哪些|是)$")
_ASKS_ROLE = "事件对应的"


def parse_question(question: str, event_types: set[str]) -> tuple[str, str]:
    """(key, entity) of a question: key `role:<role>` for span questions, `text:<question>` for questions about
    the whole text; entity is what precedes the event type in a span question ("" when none does)."""
    q = question.strip().rstrip("？?").strip()
    if _ASKS_ROLE not in q:
        return f"text:{q}", ""
    head, _, role = q.partition(_ASKS_ROLE)
    head = head.removeprefix("下文中")
    entity = head
    for et in sorted(event_types, key=len, reverse=True):
        if head.endswith(et):
            entity = head[: -len(et)]
            break
    return f"role:{_ROLE_END.sub('', role)}", entity


class QAModel:
    """finqa / fincqa: predicts the answer text, or the task's none answer (无相应参数 / 无参数)."""

    def __init__(self, task: str, none: str, c: float = 0.1, single_chars: bool = False):
        self.task, self.none = task, none
        self.ranker = SpanRanker(c=c, single_chars=single_chars)
        self.event_types: set[str] = set()
        self.classifiers: dict[str, Pipeline | str] = {}  # text-question key -> classifier, or its one answer

    def _parse(self, e: Example) -> tuple[str, str]:
        return parse_question(e.fields["question"], self.event_types)

    def fit(self, examples: list[Example]) -> "QAModel":
        # Event types are the answers of the "which event types" questions ("质押,解除质押" -> 质押, 解除质押):
        # knowing them separates the entity from the event in "郝镇熙质押事件对应的…".
        self.event_types = {t for e in examples if _ASKS_ROLE not in e.fields["question"]
                            for t in re.split(r"[,，]", e.fields["answer"]) if t and t != self.none}
        by_key: dict[str, list[Example]] = {}
        items = []
        for e in examples:
            key, entity = self._parse(e)
            if key.startswith("text:"):
                by_key.setdefault(key, []).append(e)
            else:
                answer = None if e.fields["answer"] == self.none else e.fields["answer"]
                items.append(SpanItem(e.fields["text"], key, entity, answer))
        self.classifiers = {}
        for key, group in by_key.items():
            answers = [e.fields["answer"] for e in group]
            if len(set(answers)) < 2:
                self.classifiers[key] = answers[0]
            else:
                pipe = make_pipeline(char_tfidf(), LinearSVC(C=0.5, random_state=SEED))
                with warnings.catch_warnings():  # many distinct answers on little data is expected here
                    warnings.filterwarnings("ignore", message="The number of unique classes")
                    self.classifiers[key] = pipe.fit([e.fields["text"] for e in group], answers)
        self.fallback = Counter(e.fields["answer"] for e in examples).most_common(1)[0][0] if examples else self.none
        if items:
            self.ranker.fit(items)
        return self

    def predict(self, examples: list[Example]) -> list[str]:
        out: list[str | None] = [None] * len(examples)
        span_at, span_items = [], []
        for i, e in enumerate(examples):
            key, entity = self._parse(e)
            if key.startswith("text:"):
                clf = self.classifiers.get(key)
                if clf is None:  # a template never seen in train
                    out[i] = self.fallback
                else:
                    out[i] = clf if isinstance(clf, str) else str(clf.predict([e.fields["text"]])[0])
            else:
                span_at.append(i)
                span_items.append(SpanItem(e.fields["text"], key, entity))
        if span_items:
            for i, span in zip(span_at, self.ranker.best(span_items)):
                out[i] = span or self.none
        return [o if o is not None else self.none for o in out]
