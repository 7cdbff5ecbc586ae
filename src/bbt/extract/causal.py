"""Causal event extraction (CCKS 2021 / fincqa schema): cause and effect events with type, product, region and
industry.

Training data: the shared causality file `kg/event_causality/ccks2021_raw.jsonl`, one document a line:
{"text_id", "text", "result": [{reason_type, reason_product, reason_region, reason_industry, result_type,
result_product, result_region, result_industry}, ...]} (documents behind fincqa's eval questions are removed from
it), plus the fincqa train rows that ask for an argument.

- pairs: which "cause type -> effect type" pairs a text states: char TF-IDF + a one-vs-rest LinearSVC over the
  pair labels (one training row per stated pair); the best pair always (every document states one), and any
  other whose own classifier says yes (score > 0). 88% of the documents state one pair; a tuned threshold or a
  multi-label model with a tuned threshold scored no better on held-out documents and took 3x longer. Pairs
  seen in fewer than `MIN_PAIR_DOCS` fit documents are not learnt.
- arguments: the fincqa question for each of the 6 slots, in fincqa's exact template
  "下文中{原因类型}导致{结果类型}事件对应的{原因|结果}涉及的{产品|地区|行业}是？", answered by `QAModel` (the fincqa
  baseline's span ranker, single-character products allowed: 油, 煤, 猪) trained on those questions generated from
  every fit document (empty slot -> 无参数) and on the fincqa train rows. An answer listing several products
  ("萤石,氢氟酸") is not one span of the text; such questions train on their first item.

Output per text: [{"cause": {"type", "product", "region", "industry"}, "effect": {...}}, ...]; a slot with no
answer is None. `train_causal` holds out 10% of the documents (seeded; by text_id and by text) and reports pair
micro P/R/F1 and, on the held-out gold pairs, exact match and char-F1 per argument; the saved model is the one
it scored.
"""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from bbt.classical.common import SEED, char_tfidf, shrink
from bbt.classical.qa import QAModel, parse_question
from bbt.errors import BBTError, DataError
from bbt.extract.store import load_extractor, save_extractor
from bbt.progress import progress_bar
from bbt.tasks import Example, compact, get_task, metrics

CAUSALITY_FILE = Path("kg") / "event_causality" / "ccks2021_raw.jsonl"
SIDES = {"cause": ("reason", "原因"), "effect": ("result", "结果")}  # our name -> (file prefix, fincqa word)
SLOTS = {"product": "产品", "region": "地区", "industry": "行业"}
ARGS = [(side, slot) for side in SIDES for slot in SLOTS]  # the 6 arguments, in report order
FIELDS = [f"{SIDES[s][0]}_{k}" for s in SIDES for k in ("type", *SLOTS)]  # the 8 keys of a result record
NONE = "无参数"
LINK = "导致"  # fincqa writes a pair as "<cause type>导致<effect type>"
MIN_PAIR_DOCS = 2
MODEL_FILE = "causal.joblib"


@dataclass(frozen=True)
class CausalDoc:
    text_id: str
    text: str
    pairs: tuple[dict, ...]  # result records as in the file (8 string fields)


def question(cause_type: str, effect_type: str, side: str, slot: str) -> str:
    """The fincqa question for one argument of one pair."""
    return f"下文中{cause_type}{LINK}{effect_type}事件对应的{SIDES[side][1]}涉及的{SLOTS[slot]}是？"


def pair_label(record: dict) -> str:
    return f"{record['reason_type']}{LINK}{record['result_type']}"


# ---------------------------------------------------------------------------------------------- loading

def causality_path(data_dir: str | Path) -> Path:
    p = Path(data_dir)
    f = p if p.is_file() else p / CAUSALITY_FILE
    if not f.is_file():
        raise BBTError(f"causality file not found: {f} (expected <data_dir>/{CAUSALITY_FILE.as_posix()}, "
                       "JSON lines {text_id, text, result: [...]})")
    return f


def load_causality(path: str | Path, limit: int | None = None) -> list[CausalDoc]:
    """The documents of a CCKS 2021 causality JSON-lines file (the first `limit`), each line checked: a bad line
    is a DataError naming the file and line."""
    f = causality_path(path)
    docs: list[CausalDoc] = []
    with open(f, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if limit is not None and len(docs) >= limit:
                break
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"line {n}: not valid JSON ({e.msg} at column {e.colno})", file=str(f)) from None
            docs.append(_document(rec, f, n))
    if not docs:
        raise DataError("no documents in the file", file=str(f))
    return docs


