"""The API's NER: the 11 FinNER types with character offsets, trained on FinNER's gold labels.

`train_finner` fits a CRF over character features + jieba word positions + an out-of-fold train-name lexicon
(bbt.classical.ner_crf; the variant chosen by `bbt bench finner-crf`, results/finner_crf.md: one choice on the
eval split) on the FinNER train list and scores it on the eval list with the harness's own metric (exact
(span, type) micro-F1, per type). The classical baseline's finner row is the same CRF on characters only. `FinNERModel.predict(texts)` tags the raw texts (no whitespace folding,
so offsets index the caller's string) and returns {"text", "type", "start", "end"} per entity.

The weakly supervised COMPANY / PERSON / ORG tagger (bbt.extract.ner) still proposes the entity candidates of
the relation and negative-news capabilities, whose gazetteer-backed company names it was built for.
"""

from __future__ import annotations

import time
from pathlib import Path

from bbt.errors import BBTError
from bbt.results import dump_joblib, write_json

FORMAT = "bbt-finner-1"
MODEL_FILE = "finner.joblib"


class FinNERModel:
    def __init__(self, crf, report: dict | None = None):
        self.crf, self.report = crf, report or {}
        self.types = tuple(report.get("types", ())) if report else ()

    def predict(self, texts: list[str]) -> list[list[dict]]:
        """Entities per text: {"text", "type", "start", "end"} (end exclusive, `text[start:end]` is the entity)."""
        if isinstance(texts, str):
            raise BBTError("predict takes a list of texts, not one string")
        texts = [str(t) for t in texts]
        out = []
        for t, found in zip(texts, self.crf.mentions(texts)):
            ents = []
            for s, e, typ in found:
                while s < e and t[s].isspace():  # a run never starts or ends on whitespace
                    s += 1
                while e > s and t[e - 1].isspace():
                    e -= 1
                if e > s:
                    ents.append({"text": t[s:e], "type": typ, "start": s, "end": e})
            out.append(ents)
        return out


WEAK_TYPES = {"COMPANY": "公司", "PERSON": "人物", "ORG": "其他机构"}
WINDOW = 30  # characters: a weak text sharing a window this long with a FinNER eval text is dropped


def weak_examples(data_dir: str | Path, train: list, n: int, seed: int = 0) -> tuple[list, dict]:
    """Up to `n` weakly labelled FinNER-shaped train rows: train-side texts (bbt.extract.ner.corpus_texts; never
    a FinCUGE eval list) labelled by the gazetteer's matches. A name takes its most frequent type among the FinNER
    train labels when it has one there, else COMPANY -> 公司, PERSON -> 人物, ORG -> 其他机构. The other eight types
    stay unlabelled (the augmentation's known cost: their mentions in these texts are trained as O). Texts that
    share a WINDOW-character stretch with a FinNER eval *text* (labels are not read) are dropped. Returns the rows
    and what was done, for the report."""
    import random

    from bbt.classical.ner_crf import train_names
    from bbt.extract.gazetteer import build_gazetteer
    from bbt.extract.ner import corpus_texts
    from bbt.tasks import Example, get_task

    gold_type = train_names(train)
    eval_windows = set()
    for e in get_task("finner").load(data_dir, "eval"):
        t = e.fields["text"]
        eval_windows.update(t[i:i + WINDOW] for i in range(max(1, len(t) - WINDOW + 1)))
    seen = {e.fields["text"] for e in train}
    texts = [t for _, t in corpus_texts(data_dir) if t not in seen]
    random.Random(seed).shuffle(texts)
    step = WINDOW // 2  # any shared stretch of >= 1.5 windows contains one of these
    gaz = build_gazetteer(data_dir)
    rows, dropped_overlap = [], 0
    for t in texts:
        if len(rows) >= n:
            break
        if any(t[i:i + WINDOW] in eval_windows for i in range(0, max(1, len(t) - WINDOW + 1), step)):
            dropped_overlap += 1
            continue
        pairs = tuple(dict.fromkeys((t[s:e], gold_type.get(t[s:e], WEAK_TYPES[typ])) for s, e, typ in gaz.label(t)))
        fields = {"text": t, "entities": pairs}
        rows.append(Example(f"weak-{len(rows)}", t, "", frozenset(pairs), fields))
    return rows, {"weak_rows": len(rows), "weak_entities": sum(len(r.fields["entities"]) for r in rows),
                  "dropped_eval_overlap": dropped_overlap, "seed": seed}


def train_finner(data_dir: str | Path, out: str | Path, limit: int | None = None, max_iterations: int = 150,
                 progress: bool = False) -> dict:
    """Fit on FinNER train (the first `limit` rows), score on eval, save MODEL_FILE + report.json in `out`."""
    from bbt.classical.ner_crf import CRFModel
    from bbt.tasks import FINNER_TYPES, get_task

    task = get_task("finner")
    train = task.load(data_dir, "train", limit=limit)
    evals = task.load(data_dir, "eval")
    t0 = time.perf_counter()
    model = CRFModel(max_iterations=max_iterations).fit(train)
    fit_s = time.perf_counter() - t0
    outputs = model.predict(evals)
    scores = task.score([task.parse(o, e) for o, e in zip(outputs, evals)], evals)
    report = {"format": FORMAT, "model": "CRF over characters, jieba word positions and a train-name lexicon (sklearn-crfsuite)", "types": list(FINNER_TYPES),
              "train_rows": len(train), "eval_rows": len(evals), "fit_seconds": round(fit_s, 1),
              "score": round(scores["score"], 3), "metric": "entity micro-F1 (exact span, type) on FinNER eval",
              "scores": {k: round(v, 3) for k, v in scores.items()}}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dump_joblib(model, out / MODEL_FILE)
    write_json(out / "report.json", report)
    return report


def load_finner(path: str | Path) -> FinNERModel:
    import joblib

    from bbt.results import read_json

    path = Path(path)
    if not (path / MODEL_FILE).is_file():
        raise BBTError(f"no FinNER model in {path} (expected {MODEL_FILE}); build the bundle with `bbt bundle build`")
    report = read_json(path / "report.json", default={}) or {}
    if report.get("format") != FORMAT:
        raise BBTError(f"{path}: not a {FORMAT} FinNER model (format {report.get('format')!r}); rebuild it")
    return FinNERModel(joblib.load(path / MODEL_FILE), report)
