"""`bbt pretrain`: span-corruption pre-training on a corpus (bbt.pretrain.loop).

Every PretrainConfig field is an option (bbt.cli.options.config_options) but the resume tests' crash switch
(stop_at); the command declares only the options that are not a field (--corpus, --out, ...).
"""

from __future__ import annotations

from pathlib import Path

import typer

from bbt.cli.options import TRAIN_HELP, DataDir, Threads, config_options, set_threads
from bbt.pretrain.loop import PretrainConfig

HELP = {
    **TRAIN_HELP,
    "tokenizer": "Tokenizer dir (needed from scratch).",
    "init": "Continue pre-training this checkpoint (BBT or plain T5).",
    "batch_size": "Sequences per step and process.",
    "optimizer": "adamw | adafactor (T5's: updates scaled by each matrix's RMS).",
    "lr": "Peak learning rate (warm-up then cosine).",
    "steps": "Optimiser steps (the learning-rate schedule spans these).",
    "save_every": "Checkpoint every N steps.",
    "weights": "Source sampling: size (proportional to characters) or a JSON file from `bbt corpus weights "
               "--report`.",
    "source_prompt": "Prefix every document with its source tag (【新闻】...).",
    "input_len": "Encoder tokens per packed sequence.",
    "noise_density": "Share of tokens masked by span corruption.",
    "mean_span": "Mean masked span length.",
    "infill_rate": "Share of corpus batches whose target is the whole text (BART text infilling) instead of the "
                   "masked spans.",
    "rtd_rate": "Share of corpus batches that train the encoder by replaced-token detection (ELECTRA: a small "
                "generator fills masked tokens, the encoder spots them); the rest stay span corruption.",
    "rtd_mask_rate": "Share of tokens the RTD generator fills.",
    "knowledge_rate": "Share of batches that are knowledge-triple masking.",
    "joint_rate": "Share of batches that are news + prices -> next open.",
    "dropout": "Dropout rate while pre-training (the saved config keeps the preset's).",
}


@config_options(PretrainConfig, HELP, skip=("stop_at",), defaults={"weights": "size"},
                names={"time_budget_s": ("--time-budget",), "warmup_steps": ("--warmup-steps", "--warmup")})
def pretrain_command(
    cfg: PretrainConfig,
    corpus: Path = typer.Option(..., help="Corpus directory of Parquet shards (`bbt corpus build-shared`)."),
    out: Path = typer.Option(..., help="Output directory (final/, last/, log.jsonl)."),
    data_dir: DataDir = None,
    threads: Threads = 0,
    resume: bool = typer.Option(False, help="Continue from OUT/last (same batches as an uninterrupted run)."),
) -> None:
    """Pre-train BBT with T5 span corruption over a source-weighted corpus stream."""
    from rich.console import Console

    from bbt.pretrain.loop import pretrain
    from bbt.settings import resolve_data_dir

    set_threads(threads)
    needs_data = cfg.knowledge_rate > 0 or cfg.joint_rate > 0
    console = Console()
    res = pretrain(cfg, corpus, out, resolve_data_dir(data_dir) if needs_data else None, resume=resume,
                   console=console)
    tps = res["tokens"] / max(res["seconds"], 1e-9)
    console.print(f"{res['steps']} steps, {res['tokens']:,} tokens in {res['seconds']:.0f} s ({tps:,.0f} tokens/s); "
                  f"checkpoint: {out / 'final'}")
