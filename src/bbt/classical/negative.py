"""finnsp baseline: is the text negative news (text classifier), and which of the row's candidate entities it is
about (a per-entity classifier over the entity's context windows, its name and a few flags).

The flags carry the task's main regularity: a candidate that is part of a longer candidate ("众车" beside
"众车在线") is rarely the negative one, and a candidate that never occurs in the text rarely is either.
"""

from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from bbt.classical.classify import HEAD, TAIL
from bbt.classical.common import SEED, char_tfidf, columns, frame, token_tfidf
from bbt.tasks import SEP, Example

WINDOW = 12  # characters of context on each side of an entity mention
MAX_MENTIONS = 3  # context windows per entity: the first mentions say most, and long posts repeat themselves


def document(e: Example) -> str:
    title, text = e.fields["title"], e.fields["text"]
    return text if not title or text.startswith(title) else f"{title}。{text}"


def _bucket(n: int) -> str:
    return str(n) if n < 3 else "3+"


def entity_rows(e: Example) -> list[dict[str, str]]:
    """One feature row per candidate entity of the example."""
    doc, cands = document(e), list(e.fields["entities"])
    firsts = sorted((doc.find(c) if c in doc else len(doc), c) for c in cands)
    rank = {c: i for i, (_, c) in enumerate(firsts)}
    rows = []
    for c in cands:
        marked = doc
        for other in sorted(cands, key=len, reverse=True):  # longer names first: a short one inside stays whole
            marked = marked.replace(other, HEAD if other == c else TAIL)
        windows, start = [], 0
        while len(windows) < MAX_MENTIONS and (i := marked.find(HEAD, start)) >= 0:
            windows.append(marked[max(0, i - WINDOW):i + WINDOW + 1])
            start = i + 1
        flags = [
            "part" if any(c != o and c in o for o in cands) else "whole",
            "has_part" if any(c != o and o in c for o in cands) else "no_part",
            "in_title" if c in e.fields["title"] else "not_title",
            f"mentions{_bucket(doc.count(c))}",
            f"marked{_bucket(len(windows))}",  # 0: only inside a longer candidate's name, or absent
            f"cands{_bucket(len(cands))}",
            f"rank{_bucket(rank[c])}",
        ]
        rows.append({"context": " | ".join(windows) or "<无>", "name": c, "flags": " ".join(flags)})
    return rows


class NegativeModel:
    """finnsp: predicts "否" or "是：A、B" (the target format)."""

    def __init__(self, task: str = "finnsp", c: float = 0.5):
        self.task, self.c = task, c
        self.doc_pipe: Pipeline | None = None
        self.entity_pipe: Pipeline | None = None

    def fit(self, examples: list[Example]) -> "NegativeModel":
        self.doc_pipe = make_pipeline(char_tfidf(), LinearSVC(C=self.c, random_state=SEED))
        self.doc_pipe.fit([document(e) for e in examples], [bool(e.fields["negative"]) for e in examples])
        rows, y = [], []
        for e in examples:
            if e.fields["negative"]:  # entities are only labelled on negative news
                gold = set(e.fields["negative_entities"])
                for c, row in zip(e.fields["entities"], entity_rows(e)):
                    rows.append(row)
                    y.append(c in gold)
        self.entity_pipe = None
        if len(set(y)) == 2:
            vec = columns({"context": char_tfidf(), "name": char_tfidf(), "flags": token_tfidf()})
            self.entity_pipe = make_pipeline(vec, LinearSVC(C=self.c, random_state=SEED)).fit(frame(rows), y)
        return self

    def _entities(self, e: Example) -> list[str]:
        cands = list(e.fields["entities"])
        if not cands:
            return []
        if self.entity_pipe is None:  # too little training data: keep every name that is not part of another
            return [c for c in cands if not any(c != o and c in o for o in cands)]
        scores = self.entity_pipe.decision_function(frame(entity_rows(e)))
        chosen = [c for c, s in zip(cands, scores) if s > 0]
        return chosen or [cands[int(np.argmax(scores))]]  # negative news is about at least one of them

    def predict(self, examples: list[Example]) -> list[str]:
        if not examples:
            return []
        negative = self.doc_pipe.predict([document(e) for e in examples])
        out = []
        for e, neg in zip(examples, negative):
            ents = self._entities(e) if neg else []
            out.append(f"是：{SEP.join(ents)}" if ents else ("是" if neg else "否"))
        return out
