"""`bbt pretrain`: span-corruption pre-training on a corpus (bbt.pretrain.loop)."""

from __future__ import annotations

from pathlib import Path

import typer

from bbt.cli.options import DataDir, Threads, set_threads


def pretrain_command(
    corpus: Path = typer.Option(..., help="Corpus directory of Parquet shards (`bbt corpus build-shared`)."),
    out: Path = typer.Option(..., help="Output directory (final/, last/, log.jsonl)."),
    preset: str = typer.Option("mini", help="Model size from scratch: tiny | mini | base | large."),
    tokenizer: str = typer.Option(None, help="Tokenizer dir (needed from scratch)."),
    init: str = typer.Option(None, help="Continue pre-training this checkpoint (BBT or plain T5)."),
    weights: str = typer.Option("size", help="Source sampling: size (proportional to characters) or a JSON "
                                             "file from `bbt corpus weights --report`."),
    source_prompt: bool = typer.Option(True, "--source-prompt/--no-source-prompt",
                                       help="Prefix every document with its source tag (【新闻】...)."),
    steps: int = typer.Option(1000, help="Optimiser steps (the learning-rate schedule spans these)."),
    batch_size: int = typer.Option(32, help="Sequences per step and process."),
    grad_accum: int = typer.Option(1, help="Gradient accumulation steps."),
    input_len: int = typer.Option(256, help="Encoder tokens per packed sequence."),
    optimizer: str = typer.Option("adamw", help="adamw | adafactor (T5's: updates scaled by each matrix's RMS)."),
    lr: float = typer.Option(2e-3, help="Peak learning rate (warm-up then cosine)."),
    warmup: int = typer.Option(100, help="Warm-up steps."),
    noise_density: float = typer.Option(0.15, help="Share of tokens masked by span corruption."),
    mean_span: float = typer.Option(3.0, help="Mean masked span length."),
    infill_rate: float = typer.Option(0.0, help="Share of corpus batches whose target is the whole text (BART "
                                      "text infilling) instead of the masked spans."),
    knowledge_rate: float = typer.Option(0.0, help="Share of batches that are knowledge-triple masking."),
    joint_rate: float = typer.Option(0.0, help="Share of batches that are news + prices -> next open."),
    data_dir: DataDir = None,
    time_budget: float = typer.Option(None, help="Stop after this many seconds of training."),
    save_every: int = typer.Option(200, help="Checkpoint every N steps."),
    log_every: int = typer.Option(10, help="Log every N steps."),
    seed: int = typer.Option(0, help="Random seed."),
    mixed_precision: str = typer.Option("auto", help="auto | no | bf16 | fp16."),
    threads: Threads = 0,
    resume: bool = typer.Option(False, help="Continue from OUT/last (same batches as an uninterrupted run)."),
) -> None:
    """Pre-train BBT with T5 span corruption over a source-weighted corpus stream."""
    from rich.console import Console

    from bbt.pretrain.loop import PretrainConfig, pretrain
    from bbt.settings import resolve_data_dir

    set_threads(threads)
    cfg = PretrainConfig(preset=preset, tokenizer=tokenizer, init=init, weights=weights, source_prompt=source_prompt,
                         input_len=input_len, noise_density=noise_density, mean_span=mean_span,
                         infill_rate=infill_rate, knowledge_rate=knowledge_rate, joint_rate=joint_rate, batch_size=batch_size,
                         grad_accum=grad_accum, optimizer=optimizer, lr=lr, warmup_steps=warmup, steps=steps,
                         time_budget_s=time_budget,
                         log_every=log_every, save_every=save_every, seed=seed, mixed_precision=mixed_precision)
    needs_data = knowledge_rate > 0 or joint_rate > 0
    console = Console()
    res = pretrain(cfg, corpus, out, resolve_data_dir(data_dir) if needs_data else None, resume=resume,
                   console=console)
    tps = res["tokens"] / max(res["seconds"], 1e-9)
    console.print(f"{res['steps']} steps, {res['tokens']:,} tokens in {res['seconds']:.0f} s ({tps:,.0f} tokens/s); "
                  f"checkpoint: {out / 'final'}")
