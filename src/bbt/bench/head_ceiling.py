"""How much of each span / NER task a tokenizer lets a perfect head recover: the tokenizer choice, measured.

A pointer or tagging head answers in whole tokens, so a gold span that starts or ends inside a token can never be
returned exactly. For every tokenizer given, the gold answers of the TRAIN split (no eval row is read: zero
choices are made on an eval split here) are turned into the head's token targets and decoded back by the same
code that serves the model (bbt.train.task_heads); the share that comes back equal to the gold answer is the
ceiling that tokenizer puts on the head. Tokens per character is the price paid (sequence length, CPU time).

    bbt bench head-ceiling runs/tok8k runs/tokchar --out results/head_ceiling.json
"""

from __future__ import annotations

import time
from pathlib import Path

from bbt.results import markdown_table, write_json, write_markdown

TASKS = ("finese", "finqa", "fincqa", "finnsp", "finner", "finna")


def _ideal_span_output(targets: dict) -> dict:
    """The logits a perfect span head would give for these token targets (mode "span")."""
    import torch

    from bbt.model.heads.span import MODES

    n = len(targets["span_start"])
    return {"start": (torch.tensor(targets["span_start"]) > 0).float().view(1, n) * 20 - 10,
            "end": (torch.tensor(targets["span_end"]) > 0).float().view(1, n) * 20 - 10,
            "mode": torch.eye(len(MODES))[MODES.index("span")].view(1, -1)}


def _extract_ceiling(tok, task, examples, max_len: int) -> dict:
    """finna: the task metric of the ideal head's extracts (whole clauses, read back through token offsets) and
    of Lead on the same rows; a summary is never recovered exactly, so the ceiling is a score, not a share."""
    from bbt.classical.summary import LeadModel
    from bbt.train.task_heads import adapter_for, encode

    adapter = adapter_for(task)
    head = type("IdealHead", (), {"max_span_tokens": 10_000})
    texts = [adapter.text(task, e) for e in examples]
    enc = encode(tok, texts, max_len)
    preds = []
    for e, t, o in zip(examples, texts, enc.offsets):
        out = _ideal_span_output(adapter.token_targets(task, e, t, o))
        preds.append(task.parse(adapter.answer(task, e, t, o, out, 0, head), e))
    lead = LeadModel(task.name).fit(examples)
    return {"ceiling": task.score(preds, examples)["score"], "gold": len(examples),
            "lead": task.score(lead.predict(examples), examples)["score"],
            "what": "mean character ROUGE-1/2/L of the extract a perfect head returns"}


def _ceiling(tok, task, examples, max_len: int) -> dict:
    from bbt.model.heads.span import MODES
    from bbt.model.heads.tagger import bio_labels
    from bbt.train.task_heads import adapter_for, encode, head_spec

    if task.name == "finna":
        return _extract_ceiling(tok, task, examples, max_len)
    adapter = adapter_for(task)
    spec = head_spec(task)
    head = type("IdealHead", (), {"none": spec.get("none", "无"), "max_spans": spec.get("max_spans", 1),
                                  "max_span_tokens": 10_000, "joiner": ","})
    texts = [adapter.text(task, e) for e in examples]
    enc = encode(tok, texts, max_len)
    tags = bio_labels(task.labels or ()) if spec["kind"] == "tagger" else None
    tp = gold = pred = answerable = exact = 0
    for e, t, o in zip(examples, texts, enc.offsets):
        tg = adapter.token_targets(task, e, t, o)
        if tags is not None:  # tagger: exact (span, type) pairs recovered out of all gold pairs
            got = task.parse(adapter.answer(task, e, t, o, {"tags": [[tags[k] for k in tg["tags"]]]}, 0, head), e)
            tp, gold, pred = tp + len(got & e.reference), gold + len(e.reference), pred + len(got)
            continue
        if MODES[tg["span_mode"]] != "span":
            continue
        answerable += 1
        out = _ideal_span_output(tg)
        exact += task.parse(adapter.answer(task, e, t, o, out, 0, head), e) == task.parse(e.target, e)
    if tags is not None:
        return {"ceiling": 100.0 * tp / max(gold, 1), "gold": gold, "what": "gold (span, type) pairs recovered"}
    return {"ceiling": 100.0 * exact / max(answerable, 1), "gold": answerable,
            "what": "span answers recovered exactly"}


def _lead(res: dict) -> str:
    leads = [r["finna"]["lead"] for r in res["tokenizers"].values()]
    return f"{leads[0]:.1f}" if leads else "—"


def run(tokenizers: list[Path], data_dir: Path, out: Path, limit: int | None = 3000, max_len: int = 256) -> dict:
    from bbt.tasks import get_task
    from bbt.text.tokenizer import load_tokenizer

    t0 = time.time()
    res: dict = {"split": "train", "limit_per_task": limit, "max_input_tokens": max_len, "tokenizers": {}}
    examples = {n: get_task(n).load(data_dir, "train", limit=limit) for n in TASKS}
    for path in tokenizers:
        tok = load_tokenizer(path)
        row: dict = {"vocab": len(tok)}
        chars = toks = 0
        for name in TASKS:
            task = get_task(name)
            row[name] = _ceiling(tok, task, examples[name], max_len)
            ids = tok([e.input for e in examples[name]], add_special_tokens=False)["input_ids"]
            chars += sum(len(e.input) for e in examples[name])
            toks += sum(len(x) for x in ids)
        row["tokens_per_char"] = toks / max(chars, 1)
        res["tokenizers"][str(path)] = row
    res["seconds"] = round(time.time() - t0, 1)
    write_json(out, res)
    headers = ["tokenizer", "vocab", "tokens / char", *TASKS]
    rows = [[Path(p).name, r["vocab"], f"{r['tokens_per_char']:.3f}", *(f"{r[t]['ceiling']:.1f}" for t in TASKS)]
            for p, r in res["tokenizers"].items()]
    write_markdown(out.with_suffix(".md"), "\n\n".join([
        "### Head ceiling by tokenizer (train split)",
        markdown_table(headers, rows),
        f"Percent of gold answers a perfect head could return exactly in whole tokens (span tasks: answers in the "
        f"text; finner: (span, type) pairs; finna: the mean character ROUGE of the best whole-clause extract, "
        f"against {_lead(res)} for Lead on the same rows), first {limit} train rows per task, inputs cut at {max_len} tokens. "
        "No eval rows read.",
    ]))
    return res
