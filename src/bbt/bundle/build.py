"""`bbt bundle build`: train the default CPU bundle from the shared data, one cached step at a time.

Steps: the knowledge graph; classical text models (calibrated sentiment SVMs + the FinCUGE baselines for finnl,
finre, finnsp, finna); selection, where every candidate (classical, and each BBT checkpoint given) is scored on
the FinCUGE *eval* split and the better serves; NER: the FinNER CRF for /v1/ner (in a background process, on
the second core, while the other steps run) and the weak tagger for entity candidates; event and causal
extraction; the forecaster. A finished step is recorded in the manifest and skipped on the next run (same data directory and
bundle format), so an interrupted build resumes and a finished one costs nothing.
"""

from __future__ import annotations

import platform
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from rich.console import Console

from bbt.bundle.engines import CheckpointEngine, ClassicalEngine
from bbt.bundle.manifest import BBT_LEXICAL, FORMAT, MANIFEST, TASK_OF, read_manifest, write_manifest
from bbt.errors import BBTError
from bbt.results import dump_joblib
from bbt.tasks import get_task
from bbt.tasks.runner import evaluate

BASELINE_TASKS = ("finnl", "finre", "finnsp", "finna")
PROBA_TASKS = ("finfe", "finne")
# why: tests need a real bundle built in about a minute: every step on a slice of its data (scores are then
# only smoke values; a quick bundle is marked as such in its manifest)
QUICK = {"train_rows": 600, "eval_rows": 120, "ner_texts": 600, "ner_seconds": 15, "stocks": 3, "epochs": 1}


def _quick(m: dict) -> dict | None:
    return QUICK if m.get("quick") else None


def _step_kg(data_dir: Path, root: Path, m: dict, progress: bool) -> None:
    from bbt.kg import build_kg

    counts = build_kg(data_dir, root / "kg.sqlite", progress=progress)
    m["capabilities"]["kg"] = {"engine": "kg", "path": "kg.sqlite", "name": "sqlite-kg", "counts": counts}


def _step_announcements(data_dir: Path, root: Path, m: dict, progress: bool) -> None:
    """Rules over the text plus the graph's company names: nothing to train, but a score on FinQA's labelled
    event arguments (see bbt.extract.announcement_eval)."""
    from bbt.extract.announcement import AnnouncementExtractor
    from bbt.extract.announcement_eval import evaluate_announcements
    from bbt.kg import load_kg

    extractor = AnnouncementExtractor(load_kg(root / "kg.sqlite").company_names())
    m["capabilities"]["announcements"] = {"engine": "rules", "name": "rules + knowledge-graph names",
                                          "eval": evaluate_announcements(data_dir, extractor, "eval")}


def _step_classical(data_dir: Path, root: Path, m: dict, progress: bool) -> None:
    from bbt.bundle.text_models import ProbaLabelModel
    from bbt.classical import train_baselines

    (root / "classical").mkdir(exist_ok=True)
    for stale in root.glob("eval_*.cache.jsonl"):  # why: cached outputs belong to the models being replaced
        stale.unlink()
    q = _quick(m)
    limit = q["train_rows"] if q else None
    for task in PROBA_TASKS:
        model = ProbaLabelModel(task).fit(get_task(task).load(data_dir, "train", limit=limit))
        dump_joblib(model, root / "classical" / f"{task}.joblib")
    train_baselines(data_dir, root / "baseline", tasks=list(BASELINE_TASKS), progress=progress, holdout=0,
                    limit=limit)


def _classical_file(task: str) -> str:
    return f"classical/{task}.joblib" if task in PROBA_TASKS else f"baseline/{task}.joblib"