def _document(rec: Any, f: Path, n: int) -> CausalDoc:
    if not isinstance(rec, dict) or not isinstance(rec.get("text"), str) or not isinstance(rec.get("result"), list):
        raise DataError(f"line {n}: expected an object with text (string) and result (list)", file=str(f))
    pairs = []
    for r in rec["result"]:
        missing = [k for k in FIELDS if not isinstance(r, dict) or not isinstance(r.get(k), str)]
        if missing:
            raise DataError(f"line {n}: a result lacks string field(s) {', '.join(missing)}", file=str(f))
        pairs.append({k: r[k].strip() for k in FIELDS})
    return CausalDoc(str(rec.get("text_id", f"line{n}")), compact(rec["text"]), tuple(pairs))


def split_documents(docs: list[CausalDoc], holdout: float = 0.1,
                    seed: int = 0) -> tuple[list[CausalDoc], list[CausalDoc]]:
    """(fit, held-out): a seeded share of the documents; documents sharing a text_id or a text stay together."""
    if holdout <= 0:
        return list(docs), []
    groups: dict[str, list[int]] = {}
    root: dict[str, str] = {}
    for i, d in enumerate(docs):
        key = root.get(d.text_id) or root.get(d.text) or d.text_id
        root[d.text_id] = root[d.text] = key
        groups.setdefault(key, []).append(i)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    want, held = max(1, round(len(docs) * holdout)), set()
    for k in keys:
        if len(held) >= want:
            break
        held.update(groups[k])
    return [d for i, d in enumerate(docs) if i not in held], [d for i, d in enumerate(docs) if i in held]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


PROBE = 30  # characters: a shared stretch this long is the same document, not a shared phrase


def windows(texts: list[str], probe: int = PROBE) -> set[str]:
    """Every `probe`-character stretch of the texts (whitespace removed), for `overlaps`."""
    out: set[str] = set()
    for t in texts:
        s = _squash(t)
        out.update(s[i:i + probe] for i in range(max(1, len(s) - probe + 1)))
    return out


def overlaps(text: str, held_windows: set[str], probe: int = PROBE) -> bool:
    """Whether `text` (a fincqa text, often a cut-down document) shares a `probe`-char stretch with a held-out
    document: probing every `probe`-th position finds any shared stretch of 2 x `probe` characters or more."""
    s = _squash(text)
    return any(s[i:i + probe] in held_windows for i in range(0, max(1, len(s) - probe + 1), probe))


# ---------------------------------------------------------------------------------------------- the model

class _PairQA(QAModel):
    """fincqa questions name a cause->effect pair, not an entity; the question key is the asked argument (原因涉及
    的产品 ...), whatever the pair, so every pair's questions teach the same six rankers."""

    def _parse(self, e: Example) -> tuple[str, str]:
        key, _ = parse_question(e.fields["question"], set())
        return key, ""


def _qa_example(i: int, q: str, text: str, answer: str) -> Example:
    return Example(str(i), "", answer, answer, {"question": q, "text": text, "answer": answer})


def argument_questions(docs: list[CausalDoc]) -> list[Example]:
    """The 6 fincqa questions of every pair of every document (what the QA model trains on). The ranker keys on
    the asked argument only, so a second pair of a document asking the same argument with the same answer is the
    same training item and is left out."""
    out: list[Example] = []
    seen: set[tuple[str, str, str]] = set()
    for d in docs:
        for r in d.pairs:
            for side, slot in ARGS:
                gold = r[f"{SIDES[side][0]}_{slot}"]
                answer = gold or NONE
                if gold and gold not in d.text:
                    first = re.split(r"[,，、]", gold)[0]
                    if first not in d.text:
                        continue  # the answer is nowhere in the text: nothing for a span ranker to learn
                    answer = first
                if (d.text, f"{side}_{slot}", answer) in seen:
                    continue
                seen.add((d.text, f"{side}_{slot}", answer))
                out.append(_qa_example(len(out), question(r["reason_type"], r["result_type"], side, slot),
                                       d.text, answer))
    return out


