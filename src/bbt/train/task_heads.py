"""Task adapters for the task-shaped heads: which head a task gets, how its gold answer becomes token targets,
and how the head's output becomes the task's target text again (so the harness parses and scores it as usual).

    Example --adapter.text--> encoder input (characters) --tokenizer + offsets--> tokens
    gold answer --adapter.char_targets--> character spans / mentions / a label --token_targets--> tensors
    head logits --decode--> token spans / tags --offsets--> characters --adapter.answer--> target text

One adapter per head kind (span, tagger, relation), declared per task in HEAD_TASKS. Everything that knows a task's
answer format lives here; the heads (bbt.model.heads) see tensors only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from bbt.tasks import Example, Task, compact, locate
from bbt.tasks.entities import PAIR_SEP, tag_pairs  # the CRF baseline's run decoding, here over tokens
from bbt.train.batch import pad

# head markers around the head / tail entity of finre (single pieces of the 8k tokenizer; rare in FinCUGE text)
HEAD_MARK, TAIL_MARK = ("<", ">"), ("[", "]")

# task -> head kind and its settings; the served path for these tasks when a checkpoint has the head
HEAD_TASKS: dict[str, dict] = {
    "finese": {"kind": "span", "max_spans": 1},
    "finqa": {"kind": "span", "max_spans": 4},
    "fincqa": {"kind": "span", "max_spans": 4},
    "finnsp": {"kind": "span", "max_spans": 6},
    "finner": {"kind": "tagger"},
    "finre": {"kind": "relation"},
    # why 64 tokens: the oracle extracts of the train summaries are up to ~90 characters (~1.5 per token)
    "finna": {"kind": "span", "max_spans": 1, "max_span_tokens": 64},
}


def head_spec(task: Task) -> dict:
    """The config.json entry of the task's head (kind + settings)."""
    spec = dict(HEAD_TASKS[task.name])
    if spec["kind"] == "span":
        spec["none"] = "否" if task.name == "finnsp" else getattr(task, "none", "无")
    elif spec["kind"] == "tagger":
        spec["types"] = list(task.labels or ())
    elif spec["kind"] == "relation":
        spec["labels"] = list(task.labels or ())
    return spec


def mark_entities(text: str, head: str, tail: str) -> str:
    """`text` with every head mention wrapped in HEAD_MARK and every tail mention in TAIL_MARK (the longer name
    first, so a name inside the other is not marked twice)."""
    spans = locate(text, [(head, "h"), (tail, "t")] if head != tail else [(head, "h")])
    out, at = [], 0
    for m in spans:
        a, b = HEAD_MARK if m.type == "h" else TAIL_MARK
        out += [text[at:m.start], a, text[m.start:m.end], b]
        at = m.end
    return "".join(out) + text[at:]


@dataclass
class Encoded:
    """A batch as the encoder reads it, with each token's characters (special tokens: (0, 0))."""
    input_ids: list[list[int]]
    offsets: list[list[tuple[int, int]]]


def encode(tok, texts: list[str], max_len: int) -> Encoded:
    enc = tok(list(texts), max_length=max_len, truncation=True, return_offsets_mapping=True)
    return Encoded(enc["input_ids"], [[tuple(o) for o in row] for row in enc["offset_mapping"]])


