"""Event extraction: event types and their arguments as records, from the finqa (DuEE-fin) and finese tasks.

Two label sets, two sources, trained on the FinCUGE train lists only:

- duee (finqa): 13 DuEE-fin types (质押, 股份回购, 中标 ...). The types come from the question
  "下文中发生的事件类型有哪些？" (answer "质押,解除质押" or 无指定类型事件发生); the roles of each type are those the
  train questions ask ("<主体><类型>事件对应的<角色>是什么？"). Arguments come from `QAModel` (the finqa
  baseline's span ranker): first "<类型>事件对应的主体有哪些？", then each role anchored on that subject.
- finese: 21 negative-news types (信批违规, 涉嫌非法集资 ...; 其他 is learnt but never reported); the subject of
  each from `SubjectModel` (the finese baseline).

Types: one multi-label classifier per source (`MultiLabelModel`: char TF-IDF + one-vs-rest LinearSVC, a
threshold tuned on a train-internal split, the best label always kept; a best label 无指定类型事件发生 / 其他 means
no event of that source). The finese classifier was trained on short negative-news headlines only: on other
text it still names its nearest type, so read finese events on announcements with care.

Record per event: {"type", "source": "duee" | "finese", "subject": str | None, "arguments": {role: answer},
"values": {role: [typed values]}}. An answer keeps finqa's form (several joined by ","); `values` holds what
`parse_values` reads in it (amounts, shares, percentages, dates), located in the text so that a date gets its
year from context.

`train_events` holds out 10% of the train texts (whole texts, seeded, per source; no text on both sides) and
reports type micro P/R/F1 and role-argument char-F1 on them; the saved model is the one it scored (refitting on
all rows would double the training time for a tenth more data).
"""

from __future__ import annotations

import re
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from bbt.classical.classify import MultiLabelModel
from bbt.classical.common import holdout_split, shrink
from bbt.classical.qa import QAModel, parse_question
from bbt.classical.spans import SpanItem, SubjectModel
from bbt.errors import BBTError
from bbt.extract.store import load_extractor, save_extractor
from bbt.extract.values import parse_values
from bbt.progress import progress_bar
from bbt.tasks import SEP, Example, compact, get_task, metrics

TYPE_QUESTION = "下文中发生的事件类型有哪些？"
DUEE_NONE = "无指定类型事件发生"
FINESE_NONE = "其他"  # finese's catch-all: learnt (it has no subject) but never reported as an event
SUBJECT_ROLE = "主体"
QA_NONE = "无相应参数"
MODEL_FILE = "events.joblib"



# ---------------------------------------------------------------------------------------------- data

def _labels(answer: str) -> frozenset[str]:
    return frozenset(t.strip() for t in re.split(r"[,，]", answer) if t.strip())


def _doc(text: str, labels: frozenset[str], i: int) -> Example:
    """A document for `MultiLabelModel` (it reads fields["text"] and the label set)."""
    return Example(str(i), "", SEP.join(sorted(labels)), labels, {"text": text})


def duee_documents(qa: list[Example]) -> list[Example]:
    """One document per finqa text that was asked the event-type question, labelled with its answer."""
    docs: dict[str, frozenset[str]] = {}
    for e in qa:
        if e.fields["question"] == TYPE_QUESTION:
            docs[e.fields["text"]] = docs.get(e.fields["text"], frozenset()) | _labels(e.fields["answer"])
    return [_doc(t, labels, i) for i, (t, labels) in enumerate(docs.items())]


def role_documents(qa: list[Example], types: set[str]) -> list[Example]:
    """Extra duee documents: finqa texts never asked the type question, labelled with the types their role
    questions name. Partial labels (a type nobody asked about is missing), yet they lift the held-out type F1 by
    about 9 points in 5-fold CV on train: 194 type-question texts are few for 13 types."""
    asked = {e.fields["text"] for e in qa if e.fields["question"] == TYPE_QUESTION}
    docs: dict[str, set[str]] = {}
    for e in qa:
        head = e.fields["question"].partition("事件对应的")[0]
        if e.fields["text"] in asked or not head or head == e.fields["question"]:
            continue
        etype = next((t for t in sorted(types, key=len, reverse=True) if head.endswith(t)), None)
        if etype:
            docs.setdefault(e.fields["text"], set()).add(etype)
    return [_doc(t, frozenset(labels), i) for i, (t, labels) in enumerate(docs.items())]


