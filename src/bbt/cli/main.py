"""The `bbt` command. The CLI only wires: each command parses options and calls a library function."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from bbt.cli.bench import bench_app
from bbt.cli.bundle import bundle_app
from bbt.cli.commentary import commentary_command
from bbt.cli.corpus import corpus_app
from bbt.cli.data import data_app
from bbt.cli.eval import eval_app
from bbt.cli.experiment import experiment_app
from bbt.cli.extract import extract_app
from bbt.cli.finetune import finetune_command
from bbt.cli.keys import keys_app
from bbt.cli.kg import kg_app
from bbt.cli.ner import ner_app
from bbt.cli.pretrain import pretrain_command
from bbt.cli.serve import serve_command
from bbt.cli.tokenizer import tokenizer_app
from bbt.cli.train import train_app
from bbt.cli.ts import ts_app
from bbt.errors import BBTError

app = typer.Typer(help="BBT 乾元: financial text + time-series models and benchmarks.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(data_app, name="data", help="Market data: validate, inspect, fetch.")
app.add_typer(ts_app, name="ts", help="Time series: decompositions, forecasters, benchmarks.")
app.add_typer(tokenizer_app, name="tokenizer", help="SentencePiece tokenizers for the BBT model.")
app.add_typer(eval_app, name="eval", help="Evaluation harnesses (FinCUGE).")
app.add_typer(train_app, name="train", help="Classical baselines.")
app.command("finetune")(finetune_command)
app.command("pretrain")(pretrain_command)
app.add_typer(bundle_app, name="bundle", help="The model bundle behind the API: build, show.")
app.add_typer(kg_app, name="kg", help="Company knowledge graph (SQLite): build, show, search.")
app.add_typer(ner_app, name="ner", help="Named entities (weak-label NER): train, tag.")
app.add_typer(extract_app, name="extract", help="Event, causal and announcement extraction.")
app.add_typer(corpus_app, name="corpus", help="Pre-training corpus: ingest, clean, dedup into Parquet shards.")
app.add_typer(keys_app, name="keys", help="API keys of the service: create, list, revoke.")
app.command("serve")(serve_command)
app.command("commentary")(commentary_command)
app.add_typer(bench_app, name="bench", help="Benchmarks: the API service, pre-training throughput.")
app.add_typer(experiment_app, name="experiment", help="Experiments: the pre-training ablation.")

err_console = Console(stderr=True)


def main() -> None:
    try:
        app()
    except BBTError as e:
        err_console.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
