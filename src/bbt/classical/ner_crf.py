"""finner baseline: a linear-chain CRF (CRFsuite, through sklearn-crfsuite) over character features, BIO tags.

The classic cheap Chinese NER model: each character described by itself, its neighbours within two, the bigrams
around it and its character class; optionally (`words`) its place in its jieba word (B/M/E/S) and the word's
length, and (`lexicon`) the B-/I- type of a name-list match covering it. The name list is the train entities;
on train rows it comes from the *other* folds (`LEXICON_FOLDS`), or every train name would mark its own row and
the CRF would learn to trust a feature that unseen names never have. `extra_names` (e.g. the knowledge graph's
stock names, industries and executives, `kg_names`) are a second, separate feature. Gold pairs are located in
the text (`bbt.tasks.locate`: every occurrence, longest first); predicted tag runs become (span, type) pairs.
"""

from __future__ import annotations

import unicodedata

from bbt.tasks import Example
from bbt.tasks.entities import PAIR_SEP, bio_tags, tag_pairs

WINDOW = 2  # characters either side a feature looks at
LEXICON_FOLDS = 5  # train rows get the lexicon of the other folds (see the module docstring)
MAX_NAME = 16  # longest name matched, in characters


class Lexicon:
    """Names -> type; `marks(text)`: per character "B-type" / "I-type" of the match covering it, else "O" (longest
    match first, left to right, no overlaps; names of one character are not matched)."""

    def __init__(self, names: dict[str, str]):
        self.names = {n: t for n, t in names.items() if 2 <= len(n) <= MAX_NAME}
        self.heads = {n[:2] for n in self.names}  # why: most positions start no name; one set lookup skips them
        self.longest = max((len(n) for n in self.names), default=0)

    def marks(self, text: str) -> list[str]:
        out, i, n = ["O"] * len(text), 0, len(text)
        while i < n - 1:
            if text[i:i + 2] in self.heads:
                for size in range(min(self.longest, n - i), 1, -1):
                    typ = self.names.get(text[i:i + size])
                    if typ is not None:
                        out[i] = f"B-{typ}"
                        out[i + 1:i + size] = [f"I-{typ}"] * (size - 1)
                        i += size
                        break
                else:
                    i += 1
            else:
                i += 1
        return out


def train_names(examples: list[Example]) -> dict[str, str]:
    """Each gold entity name of `examples` with its most frequent type."""
    from collections import Counter

    counts: dict[str, Counter] = {}
    for e in examples:
        for span, typ in e.fields["entities"]:
            counts.setdefault(span, Counter())[typ] += 1
    return {n: c.most_common(1)[0][0] for n, c in counts.items()}