def finese_documents(rows: list[Example]) -> list[Example]:
    """One document per finese text, labelled with every event type asked about it."""
    docs: dict[str, set[str]] = {}
    for e in rows:
        docs.setdefault(e.fields["text"], set()).add(str(e.fields["event_type"]))
    return [_doc(t, frozenset(labels), i) for i, (t, labels) in enumerate(docs.items())]


def role_schema(qa: list[Example], types: set[str]) -> dict[str, list[str]]:
    """Per DuEE type, the roles the train questions ask about it, most asked first (主体 always first)."""
    counts: dict[str, Counter] = {}
    for e in qa:
        q = e.fields["question"]
        if "事件对应的" not in q:
            continue
        head = q.partition("事件对应的")[0]
        etype = next((t for t in sorted(types, key=len, reverse=True) if head.endswith(t)), None)
        if etype:
            role = parse_question(q, types)[0].removeprefix("role:")
            counts.setdefault(etype, Counter())[role] += 1
    schema = {}
    for etype, c in counts.items():
        roles = [r for r, _ in c.most_common() if r != SUBJECT_ROLE]
        schema[etype] = [SUBJECT_ROLE] + roles
    return schema


def split_by_text(qa: list[Example], ese: list[Example], holdout: float, seed: int = 0):
    """(fit_qa, held_qa, fit_ese, held_ese): whole texts held out per source, and no held-out text of one
    source left among the other's fit rows (the sources share some news)."""
    if holdout <= 0:
        return qa, [], ese, []
    fit_qa, held_qa = holdout_split(qa, holdout, seed)
    fit_ese, held_ese = holdout_split(ese, holdout, seed)
    held = {e.fields["text"] for e in held_qa + held_ese}
    return ([e for e in fit_qa if e.fields["text"] not in held], held_qa,
            [e for e in fit_ese if e.fields["text"] not in held], held_ese)


# ---------------------------------------------------------------------------------------------- the model

def typed_arguments(text: str, arguments: dict[str, str]) -> dict[str, list[dict]]:
    """The typed values inside each argument answer, read where the answer sits in the text (for context)."""
    found = parse_values(text)
    out: dict[str, list[dict]] = {}
    for role, answer in arguments.items():
        vals: list[dict] = []
        for part in re.split(r"[,，]", answer):
            at = text.find(part) if part else -1
            if at >= 0:
                # overlap, not containment: the answer "590万" names the value "590万股"
                vals += [v for v in found if v["start"] < at + len(part) and v["end"] > at]
            else:
                vals += parse_values(part)
        if vals:
            out[role] = vals
    return out


