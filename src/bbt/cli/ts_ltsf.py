"""`bbt ts bench-ltsf`: the long-term forecasting benchmark (ETTh1 and other ETT-style CSVs)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bbt.cli.options import DataDir, Threads, set_threads
from bbt.errors import BBTError


def _int_list(text: str, what: str) -> tuple[int, ...]:
    try:
        vals = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise BBTError(f"--{what} must be comma-separated integers, got {text!r}") from None
    if not vals or min(vals) <= 0:
        raise BBTError(f"--{what} must list positive integers, got {text!r}")
    return vals


def _parse_sets(items: list[str]) -> tuple[dict, dict]:
    """NAME.FIELD=VALUE (model setting) or NAME.train.FIELD=VALUE (training setting); VALUE is JSON or text."""
    model: dict[str, dict] = {}
    train: dict[str, dict] = {}
    for item in items:
        lhs, sep, rhs = item.partition("=")
        parts = lhs.strip().split(".")
        if not sep or len(parts) not in (2, 3) or (len(parts) == 3 and parts[1] != "train"):
            raise BBTError(f"--set expects NAME.FIELD=VALUE or NAME.train.FIELD=VALUE, got {item!r}")
        try:
            value = json.loads(rhs)
        except json.JSONDecodeError:
            value = rhs
        if isinstance(value, list):
            value = tuple(value)
        (train if len(parts) == 3 else model).setdefault(parts[0], {})[parts[-1]] = value
    return model, train


def _parse_members(text: str, names: tuple[str, ...]) -> dict[str, int]:
    """'5' -> every model 5; 'bbt=5,dlinear=3' -> those models (the others 1)."""
    try:
        if "=" not in text:
            return {n: int(text) for n in names}
        pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
        return {name.strip(): int(k) for name, k in pairs}
    except ValueError:
        raise BBTError(f"--members expects K or NAME=K,..., got {text!r}") from None


def bench_ltsf(
    csv: Path = typer.Option(None, help="ETT-style CSV (date + numeric columns). Default: <data dir>/ltsf/ETTh1.csv."),
    data_dir: DataDir = None,
    seq_len: int = typer.Option(96, help="Look-back window L (rows)."),
    horizons: str = typer.Option("96,192,336,720", help="Comma-separated horizons H."),
    models: str = typer.Option("naive,dlinear,transformer,bbt", help="Comma-separated models."),
    ablations: bool = typer.Option(False, help="Also run bbt_no_dwt, bbt_no_spatial, bbt_t2v."),
    seeds: int = typer.Option(1, help="Training seeds per model (0..seeds-1); mean ± std when > 1."),
    epochs: int = typer.Option(None, help="Max epochs per fit (default 10, early stopping on validation)."),
    batch_size: int = typer.Option(None, help="Mini-batch size for every model (default per model, 32)."),
    lr: float = typer.Option(None, help="Learning rate for every model (default per model)."),
    time_budget: float = typer.Option(540.0, help="Seconds per fit at most, checked after each epoch (0 = none)."),
    features: str = typer.Option("M", help="M: all columns -> all columns (the standard); S: target column only."),
    target: str = typer.Option("OT", help="Target column for --features S."),
    freq: str = typer.Option(None, help="h (hourly) | m (15 min) | d; default: detected from the dates."),
    split: str = typer.Option("auto", help="ett (12/4/4 months) | ratio (70/10/20 %) | auto (ett for ETT* files)."),
    set_: list[str] = typer.Option([], "--set", help="Override: NAME.FIELD=VALUE (model) or NAME.train.FIELD=VALUE "
                                                     "(training), e.g. --set bbt.d_model=64. Repeatable."),
    members: str = typer.Option(None, help="Ensemble members per run: K for every trainable model, or NAME=K,... "
                                           "(default: bbt's setting in bbt.bench.ltsf.LTSF_MEMBERS, others 1)."),
    threads: Threads = 0,
    fresh: bool = typer.Option(False, help="Ignore cached runs of an earlier, interrupted call."),
    out: Path = typer.Option(Path("results/ltsf_etth1.json"), help="JSON path; the .md table is written beside it."),
) -> None:
    """Train and test each model on the standard LTSF split (ETTh1: 12/4/4 months), scaled with training rows."""
    from rich.console import Console
    from rich.markdown import Markdown

    from bbt.bench.ltsf import ABLATIONS, LTSFConfig, run_ltsf_benchmark
    from bbt.settings import resolve_data_dir

    set_threads(threads)
    if csv is None:
        csv = resolve_data_dir(data_dir) / "ltsf" / "ETTh1.csv"
    if features not in ("M", "S"):
        raise BBTError(f"--features must be M or S, got {features!r}")
    if freq is not None and freq not in ("h", "m", "d"):
        raise BBTError(f"--freq must be h, m or d, got {freq!r}")
    if seeds < 1:
        raise BBTError("--seeds must be at least 1")
    names = tuple(m.strip() for m in models.split(",") if m.strip())
    if ablations:
        names += tuple(a for a in ABLATIONS if a not in names)
    model_sets, train_sets = _parse_sets(set_)
    cfg = LTSFConfig(csv=csv, seq_len=seq_len, horizons=_int_list(horizons, "horizons"), models=names,
                     seeds=tuple(range(seeds)), features=features, target=target, freq=freq, split=split)
    for name, changes in model_sets.items():
        cfg.model_overrides.setdefault(name, {}).update(changes)
    cfg.train_sets = train_sets
    if members is not None:
        cfg.members = _parse_members(members, names)
    cfg.global_train = {k: v for k, v in {"epochs": epochs, "batch_size": batch_size, "lr": lr}.items()
                        if v is not None}
    cfg.global_train["time_budget_s"] = time_budget if time_budget > 0 else None
    console = Console()
    run_ltsf_benchmark(cfg, out, fresh=fresh, console=console)
    console.print(Markdown(out.with_suffix(".md").read_text(encoding="utf-8")))
    console.print(f"wrote {out}, {out.with_suffix('.md')}")


def search_report(folder: Path = typer.Argument(..., help="Folder of bench-ltsf JSON results, one setting each.")) -> None:
    """One table (summary.json + summary.md) over several bench-ltsf runs: val and test MSE side by side."""
    from rich.console import Console
    from rich.markdown import Markdown

    from bbt.bench.ltsf import search_report as build

    build(folder)
    Console().print(Markdown((folder / "summary.md").read_text(encoding="utf-8")))
