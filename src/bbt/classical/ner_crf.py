"""finner baseline: a linear-chain CRF (CRFsuite, through sklearn-crfsuite) over character features, BIO tags.

The classic cheap Chinese NER model: no segmentation, each character described by itself, its neighbours within
two, the bigrams around it and its character class. Gold pairs are located in the text (`bbt.tasks.locate`:
every occurrence, longest first); predicted tag runs become (span, type) pairs, the task's answer form.
"""

from __future__ import annotations

import unicodedata

from bbt.tasks import Example
from bbt.tasks.entities import PAIR_SEP, bio_tags, tag_pairs

WINDOW = 2  # characters either side a feature looks at


def char_class(c: str) -> str:
    if c.isdigit():
        return "D"
    if c.isascii() and c.isalpha():
        return "A"
    if "\u4e00" <= c <= "\u9fff":
        return "H"
    return "P" if unicodedata.category(c).startswith(("P", "S")) else "O"


def char_features(text: str) -> list[dict[str, str]]:
    """CRFsuite feature dicts, one per character."""
    padded = "^" * WINDOW + text + "$" * WINDOW
    feats = []
    for i in range(len(text)):
        j = i + WINDOW
        f = {"b": "1", "c": padded[j], "t": char_class(padded[j])}
        for k in range(1, WINDOW + 1):
            f[f"c-{k}"], f[f"c+{k}"] = padded[j - k], padded[j + k]
        f["b-1"], f["b+1"] = padded[j - 1 : j + 1], padded[j : j + 2]
        f["t3"] = "".join(char_class(c) for c in padded[j - 1 : j + 2])
        feats.append(f)
    return feats


class CRFModel:
    """finner: CRF over character features; predict() writes "span:type；..." (or the task's none word)."""

    def __init__(self, task: str = "finner", none: str = "无", c1: float = 0.05, c2: float = 0.05,
                 max_iterations: int = 150):
        self.task, self.none = task, none
        self.c1, self.c2, self.max_iterations = c1, c2, max_iterations
        self.crf = None

    def fit(self, examples: list[Example]) -> "CRFModel":
        import sklearn_crfsuite

        texts = [e.fields["text"] for e in examples]
        self.crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=self.c1, c2=self.c2,
                                        max_iterations=self.max_iterations, all_possible_transitions=True)
        self.crf.fit([char_features(t) for t in texts],
                     [bio_tags(t, e.fields["entities"]) for t, e in zip(texts, examples)])
        return self

    def mentions(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        """Character-offset mentions (start, end, type) per text."""
        full = [i for i, t in enumerate(texts) if t]
        tags = self.crf.predict([char_features(texts[i]) for i in full]) if full else []
        out: list[list[tuple[int, int, str]]] = [[] for _ in texts]
        for i, tg in zip(full, tags):
            out[i] = tag_pairs(texts[i], list(tg))
        return out

    def predict(self, examples: list[Example]) -> list[str]:
        texts = [e.fields["text"] for e in examples]
        out = []
        for text, ms in zip(texts, self.mentions(texts)):
            pairs = list(dict.fromkeys(f"{text[s:e]}:{t}" for s, e, t in ms))
            out.append(PAIR_SEP.join(pairs) or self.none)
        return out