class EventExtractor:
    """Event types + arguments of texts; see the module docstring."""

    def __init__(self) -> None:
        self.duee = MultiLabelModel("duee")
        self.finese = MultiLabelModel("finese")
        self.qa = QAModel("finqa", QA_NONE)
        self.subjects = SubjectModel("finese", "无")
        self.roles: dict[str, list[str]] = {}
        self.meta: dict = {}

    # ---- training

    def fit(self, qa: list[Example], ese: list[Example], progress=None) -> "EventExtractor":
        step = progress or (lambda msg: None)
        duee_docs = duee_documents(qa)
        if len(duee_docs) < 10 or len(ese) < 10:
            raise BBTError(f"too little train data for events: {len(duee_docs)} finqa texts with an event-type "
                           f"question, {len(ese)} finese rows (need 10 of each)")
        types = {t for d in duee_docs for t in d.reference} - {DUEE_NONE}
        with warnings.catch_warnings():  # small or limited train sets leave a label on every text: harmless
            warnings.filterwarnings("ignore", message="Label not .* is present in all training examples")
            step("event types (duee)")
            self.duee.fit(duee_docs + role_documents(qa, types))
            step("event types (finese)")
            self.finese.fit(finese_documents(ese))
        self.roles = role_schema(qa, types)
        step("arguments (finqa QA)")
        self.qa.fit(qa)
        step("subjects (finese)")
        self.subjects.fit(ese)
        return self

    # ---- prediction

    def types(self, texts: list[str]) -> list[tuple[list[str], list[str]]]:
        """(duee types, finese types) per text."""
        docs = [_doc(t, frozenset(), i) for i, t in enumerate(texts)]
        duee = [sorted(_labels_of(p) - {DUEE_NONE}) for p in self.duee.predict(docs)]
        ese = [sorted(_labels_of(p) - {FINESE_NONE}) for p in self.finese.predict(docs)]
        return list(zip(duee, ese))

    def _ask(self, questions: list[tuple[str, str]]) -> list[str | None]:
        """QAModel answers to (question, text) pairs; None for its none answer."""
        exs = [Example(str(i), "", "", "", {"question": q, "text": t}) for i, (q, t) in enumerate(questions)]
        return [None if a == QA_NONE else a for a in self.qa.predict(exs)] if exs else []

    def predict(self, texts: list[str]) -> list[list[dict]]:
        """One list of event records per text (see the module docstring)."""
        texts = [compact(t) for t in texts]
        kinds = [([], []) if not t else k for t, k in zip(texts, self.types(texts))]  # no text, no event
        # DuEE: subjects first (one batch), then every role anchored on its subject (a second batch)
        asks = [(i, t) for i, (duee, _) in enumerate(kinds) for t in duee]
        subjects = self._ask([(f"{t}事件对应的{SUBJECT_ROLE}有哪些？", texts[i]) for i, t in asks])
        role_asks = [(k, role) for k, (i, t) in enumerate(asks) for role in self.roles.get(t, [])[1:]]
        answers = self._ask([(f"{(subjects[k] or '').split(',')[0]}{asks[k][1]}事件对应的{role}是什么？",
                              texts[asks[k][0]]) for k, role in role_asks])
        args: dict[int, dict[str, str]] = {}
        for (k, role), a in zip(role_asks, answers):
            if a is not None:
                args.setdefault(k, {})[role] = a
        out: list[list[dict]] = [[] for _ in texts]
        for k, (i, t) in enumerate(asks):
            arguments = args.get(k, {})
            out[i].append({"type": t, "source": "duee", "subject": subjects[k], "arguments": arguments,
                           "values": typed_arguments(texts[i], arguments)})
        # finese: the subject of each type
        ese_asks = [(i, t) for i, (_, ese) in enumerate(kinds) for t in ese]
        found = self.subjects.ranker.best([SpanItem(texts[i], t) for i, t in ese_asks]) if ese_asks else []
        for (i, t), subject in zip(ese_asks, found):
            out[i].append({"type": t, "source": "finese", "subject": subject, "arguments": {}, "values": {}})
        return out

    def save(self, out_dir: str | Path, meta: dict | None = None) -> Path:
        return save_extractor(shrink(self), out_dir, MODEL_FILE, {"kind": "events", **(meta or {})})


def _labels_of(prediction: str) -> set[str]:
    return {x for x in prediction.split(SEP) if x}


def load_events(path: str | Path) -> EventExtractor:
    """The event extractor saved by `train_events` in directory `path`."""
    return load_extractor(path, MODEL_FILE, EventExtractor)


# ---------------------------------------------------------------------------------------------- training + report

def evaluate_events(model: EventExtractor, held_qa: list[Example], held_ese: list[Example]) -> dict:
    """Held-out scores: event-type micro P/R/F1 (per source and together), role-argument char-F1 / exact match on
    the finqa role questions (gold question, so the subject anchor is the gold one), finese subject char-F1."""
    report: dict[str, Any] = {}
    duee_docs, ese_docs = duee_documents(held_qa), finese_documents(held_ese)
    preds = model.types([d.fields["text"] for d in duee_docs + ese_docs])
    gold_duee = [set(d.reference) - {DUEE_NONE} for d in duee_docs]
    gold_ese = [set(d.reference) - {FINESE_NONE} for d in ese_docs]
    pred_duee = [set(p[0]) for p in preds[:len(duee_docs)]]
    pred_ese = [set(p[1]) for p in preds[len(duee_docs):]]
    for name, p, g in (("duee", pred_duee, gold_duee), ("finese", pred_ese, gold_ese),
                       ("all", pred_duee + pred_ese, gold_duee + gold_ese)):
        if g:
            report[f"types_{name}"] = {**metrics.micro_f1_sets(p, g), "texts": len(g)}
    roles = [e for e in held_qa if "事件对应的" in e.fields["question"]]
    if roles:
        answers = model.qa.predict(roles)
        gold = [e.fields["answer"] for e in roles]
        has = [i for i, g in enumerate(gold) if g != QA_NONE]
        report["roles"] = {"char_f1": metrics.mean_char_f1(answers, gold), "exact": metrics.accuracy(answers, gold),
                           "questions": len(roles),
                           "char_f1_answerable": metrics.mean_char_f1([answers[i] for i in has],
                                                                      [gold[i] for i in has]) if has else None,
                           "answerable": len(has)}
    if held_ese:
        subj = model.subjects.predict(held_ese)
        gold = [e.reference for e in held_ese]
        report["finese_subject"] = {"char_f1": metrics.mean_char_f1(subj, gold),
                                    "exact": metrics.accuracy(subj, gold), "rows": len(gold)}
    return report


