"""`bbt bundle ...`: build and inspect the model bundle behind the API."""

from __future__ import annotations

from pathlib import Path

import typer

from bbt.bundle.manifest import BBT_LEXICAL
from bbt.cli.options import DataDir, ShowProgress

bundle_app = typer.Typer(no_args_is_help=True)


def print_manifest(m: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    from bbt.bundle.manifest import manifest_rows

    table = Table("capability", "model", "score", "what the score is")
    for row in manifest_rows(m):
        table.add_row(*row)
    console = Console()
    console.print(table)
    if m.get("bbt_note"):
        console.print(m["bbt_note"])


def parse_pins(pins: list[str]) -> dict[str, str]:
    from bbt.errors import BBTError

    out = {}
    for p in pins:
        cap, sep, kind = p.partition("=")
        if not sep:
            raise BBTError(f"--pin {p!r}: expected CAPABILITY=bbt|classical, e.g. forum_sentiment=bbt")
        out[cap.strip()] = kind.strip()
    return out


@bundle_app.command("build")
def build(
    out: Path = typer.Option(None, help="Bundle directory (default: the service's default bundle, "
                                        "~/.cache/bbt/bundle or BBT_CACHE_DIR/bundle)."),
    data_dir: DataDir = None,
    bbt: list[Path] = typer.Option([], "--bbt", help="A BBT checkpoint to compete per capability (repeatable)."),
    force: bool = typer.Option(False, help="Rebuild every step, ignoring what is cached."),
    bbt_train: bool = typer.Option(False, "--bbt-train", help="Also fine-tune the BBT mini model as a bundle step "
                                   "(resumable) and let it compete per capability."),
    bbt_train_minutes: float = typer.Option(55.0, help="--bbt-train: time budget of the fine-tuning."),
    bbt_pretrain_minutes: float = typer.Option(20.0, help="--bbt-train: replaced-token-detection pre-training on "
                                               "the shared corpus before the fine-tune (0: fine-tune from scratch)."),
    bbt_lexical: str = typer.Option(BBT_LEXICAL,
                                    help="--bbt-train: tasks whose heads fuse the lexical channel (\"\" for none)."),
    pin: list[str] = typer.Option([], "--pin", help="CAPABILITY=bbt|classical: serve that kind for the capability "
                                  "whatever the eval split says (repeatable; marked in the manifest)."),
    progress: ShowProgress = True,
    report: Path = typer.Option(Path("results/bundle.json"), help="Copy of the manifest (+ a .md table beside it)."),
) -> None:
    """Train the default CPU bundle from the shared data (cached: a finished step is not redone)."""
    from bbt.bundle.build import build_bundle
    from bbt.serve.settings import default_bundle_dir
    from bbt.settings import resolve_data_dir

    m = build_bundle(resolve_data_dir(data_dir), out or default_bundle_dir(), bbt_candidates=bbt, force=force,
                     progress=progress, bbt_train_seconds=60 * bbt_train_minutes if bbt_train else 0,
                     bbt_lexical=bbt_lexical, bbt_pretrain_seconds=60 * bbt_pretrain_minutes,
                     pins=parse_pins(pin))
    print_manifest(m)

    from bbt.bundle.manifest import manifest_markdown
    from bbt.results import write_json, write_markdown

    write_json(report, m)
    write_markdown(report.with_suffix(".md"), manifest_markdown(m))
    typer.echo(f"bundle: {out or default_bundle_dir()} (steps took {m['build_seconds_total']} s in all; "
               f"this run {m['last_run_seconds']} s)")


@bundle_app.command("show")
def show(path: Path = typer.Argument(None, help="Bundle directory (default: the default bundle).")) -> None:
    """The capabilities of a bundle, the model behind each and its measured score."""
    from bbt.bundle.manifest import read_manifest
    from bbt.serve.settings import default_bundle_dir

    print_manifest(read_manifest(path or default_bundle_dir()))
