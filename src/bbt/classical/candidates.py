"""Candidate answer spans in a Chinese text, for the span baselines (finese, finqa, fincqa).

Sources, each recorded on the candidate (the ranker learns how much to trust each):
- `tok`: runs of 1-5 jieba words without punctuation (with their POS tags): names, products, short phrases;
- `org`: organisation names ending in 公司/集团/银行/平台/…, started at any word boundary up to 30 chars back;
- `date`, `num`, `pct`: dates, amounts and share counts, percentages (finqa asks for these and jieba splits them);
- `quote`: what stands inside “”, 《》, 「」 (product and platform names);
- `lex`: strings that were answers in train, wherever they occur (a learnt lexicon; see SpanRanker for how
  training keeps it from looking better than it will be on new text).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

_PUNCT = re.compile(r"[\s，。、；：！？“”‘’《》【】\[\],;:!?\"'…—·#@|<>/]")  # parentheses are allowed: 上海开开（集团）
_EDGE_WORDS = frozenset("的 了 在 和 与 及 是 将 对 为 于 等 也 被 已 从 并 或 由 向 其 这 该 就 都 以 而 但 还 又 把 所".split())
_ORG_SUFFIX = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|分公司|公司|集团|银行|平台|交易所|基金|证券|"
                         r"控股|科技|资本|投资|金融|实业|股份|电子|医药|传媒|地产|保险|信托|钱包|理财|网|贷)")
_DATE = re.compile(r"(?:截至)?(?:\d{4}\s?年\s?)?\d{1,2}\s?月\s?\d{1,2}\s?日(?:晚间|早间|晚|午间|盘后|盘前)?"
                   r"(?:至(?:\d{4}年)?(?:\d{1,2}月)?\d{1,2}日)?|\d{4}年\d{1,2}月|\d{4}-\d{1,2}-\d{1,2}|\d{4}年")
_NUM = re.compile(r"(?:约|人民币|不超过|不低于|超过)?\d[\d,]*(?:\.\d+)?(?:万|亿|千|百)*"
                  r"(?:股|元|港元|美元|欧元|港币|日元|英镑|人民币)?(?:至\d[\d,]*(?:\.\d+)?(?:万|亿)*(?:股|元|港元|美元)?)?")
_NUM_CORE = re.compile(r"\d[\d,]*(?:\.\d+)?\s?(?:万|亿|千|百)*")  # the amount without its unit: "2000万"
_PCT = re.compile(r"\d+(?:\.\d+)?%")
_QUOTED = re.compile(r"“([^“”]{1,20})”|《([^《》]{1,20})》|「([^「」]{1,20})」|\"([^\"]{1,20})\"")
MAX_TOKENS, MAX_CHARS, ORG_REACH = 5, 20, 30
HMM = False


@dataclass
class Candidate:
    text: str
    start: int  # first occurrence in the text
    sources: set[str] = field(default_factory=set)
    pos: str = ""  # POS tags of the jieba words it is made of, when it is a word run


def _posseg(text: str) -> list[tuple[str, str]]:
    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(logging.WARNING)
    return [(w.word, w.flag) for w in pseg.cut(text, HMM=HMM)]


def _add(found: dict[str, Candidate], text: str, start: int, source: str, pos: str = "") -> None:
    text = text.strip()
    if not text or len(text) > 40:
        return
    cand = found.setdefault(text, Candidate(text, start))
    cand.sources.add(source)
    cand.start = min(cand.start, start)
    if pos and not cand.pos:
        cand.pos = pos


def candidates(text: str, lexicon: frozenset[str] | set[str] = frozenset(), lexicon_max: int = 12,
               single_chars: bool = False) -> dict[str, Candidate]:
    """All candidate spans of `text`, keyed by their string."""
    found: dict[str, Candidate] = {}
    words = _posseg(text)
    starts, pos = [], 0
    for w, _ in words:
        starts.append(pos)
        pos += len(w)
    boundaries = set(starts)
    for i, (w, _) in enumerate(words):
        if _PUNCT.search(w) or w in _EDGE_WORDS:
            continue
        span = ""
        for j in range(i, min(len(words), i + MAX_TOKENS)):
            wj = words[j][0]
            if _PUNCT.search(wj):
                break
            span += wj
            if len(span) > MAX_CHARS:
                break
            if wj not in _EDGE_WORDS and (len(span) >= 2 or single_chars):
                _add(found, span, starts[i], "tok", "+".join(f for _, f in words[i:j + 1]))
    for m in _ORG_SUFFIX.finditer(text):
        end = m.end()
        for b in range(max(0, end - ORG_REACH), m.start()):
            if b in boundaries and not _PUNCT.search(text[b:end]) and text[b:end][:1] not in _EDGE_WORDS:
                _add(found, text[b:end], b, "org")
    for source, rx in (("date", _DATE), ("num", _NUM), ("num", _NUM_CORE), ("pct", _PCT)):
        for m in rx.finditer(text):
            if len(m.group()) >= 2:
                _add(found, m.group(), m.start(), source)
    for m in _QUOTED.finditer(text):
        inner = next(g for g in m.groups() if g)
        _add(found, inner, m.start() + 1, "quote")
    if lexicon:
        for i in range(len(text)):
            for n in range(1, min(lexicon_max, len(text) - i) + 1):
                if text[i:i + n] in lexicon:
                    _add(found, text[i:i + n], i, "lex")
    return found