def cv_duee_types(qa: list[Example], folds: int = 5, seed: int = 0) -> dict:
    """k-fold CV of the duee type classifier over the type-question texts of `qa` (the role-question documents
    always train): a steadier figure than the ~20 type-question texts a 10% hold-out leaves."""
    import random

    docs = duee_documents(qa)
    types = {t for d in docs for t in d.reference} - {DUEE_NONE}
    extra = role_documents(qa, types)
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    pred, gold = [], []
    for k in range(folds):
        test = set(order[k::folds])
        model = MultiLabelModel("duee").fit([d for i, d in enumerate(docs) if i not in test] + extra)
        tested = [docs[i] for i in sorted(test)]
        pred += [_labels_of(p) - {DUEE_NONE} for p in model.predict(tested)]
        gold += [set(d.reference) - {DUEE_NONE} for d in tested]
    return {**metrics.micro_f1_sets(pred, gold), "texts": len(gold), "folds": folds}


def train_events(data_dir: str | Path, out_dir: str | Path, progress: bool = True, limit: int | None = None,
                 holdout: float = 0.1, seed: int = 0) -> dict:
    """Train the event extractor on the finqa + finese train lists (first `limit` rows of each if given), score
    it on the held-out texts, save it to out_dir/events.joblib and the report to out_dir/report.json."""
    from bbt.results import write_json

    if not 0 <= holdout < 0.5:
        raise BBTError(f"holdout must be in [0, 0.5), got {holdout}")
    t0 = time.perf_counter()
    steps = ["load", "event types (duee)", "event types (finese)", "arguments (finqa QA)", "subjects (finese)",
             "held-out scores", "save"]
    with progress_bar(enabled=progress, eta=False) as bar:
        job = bar.add_task("events: load", total=len(steps))

        def step(msg: str) -> None:
            bar.update(job, description=f"events: {msg}", completed=steps.index(msg))

        qa = get_task("finqa").load(data_dir, "train", limit=limit)
        ese = get_task("finese").load(data_dir, "train", limit=limit)
        fit_qa, held_qa, fit_ese, held_ese = split_by_text(qa, ese, holdout, seed)
        model = EventExtractor().fit(fit_qa, fit_ese, step)
        fit_seconds = time.perf_counter() - t0
        step("held-out scores")
        scores = evaluate_events(model, held_qa, held_ese) if holdout > 0 else {}
        if len(duee_documents(fit_qa)) >= 25:
            scores["types_duee_cv5"] = cv_duee_types(fit_qa, 5, seed)
        step("save")
        report = {
            "kind": "bbt-extract-events", "data_dir": str(data_dir), "split": "train", "limit": limit,
            "holdout": holdout, "seed": seed,
            "rows": {"finqa_fit": len(fit_qa), "finqa_held": len(held_qa), "finese_fit": len(fit_ese),
                     "finese_held": len(held_ese)},
            "texts": {"finqa_fit": len({e.fields["text"] for e in fit_qa}),
                      "finqa_held": len({e.fields["text"] for e in held_qa}),
                      "finese_fit": len({e.fields["text"] for e in fit_ese}),
                      "finese_held": len({e.fields["text"] for e in held_ese})},
            "duee_types": sorted(set(model.duee.binarizer.classes_) - {DUEE_NONE}), "roles": model.roles,
            "finese_types": sorted(set(model.finese.binarizer.classes_) - {FINESE_NONE}),
            "holdout_scores": scores, "fit_seconds": round(fit_seconds, 1),
        }
        model.save(out_dir, {"report": {k: report[k] for k in ("rows", "holdout_scores", "fit_seconds")}})
        report["seconds"] = round(time.perf_counter() - t0, 1)
        write_json(Path(out_dir) / "report.json", report)
        bar.update(job, description="events: done", completed=len(steps))
    return report
