"""SentencePiece unigram tokenizers in T5 conventions, trained on Chinese financial text.

Conventions (those of T5, so T5-family code and checkpoints fit): ``<pad>`` = 0, ``</s>`` = 1, ``<unk>`` = 2,
no BOS, ``</s>`` appended to every encoded text, and 100 sentinels ``<extra_id_0..99>`` at the end of the
vocabulary in reverse order (``<extra_id_0>`` is the last id), as ``transformers``' T5 conversion adds them.
``--vocab-size N`` is the SentencePiece vocabulary; the full vocabulary is N + 100 (T5: 32000 + 100).

Design decisions:

- **Normalisation: identity, spaces kept.** T5's ``nmt_nfkc`` folds full-width punctuation and digits
  (``，（）：１`` -> ``,():1``) and collapses spaces; it changes 63% of FinCUGE eval texts, so a generated
  span would no longer match the input it was extracted from. With ``identity`` and
  ``remove_extra_whitespaces=False``, ``decode(encode(x)) == x`` (exceptions in ``roundtrip_exceptions``).
- **Byte fallback: on.** Coverage 0.9995 keeps the ~3.7k most frequent characters; the rest of the rare
  characters (names, variant forms, emoji in forum posts) become UTF-8 byte pieces instead of ``<unk>``, so they
  survive a round trip and can be copied into an answer. Costs 256 ids.
- **Newline tokens (BBT-2 convention): on by default.** ``\\n`` -> ``[newline]``, ``\\t`` -> ``[tab]``, added as
  user-defined pieces (always a single token). The mapping lives inside the saved ``tokenizer.json``
  (a ``Replace`` normalizer and a ``Replace`` decoder step), so it holds for every ``transformers`` call:
  ``tok(texts)``, offsets, ``batch_decode``. It is also recorded in ``bbt_text.json``; ``load_tokenizer``
  installs the same mapping on other checkpoints whose vocabulary has ``[newline]`` (BBT-2 style).
- **No wrapper class.** ``load_tokenizer`` returns the ``transformers`` tokenizer itself (a
  ``TokenizersBackend``), so the model and harness use HF's API unchanged (``tok(texts, ...)``,
  ``batch_decode(..., skip_special_tokens=True)``, ``pad_token_id``, ``save_pretrained``, ``len``).

Vocabulary size (measured on all FinCUGE eval texts, default corpus): 8k gives 0.654 tokens per character,
16k 0.570. 16k saves 13% of the sequence length but doubles the embedding and output-softmax cost (for a mini
model with d_model 256 the 16k softmax alone costs about as much per decoder token as the decoder layers) and
spreads 6.3M training characters over twice the pieces; 8k is the default for the CPU-sized model.

The saved directory has ``spiece.model`` (the SentencePiece model), ``tokenizer.json`` and
``tokenizer_config.json`` (written by ``save_pretrained``; ``transformers`` v5 keeps the special tokens in
``tokenizer_config.json`` and writes no ``special_tokens_map.json``) and ``bbt_text.json``.
``AutoTokenizer.from_pretrained(dir)`` loads ``tokenizer.json`` exactly. ``T5Tokenizer.from_pretrained(dir)``
also loads it, with the same ids and sentinels, but v5's T5 class rebuilds its own pipeline: no byte fallback
(rare characters -> ``<unk>``), whitespace collapsed, no newline mapping. Use ``load_tokenizer``.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bbt.errors import BBTError
from bbt.results import write_text
from bbt.text.corpus_text import CorpusSource, iter_documents, training_lines

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
N_SENTINELS = 100
NEWLINE_TOKENS = {"\n": "[newline]", "\t": "[tab]"}
SPM_FILE = "spiece.model"
SETTINGS_FILE = "bbt_text.json"
_BYTE_PIECE = re.compile(r"^<0x[0-9A-F]{2}>$")


@dataclass
class TokenizerTrainConfig:
    """SentencePiece trainer settings (the fixed T5 ones are in ``_trainer_args``)."""

    vocab_size: int = 8000               # see the module docstring: 16k saves 13% of tokens, doubles the embedding
    character_coverage: float = 0.9995  # SentencePiece's recommendation for CJK
    byte_fallback: bool = True
    newline_tokens: bool = True
    # why: 1 makes a character tokenizer (every piece one character), the alternative measured for span and NER
    # heads, whose answers must start and end on token boundaries; SentencePiece's default is 16
    max_piece_length: int = 16
    input_sentence_size: int = 2_000_000  # lines sampled (shuffled) when the corpus has more
    max_sentence_length: int = 65536      # bytes; longer lines are skipped (the default 4192 drops ~200 lines)
    num_threads: int = 1
    seed: int = 0
    model_max_length: int = 512           # T5's default; callers pass their own max_length


@dataclass
class TrainResult:
    out_dir: Path
    vocab_size: int        # full vocabulary (SentencePiece + sentinels)
    files: int
    documents: int
    lines: int
    chars: int
    seconds: float


def _trainer_args(cfg: TokenizerTrainConfig) -> dict[str, Any]:
    return dict(
        model_type="unigram", vocab_size=cfg.vocab_size, character_coverage=cfg.character_coverage,
        byte_fallback=cfg.byte_fallback, normalization_rule_name="identity", remove_extra_whitespaces=False,
        add_dummy_prefix=True,  # T5's pipeline prepends "▁"; a different choice would disagree with T5Tokenizer
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, pad_piece=PAD, eos_piece=EOS, unk_piece=UNK,
        user_defined_symbols=list(NEWLINE_TOKENS.values()) if cfg.newline_tokens else [],
        max_sentencepiece_length=cfg.max_piece_length,
        hard_vocab_limit=cfg.max_piece_length > 1,  # why: a corpus may hold fewer characters than vocab_size
        input_sentence_size=cfg.input_sentence_size, shuffle_input_sentence=True,
        max_sentence_length=cfg.max_sentence_length, num_threads=cfg.num_threads,
        minloglevel=1,  # why: INFO floods the terminal; warnings still show
    )


def _train_spm(lines: Iterator[str], cfg: TokenizerTrainConfig) -> bytes:
    import sentencepiece as spm

    spm.set_random_generator_seed(cfg.seed)
    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(sentence_iterator=lines, model_writer=model, **_trainer_args(cfg))
    except RuntimeError as e:
        msg = str(e)
        if m := re.search(r"smaller than required_chars\. (\d+) vs (\d+)", msg):
            raise BBTError(f"--vocab-size {m[1]} is too small: character coverage {cfg.character_coverage} "
                           f"needs {m[2]} ids for characters, bytes and special pieces; raise --vocab-size or "
                           "lower --character-coverage (SentencePiece accepts 0.98..1)") from e
        if "Vocabulary size too high" in msg:
            raise BBTError(f"the corpus is too small for --vocab-size {cfg.vocab_size}: {msg}") from e
        raise BBTError(f"SentencePiece training failed: {msg}") from e
    return model.getvalue()


def build_t5_tokenizer(spm_path: Path, *, newline_tokens: bool | None = None, model_max_length: int = 512):
    """A ``transformers`` tokenizer that encodes exactly like the SentencePiece model, in T5 conventions.

    ``transformers`` builds the pipeline from the model's own normaliser spec, byte fallback and user-defined
    pieces; the sentinels are added in reverse so that ``<extra_id_0>`` gets the last id, as in T5.
    """
    from transformers import TokenizersBackend

    sentinels = [f"<extra_id_{i}>" for i in reversed(range(N_SENTINELS))]
    with tempfile.TemporaryDirectory() as tmp:  # why: from_pretrained would prefer a tokenizer.json beside it
        shutil.copy(spm_path, Path(tmp) / SPM_FILE)
        tok = TokenizersBackend.from_pretrained(
            tmp, vocab_file=str(Path(tmp) / SPM_FILE), pad_token=PAD, eos_token=EOS, unk_token=UNK,
            add_eos_token=True, add_bos_token=False, extra_special_tokens=sentinels,
            model_max_length=model_max_length)
    if newline_tokens is None:
        newline_tokens = NEWLINE_TOKENS["\n"] in tok.get_vocab()
    if newline_tokens:
        install_newline_mapping(tok)
    return tok


def install_newline_mapping(tok) -> list[str]:
    """Make ``tok`` encode ``\\n``/``\\t`` as ``[newline]``/``[tab]`` and decode them back (BBT-2 convention).

    Only symbols that are single pieces of the vocabulary are mapped (a symbol split into pieces could not be
    mapped back). The mapping is put into the backend pipeline, so every ``transformers`` call sees it and
    ``save_pretrained`` keeps it. Idempotent. Returns the mapped symbols.
    """
    from tokenizers import decoders, normalizers

    vocab = tok.get_vocab()
    pairs = [(ch, sym) for ch, sym in NEWLINE_TOKENS.items() if sym in vocab]
    backend = tok.backend_tokenizer
    if not pairs or maps_newlines(tok):
        return [sym for _, sym in pairs]
    norm = [normalizers.Replace(ch, sym) for ch, sym in pairs]
    backend.normalizer = normalizers.Sequence(norm + ([backend.normalizer] if backend.normalizer else []))
    dec = [decoders.Replace(sym, ch) for ch, sym in pairs]
    backend.decoder = decoders.Sequence(dec + ([backend.decoder] if backend.decoder else []))
    return [sym for _, sym in pairs]


def maps_newlines(tok) -> bool:
    """Does ``tok`` encode ``\\n`` as ``[newline]`` (the BBT-2 mapping)?"""
    normalizer = tok.backend_tokenizer.normalizer
    return normalizer is not None and NEWLINE_TOKENS["\n"] in normalizer.normalize_str("\n")


def _check_t5_ids(tok) -> None:
    got = (tok.pad_token_id, tok.eos_token_id, tok.unk_token_id, tok.convert_tokens_to_ids("<extra_id_0>"))
    want = (0, 1, 2, len(tok) - 1)
    if got != want:  # a bug, not a user error: the trainer arguments fix these ids
        raise AssertionError(f"T5 ids (pad, eos, unk, <extra_id_0>) are {got}, expected {want}")


def _counting(sources: Sequence[CorpusSource], counts: Counter, progress=None) -> Iterator[str]:
    """Documents of all sources, counted, with a progress bar per file."""
    task = progress.add_task("reading corpus", total=len(sources)) if progress else None
    for src in sources:
        if progress:
            progress.update(task, description=f"reading {src.path.name}")
        for doc in iter_documents(src):
            counts["documents"] += 1
            yield doc
        counts["files"] += 1
        if progress:
            progress.advance(task)
    if progress:  # the trainer reports no progress of its own: an open-ended task shows its elapsed time
        progress.update(task, description=f"read {counts['files']} files, {counts['documents']:,} documents")
        progress.add_task(f"training unigram model on {counts['lines']:,} lines", total=None)


def train_tokenizer(sources: Sequence[CorpusSource | Path | str], out_dir: Path | str,
                    config: TokenizerTrainConfig | None = None, *, overwrite: bool = False,
                    console=None, show_progress: bool = True) -> TrainResult:
    """Train a unigram SentencePiece model on ``sources`` and save a T5-convention tokenizer in ``out_dir``.

    Documents are streamed into the trainer (``training_lines``: split at newlines, stripped, deduplicated);
    SentencePiece keeps at most ``input_sentence_size`` shuffled lines.
    """

    cfg = config or TokenizerTrainConfig()
    out = Path(out_dir)
    srcs = [s if isinstance(s, CorpusSource) else CorpusSource(Path(s)) for s in sources]
    if not srcs:
        raise BBTError("no corpus files given (pass files, or --shared for the default corpus)")
    for s in srcs:
        if not s.path.is_file():
            raise BBTError(f"corpus file not found: {s.path}")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise BBTError(f"{out} exists and is not empty; choose another --out or pass --overwrite")

    counts: Counter = Counter()

    def lines(progress) -> Iterator[str]:
        for line in training_lines(_counting(srcs, counts, progress)):
            counts["lines"] += 1
            counts["chars"] += len(line)
            yield line

    start = time.perf_counter()
    if show_progress:
        from bbt.progress import progress_bar

        with progress_bar(counts=False, eta=False, console=console) as progress:
            model = _train_spm(lines(progress), cfg)
    else:
        model = _train_spm(lines(None), cfg)
    if counts["lines"] == 0:
        raise BBTError("the corpus has no text lines")

    with tempfile.TemporaryDirectory() as tmp:
        spm_path = Path(tmp) / SPM_FILE
        spm_path.write_bytes(model)
        tok = build_t5_tokenizer(spm_path, newline_tokens=cfg.newline_tokens,
                                 model_max_length=cfg.model_max_length)
        _check_t5_ids(tok)
        if out.exists() and overwrite:
            shutil.rmtree(out)
        out.mkdir(parents=True, exist_ok=True)
        tok.save_pretrained(out)
        shutil.copy(spm_path, out / SPM_FILE)
    seconds = time.perf_counter() - start
    result = TrainResult(out, len(tok), counts["files"], counts["documents"], counts["lines"], counts["chars"],
                         seconds)
    settings = {"newline_tokens": cfg.newline_tokens,
                "trained": {"config": asdict(cfg), "sources": [str(s.path) for s in srcs],
                            **{k: v for k, v in asdict(result).items() if k != "out_dir"}}}
    write_text(out / SETTINGS_FILE, json.dumps(settings, ensure_ascii=False, indent=2) + "\n")
    return result


def _newline_setting(path: Path, tok) -> bool:
    """``bbt_text.json`` decides; without it, a vocabulary with ``[newline]`` means a BBT-2 style tokenizer."""
    settings = path / SETTINGS_FILE
    if settings.is_file():
        try:
            return bool(json.loads(settings.read_text(encoding="utf-8")).get("newline_tokens", False))
        except (OSError, json.JSONDecodeError, AttributeError) as e:
            raise BBTError(f"{settings} is not a JSON object like {{\"newline_tokens\": true}}: {e}") from e
    return NEWLINE_TOKENS["\n"] in tok.get_vocab()


def load_tokenizer(path: Path | str):
    """Load a T5/SentencePiece tokenizer directory (``tokenizer.json`` and/or ``spiece.model``), or a bare
    ``.model`` file, as a ``transformers`` tokenizer, with the newline mapping installed when it is on."""
    p = Path(path)
    if not p.exists():
        raise BBTError(f"tokenizer not found: {p} (train one with `bbt tokenizer train ... --out DIR`)")
    if p.is_file():
        if p.suffix != ".model":
            raise BBTError(f"{p} is a file; expected a tokenizer directory or a SentencePiece .model file")
        return build_t5_tokenizer(p)
    present = {n for n in ("tokenizer.json", SPM_FILE, "tokenizer_config.json", "vocab.txt") if (p / n).is_file()}
    if not present & {"tokenizer.json", SPM_FILE}:
        if "vocab.txt" in present:
            raise BBTError(
                f"{p} holds only vocab.txt, a BERT-style WordPiece vocabulary. BBT text models use a "
                f"SentencePiece tokenizer in T5 conventions: expected {SPM_FILE} and/or tokenizer.json "
                "(train one with `bbt tokenizer train`, or use a T5 checkpoint's tokenizer)")
        raise BBTError(f"{p} holds no tokenizer: expected {SPM_FILE} and/or tokenizer.json "
                       "(a T5/SentencePiece tokenizer directory)")
    if present & {"tokenizer.json", "tokenizer_config.json"}:
        from transformers import AutoTokenizer

        try:
            tok = AutoTokenizer.from_pretrained(str(p))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise BBTError(f"cannot load the tokenizer in {p}: {e}") from e
    else:
        tok = build_t5_tokenizer(p / SPM_FILE, newline_tokens=False)
    if _newline_setting(p, tok):
        install_newline_mapping(tok)
    if tok.pad_token_id is None or tok.eos_token_id is None:
        raise BBTError(f"the tokenizer in {p} has no pad or eos token; a T5-style model needs both")
    return tok


# decode(encode(x)) == x for every string except these (tested in tests/text).
roundtrip_exceptions = (
    "text containing a special token's string (<pad>, </s>, <unk>, <extra_id_N>): matched as that token and "
    "dropped by skip_special_tokens; as in T5, the text after it gets its own '▁' prefix, which decodes as a "
    "space unless it opens the output ('a</s>b' -> 'a b')",
    "text containing '▁' (U+2581): SentencePiece's space marker, decoded as a space",
    "with newline tokens on, text containing the literal strings '[newline]' / '[tab]': decoded as \\n / \\t",
    "text containing a literal byte-piece name such as '<0x0A>': may be matched as that byte",
)


@dataclass
class TokenizerStats:
    """How a tokenizer handles a set of texts (special tokens such as </s> not counted)."""

    texts: int
    chars: int
    tokens: int
    unk_tokens: int
    byte_tokens: int         # byte-fallback pieces emitted
    oov_chars: int           # characters in no vocabulary piece: <unk> without byte fallback
    roundtrip_failures: int  # texts where batch_decode(encode(x), skip_special_tokens=True) != x
    failure_examples: list[str] = field(default_factory=list)

    @classmethod
    def merged(cls, parts: Sequence[TokenizerStats]) -> TokenizerStats:
        """Totals over several measurements (e.g. all FinCUGE tasks)."""
        total = cls(0, 0, 0, 0, 0, 0, 0)
        for p in parts:
            for f in ("texts", "chars", "tokens", "unk_tokens", "byte_tokens", "oov_chars", "roundtrip_failures"):
                setattr(total, f, getattr(total, f) + getattr(p, f))
            total.failure_examples += p.failure_examples[:5 - len(total.failure_examples)]
        return total

    @property
    def tokens_per_char(self) -> float:
        return self.tokens / max(self.chars, 1)

    @property
    def unk_rate(self) -> float:
        return self.unk_tokens / max(self.tokens, 1)

    @property
    def oov_char_rate(self) -> float:
        return self.oov_chars / max(self.chars, 1)


def tokenizer_stats(tok, texts: Iterable[str], batch_size: int = 1000) -> TokenizerStats:
    """Tokens per character, <unk> and byte-fallback rates, and exact round trips over ``texts``."""
    vocab = tok.get_vocab()
    special = set(tok.all_special_tokens)
    byte_ids = {i for t, i in vocab.items() if _BYTE_PIECE.match(t)}
    covered = {c for t in vocab if t not in special and not _BYTE_PIECE.match(t) for c in t}
    if "▁" in covered:
        covered.add(" ")
    if maps_newlines(tok):
        covered.update(ch for ch, sym in NEWLINE_TOKENS.items() if sym in vocab)
    texts = list(texts)
    s = TokenizerStats(len(texts), 0, 0, 0, 0, 0, 0)
    for i in range(0, len(texts), batch_size):
        batch = texts[i:i + batch_size]
        ids = tok(batch, add_special_tokens=False, verbose=False)["input_ids"]  # why: no max-length warning
        decoded = tok.batch_decode(ids, skip_special_tokens=True)
        for text, seq, back in zip(batch, ids, decoded):
            s.chars += len(text)
            s.tokens += len(seq)
            s.unk_tokens += sum(1 for t in seq if t == tok.unk_token_id)
            s.byte_tokens += sum(1 for t in seq if t in byte_ids)
            s.oov_chars += sum(1 for c in text if c not in covered)
            if back != text:
                s.roundtrip_failures += 1
                if len(s.failure_examples) < 5:
                    s.failure_examples.append(text)
    return s