def token_range(offsets: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """First and last token (inclusive) overlapping characters [start, end); None when truncation cut into it."""
    hit = [k for k, (a, b) in enumerate(offsets) if b > a and a < end and b > start]
    if not hit or offsets[hit[-1]][1] < end:  # why: a half span would teach the wrong end token
        return None
    return hit[0], hit[-1]


def chars_of(text: str, offsets, i: int, j: int) -> tuple[int, int]:
    return offsets[i][0], offsets[j][1]


# ---------------------------------------------------------------------------------------------- adapters

class SpanAdapter:
    """finese / finqa / fincqa / finnsp: answer spans of the input, or the none word, or (mode generate) the
    decoder's text. finnsp: mode none = "否", spans = its negative entities."""

    target_keys = ("span_start", "span_end", "span_mode")
    input_keys = ("allowed",)

    def text(self, task: Task, ex: Example) -> str:
        return ex.input

    def answers(self, task: Task, ex: Example) -> tuple[str, list[str]]:
        """(mode, answer strings) from the gold reference."""
        if task.name == "finnsp":
            ref = ex.reference
            return ("span" if ref.entities else "generate") if ref.negative else "none", sorted(ref.entities)
        ref = compact(ex.reference)  # why: the input is whitespace-compacted, a few gold answers are not
        if ref == task.none:
            return "none", []
        if ref in ex.input[len(task.prompt):]:  # one answer, even when it holds a comma (5,371,666.75元)
            return "span", [ref]
        return "span", [p.strip() for p in ref.split(",") if p.strip()]

    def token_targets(self, task: Task, ex: Example, text: str, offsets) -> dict:
        """span_start / span_end: 0, or k + 1 at the tokens where gold piece k starts / ends (the loss gives each
        piece its own share of the pointer's probability)."""
        from bbt.model.heads.span import MODES

        n = len(offsets)
        start, end = [0.0] * n, [0.0] * n
        skip = len(task.prompt)
        allowed = [int(b > a and a >= skip) for a, b in offsets]
        mode, pieces = self.answers(task, ex)
        if mode == "span":
            found = locate(text[skip:], [(p, "a") for p in pieces])
            if set(pieces) - {text[skip + m.start: skip + m.end] for m in found}:
                mode = "generate"  # an answer not (all) in the text: the decoder writes it
            for k, piece in enumerate(dict.fromkeys(pieces)):
                ranges = [(token_range(offsets, skip + m.start, skip + m.end), skip + m.start, skip + m.end)
                          for m in found if text[skip + m.start: skip + m.end] == piece]
                ranges = [(r, a, b) for r, a, b in ranges if r is not None]
                # why: "股份" also occurs inside the piece "股份有限公司"; pointing there teaches a longer answer,
                # so occurrences whose tokens start and end exactly on the answer win when there are any
                exact = [(r, a, b) for r, a, b in ranges if offsets[r[0]][0] == a and offsets[r[1]][1] == b]
                for (i, j), _, _ in exact or ranges[:1]:
                    start[i], end[j] = float(k + 1), float(k + 1)
            if mode == "span" and not any(start):
                mode = "generate"  # every occurrence truncated away
        return {"span_start": start, "span_end": end, "span_mode": MODES.index(mode), "allowed": allowed}

    def batch_inputs(self, task: Task, texts: list[str], offsets, examples) -> dict:
        skip = len(task.prompt)
        return {"allowed": [[int(b > a and a >= skip) for a, b in row] for row in offsets]}

    def answer(self, task: Task, ex: Example, text: str, offsets, out: dict, row: int, head) -> str | None:
        """The target text, or None when the mode hands the row to the decoder."""
        from bbt.model.heads.span import MODES, decode_spans

        mode = MODES[int(out["mode"][row].argmax())]
        if mode == "none":
            return head.none
        if mode == "generate":
            return None
        n = len(offsets)
        spans = decode_spans(out["start"][row, :n], out["end"][row, :n], head.max_spans, head.max_span_tokens)
        pieces = list(dict.fromkeys(text[slice(*chars_of(text, offsets, i, j))].strip() for i, j in spans))
        pieces = [p for p in pieces if p]
        if task.name == "finnsp":
            return "是：" + "、".join(pieces) if pieces else "是"
        return head.joiner.join(pieces) or head.none


_CLAUSE_END = re.compile(r"(?<=[，,。；;！!？?：:])")
_TRIM = "，,。；;：: "


def oracle_extract(text: str, reference: str, max_chars: int = 90) -> str:
    """The run of whole clauses of `text` (at most `max_chars`) with the best character ROUGE (mean of 1/2/L)
    against `reference`: the extractive span head's training target for a summary."""
    from bbt.tasks import metrics

    clauses = [c for c in _CLAUSE_END.split(text) if c]
    cands = []
    for i in range(len(clauses)):
        run = ""
        for c in clauses[i:]:
            if run and len(run) + len(c) > max_chars:
                break
            run += c
            cands.append(run.strip().rstrip(_TRIM))
    cands = [c for c in dict.fromkeys(cands) if c]
    if not cands:
        return text[:max_chars]
    scores = [sum(metrics.rouge_chars([c], [reference]).values()) for c in cands]
    return cands[max(range(len(cands)), key=scores.__getitem__)]


class ExtractAdapter(SpanAdapter):
    """finna as extraction: the head points at the clause run that overlaps the reference summary most (the
    "extract" of extract-then-compress); the answer is that span of the news text."""

    def answers(self, task: Task, ex: Example) -> tuple[str, list[str]]:
        return "span", [oracle_extract(ex.input[len(task.prompt):], ex.reference)]

    def answer(self, task: Task, ex: Example, text: str, offsets, out: dict, row: int, head) -> str | None:
        from bbt.model.heads.span import decode_spans

        n = len(offsets)  # why no mode: every finna row has an extract, "none" / "generate" would only lose
        (i, j), = decode_spans(out["start"][row, :n], out["end"][row, :n], 1, head.max_span_tokens)
        return text[slice(*chars_of(text, offsets, i, j))].strip().rstrip(_TRIM) or text[len(task.prompt):][:40]


class TaggerAdapter:
    """finner: BIO tags per token from the located gold mentions; tag runs back to "span:type；..."."""

    target_keys = ("tags",)
    input_keys = ()

    def text(self, task: Task, ex: Example) -> str:
        return ex.input

    def token_targets(self, task: Task, ex: Example, text: str, offsets) -> dict:
        from bbt.model.heads.tagger import bio_labels

        index = {t: k for k, t in enumerate(bio_labels(task.labels or ()))}
        tags = [0] * len(offsets)
        skip = len(task.prompt)
        for m in locate(text[skip:], ex.reference):
            r = token_range(offsets, skip + m.start, skip + m.end)
            if r is None or any(tags[r[0]: r[1] + 1]):
                continue  # truncated away, or a token shared with a neighbouring mention
            tags[r[0]] = index[f"B-{m.type}"]
            for k in range(r[0] + 1, r[1] + 1):
                tags[k] = index[f"I-{m.type}"]
        return {"tags": tags}

    def batch_inputs(self, task: Task, texts: list[str], offsets, examples) -> dict:
        return {}

    @staticmethod
    def mentions(text: str, offsets, tags: list[str], skip: int) -> list[tuple[int, int, str]]:
        """(start, end, type) character offsets in text[skip:] of each tag run (an I- without B- starts one)."""
        out = []
        for first, stop, typ in tag_pairs(text, tags):
            a, b = offsets[first][0], offsets[stop - 1][1]
            while a < b and text[a].isspace():
                a += 1
            if b > a and a >= skip:
                out.append((a - skip, b - skip, typ))
        return out

    def answer(self, task: Task, ex: Example, text: str, offsets, out: dict, row: int, head) -> str | None:
        tags = out["tags"][row]
        body = text[len(task.prompt):]
        pairs = dict.fromkeys(f"{body[a:b]}:{t}" for a, b, t in self.mentions(text, offsets, tags, len(task.prompt)))
        return PAIR_SEP.join(pairs) or head.none


class RelationAdapter:
    """finre: head and tail marked in the text; their tokens pooled into the relation classifier."""

    target_keys = ("rel_label",)
    input_keys = ("head_mask", "tail_mask")

    def text(self, task: Task, ex: Example) -> str:
        f = ex.fields
        return (f"{task.prompt}头实体：{f['head']}；尾实体：{f['tail']}；"
                f"{mark_entities(f['text'], str(f['head']), str(f['tail']))}")

    def _masks(self, text: str, offsets, head: str, tail: str) -> dict:
        n = len(offsets)
        masks = {"head_mask": [0] * n, "tail_mask": [0] * n}
        for key, name, (a, b) in (("head_mask", head, HEAD_MARK), ("tail_mask", tail, TAIL_MARK)):
            for m in locate(text, [(f"{a}{name}{b}", "x"), (f"：{name}；", "x")]):
                r = token_range(offsets, m.start, m.end)
                if r is not None:
                    for k in range(r[0], r[1] + 1):
                        masks[key][k] = 1
        return masks

    def token_targets(self, task: Task, ex: Example, text: str, offsets) -> dict:
        labels = list(task.labels or ())
        return {**self._masks(text, offsets, str(ex.fields["head"]), str(ex.fields["tail"])),
                "rel_label": labels.index(ex.reference)}

    def batch_inputs(self, task: Task, texts: list[str], offsets, examples) -> dict:
        rows = [self._masks(t, o, str(e.fields["head"]), str(e.fields["tail"]))
                for t, o, e in zip(texts, offsets, examples)]
        return {k: [r[k] for r in rows] for k in ("head_mask", "tail_mask")}

    def answer(self, task: Task, ex: Example, text: str, offsets, out: dict, row: int, head) -> str | None:
        label = head.labels[int(out["logits"][row].argmax())]
        return task.words.get(label, label)


ADAPTERS = {"span": SpanAdapter(), "tagger": TaggerAdapter(), "relation": RelationAdapter()}
TASK_ADAPTERS = {"finna": ExtractAdapter()}  # tasks whose targets the head kind's own adapter cannot make


def adapter_for(task: Task):
    return TASK_ADAPTERS.get(task.name) or ADAPTERS[HEAD_TASKS[task.name]["kind"]]


# ---------------------------------------------------------------------------------------------- inference

@torch.inference_mode()
def head_answers(generator, task: Task, examples: list[Example], generate_fallback=None) -> list[str]:
    """The task's target texts from its head (one encoder pass); rows whose span mode is "generate" go to
    `generate_fallback(examples) -> texts` (the decoder) in one batch."""
    model, tok = generator.model, generator.tok
    adapter = adapter_for(task)
    head = model.bbt.task_heads[task.name]
    texts = [adapter.text(task, e) for e in examples]
    enc = encode(tok, texts, generator.max_input_len)
    extra = adapter.batch_inputs(task, texts, enc.offsets, examples)
    ids = pad(enc.input_ids, tok.pad_token_id).to(generator.device)
    mask = pad([[1] * len(r) for r in enc.input_ids], 0).to(generator.device)
    hidden, m, _ = model.encode(input_ids=ids, attention_mask=mask)
    out = model.run_head(task.name, hidden, m, lexical=generator.lexical(task.name, texts),
                         **{k: pad(v, 0).to(generator.device) for k, v in extra.items()})
    if isinstance(adapter, TaggerAdapter):
        out = {"tags": head.decode(out, m)}
    answers = [adapter.answer(task, e, text, offs, out, r, head)
               for r, (e, text, offs) in enumerate(zip(examples, texts, enc.offsets))]
    to_decoder = [r for r, a in enumerate(answers) if a is None]
    if to_decoder:
        written = generate_fallback([examples[r] for r in to_decoder]) if generate_fallback else None
        for k, r in enumerate(to_decoder):
            answers[r] = written[k] if written is not None else head.none
    return [str(a) for a in answers]


def model_answers(generator, task: Task, examples: list[Example]) -> list[str]:
    """What a BBT checkpoint answers for a task: its task head, else its classification head, else the decoder."""
    if not examples:
        return []

    def decode(rows: list[Example]) -> list[str]:
        return generator.generate([e.input for e in rows], task.max_new_tokens)

    parts = getattr(getattr(generator, "model", None), "bbt", None)
    if parts is not None and task.name in getattr(parts, "task_heads", {}) and task.name in HEAD_TASKS:
        return head_answers(generator, task, examples, decode)
    # BBTGenerator.generate answers from the classification head when the task has one
    return generator.generate([e.input for e in examples], task.max_new_tokens, task=task.name)