class CausalExtractor:
    """Cause/effect pairs and their arguments; see the module docstring."""

    def __init__(self, c: float = 0.1, negatives: float = 0.15, pair_c: float = 0.3):
        # 20k n-grams: 255 pairs x 100k weights made a 44 MB file for the same held-out F1 (42.6 vs 42.5)
        self.pairs: Pipeline = make_pipeline(char_tfidf(max_features=20_000), LinearSVC(C=pair_c, random_state=SEED))
        self.qa = _PairQA("fincqa", NONE, c=c, single_chars=True)
        # why: 40k questions x every wrong candidate is too much to hash in the 3-minute budget; a 20% sample of
        # the wrong candidates scored as well as 30% on held-out documents, 10% lost 4 points on cause regions
        self.qa.ranker.negatives = negatives
        self.pair_labels: list[str] = []
        self.meta: dict = {}

    def fit(self, docs: list[CausalDoc], extra_qa: list[Example] = (), progress=None) -> "CausalExtractor":
        step = progress or (lambda msg: None)
        if len(docs) < 10:
            raise BBTError(f"too little causality data: {len(docs)} documents (need 10)")
        counts: dict[str, int] = {}
        for d in docs:
            for label in {pair_label(r) for r in d.pairs}:
                counts[label] = counts.get(label, 0) + 1
        known = {k for k, n in counts.items() if n >= MIN_PAIR_DOCS}
        self.pair_labels = sorted(known)
        step("cause->effect pairs")
        rows = [(d.text, label) for d in docs for label in sorted({pair_label(r) for r in d.pairs} & known)]
        if len({label for _, label in rows}) < 2:
            raise BBTError(f"the {len(docs)} documents state fewer than 2 cause->effect pairs seen "
                           f"{MIN_PAIR_DOCS}+ times; more documents are needed")
        self.pairs.fit([t for t, _ in rows], [label for _, label in rows])
        step("arguments (QA)")
        self.qa.fit(argument_questions(docs) + list(extra_qa))
        return self

    def predict_pairs(self, texts: list[str]) -> list[list[tuple[str, str]]]:
        """Per text, the (cause type, effect type) pairs it states, best first."""
        if not texts:
            return []
        raw = self.pairs.decision_function(texts)
        scores = np.column_stack([-raw, raw]) if raw.ndim == 1 else raw  # two classes: one score, for the second
        classes = self.pairs.classes_
        out = []
        for row in scores:
            order = [int(j) for j in np.argsort(-row) if row[j] > 0 or j == row.argmax()]
            out.append([tuple(str(classes[j]).split(LINK, 1)) for j in order])
        return out

    def answer(self, asks: list[tuple[str, str, str, str, str]]) -> list[str | None]:
        """Answers to (text, cause type, effect type, side, slot) questions; None when there is none."""
        exs = [_qa_example(i, question(c, e, side, slot), text, "") for i, (text, c, e, side, slot) in enumerate(asks)]
        return [None if a == NONE else a for a in self.qa.predict(exs)] if exs else []

    def predict(self, texts: list[str]) -> list[list[dict]]:
        """Per text, one record per predicted pair: {"cause": {type, product, region, industry}, "effect": {...}}."""
        texts = [compact(t) for t in texts]
        pairs = [ps if t else [] for t, ps in zip(texts, self.predict_pairs(texts))]  # no text, no event
        asks = [(texts[i], c, e, side, slot) for i, ps in enumerate(pairs) for c, e in ps for side, slot in ARGS]
        answers = iter(self.answer(asks))
        out: list[list[dict]] = []
        for ps in pairs:
            records = []
            for c, e in ps:
                rec = {"cause": {"type": c}, "effect": {"type": e}}
                for side, slot in ARGS:
                    rec[side][slot] = next(answers)
                records.append(rec)
            out.append(records)
        return out

    def save(self, out_dir: str | Path, meta: dict | None = None) -> Path:
        return save_extractor(shrink(self), out_dir, MODEL_FILE, {"kind": "causal", **(meta or {})})


def load_causal(path: str | Path) -> CausalExtractor:
    """The causal extractor saved by `train_causal` in directory `path`."""
    return load_extractor(path, MODEL_FILE, CausalExtractor)


# ---------------------------------------------------------------------------------------------- training + report

