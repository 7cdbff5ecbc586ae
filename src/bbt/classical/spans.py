"""Span baselines: a linear ranker over candidate spans (finese subjects, finqa / fincqa answers).

Every candidate (see `candidates.py`) becomes a row of hashed binary features: where it comes from, its POS
tags, its first/last characters and the characters just around its first mention, where and how often it
occurs, whether it is a known train answer, how close it is to the entity the question names. Each feature is
also conjoined with the query key (the event type for finese, the asked role such as 披露时间 for finqa), and
the character bigrams of a wider window around the mention are used only conjoined with it: finese texts glue
several headlines together, and those bigrams say which headline reports the asked event. A pseudo-candidate
NONE stands for "no answer" and wins when the key usually has none (finese's 其他, finqa's 收购完成时间). A linear
SVM, fitted on the gold spans against a 30% sample of the other candidates, scores them; the best is the answer.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher
from sklearn.svm import LinearSVC

from bbt.classical.candidates import Candidate, candidates
from bbt.classical.common import SEED
from bbt.tasks import Example

NONE = "<NONE>"
CONTEXT_LEFT, CONTEXT_RIGHT = 12, 24  # characters of context whose bigrams describe a mention
# Hashed binary features: no vocabulary to build or store, and the feature strings never need joining.
_HASHER = FeatureHasher(n_features=2 ** 20, input_type="string", alternate_sign=False, dtype=np.float32)
_BLOCK = 50_000  # candidate rows hashed at a time


@dataclass(frozen=True)
class SpanItem:
    """One question: find the answer to `key` in `text`. `answer` None = no answer; `entity`: the question's
    subject, when it names one (finqa: "正海集团解除质押事件对应的事件时间")."""

    text: str
    key: str
    entity: str = ""
    answer: str | None = None


def _bucket(n: int, edges: tuple[int, ...]) -> str:
    for e in edges:
        if n < e:
            return f"<{e}"
    return f">={edges[-1]}"


def _shape(s: str) -> str:
    kinds = []
    for c in s:
        k = "d" if c.isdigit() else "a" if c.isascii() and c.isalpha() else "h" if "\u4e00" <= c <= "\u9fff" else "o"
        if not kinds or kinds[-1] != k:
            kinds.append(k)
    return "".join(kinds[:4])


def _positions(text: str, s: str) -> list[int]:
    """Start of every (non-overlapping) occurrence of `s` in `text`."""
    out: list[int] = []
    i = text.find(s) if s else -1
    while i >= 0:
        out.append(i)
        i = text.find(s, i + len(s))
    return out


def features(c: Candidate, item: SpanItem, lex_counts: Counter, entity_at: list[int]) -> list[str]:
    """The candidate's feature tokens; each also conjoined with the query key."""
    text, s, i = item.text, c.text, c.start
    at = _positions(text, s)
    base = [f"src={x}" for x in sorted(c.sources)]
    base += [
        f"pos={c.pos or '-'}", f"p0={c.pos.split('+')[0] or '-'}", f"pN={c.pos.split('+')[-1] or '-'}",
        f"len={_bucket(len(s), (2, 3, 4, 5, 7, 10, 15))}", f"shape={_shape(s)}",
        f"suf1={s[-1:]}", f"suf2={s[-2:]}", f"pre1={s[:1]}",
        f"L1={text[i - 1:i] or '^'}", f"L2={text[max(0, i - 2):i] or '^'}",
        f"R1={text[i + len(s):i + len(s) + 1] or '$'}", f"R2={text[i + len(s):i + len(s) + 2] or '$'}",
        f"occ={_bucket(len(at), (2, 3, 5))}", f"at={_bucket(i, (5, 20, 50, 100, 300))}",
        f"rel={min(9, 10 * i // max(1, len(text)))}", f"lex={_bucket(lex_counts.get(s, 0), (1, 2, 5))}",
    ]
    if item.entity:
        gaps = [abs(a - b) for a in at for b in entity_at] or [10 ** 6]
        base += [f"qd={_bucket(min(gaps), (1, 10, 30, 80, 200, 10 ** 6))}",
                 "is_q" if s == item.entity else ("in_q" if s in item.entity or item.entity in s else "not_q")]
    # Character bigrams around the first mention, only conjoined with the key: they say whether this
    # mention is *the* event of the asked type ("安科生物(300009)重组失败" for 重组失败, not the next headline).
    end = i + len(s)
    left, right = text[max(0, i - CONTEXT_LEFT):i], text[end:end + CONTEXT_RIGHT]
    around = {f"lb={left[k:k + 2]}" for k in range(len(left) - 1)}
    around |= {f"rb={right[k:k + 2]}" for k in range(len(right) - 1)}
    return base + [f"{item.key}|{t}" for t in base] + [f"{item.key}|{t}" for t in around]


