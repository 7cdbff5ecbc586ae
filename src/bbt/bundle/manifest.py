"""The bundle manifest: which model serves each capability, and the score it was chosen by."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bbt.errors import BBTError
from bbt.results import write_text

MANIFEST = "manifest.json"
# bump when the layout of a bundle changes incompatibly (2: classical models pickled from bbt.classical;
# 3: /v1/ner served by the FinNER model, the weak tagger moved to entity_candidates)
FORMAT = 3

CAPABILITIES = ("kg", "summarize", "forum_sentiment", "news_sentiment", "news_classify", "ner", "relations",
                "events", "causal", "announcements", "negative_news", "forecast", "entity_candidates")
# FinCUGE-backed capabilities: task whose eval split scores the candidates
# the tasks whose heads fuse the lexical channel in `--bbt-train` (those of runs/mini_rtd, docs/benchmarks.md)
BBT_LEXICAL = "finfe,finne,finnl,finre,finnsp"
TASK_OF = {"forum_sentiment": "finfe", "news_sentiment": "finne", "news_classify": "finnl", "relations": "finre",
           "negative_news": "finnsp", "summarize": "finna"}


def read_manifest(root: Path) -> dict[str, Any]:
    try:
        m = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise BBTError(f"cannot read the bundle manifest {root / MANIFEST}: {e}") from None
    if m.get("kind") != "bbt-bundle" or m.get("format") != FORMAT:
        raise BBTError(f"{root} is not a format-{FORMAT} BBT bundle (kind={m.get('kind')!r}, "
                       f"format={m.get('format')!r}); rebuild with `bbt bundle build --out {root} --force`")
    return m


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    write_text(root / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))


def headline(cap: str, spec: dict) -> tuple[float | None, str]:
    """(score, what it is) of a capability's model, for tables: FinCUGE eval scores as recorded, the held-out
    scores of the extractors (NER on FinNER eval; entity candidates against weak labels), the forecaster's test MSE against naive."""
    if spec.get("score") is not None:
        return spec["score"], f"{spec.get('metric', '')} on {spec.get('split', '?')} ({spec.get('n', '?')} rows)"
    ev = spec.get("eval") or {}
    try:
        if cap == "ner":
            return ev["score"], (f"entity micro-F1 (exact span, type) on FinNER eval ({ev['eval_rows']} texts, "
                                 "11 types)")
        if cap == "entity_candidates":
            s = ev["scores"]["hybrid"]["micro"]
            return 100 * s["f1"], ("micro-F1 vs weak labels, held-out texts (served: gazetteer + model); "
                                   "proposes the entities of relations and negative news")
        if cap == "events":
            s = ev["holdout_scores"]
            return s["types_all"]["f1"], f"event-type micro-F1, held-out texts; role char-F1 {s['roles']['char_f1']:.1f}"
        if cap == "causal":
            s = ev["holdout_scores"]
            return s["pairs"]["f1"], (f"cause->effect type-pair F1, held-out docs; argument char-F1 "
                                      f"{s['arguments_mean']['char_f1']:.1f}")
        if cap == "announcements":
            return ev["value_recall"], (f"recall of FinQA {ev['split']} answers that are one typed value "
                                        f"({ev['values']}); event-type accuracy {ev['type_accuracy']:.1f} "
                                        f"({ev['typed_texts']} texts)")
        if cap == "forecast":
            return ev.get("test_mse", ev["test_mse_bbt"]), (f"test MSE of the served model (standardised closes); "
                                                            f"bbt {ev['test_mse_bbt']:.4f}, naive {ev['test_mse_naive']:.4f}")
    except (KeyError, TypeError):
        pass
    return None, ""


def manifest_rows(m: dict) -> list[tuple[str, str, str, str]]:
    """(capability, model, score, what the score is) per capability, for the CLI table and the markdown report."""
    rows = []
    for cap, spec in m.get("capabilities", {}).items():
        score, note = headline(cap, spec)
        if cap == "kg":
            note = ", ".join(f"{k} {v}" for k, v in spec.get("counts", {}).get("nodes", {}).items()) + " nodes"
        cands = spec.get("candidates")
        if cands and len(cands) > 1:
            note += "; candidates " + ", ".join(f"{k} {v}" for k, v in cands.items())
        if spec.get("pinned"):
            note += "; pinned by `--pin` (not the eval split's choice)"
        rows.append((cap, str(spec.get("name", spec.get("engine"))),
                     f"{score:.3f}" if isinstance(score, (int, float)) else "-", note))
    return rows


def manifest_markdown(m: dict) -> str:
    steps = ", ".join(f"{k} {v['seconds']} s" for k, v in m.get("steps", {}).items())
    lines = ["# Model bundle", "", f"Built from `{m.get('data_dir')}`{' (quick mode)' if m.get('quick') else ''}; "
             f"build steps: {steps} (sum {m.get('build_seconds_total')} s; the finner step runs in a background "
             f"process beside the others; wall time of the last run {m.get('last_run_seconds')} s).", "",
             "| capability | model | score | what the score is |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in manifest_rows(m)]
    if m.get("bbt_note"):
        lines += ["", m["bbt_note"]]
    if m.get("bbt_trained"):
        t = m["bbt_trained"]
        lines += ["", f"BBT trained in this build (`--bbt-train`): {t['steps']} steps in {t['seconds']} s; it "
                  "competed per capability as `bbt:best`."]
    return "\n".join(lines) + "\n"
