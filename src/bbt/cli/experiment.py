"""`bbt experiment ...`: multi-stage experiments that write one result table (bbt.bench.pretrain_ablation)."""

from __future__ import annotations

from pathlib import Path

import typer

from bbt.cli.options import DataDir, Threads, set_threads

experiment_app = typer.Typer(no_args_is_help=True)


@experiment_app.callback()
def _experiment() -> None:
    """Experiments that chain pre-training, fine-tuning and evaluation."""


@experiment_app.command("pretrain-ablation")
def pretrain_ablation(
    out: Path = typer.Option(Path("runs/pretrain_ablation"), help="Working directory (every stage cached here)."),
    report: Path = typer.Option(Path("results/pretrain_ablation.json"), help="Result JSON; a .md table beside it."),
    data_dir: DataDir = None,
    tokenizer: Path = typer.Option(None, help="Tokenizer dir (default: train one into OUT/tokenizer)."),
    corpus: Path = typer.Option(None, help="Corpus dir (default: `bbt corpus build-shared` into OUT/corpus)."),
    preset: str = typer.Option("mini", help="Model size."),
    pretrain_steps: int = typer.Option(500, help="Pre-training steps per pre-trained arm."),
    finetune_steps: int = typer.Option(1000, help="Fine-tuning steps per arm and seed."),
    batch_size: int = typer.Option(32, help="Batch size of both stages."),
    input_len: int = typer.Option(256, help="Pre-training sequence length (encoder tokens)."),
    pretrain_optimizer: str = typer.Option("adafactor", help="Pre-training optimiser: adafactor | adamw."),
    pretrain_lr: float = typer.Option(3e-2, help="Pre-training peak learning rate."),
    infill_rate: float = typer.Option(0.5, help="Share of pre-training corpus batches whose target is the whole "
                                      "text (BART infilling); 0 = T5 span corruption alone."),
    seeds: str = typer.Option("0", help="Comma-separated fine-tuning seeds."),
    arms: str = typer.Option("all", help="all, or comma-separated: scratch, pretrained, pretrained_ss, "
                                          "pretrained_ss_sp."),
    temperature: float = typer.Option(0.1, help="Similarity-weight temperature."),
    eval_limit: int = typer.Option(None, help="Eval rows per task (default: the full eval split)."),
    threads: Threads = 0,
) -> None:
    """(a) scratch, (b) pre-trained, (c) + similarity-weighted sampling, (d) + Source Prompt; FinCUGE eval."""

    from rich.console import Console

    from bbt.bench.pretrain_ablation import ARMS, AblationConfig, ablation_markdown, run_ablation
    from bbt.results import write_json, write_markdown
    from bbt.settings import resolve_data_dir

    set_threads(threads)
    arm_list = tuple(ARMS) if arms.strip() == "all" else tuple(a.strip() for a in arms.split(",") if a.strip())
    cfg = AblationConfig(preset=preset, pretrain_steps=pretrain_steps, finetune_steps=finetune_steps,
                         batch_size=batch_size, input_len=input_len, pretrain_infill_rate=infill_rate,
                         pretrain_optimizer=pretrain_optimizer, pretrain_lr=pretrain_lr,
                         temperature=temperature,
                         seeds=tuple(int(s) for s in seeds.split(",")), arms=arm_list, eval_limit=eval_limit)
    console = Console()
    res = run_ablation(cfg, resolve_data_dir(data_dir), out, tokenizer=tokenizer, corpus=corpus, console=console)
    write_json(report, res)
    md = ablation_markdown(res)
    write_markdown(report.with_suffix(".md"), md)
    console.print(md)
