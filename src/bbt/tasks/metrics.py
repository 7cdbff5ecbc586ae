"""FinCUGE scoring functions. Every score is a float in 0..100 (percent), as the published tables report.

ROUGE is a short n-gram / LCS implementation written here rather than the `rouge-score` package: that package
is not a dependency of this project, and its default tokenizer drops every non-ASCII character, so Chinese
text must be tokenized before it anyway. The formulas follow `rouge-score` exactly (clipped n-gram counts,
F1 of precision and recall, 0 when either side has no n-grams); on 3,000 random token sequences it agreed
with rouge-score 0.1.2 (whitespace tokenizer) to 1e-13, and the tests check hand-computed cases.
"""

from __future__ import annotations

import string
import unicodedata
from collections import Counter
from collections.abc import Hashable, Sequence

from bbt.errors import BBTError

__all__ = [
    "accuracy", "micro_f1_sets", "normalize_chars", "char_f1", "mean_char_f1",
    "rouge_n", "rouge_l", "rouge_tokens", "rouge_chars", "rouge_words", "word_tokens",
]

# SQuAD's normaliser drops `string.punctuation`, which besides punctuation proper holds the ASCII symbols
# $ + < = > ^ ` | ~ (Unicode category S*). We drop those too, and their full-width twins (＄＋＜＝＞＾｀｜～),
# which Chinese text uses interchangeably; other symbols (￥, °, ℃, ×) carry meaning and are kept.
_ASCII_PUNCT = frozenset(string.punctuation)


def _check_lengths(preds: Sequence, refs: Sequence) -> None:
    if len(preds) != len(refs):
        raise BBTError(f"{len(preds)} predictions but {len(refs)} references: they must pair up one to one")
    if not refs:
        raise BBTError("no examples to score")


def _f1(overlap: float, n_pred: float, n_ref: float) -> float:
    """F1 in 0..100 from an overlap count and the two totals; 0 when any of them is 0."""
    if overlap == 0 or n_pred == 0 or n_ref == 0:
        return 0.0
    precision, recall = overlap / n_pred, overlap / n_ref
    return 100.0 * 2 * precision * recall / (precision + recall)


def accuracy(preds: Sequence[Hashable], refs: Sequence[Hashable]) -> float:
    """Percent of predictions equal to their reference."""
    _check_lengths(preds, refs)
    return 100.0 * sum(p == r for p, r in zip(preds, refs)) / len(refs)


def micro_f1_sets(preds: Sequence[set], refs: Sequence[set]) -> dict[str, float]:
    """Micro-averaged precision, recall and F1 over per-example label sets.

    True positives, false positives and false negatives are summed over all examples before dividing, so an
    example with many labels weighs more than one with few. A ratio whose denominator is 0 is 0 (no
    predictions at all gives precision 0). When there is nothing to find and nothing was predicted anywhere
    (every set empty on both sides) the predictions are exactly right, so all three scores are 100.
    """
    _check_lengths(preds, refs)
    tp = fp = fn = 0
    for p, r in zip(preds, refs):
        p, r = set(p), set(r)
        tp += len(p & r)
        fp += len(p - r)
        fn += len(r - p)
    if tp + fp + fn == 0:
        return {"precision": 100.0, "recall": 100.0, "f1": 100.0}
    precision = 100.0 * tp / (tp + fp) if tp + fp else 0.0
    recall = 100.0 * tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _dropped(c: str) -> bool:
    if c.isspace() or unicodedata.category(c).startswith("P") or c in _ASCII_PUNCT:
        return True
    # Full-width forms U+FF01..U+FF5E are the ASCII block shifted by 0xFEE0.
    return "\uff01" <= c <= "\uff5e" and chr(ord(c) - 0xFEE0) in _ASCII_PUNCT


def normalize_chars(text: str) -> str:
    """`text` without whitespace and punctuation (ASCII and CJK), other characters unchanged."""
    return "".join(c for c in text if not _dropped(c))


def char_f1(pred: str, ref: str) -> float:
    """SQuAD-style F1 of the character multisets of `pred` and `ref` after `normalize_chars`.

    Both empty after normalising counts as a match (100); exactly one empty scores 0.
    """
    p, r = normalize_chars(pred), normalize_chars(ref)
    if not p and not r:
        return 100.0
    overlap = sum((Counter(p) & Counter(r)).values())
    return _f1(overlap, len(p), len(r))


def mean_char_f1(preds: Sequence[str], refs: Sequence[str]) -> float:
    """Mean of `char_f1` over paired examples."""
    _check_lengths(preds, refs)
    return sum(char_f1(p, r) for p, r in zip(preds, refs)) / len(refs)


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def rouge_n(pred: Sequence[str], ref: Sequence[str], n: int) -> float:
    """ROUGE-N F1 (0..100) of two token sequences: clipped n-gram overlap; 0 when either has no n-gram."""
    p, r = _ngrams(pred, n), _ngrams(ref, n)
    return _f1(sum((p & r).values()), sum(p.values()), sum(r.values()))


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    # One DP row at a time: O(len(a) * len(b)) time, O(len(b)) memory.
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(pred: Sequence[str], ref: Sequence[str]) -> float:
    """ROUGE-L F1 (0..100): longest common subsequence over the two lengths; 0 when either is empty."""
    return _f1(_lcs_length(pred, ref), len(pred), len(ref))


def rouge_tokens(preds: Sequence[Sequence[str]], refs: Sequence[Sequence[str]]) -> dict[str, float]:
    """ROUGE-1, ROUGE-2 and ROUGE-L F1 of pre-tokenized pairs, each averaged over examples."""
    _check_lengths(preds, refs)
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    for p, r in zip(preds, refs):
        totals["rouge1"] += rouge_n(p, r, 1)
        totals["rouge2"] += rouge_n(p, r, 2)
        totals["rougeL"] += rouge_l(p, r)
    return {k: v / len(refs) for k, v in totals.items()}


def rouge_chars(preds: Sequence[str], refs: Sequence[str]) -> dict[str, float]:
    """ROUGE-1/2/L F1 on characters, after `normalize_chars` (punctuation would inflate the overlap)."""
    return rouge_tokens([list(normalize_chars(p)) for p in preds], [list(normalize_chars(r)) for r in refs])


def word_tokens(text: str) -> list[str]:
    """jieba words of `text`, without pure whitespace/punctuation tokens."""
    import logging

    import jieba  # imported here: loading its dictionary takes a second, and most callers never need it

    jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter would break progress bars
    return [w for w in (normalize_chars(t) for t in jieba.lcut(text)) if w]


def rouge_words(preds: Sequence[str], refs: Sequence[str]) -> dict[str, float]:
    """ROUGE-1/2/L F1 on jieba words (see `word_tokens`)."""
    return rouge_tokens([word_tokens(p) for p in preds], [word_tokens(r) for r in refs])