def _step_select(data_dir: Path, root: Path, m: dict, progress: bool) -> None:
    """Score every candidate on each capability's eval split; the best serves (ties keep the classical one)."""
    tasks = list(TASK_OF.values())
    candidates: list[tuple[str, dict, object]] = []
    classical = ClassicalEngine({t: root / _classical_file(t) for t in tasks}, name="classical")
    candidates.append(("classical", {"engine": "classical"}, classical))
    trained = [str(root / m["bbt_trained"]["path"])] if m.get("bbt_trained") else []
    for path in [*m.get("bbt_candidates", []), *trained]:
        engine = CheckpointEngine(path)
        candidates.append((_candidate_name(path, [c[0] for c in candidates]), {"engine": "bbt", "path": str(path)},
                           engine))
    scores: dict[str, dict] = {}
    for name, _, engine in candidates:
        q = _quick(m)
        cache = root / f"eval_{name.replace(':', '_').replace('/', '_')}_{_fingerprint(engine)}.cache.jsonl"
        res = evaluate(engine, tasks, data_dir, "eval", batch_size=32, progress=progress,
                       limit=q["eval_rows"] if q else None,
                       cache_path=cache)
        scores[name] = res["tasks"]
    pins = m.get("pins", {})
    for cap, task in TASK_OF.items():
        # why a pin: to serve (and benchmark) a model the eval split does not pick, e.g. BBT behind a capability
        # it loses by a point; the best candidate of the pinned kind serves, and the manifest says it was pinned
        pool = [c for c in candidates if c[1]["engine"] == pins[cap]] if cap in pins else candidates
        if not pool:
            raise BBTError(f"--pin {cap}={pins[cap]}: no {pins[cap]} candidate in this build (add one with --bbt)")
        best_name, best_spec, _ = max(pool, key=lambda c: scores[c[0]][task]["score"])
        spec = dict(best_spec)
        if spec["engine"] == "classical":
            spec["files"] = {task: _classical_file(task)}
            spec["name"] = f"classical:{type(classical.models[task]).__name__}"
        else:
            spec["name"] = best_name
        r = scores[best_name][task]
        spec.update({"task": task, "split": "eval", "metric": r["metric"], "score": round(r["score"], 3),
                     "n": r["n"], "candidates": {n: round(s[task]["score"], 3) for n, s in scores.items()}})
        if cap in pins:
            spec["pinned"] = True
        m["capabilities"][cap] = spec


# the recipe of `--bbt-train` (runs/pt_rtd -> runs/mini_rtd in docs/benchmarks.md), and its quick-mode shrink for
# tests: replaced-token-detection pre-training on the shared corpus, then the fine-tune from it
BBT_PRETRAIN = {"preset": "mini", "steps": 1400, "optimizer": "adafactor", "lr": 3e-2, "rtd_rate": 0.5,
                "infill_rate": 0.25, "warmup_steps": 100}
BBT_PRETRAIN_QUICK = {"preset": "tiny", "steps": 3, "batch_size": 4, "input_len": 64, "warmup_steps": 1,
                      "save_every": 3, "log_every": 1}
BBT_RECIPE = {"preset": "mini", "steps": 7500, "batch_size": 32, "optimizer": "adafactor", "lr": 1e-2,
              "eval_every": 750, "eval_limit": 100, "patience": 20, "max_input_len": 256}
BBT_QUICK = {"preset": "tiny", "steps": 6, "batch_size": 4, "eval_every": 6, "eval_limit": 3, "max_input_len": 64,
             "train_limit": 60, "warmup_steps": 2, "lr": 3e-3}
NO_BBT_NOTE = ("BBT was not trained in this build: the first-start build stays under 15 minutes, and pre-training "
               "+ fine-tuning the mini model takes about 75 minutes on 2 cores. `bbt bundle build --bbt-train` "
               "trains it as a bundle step (resumable) and lets it compete per capability; `--bbt DIR` adds a "
               "checkpoint you have.")


