"""Which features the FinNER CRF serves with, measured: characters only, + jieba word positions, + the train-name
lexicon (out of fold on train rows), + the knowledge graph's names.

Every variant is fitted on the FinNER train list and scored on its eval list with the harness's metric (exact
(span, type) micro-F1, per type). Picking the served variant from this table is one choice made on the eval split.

    bbt bench finner-crf --out results/finner_crf.json
"""

from __future__ import annotations

import time
from pathlib import Path

from bbt.results import markdown_table, write_json, write_markdown

VARIANTS: dict[str, dict] = {
    "chars": {"words": False, "lexicon": False, "kg": False},
    "+words": {"words": True, "lexicon": False, "kg": False},
    "+words+lexicon": {"words": True, "lexicon": True, "kg": False},
    "+words+lexicon+kg": {"words": True, "lexicon": True, "kg": True},
    # weak supervision as augmentation: gazetteer-labelled train-side texts (bbt.extract.finner.weak_examples)
    "+words+lexicon+weak": {"words": True, "lexicon": True, "kg": False, "weak": 4000},
}


def fit_variant(name: str, data_dir: Path, limit: int | None, max_iterations: int) -> dict:
    from bbt.classical.ner_crf import CRFModel, kg_names
    from bbt.tasks import get_task

    v = VARIANTS[name]
    task = get_task("finner")
    train, evals = task.load(data_dir, "train", limit=limit), task.load(data_dir, "eval", limit=limit)
    weak_report = {}
    if v.get("weak"):
        from bbt.extract.finner import weak_examples

        weak, weak_report = weak_examples(data_dir, train, v["weak"] if limit is None else min(v["weak"], limit))
        train = train + weak
    t0 = time.perf_counter()
    model = CRFModel(max_iterations=max_iterations, words=v["words"], lexicon=v["lexicon"],
                     extra_names=kg_names(data_dir) if v["kg"] else None).fit(train)
    fit_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    outputs = model.predict(evals)
    pred_s = time.perf_counter() - t1
    scores = task.score([task.parse(o, e) for o, e in zip(outputs, evals)], evals)
    return {"variant": name, **v, "fit_seconds": round(fit_s, 1), "predict_texts_per_s": round(len(evals) / pred_s, 1),
            "train_rows": len(train), "eval_rows": len(evals), **weak_report, "scores": {k: round(x, 2) for k, x in scores.items()}}


def run(data_dir: Path, out: Path, limit: int | None = None, max_iterations: int = 150, workers: int = 2,
        variants: tuple[str, ...] = tuple(VARIANTS)) -> dict:
    """Fit the variants (`workers` at a time: CRFsuite is single-threaded) and write the table."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from bbt.tasks import FINNER_TYPES

    t0 = time.time()
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        rows = list(pool.map(fit_variant, variants, [data_dir] * len(variants), [limit] * len(variants),
                             [max_iterations] * len(variants)))
    res = {"split": "eval", "limit": limit, "max_iterations": max_iterations, "variants": rows,
           "eval_split_choices": 1, "seconds": round(time.time() - t0, 1)}
    write_json(out, res)
    headers = ["variant", "F1", "precision", "recall", *FINNER_TYPES, "fit s", "texts/s"]
    table = [[r["variant"], r["scores"]["score"], r["scores"]["precision"], r["scores"]["recall"],
              *(r["scores"].get(f"f1_{t}") for t in FINNER_TYPES), r["fit_seconds"], r["predict_texts_per_s"]]
             for r in rows]
    write_markdown(out.with_suffix(".md"), "\n\n".join([
        "### FinNER CRF features (train list -> eval list)", markdown_table(headers, table),
        f"Entity micro-F1 in percent (exact span and type), per type F1; {max_iterations} L-BFGS iterations; "
        f"{'all' if limit is None else f'the first {limit}'} rows of each list. Choosing the served variant from "
        "this table is one choice made on the eval split. *+weak*: 4,000 more train rows, train-side FinCUGE and "
        "news texts labelled by the gazetteer (公司 / 人物 / 其他机构 only; the other types unlabelled there).",
    ]))
    return res
