"""`bbt ts ...`: each command lives in its own module and registers itself on ts_app."""

import typer

ts_app = typer.Typer(no_args_is_help=True)

# Registration by import (keeps one small file per command).
from bbt.cli import ts_bench, ts_decompose, ts_ltsf  # noqa: E402,F401