def _step_bbt_train(data_dir: Path, root: Path, m: dict, progress: bool) -> None:
    """A tokenizer (if the bundle has none) and a BBT fine-tune within the time budget; resumes a killed run."""
    from bbt.text.corpus_text import shared_corpus_sources
    from bbt.text.tokenizer import TokenizerTrainConfig, train_tokenizer
    from bbt.train.finetune import FinetuneConfig, finetune

    tok = root / "tokenizer"
    if not (tok / "tokenizer.json").is_file():
        quick = {"vocab_size": 2000, "character_coverage": 0.98, "input_sentence_size": 20_000} if _quick(m) else {}
        cfg = TokenizerTrainConfig(**quick)
        train_tokenizer(shared_corpus_sources(data_dir), tok, cfg, overwrite=True, show_progress=progress)
    init = _bbt_pretrain(data_dir, root, tok, m, progress)
    recipe = {**BBT_RECIPE, **(BBT_QUICK if _quick(m) else {})}
    cfg = FinetuneConfig(tokenizer=str(tok), init=init, time_budget_s=float(m["bbt_train"]["seconds"]),
                         lexical=m["bbt_train"].get("lexical", ""), **recipe)
    run = root / "bbt"
    res = finetune(cfg, data_dir, run, resume=(run / "last").is_dir())
    m["bbt_trained"] = {"path": "bbt/best", "steps": res["steps"], "seconds": round(res["seconds"], 1),
                        "eval_average_during_training": res["best_eval_average"]}


def _bbt_pretrain(data_dir: Path, root: Path, tok: Path, m: dict, progress: bool) -> str | None:
    """The shared corpus and a pre-training run within its budget (both resumable); the init of the fine-tune,
    or None when the budget is 0."""
    seconds = float(m["bbt_train"].get("pretrain_seconds", 0))
    if seconds <= 0:
        return None
    from bbt.corpus.shared import build_shared
    from bbt.pretrain.loop import PretrainConfig, pretrain

    corpus, run = root / "corpus", root / "bbt_pretrain"
    if not (corpus / "manifest.json").is_file():
        build_shared(data_dir, corpus, progress=progress)
    if not (run / "final" / "config.json").is_file():
        cfg = PretrainConfig(tokenizer=str(tok), time_budget_s=seconds,
                             **{**BBT_PRETRAIN, **(BBT_PRETRAIN_QUICK if _quick(m) else {})})
        res = pretrain(cfg, corpus, run, resume=(run / "last").is_dir())
        m["bbt_pretrained"] = {"path": "bbt_pretrain/final", "steps": res.get("steps"),
                               "seconds": round(float(res.get("seconds", 0)), 1)}
    return str(run / "final")


def _candidate_name(path: str, taken: list[str]) -> str:
    """bbt:<dir name>, or bbt:<parent>/<dir name> when that is taken (runs/a/best vs runs/b/best)."""
    p = Path(path)
    name = f"bbt:{p.name}"
    return name if name not in taken else f"bbt:{p.parent.name}/{p.name}"


def _fingerprint(engine) -> str:
    """Size and mtime of a checkpoint's files: a retrained checkpoint must not reuse cached outputs."""
    import hashlib

    path = getattr(getattr(engine, "backend", None), "path", None)
    if path is None:
        return "classical"
    stats = sorted((f.name, f.stat().st_size, int(f.stat().st_mtime)) for f in Path(path).iterdir() if f.is_file())
    return hashlib.sha256(repr(stats).encode()).hexdigest()[:12]


def _step_ner(data_dir: Path, root: Path, m: dict, progress: bool) -> None:
    from bbt.extract.ner import train_ner

    q = _quick(m)
    kw = {"limit_texts": q["ner_texts"], "max_seconds": q["ner_seconds"]} if q else {}
    report = train_ner(data_dir, root / "ner", progress=progress, **kw)
    # why not /v1/ner: it proposes the COMPANY / PERSON / ORG candidates of relations and negative news
    m["capabilities"]["entity_candidates"] = {"engine": "ner", "path": "ner", "name": "char-tagger (weak supervision)",
                                              "eval": _summary(report)}


def _step_finner(data_dir: Path, root: Path, m: dict, progress: bool) -> None:
    from bbt.extract.finner import train_finner

    q = _quick(m)
    kw = {"limit": q["ner_texts"], "max_iterations": 30} if q else {}
    report = train_finner(data_dir, root / "finner", progress=progress, **kw)
    m["capabilities"]["ner"] = {"engine": "finner-crf", "path": "finner", "name": "CRF: characters, words, name lexicon (FinNER gold)",
                                "eval": _summary(report)}