def _none_features(item: SpanItem) -> list[str]:
    return ["src=NONE", f"{item.key}|src=NONE"]


class SpanRanker:
    """Scores candidate spans of `SpanItem`s; `best` returns the top span or None (no answer)."""

    def __init__(self, c: float = 0.1, single_chars: bool = False, lexicon_max: int = 12, negatives: float = 0.3):
        self.c, self.single_chars, self.lexicon_max = c, single_chars, lexicon_max
        self.negatives = negatives  # share of wrong candidates kept for training: ranking needs far fewer
        self.lexicon: Counter = Counter()
        self.model: LinearSVC | None = None

    def _lexicon(self, items: list[SpanItem]) -> Counter:
        return Counter(it.answer for it in items
                       if it.answer and len(it.answer) <= self.lexicon_max and it.answer in it.text)

    def _rows(self, item: SpanItem, cands: dict[str, Candidate], lex: Counter,
              keep: Callable[[str], bool] | None = None) -> tuple[list[str], list[list[str]]]:
        kept = [c for c in cands.values() if keep is None or keep(c.text)]
        entity_at = _positions(item.text, item.entity)
        names = [NONE] + [c.text for c in kept]
        rows = [_none_features(item)] + [features(c, item, lex, entity_at) for c in kept]
        return names, rows

    def _by_text(self, items: list[SpanItem], lex_of: Callable[[str], Counter]):
        """(item index, item, its candidates, lexicon) grouped by text: each text is segmented once, and its
        candidates are dropped before the next text's (they are the bulk of the memory otherwise)."""
        groups: dict[str, list[int]] = {}
        for i, it in enumerate(items):
            groups.setdefault(it.text, []).append(i)
        for text, idx in groups.items():
            lex = lex_of(text)
            cands = candidates(text, frozenset(lex), self.lexicon_max, self.single_chars)
            for i in idx:
                yield i, items[i], cands, lex

    def fit(self, items: list[SpanItem]) -> "SpanRanker":
        # Cross-fitted lexicon: the items of one half of the texts see only the answers of the other half, so
        # in training, as on new text, a gold span is often *not* a known answer (else "src=lex" would look
        # like a sure sign of the answer).
        texts = list(dict.fromkeys(it.text for it in items))
        half = {t: i % 2 for i, t in enumerate(texts)}
        lexicons = [self._lexicon([it for it in items if half[it.text] == h]) for h in (0, 1)]
        self.lexicon = lexicons[0] + lexicons[1]
        blocks, rows, y, rng = [], [], [], random.Random(SEED)
        for _, it, cands, lex in self._by_text(items, lambda t: lexicons[1 - half[t]]):
            def keep(s: str, gold: str | None = it.answer) -> bool:
                return s == gold or rng.random() < self.negatives
            names, feats = self._rows(it, cands, lex, keep)
            rows += feats
            y += [name == (it.answer or NONE) for name in names]
            if len(rows) >= _BLOCK:  # hash as we go: the feature strings would take gigabytes
                blocks.append(_HASHER.transform(rows))
                rows = []
        blocks.append(_HASHER.transform(rows))
        self.model = LinearSVC(C=self.c, random_state=SEED).fit(sparse.vstack(blocks).tocsr(), y)
        return self

    def best(self, items: list[SpanItem]) -> list[str | None]:
        out: list[str | None] = [None] * len(items)
        for i, it, cands, lex in self._by_text(items, lambda t: self.lexicon):
            names, feats = self._rows(it, cands, lex)
            scores = self.model.decision_function(_HASHER.transform(feats))
            top = names[int(scores.argmax())]
            out[i] = None if top == NONE else top
        return out


class SubjectModel:
    """finese: the subject of the given event type, or the task's "无" when the ranker prefers NONE."""

    def __init__(self, task: str = "finese", none: str = "无", c: float = 0.1):
        self.task, self.none = task, none
        self.ranker = SpanRanker(c=c)

    @staticmethod
    def _item(e: Example) -> SpanItem:
        return SpanItem(e.fields["text"], str(e.fields["event_type"]), "", e.fields.get("subject"))

    def fit(self, examples: list[Example]) -> "SubjectModel":
        self.ranker.fit([self._item(e) for e in examples])
        return self

    def predict(self, examples: list[Example]) -> list[str]:
        return [span or self.none for span in self.ranker.best([self._item(e) for e in examples])]
