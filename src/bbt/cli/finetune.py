"""`bbt finetune`: multi-task fine-tuning of the BBT model on FinCUGE (bbt.train.finetune).

Every FinetuneConfig field is an option (bbt.cli.options.config_options); the command declares only the options
that are not a field as they are (--out, --tasks as a string, ...).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer

from bbt.cli.options import TRAIN_HELP, DataDir, Threads, config_options, set_threads
from bbt.train.finetune import FinetuneConfig

HELP = {
    **TRAIN_HELP,
    "tokenizer": "Tokenizer dir (needed from scratch; default: the one in --init).",
    "init": "Start from this checkpoint (BBT or plain T5 dir / .tar.gz).",
    "batch_size": "Examples per step and process (one task per batch).",
    "optimizer": "adafactor (T5's own: updates scaled by each matrix's RMS) | adamw.",
    "lr": "Peak learning rate (warm-up then cosine decay); default 1e-2 from scratch, 1e-3 with --init.",
    "steps": "Optimiser steps at most.",
    "save_every": "Checkpoint every N steps when --eval-every is 0.",
    "max_input_len": "Input tokens at most (longer inputs are truncated).",
    "train_limit": "First N train rows per task (smoke runs).",
    "mix_cap": "Rows counted per task for the mixing weights (examples-proportional with a cap).",
    "cls_heads": "Classification heads for the label tasks (--no-cls-heads: label tasks by generation only).",
    "task_heads": "Task-shaped heads: span pointers (finese, finqa, fincqa, finnsp), CRF tagger (finner), "
                  "entity-marked relation head (finre); --no-task-heads: those tasks by generation only.",
    "attention_dropout": "Dropout on attention probabilities while training (hidden-state dropout stays the "
                         "config's); 0 is about a quarter faster per long step on CPU.",
    "lexical": "Tasks whose heads fuse character n-gram TF-IDF features (e.g. finfe,finne,finnl,finre,finnsp); "
               "empty = neural only.",
    "lexical_features": "N-gram features the lexical channel keeps (most frequent in the train texts).",
    "eval_every": "Evaluate on the eval split every N steps (0: never; best/ = the latest weights).",
    "eval_limit": "Eval rows per task during training.",
    "patience": "Evaluations without improvement before stopping.",
}


@config_options(FinetuneConfig, HELP, names={"time_budget_s": ("--time-budget",)})
def finetune_command(
    cfg: FinetuneConfig,
    out: Path = typer.Option(..., help="Output directory (best/, last/, log.jsonl)."),
    tasks: str = typer.Option("all", help="Comma-separated FinCUGE tasks, or all."),
    data_dir: DataDir = None,
    threads: Threads = 0,
    resume: bool = typer.Option(False, help="Continue from OUT/last."),
) -> None:
    """Fine-tune one model on all FinCUGE tasks text-to-text with Source Prompts (+ classification heads)."""
    from rich.console import Console

    from bbt.settings import resolve_data_dir
    from bbt.train.finetune import finetune

    set_threads(threads)
    names = () if tasks.strip() == "all" else tuple(t.strip() for t in tasks.split(",") if t.strip())
    cfg = dataclasses.replace(cfg, tasks=names)
    console = Console()
    result = finetune(cfg, resolve_data_dir(data_dir), out, resume=resume, console=console)
    best = result["best_eval_average"]
    score = f"best eval average {best:.2f} at step {result['best_step']}" if best > float("-inf") else "no evaluation"
    console.print(f"{score} ({result['steps']} steps, {result['seconds']:.0f} s); checkpoint: {out / 'best'}")