def _step_events(data_dir: Path, root: Path, m: dict, progress: bool) -> None:
    from bbt.extract.events import train_events

    report = train_events(data_dir, root / "events", progress=progress, **_limit_kw(train_events, m))
    m["capabilities"]["events"] = {"engine": "events", "path": "events", "name": "classical event extractor",
                                   "eval": _summary(report)}


def _step_causal(data_dir: Path, root: Path, m: dict, progress: bool) -> None:
    from bbt.extract.causal import train_causal

    report = train_causal(data_dir, root / "causal", progress=progress, **_limit_kw(train_causal, m))
    m["capabilities"]["causal"] = {"engine": "causal", "path": "causal", "name": "classical causal extractor",
                                   "eval": _summary(report)}


def _step_forecast(data_dir: Path, root: Path, m: dict, progress: bool) -> None:
    from bbt.bundle.forecast import ForecasterConfig, train_forecaster
    from bbt.progress import progress_bar

    q = _quick(m)
    cfg = ForecasterConfig(n_stocks=q["stocks"], epochs=q["epochs"], max_batches_per_epoch=20) if q else None
    with progress_bar(enabled=progress, transient=True) as bar:
        report = train_forecaster(data_dir, root / "forecast", cfg, progress=bar)
    m["capabilities"]["forecast"] = {"engine": "forecast", "path": "forecast", "name": f"{report['chosen']}",
                                     "eval": report}


def _limit_kw(fn: Callable, m: dict) -> dict:
    q = _quick(m)
    return {"limit": q["train_rows"]} if q else {}


def _summary(report: dict) -> dict:
    """The report without bulky lists (per-item details stay in the step's own directory)."""
    return {k: v for k, v in report.items() if not isinstance(v, list) or len(v) <= 20}


STEPS: tuple[tuple[str, Callable], ...] = (
    ("finner", _step_finner), ("kg", _step_kg), ("announcements", _step_announcements), ("classical", _step_classical),
    ("select", _step_select), ("ner", _step_ner), ("events", _step_events), ("causal", _step_causal),
    ("forecast", _step_forecast))
# why: the FinNER CRF (crfsuite) is single-threaded, reads only the FinNER lists and is the longest step; in its
# own process it runs beside the other steps on the second core instead of after them
BACKGROUND = frozenset({"finner"})


def _run_in_background(name: str, data_dir: Path, root: Path, m: dict) -> tuple[dict, float]:
    """A background step in a child process: (the capabilities it wrote, its seconds)."""
    t0 = time.perf_counter()
    sub = {**m, "capabilities": {}}
    dict(STEPS)[name](data_dir, root, sub, False)
    return sub["capabilities"], round(time.perf_counter() - t0, 1)


def _join_background(root: Path, m: dict, pending: dict, console: Console, quiet: bool = False) -> None:
    """Wait for the background steps and record each one that finished; `quiet`: while another step's failure is
    being raised, a background failure is reported, not raised over it."""
    for name, job in pending.items():
        try:
            caps, seconds = job.result()  # a failure in the child is raised here, with its message
        except Exception as e:
            if not quiet:
                raise
            console.print(f"    {name} failed too: {e}")
            continue
        m["capabilities"].update(caps)
        _record(root, m, name, seconds, console)


