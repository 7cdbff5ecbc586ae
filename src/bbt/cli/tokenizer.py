"""`bbt tokenizer ...`: train and inspect SentencePiece tokenizers (bbt.text)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bbt.cli.options import DataDir

tokenizer_app = typer.Typer(no_args_is_help=True)


def _print_stats(console: Console, title: str, rows: list[tuple[str, object]]) -> None:
    """One table row per (name, TokenizerStats)."""
    table = Table(title=f"{title}: tok/char, <unk> tokens, byte-fallback pieces, chars in no piece, "
                  "texts whose round trip differs")
    table.add_column("")
    for col in ("texts", "chars", "tok/char", "unk", "bytes", "no piece", "rt diff"):
        table.add_column(col, justify="right")
    for name, s in rows:
        table.add_row(name, f"{s.texts:,}", f"{s.chars:,}", f"{s.tokens_per_char:.3f}", f"{s.unk_tokens:,}",
                      f"{s.byte_tokens:,}", f"{s.oov_char_rate:.3%}", f"{s.roundtrip_failures:,}")
    console.print(table)
    for _, s in rows:
        for ex in s.failure_examples[:2]:
            console.print(f"  round trip differs: {escape(repr(ex[:80]))}")


@tokenizer_app.command("train")
def train(
    corpus: list[Path] = typer.Option(None, "--corpus", help="Corpus files (repeatable): .txt (a document per "
                                      "line), .jsonl, .csv/.tsv, FinCUGE *_list.json."),
    files: list[Path] = typer.Argument(None, help="More corpus files, as positional arguments."),
    vocab_size: int = typer.Option(8000, help="SentencePiece vocabulary; 100 sentinels come on top (8k suits "
                                   "the CPU mini model; see bbt.text.tokenizer)."),
    out: Path = typer.Option(..., help="Output directory (spiece.model, tokenizer.json, ...)."),
    shared: bool = typer.Option(False, "--shared", help="Add the default corpus from the shared data "
                                "(FinCUGE train lists + text/; see bbt.text.corpus_text)."),
    data_dir: DataDir = None,
    column: str = typer.Option(None, help="JSONL field / CSV column holding the text of the given files."),
    character_coverage: float = typer.Option(0.9995, help="Share of characters given their own piece "
                                             "(0.98..1); the rest fall back to bytes."),
    byte_fallback: bool = typer.Option(True, help="Encode uncovered characters as UTF-8 bytes, not <unk>."),
    newline_tokens: bool = typer.Option(True, help="Map \\n/\\t to [newline]/[tab] (BBT-2 convention)."),
    max_piece_length: int = typer.Option(16, help="Longest piece in characters; 1 = a character tokenizer "
                                         "(vocab-size is then an upper bound)."),
    input_sentence_size: int = typer.Option(2_000_000, help="Lines sampled for training at most."),
    threads: int = typer.Option(1, help="SentencePiece trainer threads."),
    seed: int = typer.Option(0, help="Seed for SentencePiece's sampling."),
    overwrite: bool = typer.Option(False, help="Replace a non-empty --out directory."),
) -> None:
    """Train a unigram SentencePiece tokenizer in T5 conventions (pad 0, eos 1, unk 2, <extra_id_*>)."""
    from bbt.settings import resolve_data_dir
    from bbt.text.corpus_text import CorpusSource, fincuge_texts, is_fincuge_heldout, shared_corpus_sources
    from bbt.text.tokenizer import TokenizerTrainConfig, load_tokenizer, tokenizer_stats, train_tokenizer

    console = Console()
    paths = list(corpus or []) + list(files or [])
    sources = [CorpusSource(p, column=column) for p in paths]
    for p in paths:
        if is_fincuge_heldout(p):
            console.print(f"[yellow]warning:[/] {escape(str(p))} is a FinCUGE eval/problem list: a tokenizer "
                          "trained on it has seen the benchmark's text")
    root = None
    if shared or data_dir is not None:
        root = resolve_data_dir(data_dir)
        sources += shared_corpus_sources(root)
    cfg = TokenizerTrainConfig(vocab_size=vocab_size, character_coverage=character_coverage,
                               byte_fallback=byte_fallback, newline_tokens=newline_tokens,
                               max_piece_length=max_piece_length,
                               input_sentence_size=input_sentence_size, num_threads=threads, seed=seed)
    r = train_tokenizer(sources, out, cfg, overwrite=overwrite, console=console)
    console.print(f"trained on {r.files} files, {r.documents:,} documents, {r.lines:,} unique lines, "
                  f"{r.chars:,} characters in {r.seconds:.1f} s; vocabulary {r.vocab_size:,} "
                  f"(incl. 100 sentinels) -> {escape(str(r.out_dir))}")
    if root is not None:
        _print_stats(console, "FinCUGE eval texts",
                     [("all tasks", tokenizer_stats(load_tokenizer(out), fincuge_texts(root)))])


@tokenizer_app.command("show")
def show(
    path: Path = typer.Argument(..., help="Tokenizer directory (or a SentencePiece .model file)."),
    text: str = typer.Option(..., "--text", help="Text to encode; \\n in it is a newline."),
) -> None:
    """Print the pieces and ids of TEXT, and the decoded round trip."""
    from bbt.text.tokenizer import load_tokenizer

    console = Console()
    tok = load_tokenizer(path)
    text = text.replace("\\n", "\n").replace("\\t", "\t")
    ids = tok(text)["input_ids"]
    table = Table(title=f"{len(ids)} tokens, vocabulary {len(tok):,}")
    table.add_column("id", justify="right")
    table.add_column("piece")
    for i, piece in zip(ids, tok.convert_ids_to_tokens(ids)):
        table.add_row(str(i), escape(piece))
    console.print(table)
    back = tok.decode(ids, skip_special_tokens=True)
    console.print(f"decoded: {escape(back)!r}  ({'same' if back == text else 'DIFFERS'})")


@tokenizer_app.command("stats")
def stats(
    path: Path = typer.Argument(..., help="Tokenizer directory."),
    data_dir: DataDir = None,
    split: str = typer.Option("eval", help="FinCUGE split measured: eval (default), train or problem."),
) -> None:
    """Tokens per character, <unk>/byte-fallback rates and exact round trips on FinCUGE texts, per task."""
    from bbt.settings import resolve_data_dir
    from bbt.text.corpus_text import FINCUGE_TEXT_FIELDS, fincuge_texts
    from bbt.text.tokenizer import TokenizerStats, load_tokenizer, tokenizer_stats

    console = Console()
    tok = load_tokenizer(path)
    root = resolve_data_dir(data_dir)
    rows = [(task, tokenizer_stats(tok, fincuge_texts(root, split, [task]))) for task in FINCUGE_TEXT_FIELDS]
    rows.append(("all tasks", TokenizerStats.merged([r for _, r in rows])))
    _print_stats(console, f"FinCUGE {split} texts", rows)
