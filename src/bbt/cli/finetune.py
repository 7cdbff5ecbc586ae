"""`bbt finetune`: multi-task fine-tuning of the BBT model on FinCUGE (bbt.train.finetune)."""

from __future__ import annotations

from pathlib import Path

import typer

from bbt.cli.options import DataDir, Threads, set_threads


def finetune_command(
    out: Path = typer.Option(..., help="Output directory (best/, last/, log.jsonl)."),
    preset: str = typer.Option("mini", help="Model size from scratch: tiny | mini | base | large."),
    tasks: str = typer.Option("all", help="Comma-separated FinCUGE tasks, or all."),
    data_dir: DataDir = None,
    init: str = typer.Option(None, help="Start from this checkpoint (BBT or plain T5 dir / .tar.gz)."),
    tokenizer: str = typer.Option(None, help="Tokenizer dir (needed from scratch; default: the one in --init)."),
    steps: int = typer.Option(3000, help="Optimiser steps at most."),
    batch_size: int = typer.Option(32, help="Examples per step and process (one task per batch)."),
    grad_accum: int = typer.Option(1, help="Gradient accumulation steps."),
    optimizer: str = typer.Option("adafactor", help="adafactor (T5's own: updates scaled by each matrix's RMS) "
                                                    "| adamw."),
    lr: float = typer.Option(None, help="Peak learning rate (warm-up then cosine decay); default 1e-2 from scratch, "
                                        "1e-3 with --init."),
    max_input_len: int = typer.Option(256, help="Input tokens at most (longer inputs are truncated)."),
    time_budget: float = typer.Option(None, help="Stop after this many seconds of training."),
    eval_every: int = typer.Option(500, help="Evaluate on the eval split every N steps."),
    eval_limit: int = typer.Option(200, help="Eval rows per task during training."),
    train_limit: int = typer.Option(None, help="First N train rows per task (smoke runs)."),
    patience: int = typer.Option(4, help="Evaluations without improvement before stopping."),
    no_cls_heads: bool = typer.Option(False, help="Label tasks by generation only (no classification heads)."),
    seed: int = typer.Option(0, help="Random seed."),
    mixed_precision: str = typer.Option("auto", help="auto | no | bf16 | fp16."),
    threads: Threads = 0,
    resume: bool = typer.Option(False, help="Continue from OUT/last."),
) -> None:
    """Fine-tune one model on all FinCUGE tasks text-to-text with Source Prompts (+ classification heads)."""
    from rich.console import Console

    from bbt.settings import resolve_data_dir
    from bbt.train.finetune import FinetuneConfig, finetune

    set_threads(threads)
    names = () if tasks.strip() == "all" else tuple(t.strip() for t in tasks.split(",") if t.strip())
    cfg = FinetuneConfig(preset=preset, tasks=names, init=init, tokenizer=tokenizer, steps=steps,
                         batch_size=batch_size, grad_accum=grad_accum, optimizer=optimizer, lr=lr,
                         max_input_len=max_input_len,
                         time_budget_s=time_budget, eval_every=eval_every, eval_limit=eval_limit,
                         patience=patience, train_limit=train_limit, cls_heads=not no_cls_heads, seed=seed,
                         mixed_precision=mixed_precision)
    console = Console()
    result = finetune(cfg, resolve_data_dir(data_dir), out, resume=resume, console=console)
    best = result["best_eval_average"]
    score = f"best eval average {best:.2f} at step {result['best_step']}" if best > float("-inf") else "no evaluation"
    console.print(f"{score} ({result['steps']} steps, {result['seconds']:.0f} s); checkpoint: {out / 'best'}")
