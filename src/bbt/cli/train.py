"""`bbt train ...`: classical baselines and other trainers."""

import typer

train_app = typer.Typer(no_args_is_help=True)
