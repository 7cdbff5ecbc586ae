"""`bbt corpus ...`: build a cleaned, deduplicated pre-training corpus."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from bbt.cli.options import DataDir, ShowProgress
from bbt.results import write_json, write_markdown

corpus_app = typer.Typer(no_args_is_help=True)


@corpus_app.callback()
def _corpus() -> None:
    """Pre-training corpus: ingest raw documents into cleaned, deduplicated Parquet shards."""
    # why: a callback keeps `ingest` a subcommand even while it is the only one


@corpus_app.command("ingest")
def ingest_command(
    src: list[Path] = typer.Argument(..., help="Input files or directories (.jsonl .csv .tsv .txt .html .pdf)."),
    source: str = typer.Option("other", "--source", help="Source type: announcement, report, news, forum, other."),
    out: Path = typer.Option(..., "--out", help="Output directory (Parquet shards + manifest.json)."),
    field: str = typer.Option("text", "--field", help="JSONL text field."),
    column: str = typer.Option("text", "--column", help="CSV/TSV text column."),
    date_field: str = typer.Option("date", "--date-field", help="JSONL field / CSV column with the date, if any."),
    code_field: str = typer.Option("code", "--code-field", help="JSONL field / CSV column with stock codes, if any."),
    per_line: bool = typer.Option(False, "--per-line", help="Plain text: one document per line, not per file."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Text encoding of the inputs."),
    min_chars: int = typer.Option(50, "--min-chars", help="Drop documents shorter than this after cleaning."),
    max_chars: int = typer.Option(200_000, "--max-chars", help="Drop documents longer than this."),
    min_cjk: float = typer.Option(0.3, "--min-cjk", help="Drop documents whose CJK share is below this."),
    near_threshold: float = typer.Option(0.8, "--near-threshold", help="MinHash Jaccard for near duplicates."),
    shard_size: int = typer.Option(10_000, "--shard-size", help="Documents per Parquet shard."),
    workers: int = typer.Option(0, "--workers", help="Processes for cleaning + MinHash (0 = min(2, CPUs))."),
    progress: ShowProgress = True,
    report: Path = typer.Option(None, "--report", help="Also write the counts and speed as JSON (+ .md) here."),
) -> None:
    """Read, clean and deduplicate documents into Parquet shards; re-runs skip finished files."""
    from bbt.corpus.clean import CleanConfig
    from bbt.corpus.ingest import IngestConfig, ingest
    from bbt.corpus.readers import ReadOptions

    cfg = IngestConfig(
        read=ReadOptions(source=source, field=field, column=column, date_field=date_field, code_field=code_field,
                         per_line=per_line, encoding=encoding),
        clean=CleanConfig(min_chars=min_chars, max_chars=max_chars, min_cjk=min_cjk),
        near_threshold=near_threshold, shard_size=shard_size)
    if workers:
        cfg.workers = workers
    started = time.perf_counter()
    manifest = ingest(src, out, cfg, progress=progress)
    _print_and_report(manifest, out, report, time.perf_counter() - started)


@corpus_app.command("build-shared")
def build_shared_command(
    out: Path = typer.Option(..., "--out", help="Output directory (Parquet shards + manifest.json)."),
    data_dir: DataDir = None,
    min_chars_news: int = typer.Option(50, "--min-chars-news", help="min_chars for news."),
    min_chars_forum: int = typer.Option(5, "--min-chars-forum", help="min_chars for forum posts (short)."),
    min_chars_announcement: int = typer.Option(50, "--min-chars-announcement", help="min_chars for announcements."),
    min_chars_other: int = typer.Option(20, "--min-chars-other", help="min_chars for other."),
    near_threshold: float = typer.Option(0.8, "--near-threshold", help="MinHash Jaccard for near duplicates."),
    shard_size: int = typer.Option(10_000, "--shard-size", help="Documents per Parquet shard."),
    progress: ShowProgress = True,
    report: Path = typer.Option(None, "--report", help="Also write the counts and speed as JSON (+ .md) here."),
) -> None:
    """Build the pre-training corpus from the shared data (news, forum, announcement, other); see docs/corpus.md."""
    from bbt.corpus.ingest import IngestConfig
    from bbt.corpus.shared import build_shared
    from bbt.settings import resolve_data_dir

    started = time.perf_counter()
    manifest = build_shared(
        resolve_data_dir(data_dir), out,
        min_chars={"news": min_chars_news, "forum": min_chars_forum, "announcement": min_chars_announcement,
                   "other": min_chars_other},
        base=IngestConfig(near_threshold=near_threshold, shard_size=shard_size), progress=progress)
    _print_and_report(manifest, out, report, time.perf_counter() - started)


def _print_and_report(manifest: dict, out: Path, report: Path | None, seconds: float) -> None:
    """The counts table (per source + total), skipped inputs, this run's speed; with `report`, the same as JSON
    + a markdown table there (e.g. results/), so the numbers are kept beside the others."""

    from rich.console import Console
    from rich.table import Table

    from bbt.corpus.ingest import COUNTERS, manifest_totals

    rows = [(name, [counts.get(k, 0) for k in COUNTERS]) for name, counts in manifest["counts"].items()]
    rows.append(("total", list(manifest_totals(manifest).values())))
    table = Table("source", *COUNTERS)
    for name, values in rows:
        table.add_row(name, *(f"{v:,}" for v in values))
    console = Console()
    console.print(table)
    for p in manifest["problems"][-10:]:
        console.print(f"[yellow]skipped[/] {p['file']}" + (f":{p['line']}" if p["line"] else "") + f" — {p['reason']}",
                      highlight=False)
    runs = manifest.get("runs", [])
    size = sum(p.stat().st_size for p in out.glob("shard-*.parquet"))
    line = (f"{len(manifest['shards'])} shards, {size / 1e6:.1f} MB in {out} ({seconds:.1f} s)"
            + (f"; last ingest call: {runs[-1]['input_bytes'] / 1e6:.2f} MB of input in {runs[-1]['seconds']} s"
               + (f" = {runs[-1]['mb_per_s']} MB/s" if runs[-1]["mb_per_s"] else "") if runs else ""))
    console.print(line, highlight=False)
    if report is None:
        return
    summary = {"out": str(out), "seconds": round(seconds, 1), "shards": len(manifest["shards"]),
               "shard_mb": round(size / 1e6, 2), "counts": dict(manifest["counts"]), "runs": runs,
               "problems": len(manifest["problems"])}
    write_json(report, summary)
    md = ["| source | " + " | ".join(COUNTERS) + " |", "|---|" + "---|" * len(COUNTERS)]
    md += [f"| {name} | " + " | ".join(f"{v:,}" for v in values) + " |" for name, values in rows]
    write_markdown(report.with_suffix(".md"), f"# Corpus `{out}`\n\n{line}\n\n" + "\n".join(md))


@corpus_app.command("weights")
def weights_command(
    corpus: Path = typer.Argument(..., help="Corpus directory (Parquet shards)."),
    data_dir: DataDir = None,
    temperature: float = typer.Option(0.1, help="softmax(similarity / temperature) gives the weights."),
    per_source: int = typer.Option(2000, help="Documents sampled per source for its TF-IDF centroid."),
    per_task: int = typer.Option(300, help="FinCUGE train texts sampled per task for the downstream centroid."),
    seed: int = typer.Option(0, help="Sampling seed."),
    report: Path = typer.Option(None, "--report", help="Write the table as JSON (+ .md); `bbt pretrain --weights` "
                                                       "reads this file."),
) -> None:
    """Per source: size, size-proportional weight, similarity to the FinCUGE train texts, similarity weight."""

    from rich.console import Console

    from bbt.pretrain.weights import weights_markdown, weights_table
    from bbt.settings import resolve_data_dir

    table = weights_table(corpus, resolve_data_dir(data_dir), temperature=temperature, per_source=per_source,
                          seed=seed, per_task=per_task)
    md = weights_markdown(table)
    Console().print(md)
    if report is not None:
        write_json(report, table)
        write_markdown(report.with_suffix(".md"), md)