def word_positions(text: str) -> list[tuple[str, int]]:
    """Per character: its place in its jieba word (B, M, E or S) and the word's length (capped at 6)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    out: list[tuple[str, int]] = []
    for w in jieba.lcut(text):
        k = len(w)
        out += [("S", 1)] if k == 1 else [("B", min(k, 6))] + [("M", min(k, 6))] * (k - 2) + [("E", min(k, 6))]
    return out


def char_class(c: str) -> str:
    if c.isdigit():
        return "D"
    if c.isascii() and c.isalpha():
        return "A"
    if "\u4e00" <= c <= "\u9fff":
        return "H"
    return "P" if unicodedata.category(c).startswith(("P", "S")) else "O"


def char_features(text: str, words: bool = False, lexicons: tuple[tuple[str, Lexicon], ...] = ()) \
        -> list[dict[str, str]]:
    """CRFsuite feature dicts, one per character; `lexicons`: (feature name, Lexicon) pairs."""
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
    if words:
        for f, (pos, size) in zip(feats, word_positions(text)):
            f["w"], f["wl"] = pos, f"{pos}{size}"
    for name, lex in lexicons:
        marks = lex.marks(text)
        for i, f in enumerate(feats):
            f[name] = marks[i]
            f[f"{name}-1"], f[f"{name}+1"] = (marks[i - 1] if i else "^"), (marks[i + 1] if i + 1 < len(marks) else "$")
    return feats


class CRFModel:
    """finner: CRF over character features; predict() writes "span:type；..." (or the task's none word)."""

    def __init__(self, task: str = "finner", none: str = "无", c1: float = 0.05, c2: float = 0.05,
                 max_iterations: int = 150, words: bool = True, lexicon: bool = True,
                 extra_names: dict[str, str] | None = None):
        self.task, self.none = task, none
        self.c1, self.c2, self.max_iterations = c1, c2, max_iterations
        self.words, self.lexicon = words, lexicon
        self.extra = Lexicon(extra_names) if extra_names else None
        self.names: Lexicon | None = None  # every train name, for new texts (set by fit)
        self.crf = None

    def _lexicons(self, names: Lexicon | None) -> tuple[tuple[str, Lexicon], ...]:
        return tuple((k, v) for k, v in (("d", names), ("g", getattr(self, "extra", None))) if v is not None)

    def fit(self, examples: list[Example]) -> "CRFModel":
        import sklearn_crfsuite

        texts = [e.fields["text"] for e in examples]
        self.names = Lexicon(train_names(examples)) if self.lexicon else None
        self.crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=self.c1, c2=self.c2,
                                        max_iterations=self.max_iterations, all_possible_transitions=True)
        self.crf.fit(self.train_features(examples), [bio_tags(t, e.fields["entities"]) for t, e in zip(texts, examples)])
        return self

    def train_features(self, examples: list[Example]) -> list[list[dict[str, str]]]:
        """The feature dicts of train rows: row i sees the names of the folds other than its own (i % folds)."""
        folds: list[Lexicon | None] = [None] * len(examples)
        if self.lexicon:
            for k in range(LEXICON_FOLDS):  # rows are not ordered by source, so i % LEXICON_FOLDS mixes them
                other = Lexicon(train_names([e for i, e in enumerate(examples) if i % LEXICON_FOLDS != k]))
                for i in range(k, len(examples), LEXICON_FOLDS):
                    folds[i] = other
        return [char_features(e.fields["text"], self.words, self._lexicons(lex)) for e, lex in zip(examples, folds)]

    def features(self, text: str) -> list[dict[str, str]]:
        """The feature dicts of a new text (the lexicon of every train name)."""
        return char_features(text, getattr(self, "words", False), self._lexicons(getattr(self, "names", None)))

    def mentions(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        """Character-offset mentions (start, end, type) per text."""
        full = [i for i, t in enumerate(texts) if t]
        tags = self.crf.predict([self.features(texts[i]) for i in full]) if full else []
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


def kg_names(data_dir) -> dict[str, str]:
    """FinNER-typed names from the shared stock knowledge graph (kg/stock_kg/import): stock short names as 公司,
    industries as 行业/领域, executives of 2-4 Chinese characters as 人物. {} when the graph is not there."""
    import re
    from pathlib import Path

    import pandas as pd

    from bbt.errors import DataError

    root = Path(data_dir) / "kg" / "stock_kg" / "import"
    out: dict[str, str] = {}
    for file, typ, pattern in (("executive.csv", "人物", r"[\u4e00-\u9fff]{2,4}"), ("industry.csv", "行业/领域", None),
                               ("stock.csv", "公司", None)):  # later files win a shared name
        path = root / file
        if not path.is_file():
            continue
        try:
            names = pd.read_csv(path, dtype=str)["name"].dropna().str.strip()
        except (KeyError, ValueError, OSError) as e:
            raise DataError(f"{path}: cannot read the 'name' column ({e})") from None
        for n in names:
            n = re.sub(r"[\s*]+", "", n)
            if pattern is None or re.fullmatch(pattern, n):
                out[n] = typ
    return out
