"""Knowledge-enhanced pre-training: stock-KG triples found in corpus sentences, one element masked.

    (平安银行, 高管, 谢永林) + "平安银行董事长谢永林表示……"
    input   【知识】平安银行｜高管｜<extra_id_0>  平安银行董事长<extra_id_0>表<extra_id_1>……</s>
    target  <extra_id_0>谢永林<extra_id_1>示……</s>

The masked element is replaced by ``<extra_id_0>`` in the sentence too, not left to chance in a noise span:
otherwise the answer could be copied from the input, and the model would learn copying instead of recalling
the fact. The sentence is span-corrupted as usual with the sentinels from ``<extra_id_1>`` on.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from bbt.errors import BBTError
from bbt.kg.graph import KnowledgeGraph
from bbt.pretrain.objectives import noise_mask, span_corrupt

RELATIONS = {"industry_of": "所属行业", "concept_of": "所属概念", "employ_of": "高管"}
PREFIX = "【知识】"
_SENTENCE = re.compile(r"[^。！？；\n]+")
_MIN_NAME = 2  # why: one-character names match almost any sentence


@dataclass(frozen=True)
class Triple:
    head: str       # company short name, as news writes it (平安银行)
    relation: str   # one of RELATIONS' values
    tail: str       # industry, concept or executive name


def _nfkc(name: str) -> str:
    # why: the KG writes some names full-width (万科Ａ); news mostly writes 万科A
    return unicodedata.normalize("NFKC", name).strip()


def load_triples(kg_path: str | Path) -> list[Triple]:
    """Company-industry, company-concept and company-executive triples of a KG file (`bbt kg build`),
    with the company's current short name as head; sorted by company code, without duplicates."""
    out: dict[Triple, None] = {}
    with KnowledgeGraph(kg_path) as kg:
        for code in sorted(set(kg.company_names().values())):
            p = kg.profile(code)
            head = _nfkc(p["name"])
            if head == code:  # a company known only by its code has no name to find in text
                continue
            industries = [n["name"] for n in kg.neighbors(code, edge_type="industry_of", limit=1000)]
            for rel, tails in (("industry_of", industries), ("concept_of", p["concepts"]),
                               ("employ_of", [e["name"] for e in p["executives"]])):
                out.update(dict.fromkeys(Triple(head, RELATIONS[rel], _nfkc(t)) for t in tails))
    return list(out)


class TripleIndex:
    """Finds sentences that mention a triple's head and tail.

    Heads are found in one pass over the text through a dict keyed by their first two characters (about 5x
    faster than a regex alternation of thousands of names); only the matched heads' tails are then checked.
    """

    def __init__(self, triples: Iterable[Triple]):
        self.by_head: dict[str, list[Triple]] = {}
        for t in triples:
            if len(t.head) >= _MIN_NAME and len(t.tail) >= _MIN_NAME and t.head != t.tail:
                self.by_head.setdefault(t.head, []).append(t)
        self._by_bigram: dict[str, list[str]] = {}
        for h in sorted(self.by_head, key=len, reverse=True):  # why: longest first, so 平安银行 beats 平安
            self._by_bigram.setdefault(h[:2], []).append(h)

    def _heads(self, text: str) -> list[tuple[int, str]]:
        """(position, head) of leftmost-longest, non-overlapping head matches."""
        found, end, by = [], 0, self._by_bigram
        for i in [i for i in range(len(text) - 1) if text[i:i + 2] in by]:
            if i >= end and (h := next((h for h in by[text[i:i + 2]] if text.startswith(h, i)), None)):
                found.append((i, h))
                end = i + len(h)
        return found

    def find(self, text: str) -> list[tuple[Triple, str]]:
        """(triple, sentence) for each sentence (split on 。！？；and newlines) holding a triple's head and,
        outside the head's own occurrences (银行 inside 平安银行 does not count), its tail."""
        heads = self._heads(text)
        if not heads:
            return []
        spans = list(_SENTENCE.finditer(text))
        starts = [m.start() for m in spans]
        out: dict[tuple[Triple, str], None] = {}
        for pos, head in heads:
            sentence = spans[bisect.bisect_right(starts, pos) - 1].group().strip()
            rest = sentence.replace(head, "\0")
            out.update(((t, sentence), None) for t in self.by_head[head] if t.tail in rest)
        return list(out)


def mine(texts: Iterable[str], index: TripleIndex, max_per_text: int = 2) -> list[tuple[Triple, str]]:
    """Up to ``max_per_text`` (triple, sentence) pairs of each text, spread over its sentences first."""
    out = []
    for text in texts:
        hits, seen, ranks = index.find(text), Counter(), []
        for _, sentence in hits:
            ranks.append(seen[sentence])
            seen[sentence] += 1
        out += [hits[i] for i in sorted(range(len(hits)), key=ranks.__getitem__)[:max_per_text]]
    return out


def triple_example(triple: Triple, sentence: str, tok, rng: np.random.Generator, sentinels: np.ndarray,
                   eos_id: int, noise_density: float = 0.15, mean_span: float = 3.0,
                   max_len: int = 256) -> tuple[list[int], list[int]]:
    """(input ids, target ids): the triple with its head or tail (at random) as ``<extra_id_0>``, then the
    span-corrupted sentence; the target is ``<extra_id_0>`` + the masked element + the span targets + eos.

    An element contained in the rest of the prefix (the tail 银行 of 平安银行) is never masked, since it could
    be copied; BBTError when neither can be masked or ``max_len`` leaves no room for the sentence.
    """
    sentinels = np.asarray(sentinels, dtype=np.int64)
    s0 = tok.convert_ids_to_tokens(int(sentinels[0]))
    parts = [triple.head, triple.relation, triple.tail]

    def prefix(i: int) -> str:
        return PREFIX + "｜".join(s0 if j == i else p for j, p in enumerate(parts))

    options = [i for i in (0, 2) if parts[i] not in prefix(i)]
    if not options:
        raise BBTError(f"cannot mask {triple}: each element is contained in the rest of the triple")
    i = options[int(rng.integers(len(options)))]
    answer = parts[i]
    head = tok.encode(prefix(i), add_special_tokens=False)
    room = max_len - len(head) - 1
    if room < 1:
        raise BBTError(f"max_len {max_len} leaves no room for the sentence after the {len(head)}-token triple prefix")
    sent = np.asarray(tok.encode(sentence.replace(answer, s0), add_special_tokens=False)[:room], dtype=np.int64)
    # why: the <extra_id_0> stand-ins stay visible, so a noise span never swallows them into the target
    mask = noise_mask(len(sent), rng, noise_density, mean_span) & (sent != sentinels[0])
    inputs, targets = span_corrupt(sent, mask, sentinels[1:], eos_id)
    answer_ids = tok.encode(answer, add_special_tokens=False)
    return head + inputs.tolist(), [int(sentinels[0]), *answer_ids, *targets.tolist()]
