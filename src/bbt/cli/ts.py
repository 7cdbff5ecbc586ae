"""`bbt ts ...`: one small module per command; registered here, explicitly."""

import typer

from bbt.cli.commentary import facts_command
from bbt.cli.ts_bench import bench
from bbt.cli.ts_decompose import decompose_cmd
from bbt.cli.ts_ltsf import bench_ltsf, search_report

ts_app = typer.Typer(no_args_is_help=True)
ts_app.command("bench")(bench)
ts_app.command("decompose")(decompose_cmd)
ts_app.command("facts")(facts_command)
ts_app.command("bench-ltsf")(bench_ltsf)
ts_app.command("search-report")(search_report)
