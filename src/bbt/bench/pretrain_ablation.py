"""`bbt experiment pretrain-ablation`: does pre-training, similarity-weighted sampling, and the Source Prompt help?

Four arms, each fine-tuned on all nine FinCUGE tasks with the same recipe and evaluated on the full eval split:
    scratch            `mini` fine-tuned from random weights
    pretrained         + span-corruption pre-training, sources sampled by size (characters), no source tag
    pretrained_ss      + sources sampled by similarity to the FinCUGE train texts (`bbt corpus weights`)
    pretrained_ss_sp   + the Source Prompt (【新闻】... before every document)
Equal compute: the three pre-training runs have the same steps x batch x length, and every fine-tune the same
steps, batch and schedule. Fine-tuning selects nothing on the eval split (`eval_every=0`: the final weights are
scored), so the eval rows are touched once, by the final evaluation. Every stage is cached in OUT (a finished
stage is skipped, an interrupted pre-train / fine-tune resumes from its last checkpoint), so the command can be
re-run after a crash and picks up where it stopped.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from bbt.errors import BBTError
from bbt.results import write_json, write_markdown

ARMS: dict[str, dict | None] = {
    "scratch": None,
    "pretrained": {"weights": "size", "source_prompt": False},
    "pretrained_ss": {"weights": "similarity", "source_prompt": False},
    "pretrained_ss_sp": {"weights": "similarity", "source_prompt": True},
}


@dataclass
class AblationConfig:
    preset: str = "mini"
    # why: the defaults fit the four arms in about 2 hours on 2 CPU cores (3 x ~13 min pre-training, 4 x ~13 min
    # fine-tuning, 4 x ~2.5 min evaluation); scale them up on a GPU
    pretrain_steps: int = 500
    finetune_steps: int = 1000
    batch_size: int = 32
    input_len: int = 256
    # why adafactor at 3e-2: with AdamW at 2e-3 the pre-training loss stayed on the unigram plateau for all 500
    # steps; scripts/pretrain_probe.sh (120-step runs, pre-training loss only, no FinCUGE row) ranked Adafactor
    # 3e-2 < AdamW 2e-3 ~ Adafactor 1e-2 (results/pretrain_probe/summary.md). Adafactor scales each update by the
    # matrix's RMS, so the std-1 embeddings move as fast as the small-init projections.
    pretrain_optimizer: str = "adafactor"  # adamw | adafactor (see bbt.pretrain.loop.make_optimizer)
    pretrain_lr: float = 3e-2
    # why 0.5: span corruption alone left every pre-trained arm's decoder ignoring its input after 500 steps
    # (encoder-use gap +0.12..+0.25 nats) and fine-tuning from it scored 8.7 points below scratch; half the corpus
    # batches with the whole text as target (BART infilling) teach copying from the encoder. Set a priori, not
    # tuned on the eval split; 0 = the T5 objective alone.
    pretrain_infill_rate: float = 0.5
    finetune_lr: float = 1e-3  # AdamW: the recipe all recorded ablation runs used (the fine-tuning default is now
    # Adafactor, chosen later by scripts/finetune_probe.sh; kept here so the ablation results stay reproducible)
    # why 0.1: on the shared corpus the source similarities span ~0.3, so 0.05 gives the smallest source ~0.1% of
    # the tokens (practically dropped) while 0.1 still ranks sources clearly (news ~5x forum); set before any run
    temperature: float = 0.1
    seeds: tuple[int, ...] = (0,)  # fine-tuning seeds per arm (pre-training uses the first)
    arms: tuple[str, ...] = tuple(ARMS)
    eval_batch_size: int = 64
    eval_limit: int | None = None  # None = the full eval split
    extra: dict = field(default_factory=dict)


def _check_settings(out: Path, settings: dict) -> None:
    """Cached stages are only valid for the settings that made them (seeds and arms may be added freely)."""
    path = out / "settings.json"
    if path.is_file():
        before = json.loads(path.read_text(encoding="utf-8"))
        changed = sorted(k for k in set(before) | set(settings) if before.get(k) != settings.get(k))
        if changed:
            raise BBTError(f"{out} holds stages made with other settings ({', '.join(changed)}: "
                           f"{ {k: before.get(k) for k in changed} }); use another --out or delete it")
    else:
        write_json(path, settings)


def _done(path: Path) -> bool:
    return path.is_file()


def _tokenizer(tokenizer: Path | None, data_dir: Path, out: Path, console) -> Path:
    if tokenizer is not None:
        if not (Path(tokenizer) / "tokenizer_config.json").is_file() and not Path(tokenizer).is_dir():
            raise BBTError(f"--tokenizer {tokenizer}: not a tokenizer directory")
        return Path(tokenizer)
    from bbt.text.corpus_text import shared_corpus_sources
    from bbt.text.tokenizer import TokenizerTrainConfig, train_tokenizer

    path = out / "tokenizer"
    if not (path / "tokenizer_config.json").is_file():
        console.print("training the tokenizer (SentencePiece unigram, 8,000 pieces) on the shared data")
        train_tokenizer(shared_corpus_sources(data_dir), path, TokenizerTrainConfig(vocab_size=8000),
                        overwrite=True, console=console)
    return path


def _corpus(corpus: Path | None, data_dir: Path, out: Path, console) -> Path:
    if corpus is not None:
        return Path(corpus)
    from bbt.corpus.shared import build_shared

    path = out / "corpus"
    console.print(f"building the corpus from the shared data into {path}")
    build_shared(data_dir, path, progress=True)  # idempotent: a finished corpus adds nothing
    return path


def _final_loss(log: Path, last: int = 5) -> float | None:
    """Mean span-corruption loss of the last `last` log lines of a pre-training run."""
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    losses = [r["loss_text"] for r in rows if "loss_text" in r][-last:]
    return statistics.mean(losses) if losses else None


def _size_stream(corpus: Path, tok, **settings):
    """A seeded, size-weighted stream of span-corruption pairs, for the report's diagnostics."""
    from bbt.pretrain.stream import CorpusStream, StreamConfig, load_weights

    return CorpusStream(corpus, tok, load_weights("size", corpus), StreamConfig(**settings))