def _record(root: Path, m: dict, name: str, seconds: float, console: Console) -> None:
    m["steps"][name] = {"done": True, "seconds": seconds, "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    write_manifest(root, m)  # why: after every step, so a killed build resumes at the next one
    console.print(f"    {name} done in {seconds} s")


def build_bundle(data_dir: str | Path, out: str | Path, bbt_candidates: list[str | Path] = (), force: bool = False,
                 progress: bool = True, console: Console | None = None, quick: bool = False,
                 bbt_train_seconds: float = 0, bbt_lexical: str = BBT_LEXICAL,
                 bbt_pretrain_seconds: float = 1200, pins: dict[str, str] | None = None) -> dict:
    """Build (or finish) the bundle in `out`; returns the manifest. `bbt_train_seconds` > 0 also fine-tunes a BBT
    model as a step (that many seconds at most; after `bbt_pretrain_seconds` of pre-training when > 0) and lets
    it compete per capability. `pins` ({capability: "bbt" | "classical"}) overrides the selection for those
    capabilities: the best candidate of that kind serves, marked `pinned` in the manifest."""
    data_dir, root = Path(data_dir).resolve(), Path(out)
    console = console or Console(stderr=True)
    root.mkdir(parents=True, exist_ok=True)
    m: dict = {}
    if (root / MANIFEST).is_file() and not force:
        try:
            m = read_manifest(root)
        except BBTError:
            m = {}  # why: an older format is rebuilt from scratch rather than mixed
    cands = sorted(str(Path(p).resolve()) for p in bbt_candidates)
    for p in cands:
        if not Path(p).is_dir():
            raise BBTError(f"BBT checkpoint directory not found: {p}")
    if m.get("data_dir") != str(data_dir) or bool(m.get("quick")) != quick:
        m = {}
    pins = dict(pins or {})
    for cap, kind in pins.items():
        if cap not in TASK_OF or kind not in ("bbt", "classical"):
            raise BBTError(f"--pin {cap}={kind}: a pin is CAPABILITY=bbt|classical with a capability among "
                           f"{', '.join(TASK_OF)}")
    if m.get("bbt_candidates", []) != cands or m.get("pins", {}) != pins:
        m.get("steps", {}).pop("select", None)  # why: other candidates may change every choice
    train = ({"seconds": float(bbt_train_seconds), "lexical": bbt_lexical, "pretrain_seconds": float(bbt_pretrain_seconds)}
             if bbt_train_seconds > 0 else None)
    if train and m.get("bbt_train") != train:
        for step in ("bbt_train", "select"):
            m.get("steps", {}).pop(step, None)
    if train:
        m["bbt_train"] = train
        m.pop("bbt_note", None)
    elif not m.get("bbt_trained"):
        m["bbt_note"] = NO_BBT_NOTE
    m.update({"kind": "bbt-bundle", "format": FORMAT, "data_dir": str(data_dir), "bbt_candidates": cands, "pins": pins,
              "python": platform.python_version(), "quick": quick})
    m.setdefault("capabilities", {})
    m.setdefault("steps", {})
    t_all = time.perf_counter()
    steps = list(STEPS)
    if m.get("bbt_train"):  # before the selection, which it competes in
        steps.insert([n for n, _ in steps].index("select"), ("bbt_train", _step_bbt_train))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pending = {}
    # why spawn: a forked child of a process that has run torch can hang in its thread pools
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        for i, (name, fn) in enumerate(steps, 1):
            if m["steps"].get(name, {}).get("done"):
                console.print(f"[{i}/{len(steps)}] {name}: cached ({m['steps'][name]['seconds']} s when built)")
                continue
            if name in BACKGROUND:
                console.print(f"[bold][{i}/{len(steps)}] {name}[/] (in a background process)")
                pending[name] = pool.submit(_run_in_background, name, data_dir, root,
                                            {k: v for k, v in m.items() if k != "capabilities"})
                continue
            console.print(f"[bold][{i}/{len(steps)}] {name}[/]")
            t0 = time.perf_counter()
            try:
                fn(data_dir, root, m, progress)
            except BaseException:
                _join_background(root, m, pending, console, quiet=True)  # why: its work survives this failure
                raise
            _record(root, m, name, round(time.perf_counter() - t0, 1), console)
        _join_background(root, m, pending, console)
    m["build_seconds_total"] = round(sum(s["seconds"] for s in m["steps"].values()), 1)
    m["last_run_seconds"] = round(time.perf_counter() - t_all, 1)
    write_manifest(root, m)
    return m
