"""Entity tasks (finner): every entity mention of a text as a (span, type) pair, scored by exact-pair micro-F1.

FinNER rows are JSON objects `{"text": ..., "labels": ["span:type", ...]}`; spans are given as text, not as
offsets, so the gold answer is the *set* of (span, type) pairs of the text (a span mentioned twice is one pair).
The target a seq2seq model writes is "span:type；span:type" ("无" for a text without entities): "；" joins the
pairs because no FinNER span holds it ("、" and "/" occur inside spans and types).

`locate(text, pairs)` turns the pairs into character offsets (every occurrence, longest span first, no overlaps):
what taggers train on. A gold span that is not in its text (129 of 25k train mentions: annotators' typos) stays in
the reference, so the score is over every gold label, and is counted in the load notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from bbt.tasks import metrics
from bbt.tasks.base import _ANSWER_ONLY, Example, Task, _Skip, _short, compact, first_line, is_none_answer

PAIR_SEP = "；"
_PAIR_SPLIT = re.compile(r"[；;\n]+")
_TYPE_SEP = re.compile(r"[:：](?=[^:：]*$)")  # the last colon: a span may hold one, a type never does


class Mention(NamedTuple):
    start: int  # character offset in the text
    end: int  # exclusive
    type: str


def locate(text: str, pairs) -> list[Mention]:
    """Character offsets of every occurrence of each (span, type) pair, longest spans first, never overlapping."""
    taken = [False] * len(text)
    found: list[Mention] = []
    for span, typ in sorted(set(pairs), key=lambda p: (-len(p[0]), p)):
        if not span:
            continue
        start = text.find(span)
        while start >= 0:
            end = start + len(span)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(span)
                found.append(Mention(start, end, typ))
            start = text.find(span, start + 1)
    return sorted(found)


def bio_tags(text: str, pairs) -> list[str]:
    """One BIO tag per character (B-type / I-type / O) from the located pairs."""
    tags = ["O"] * len(text)
    for m in locate(text, pairs):
        tags[m.start] = f"B-{m.type}"
        for k in range(m.start + 1, m.end):
            tags[k] = f"I-{m.type}"
    return tags


def tag_pairs(text: str, tags: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, type) of each tag run; an I- without its B- starts a run too (lenient decoding)."""
    out, start, typ = [], None, None
    for i, t in enumerate([*tags, "O"]):
        kind, _, name = t.partition("-")
        if start is not None and (kind != "I" or name != typ):
            out.append((start, i, typ))
            start = None
        if kind == "B" or (kind == "I" and start is None):
            start, typ = i, name
    return out


@dataclass(frozen=True)
class EntityTask(Task):
    """finner: (span, type) pairs; `labels` are the entity types. Score: micro-F1 over exact pairs."""

    none: str = "无"
    synonyms: dict = field(default_factory=dict)  # surface type name -> type, for parsing free text

    def make_example(self, row_id: str, fields: dict) -> Example:
        if not isinstance(fields["text"], str):  # why: NaN / null would become the text "nan"
            raise _Skip(f"text is not a string (e.g. {_short(fields['text'], 20)})")
        text = compact(fields["text"])
        labels = fields["labels"]
        if not isinstance(labels, list):
            raise TypeError(f"labels must be a list of 'span:type' strings, got {_short(labels, 40)}")
        pairs: list[tuple[str, str]] = []
        dropped = None
        for label in labels:
            span, sep, typ = str(label).rpartition(":")
            span = compact(span)
            if not sep or not span or typ not in (self.labels or ()):
                raise _Skip(f"a label not of the form 'span:type' with one of the {len(self.labels or ())} types "
                            f"(e.g. {_short(label, 30)})")
            if span not in text:
                dropped = "a gold span not found in its text (kept in the reference, untaggable)"
            if (span, typ) not in pairs:
                pairs.append((span, typ))
        fields = {**fields, "text": text, "entities": tuple(pairs)}
        if dropped:
            fields["dropped"] = dropped
        target = PAIR_SEP.join(f"{s}:{t}" for s, t in pairs) or self.none
        return Example(row_id, self.render(fields), target, frozenset(pairs), fields)

    def parse(self, output: str, example: Example) -> frozenset:
        s = str(output).strip()
        if not s or is_none_answer(first_line(s)):
            return frozenset()
        vocab = {t: t for t in self.labels or ()}
        vocab.update(self.synonyms)
        found = set()
        for piece in _PAIR_SPLIT.split(s):
            parts = _TYPE_SEP.split(piece.strip(), maxsplit=1)
            if len(parts) == 2 and parts[0].strip() and parts[1].strip() in vocab:
                found.add((parts[0].strip(), vocab[parts[1].strip()]))
        return frozenset(found)

    def instruction(self, example: Example) -> str:
        return (f"找出下面金融文本中的所有实体，类型只能是：{'、'.join(self.labels or ())}。每个实体写成“实体:类型”，"
                f"多个实体用“{PAIR_SEP}”分隔；没有实体时回答“{self.none}”。{_ANSWER_ONLY}\n"
                f"文本：{example.fields['text']}\n答案：")

    def score(self, predictions: list, examples: list[Example]) -> dict:
        refs = [set(e.reference) for e in examples]
        preds = [set(p) for p in predictions]
        f1 = metrics.micro_f1_sets(preds, refs)
        out = {"score": f1["f1"], "precision": f1["precision"], "recall": f1["recall"]}
        for typ in self.labels or ():
            of = [{x for x in p if x[1] == typ} for p in preds], [{x for x in r if x[1] == typ} for r in refs]
            out[f"f1_{typ}"] = metrics.micro_f1_sets(*of)["f1"]
        return out
