"""`bbt ts bench`: the stock forecasting benchmark."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer
from rich.console import Console

from bbt.cli.options import DataDir, Threads, set_threads
from bbt.errors import BBTError


def bench(
    data_dir: DataDir = None,
    stocks: int = typer.Option(40, help="Number of stocks drawn (seeded) from those with >= 4200 days."),
    seeds: int = typer.Option(3, help="Training seeds per model (0..seeds-1)."),
    horizon: int = typer.Option(1, help="Days forecast from each window."),
    seq_len: int = typer.Option(30, help="Look-back window in trading days."),
    models: str = typer.Option(",".join(("naive_close", "naive_open", "gbm", "transformer", "dlinear", "bbt")),
                               help="Comma-separated models (gbm: the classical last-bar baseline)."),
    ablations: bool = typer.Option(False, help="Also run bbt_no_dwt, bbt_no_spatial, bbt_t2v, bbt_no_recent."),
    loss: str = typer.Option(None, help="Training loss for every model: mse | mae (both relative-weighted; "
                                        "default mae)."),
    batch_size: int = typer.Option(None, help="Mini-batch size (default 64)."),
    lr: float = typer.Option(None, help="Learning rate (default 1e-3)."),
    epochs: int = typer.Option(None, help="Max epochs per fit."),
    time_budget: float = typer.Option(None, help="Seconds per fit at most."),
    batches_per_epoch: int = typer.Option(None, help="Mini-batches per epoch (pooled data is large)."),
    sample_seed: int = typer.Option(0, help="Seed that draws the stocks."),
    threads: Threads = 0,
    plots: int = typer.Option(3, help="Stocks shown in the forecast PNG."),
    fresh: bool = typer.Option(False, help="Ignore cached runs of an earlier, interrupted call."),
    out: Path = typer.Option(Path("results/stock_bench.json"), help="JSON path; .md and .png written beside it."),
) -> None:
    """Forecast each stock's opening price over test days [4000, 4200) after training on days [0, 4000)."""

    from rich.markdown import Markdown

    from bbt.bench.stocks import ABLATIONS, StockBenchConfig, run_stock_benchmark
    from bbt.settings import resolve_data_dir

    set_threads(threads)
    names = tuple(m.strip() for m in models.split(",") if m.strip()) + (ABLATIONS if ablations else ())
    cfg = StockBenchConfig(n_stocks=stocks, seeds=tuple(range(seeds)), horizon=horizon, seq_len=seq_len,
                           models=names, sample_seed=sample_seed)
    if loss is not None and loss not in ("mse", "mae"):
        raise BBTError(f"--loss must be mse or mae, got {loss!r}")
    changes = {k: v for k, v in {"loss": loss, "epochs": epochs, "time_budget_s": time_budget, "lr": lr,
                                 "batch_size": batch_size, "max_batches_per_epoch": batches_per_epoch}.items()
               if v is not None}
    cfg.train = dataclasses.replace(cfg.train, **changes)
    console = Console()
    out.parent.mkdir(parents=True, exist_ok=True)
    run_stock_benchmark(resolve_data_dir(data_dir), cfg, out, fresh=fresh, n_plots=plots, console=console)
    console.print(Markdown(out.with_suffix(".md").read_text(encoding="utf-8")))
    console.print(f"wrote {out}, {out.with_suffix('.md')}, {out.with_suffix('.png')}")
