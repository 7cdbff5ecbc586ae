"""`bbt bench ...`: service benchmarks and the benchmarks page (model benchmarks live under `bbt ts` and `bbt eval`)."""

from __future__ import annotations

from pathlib import Path

import typer

from bbt.cli.options import DataDir, Threads

bench_app = typer.Typer(no_args_is_help=True)


@bench_app.command("api")
def api(
    bundle: Path = typer.Option(None, help="Bundle to serve (default: the default bundle; build it first)."),
    data_dir: DataDir = None,
    out: Path = typer.Option(Path("results/api_bench.json"), help="JSON result; a .md table is written beside it."),
    load_seconds: float = typer.Option(60.0, help="Length of the mixed load run."),
    fuzz: bool = typer.Option(True, help="Run schemathesis against the OpenAPI schema."),
    fuzz_examples: int = typer.Option(100, help="schemathesis examples per operation."),
) -> None:
    """Throughput, p99 latency, memory, a bounded mixed load run and a schemathesis run against `bbt serve`."""
    from rich.console import Console

    from bbt.bench.api import ApiBenchConfig, run_api_bench
    from bbt.bundle.manifest import MANIFEST
    from bbt.errors import BBTError
    from bbt.serve.settings import default_bundle_dir
    from bbt.settings import resolve_data_dir

    root = bundle or default_bundle_dir()
    if not (root / MANIFEST).is_file():
        raise BBTError(f"no bundle at {root}; build it with `bbt bundle build --out {root}`")
    console = Console()
    run_api_bench(root, resolve_data_dir(data_dir), out,
                      ApiBenchConfig(seconds_load=load_seconds, fuzz=fuzz, fuzz_examples=fuzz_examples), console)
    console.print(out.with_suffix(".md").read_text(encoding="utf-8"))


@bench_app.command("pretrain-throughput")
def pretrain_throughput(
    corpus: Path = typer.Option(..., help="Corpus directory (Parquet shards) the pipeline streams from."),
    tokenizer: str = typer.Option(..., help="Tokenizer dir (sets the vocabulary size of both loops)."),
    preset: str = typer.Option("mini", help="Model shape."),
    batch_size: int = typer.Option(32, help="Sequences per step."),
    input_len: int = typer.Option(256, help="Encoder tokens per sequence."),
    steps: int = typer.Option(20, help="Timed steps per run."),
    warmup: int = typer.Option(3, help="Untimed steps at the start of each run."),
    repeats: int = typer.Option(2, help="Alternating runs of each loop (the median is reported)."),
    threads: Threads = 0,
    out: Path = typer.Option(Path("results/pretrain_throughput.json"), help="JSON result; a .md beside it."),
) -> None:
    """tokens/s of `bbt pretrain` vs a bare `transformers` T5 loop of the same shape and batch."""

    from rich.console import Console

    from bbt.bench.pretrain_throughput import markdown, run
    from bbt.results import write_json, write_markdown

    res = run(corpus, tokenizer, preset, batch_size, input_len, steps, warmup, repeats, threads or None)
    write_json(out, res)
    write_markdown(out.with_suffix(".md"), markdown(res))
    Console().print(markdown(res))


@bench_app.command("docs")
def docs(root: Path = typer.Option(Path("."), help="Repository root (holds docs/ and results/).")) -> None:
    """Regenerate docs/benchmarks.md from docs/benchmarks.template.md and the results/*.md files it includes."""
    from bbt.bench.docs import write_benchmarks

    typer.echo(f"wrote {write_benchmarks(root)}")


@bench_app.command("head-ceiling")
def head_ceiling(
    tokenizers: list[Path] = typer.Argument(..., help="Tokenizer directories to compare."),
    data_dir: DataDir = None,
    limit: int = typer.Option(3000, help="Train rows per task."),
    max_len: int = typer.Option(256, help="Input tokens kept (as in fine-tuning)."),
    out: Path = typer.Option(Path("results/head_ceiling.json"), help="JSON result; a .md beside it."),
) -> None:
    """Share of gold span / NER answers a perfect head could return in whole tokens, per tokenizer (train split)."""
    from rich.console import Console

    from bbt.bench.head_ceiling import run
    from bbt.settings import resolve_data_dir

    run(tokenizers, resolve_data_dir(data_dir), out, limit, max_len)
    Console().print(out.with_suffix(".md").read_text(encoding="utf-8"))


@bench_app.command("finner-crf")
def finner_crf(
    data_dir: DataDir = None,
    limit: int = typer.Option(None, help="Only the first N rows of each list (default: all)."),
    max_iterations: int = typer.Option(150, help="CRF L-BFGS iterations."),
    workers: int = typer.Option(2, help="Variants fitted at once (CRFsuite uses one core each)."),
    out: Path = typer.Option(Path("results/finner_crf.json"), help="JSON result; a .md beside it."),
) -> None:
    """The FinNER CRF's feature variants, each fitted on train and scored on eval."""
    from rich.console import Console

    from bbt.bench.finner_crf import run
    from bbt.settings import resolve_data_dir

    run(resolve_data_dir(data_dir), out, limit, max_iterations, workers)
    Console().print(out.with_suffix(".md").read_text(encoding="utf-8"))


@bench_app.command("text-series")
def text_series(
    data_dir: DataDir = None,
    seed: int = typer.Option(0, help="Seed of the placebo shuffles and the bootstrap."),
    draws: int = typer.Option(2000, help="Day-clustered bootstrap draws."),
    out: Path = typer.Option(Path("results/text_series.json"), help="JSON result; a .md beside it."),
) -> None:
    """Does text help the series? Next-day open on news days: series alone vs text + series, with intervals."""
    from rich.console import Console

    from bbt.bench.text_series import run
    from bbt.settings import resolve_data_dir

    run(resolve_data_dir(data_dir), out, seed, draws)
    Console().print(out.with_suffix(".md").read_text(encoding="utf-8"))