def evaluate_causal(model: CausalExtractor, held: list[CausalDoc]) -> dict:
    """Pair micro P/R/F1 on the held-out documents; per argument, on their gold pairs, exact match and char-F1
    (a gold empty slot is "无参数", so saying nothing there is right), and char-F1 where the gold has a value."""
    texts = [d.text for d in held]
    pred = [{f"{c}{LINK}{e}" for c, e in ps} for ps in model.predict_pairs(texts)]
    gold = [{pair_label(r) for r in d.pairs} for d in held]
    report: dict[str, Any] = {"pairs": {**metrics.micro_f1_sets(pred, gold), "documents": len(held)}}
    asks, golds = [], []
    for d in held:
        for r in d.pairs:
            for side, slot in ARGS:
                asks.append((d.text, r["reason_type"], r["result_type"], side, slot))
                golds.append(r[f"{SIDES[side][0]}_{slot}"] or NONE)
    answers = [a or NONE for a in model.answer(asks)]
    per_arg = {}
    for k, (side, slot) in enumerate(ARGS):
        idx = range(k, len(asks), len(ARGS))
        a, g = [answers[i] for i in idx], [golds[i] for i in idx]
        filled = [i for i, x in enumerate(g) if x != NONE]
        per_arg[f"{side}_{slot}"] = {
            "exact": metrics.accuracy(a, g), "char_f1": metrics.mean_char_f1(a, g),
            "char_f1_filled": metrics.mean_char_f1([a[i] for i in filled], [g[i] for i in filled]) if filled else None,
            "filled": len(filled), "questions": len(g)}
    report["arguments"] = per_arg
    report["arguments_mean"] = {"exact": metrics.accuracy(answers, golds),
                                "char_f1": metrics.mean_char_f1(answers, golds)}
    return report


def train_causal(data_dir: str | Path, out_dir: str | Path, progress: bool = True, limit: int | None = None,
                 holdout: float = 0.1, seed: int = 0, use_fincqa: bool = True) -> dict:
    """Train on the causality file (first `limit` documents if given) + the fincqa train rows that ask for an
    argument (none that overlaps a held-out document), score on the held-out documents, save the model to
    out_dir/causal.joblib and the report to out_dir/report.json."""
    from bbt.results import write_json

    if not 0 <= holdout < 0.5:
        raise BBTError(f"holdout must be in [0, 0.5), got {holdout}")
    t0 = time.perf_counter()
    steps = ["load", "cause->effect pairs", "arguments (QA)", "held-out scores", "save"]
    with progress_bar(enabled=progress, eta=False) as bar:
        job = bar.add_task("causal: load", total=len(steps))

        def step(msg: str) -> None:
            bar.update(job, description=f"causal: {msg}", completed=steps.index(msg))

        path = causality_path(data_dir)
        docs = load_causality(path, limit)
        fit, held = split_documents(docs, holdout, seed)
        extra: list[Example] = []
        dropped = 0
        if use_fincqa:
            rows = get_task("fincqa").load(data_dir, "train", limit=limit)
            held_windows = windows([d.text for d in held])
            for e in rows:
                if "事件对应的" not in e.fields["question"]:
                    continue  # "下文中有哪些因果事件": the pair classifier's job
                if held_windows and overlaps(e.fields["text"], held_windows):
                    dropped += 1
                    continue
                extra.append(e)
        model = CausalExtractor().fit(fit, extra, step)
        fit_seconds = time.perf_counter() - t0
        step("held-out scores")
        scores = evaluate_causal(model, held) if held else {}
        step("save")
        report = {
            "kind": "bbt-extract-causal", "data_dir": str(data_dir), "file": str(path), "limit": limit,
            "holdout": holdout, "seed": seed,
            "documents": {"fit": len(fit), "held": len(held)},
            "fincqa_rows": {"used": len(extra), "dropped_overlapping_held": dropped},
            "qa_questions": len(argument_questions(fit)) + len(extra),
            "pair_labels": len(model.pair_labels), "holdout_scores": scores, "fit_seconds": round(fit_seconds, 1),
        }
        model.save(out_dir, {"report": {k: report[k] for k in ("documents", "holdout_scores", "fit_seconds")}})
        report["seconds"] = round(time.perf_counter() - t0, 1)
        write_json(Path(out_dir) / "report.json", report)
        bar.update(job, description="causal: done", completed=len(steps))
    return report
