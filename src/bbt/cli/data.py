"""`bbt data ...`."""

import typer

data_app = typer.Typer(no_args_is_help=True)