def _target_entropy(corpus: Path, tok_dir: Path, input_len: int, n: int = 400) -> float:
    """Entropy (nats) of the span-corruption target tokens: the loss of a model that knows only their unigram
    frequencies. A pre-training loss near it means the model has not yet learned to use the context."""
    import numpy as np

    from bbt.text.tokenizer import load_tokenizer

    stream = _size_stream(corpus, load_tokenizer(tok_dir), input_len=input_len, source_prompt=False)
    _, counts = np.unique(stream.batch(n)["labels"], return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def _encoder_use(checkpoint: Path, corpus: Path, input_len: int, batches: int = 2, batch: int = 32) -> dict:
    """Span-corruption loss of a pre-trained model with each row's own encoder input and with another row's.
    The gap says how much the decoder reads the encoder: near 0, it predicts targets as a language model of its
    own (the unigram-plateau state), and fine-tuning on tasks that copy from the input must first unlearn that."""
    import torch

    from bbt.model.modeling import load_model

    model, tok, _ = load_model(checkpoint)
    stream = _size_stream(corpus, tok, input_len=input_len, seed=4242)
    shifted = torch.roll(torch.arange(batch), 1)  # row i reads row i-1's input
    own = other = 0.0
    with torch.no_grad():
        for _ in range(batches):
            b = {k: torch.as_tensor(v) for k, v in stream.batch(batch).items()}
            own += model(**b).loss.item() / batches
            other += model(input_ids=b["input_ids"][shifted], labels=b["labels"]).loss.item() / batches
    return {"own_input": own, "other_row_input": other, "gap": other - own}


def _evaluate(checkpoint: Path, data_dir: Path, out_json: Path, cfg: AblationConfig, console) -> dict:
    from bbt.eval.harness import evaluate_model

    if _done(out_json):
        return json.loads(out_json.read_text(encoding="utf-8"))
    return evaluate_model(str(checkpoint), "all", data_dir, out_json, batch_size=cfg.eval_batch_size,
                          limit=cfg.eval_limit, console=console)


def run_ablation(cfg: AblationConfig, data_dir: Path, out: Path, tokenizer: Path | None = None,
                 corpus: Path | None = None, console=None) -> dict:
    from rich.console import Console

    from bbt.pretrain.loop import PretrainConfig, check_config, pretrain
    from bbt.pretrain.weights import weights_markdown, weights_table
    from bbt.train.finetune import FinetuneConfig, finetune

    console = console or Console()
    unknown = sorted(set(cfg.arms) - set(ARMS))
    if unknown:
        raise BBTError(f"unknown arms {unknown}; choose from {', '.join(ARMS)}")
    # why here: a bad pre-training setting must fail before the scratch arm's fine-tune, not after it
    check_config(PretrainConfig(optimizer=cfg.pretrain_optimizer, infill_rate=cfg.pretrain_infill_rate))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tok = _tokenizer(tokenizer, data_dir, out, console)
    corpus = _corpus(corpus, data_dir, out, console)
    _check_settings(out, {**{k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("seeds", "arms")},
                          "tokenizer": str(Path(tok).resolve()), "corpus": str(Path(corpus).resolve())})
    weights_path = out / "weights.json"
    if not _done(weights_path):
        table = weights_table(corpus, data_dir, temperature=cfg.temperature)
        write_json(weights_path, table)
        write_markdown(weights_path.with_suffix(".md"), weights_markdown(table))
    trained: list[str] = []  # stages run (not read from the cache) by this call
    stage_seconds: dict[str, float] = {}  # training seconds of every stage, as recorded by the stage itself

    results: dict[str, dict] = {}
    for arm in cfg.arms:
        setting = ARMS[arm]
        init = None
        if setting is not None:
            pt_dir = out / f"pretrain_{arm}"
            if not (pt_dir / "final" / "config.json").is_file():
                console.rule(f"pre-train {arm}")
                pcfg = PretrainConfig(preset=cfg.preset, tokenizer=str(tok),
                                      weights="size" if setting["weights"] == "size" else str(weights_path),
                                      source_prompt=setting["source_prompt"], input_len=cfg.input_len,
                                      batch_size=cfg.batch_size, lr=cfg.pretrain_lr, steps=cfg.pretrain_steps,
                                      optimizer=cfg.pretrain_optimizer,
                                      infill_rate=cfg.pretrain_infill_rate,
                                      warmup_steps=min(100, cfg.pretrain_steps // 10), save_every=100,
                                      log_every=10, seed=cfg.seeds[0])
                pretrain(pcfg, corpus, pt_dir, resume=(pt_dir / "last" / "trainer_state.json").is_file(),
                         console=console)
                trained.append(f"pretrain_{arm}")
            init = str(pt_dir / "final")
            stage_seconds[f"pretrain_{arm}"] = round(json.loads((pt_dir / "final" / "bbt_state.json").read_text(
                encoding="utf-8"))["pretrain"]["seconds"], 1)
            pretrain_loss = _final_loss(pt_dir / "log.jsonl")
            use_path = pt_dir / "encoder_use.json"  # cached with its stage: the model does not change
            if not _done(use_path):
                write_json(use_path, _encoder_use(pt_dir / "final", corpus, cfg.input_len))
            encoder_use = json.loads(use_path.read_text(encoding="utf-8"))
        per_seed = {}
        for seed in cfg.seeds:
            ft_dir = out / f"finetune_{arm}_seed{seed}"
            if not (ft_dir / "done.json").is_file():
                console.rule(f"fine-tune {arm} (seed {seed})")
                fcfg = FinetuneConfig(preset=cfg.preset, init=init, tokenizer=None if init else str(tok),
                                      batch_size=cfg.batch_size, optimizer="adamw", lr=cfg.finetune_lr,
                                      steps=cfg.finetune_steps,
                                      warmup_steps=min(200, cfg.finetune_steps // 10), eval_every=0,
                                      save_every=250, seed=seed)
                r = finetune(fcfg, data_dir, ft_dir, resume=(ft_dir / "last" / "trainer_state.json").is_file(),
                             console=console)
                write_json(ft_dir / "done.json", r)
                trained.append(f"finetune_{arm}_seed{seed}")
            console.rule(f"evaluate {arm} (seed {seed})")
            per_seed[seed] = _evaluate(ft_dir / "best", data_dir, out / f"eval_{arm}_seed{seed}.json", cfg, console)
            stage_seconds[f"finetune_{arm}_seed{seed}"] = round(json.loads((ft_dir / "done.json").read_text(
                encoding="utf-8"))["seconds"], 1)
            stage_seconds[f"eval_{arm}_seed{seed}"] = per_seed[seed]["seconds"]
        tasks = list(next(iter(per_seed.values()))["tasks"])
        results[arm] = {
            "average": statistics.mean(r["average"] for r in per_seed.values()),
            "average_std": statistics.pstdev([r["average"] for r in per_seed.values()]),
            "tasks": {t: statistics.mean(r["tasks"][t]["score"] for r in per_seed.values()) for t in tasks},
            "per_seed": {str(s): r["average"] for s, r in per_seed.items()},
        }
        if setting is not None:
            results[arm]["pretrain_loss"] = pretrain_loss
            results[arm]["encoder_use"] = encoder_use
    weights = json.loads(weights_path.read_text(encoding="utf-8"))
    weights["span_target_unigram_entropy"] = _target_entropy(corpus, tok, cfg.input_len)
    return {"protocol": {**dataclasses.asdict(cfg), "tokenizer": str(tok), "corpus": str(corpus),
                         "split": "eval", "selection": "none (final fine-tuned weights)",
                         "this_run_seconds": round(time.perf_counter() - t0, 1), "trained_this_run": trained,
                         "stage_seconds": stage_seconds},
            "weights": weights, **results}


def ablation_markdown(res: dict) -> str:
    arms = [a for a in ARMS if a in res]
    tasks = list(res[arms[0]]["tasks"])
    p = res["protocol"]
    lines = [f"# Pre-training ablation (`{p['preset']}`, FinCUGE eval split, mean over seeds {list(p['seeds'])})", "",
             f"Pre-training: {p['pretrain_steps']} steps x {p['batch_size']} x {p['input_len']} tokens per arm "
             f"({p.get('pretrain_infill_rate', 0.0):.0%} of the corpus batches with the whole text as target, the "
             f"rest T5 span corruption; {p.get('pretrain_optimizer', 'adamw')} at lr {p.get('pretrain_lr', 2e-3):g}); "
             f"fine-tuning: {p['finetune_steps']} steps x {p['batch_size']}, final weights scored (no selection on "
             "eval).", "",
             "| arm | average | " + " | ".join(tasks) + " |", "|---|---|" + "---|" * len(tasks)]
    for a in arms:
        r = res[a]
        lines.append(f"| {a} | {r['average']:.2f} | " + " | ".join(f"{r['tasks'][t]:.2f}" for t in tasks) + " |")
    pre = [a for a in arms if res[a].get("pretrain_loss") is not None]
    if pre:
        lines += ["", "Pre-training loss at the end (span corruption, nats per target token; mean of the last 5 log "
                  "lines): " + ", ".join(f"{a} {res[a]['pretrain_loss']:.2f}" for a in pre)
                  + f"; a model that knows only the target tokens' unigram frequencies scores "
                  f"{res['weights']['span_target_unigram_entropy']:.2f}."]
        use = [a for a in pre if "encoder_use" in res[a]]
        if use:
            lines += ["", "How much the pre-trained decoder reads the encoder (span-corruption loss with another row's "
                      "input minus with its own, 64 rows; near 0 = it ignores the input): " + ", ".join(
                          f"{a} {res[a]['encoder_use']['other_row_input']:.2f} - "
                          f"{res[a]['encoder_use']['own_input']:.2f} = {res[a]['encoder_use']['gap']:+.2f}"
                          for a in use) + "."]
    base = res.get("scratch", {}).get("average")
    if base is not None:
        lines += ["", "Change of the average vs scratch: " + ", ".join(
            f"{a} {res[a]['average'] - base:+.2f}" for a in arms if a != "scratch")]
    secs = p.get("stage_seconds", {})
    if secs:
        lines += ["", "Seconds per stage (training / evaluation as each stage recorded them): "
                  + ", ".join(f"{k} {v:,.0f}" for k, v in secs.items())]
    w = res["weights"]["sources"]
    lines += ["", "Sampling weights (share of pre-training tokens):", "",
              "| source | size weight | similarity | similarity weight |", "|---|---|---|---|"]
    lines += [f"| {s} | {v['size_weight']:.3f} | {v['similarity']:.3f} | {v['similarity_weight']:.3f} |"
              for s, v in w.items()]
    return "\n".join(lines) + "\n"
