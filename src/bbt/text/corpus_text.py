"""Text corpora for tokenizer training: read documents from files, turn them into training lines.

Accepted files (the format is chosen by name):

- ``*.txt`` (or any other suffix): one document per line.
- ``*.jsonl``: one JSON object per line; the text is the ``text`` field (or ``column``).
- ``*.csv`` / ``*.tsv``: a header row; the text is ``column`` (default: the first of ``text``, ``content``,
  ``text_a``). The delimiter is a tab when the header line has one (the Astock ``.csv`` files are
  tab-separated), else a comma. A UTF-8 byte-order mark is dropped.
- FinCUGE ``<task>/{train,eval,problem}_list.json``: the task is the parent folder's name and
  ``FINCUGE_TEXT_FIELDS`` says which cells of a row are text (labels, ids and entity lists are not). For the
  QA tasks the question and the passage are yielded as separate documents, so that the many questions asked
  about one passage do not repeat the passage in the corpus.

The default corpus (``shared_corpus_sources``, ``bbt tokenizer train --shared``) maps the shared data folder
(``BBT_DATA_DIR``, layout in ``shared/data/README.md``) as follows. Only FinCUGE **train** lists are used:
eval and problem lists are what the models are scored on, and a tokenizer fitted to them would leak their
vocabulary into the benchmark.

==========================================  ==========================================================
source                                      documents
==========================================  ==========================================================
fincuge/<task>/train_list.json (9 tasks)    the text cells of each row (``FINCUGE_TEXT_FIELDS``)
text/news_crawl/*.jsonl                     ``text`` (whole articles; split into lines below)
text/flash_news/latest_news.csv             ``content`` (``title`` is empty in this file)
text/guba_sentiment/{positive,negative}.txt each line, with the word-segmentation spaces removed
text/astock_news/{test,val}.csv             ``text_a`` (``TITLE``/``DESCRIPTION`` repeat it)
==========================================  ==========================================================

Guba posts arrive word-segmented (``买入 长期 持有``); real input is not, and keeping those spaces would fill
the vocabulary with ``▁长期``-style pieces, so spaces next to a non-ASCII character are removed there.

Training lines (``training_lines``): documents are split at newlines (news articles would otherwise exceed
SentencePiece's sentence-length limit, and a newline is encoded by its own token anyway), stripped, and exact
repeats are dropped (several FinCUGE tasks share sentences).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bbt.errors import BBTError, DataError

# Row cells holding text in the published FinCUGE layouts (see shared/data/README.md).
FINCUGE_TEXT_FIELDS: dict[str, tuple[int, ...]] = {
    "finfe": (0,),          # [text, label]
    "finne": (0,),          # [text, label]
    "finnl": (0,),          # [text, labels]
    "finre": (3,),          # [head, tail, relation, text]; head/tail are substrings of text
    "finnsp": (1, 2),       # [id, title, text, entities, is_negative, negative_entities]
    "finese": (1,),         # [id, text, event_type, subject]
    "finqa": (0,),          # [question_and_text, answer]
    "fincqa": (0,),         # [question_and_text, answer]
    "finna": (0, 1),        # [summary, text]
}
FINCUGE_QA_TASKS = ("finqa", "fincqa")  # question and passage are glued: "...的主体有哪些？<passage>"
FINCUGE_SPLITS = ("train", "eval", "problem")
CSV_TEXT_COLUMNS = ("text", "content", "text_a")

_LIST_NAME = re.compile(r"^(train|eval|problem)_list\.json$")
_SEGMENTATION_SPACE = re.compile(r"(?<=[^\x00-\x7f]) +| +(?=[^\x00-\x7f])")


@dataclass(frozen=True)
class CorpusSource:
    """One file of the corpus and how to read it."""

    path: Path
    column: str | None = None   # JSONL field / CSV column; None = the format's default
    despace: bool = False       # remove word-segmentation spaces (Guba)


def _split_question(text: str) -> list[str]:
    question, sep, passage = text.partition("？")
    return [question + sep, passage] if sep and passage else [text]


def iter_fincuge_list(path: Path, task: str | None = None) -> Iterator[str]:
    """Text cells of a FinCUGE ``*_list.json`` file (train/eval lists by ``FINCUGE_TEXT_FIELDS``; problem
    lists: every string in ``input``)."""
    task = task or path.parent.name
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"not a readable FinCUGE JSON list: {e}", file=str(path)) from e
    if not isinstance(rows, list):
        raise DataError("a FinCUGE list file holds a JSON list of rows", file=str(path))
    fields = FINCUGE_TEXT_FIELDS.get(task)
    for i, row in enumerate(rows):
        if isinstance(row, dict):  # problem list: {id, input} (a string or a list of cells); FinNER: {text, labels}
            cells = row.get("input", row.get("text"))
            cells = [cells] if isinstance(cells, str) else [c for c in (cells or []) if isinstance(c, str)]
        elif isinstance(row, list):
            if fields is None:
                # Unknown task: its layout is not known, so take the longest string cell as the text.
                strings = [c for c in row if isinstance(c, str)]
                cells = [max(strings, key=len)] if strings else []
            else:
                cells = [row[j] for j in fields if j < len(row) and isinstance(row[j], str)]
        else:
            raise DataError("row is neither a list nor an object", file=str(path), row=i)
        for cell in cells:
            yield from (_split_question(cell) if task in FINCUGE_QA_TASKS else [cell])


def _iter_jsonl(path: Path, column: str) -> Iterator[str]:
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line).get(column)
            except (json.JSONDecodeError, AttributeError) as e:
                raise DataError(f"not a JSON object: {e}", file=str(path), row=n) from e
            if isinstance(value, str):
                yield value


def _iter_csv(path: Path, column: str | None) -> Iterator[str]:
    csv.field_size_limit(sys.maxsize)  # why: news articles exceed the 128 KiB default cell limit
    with path.open(encoding="utf-8-sig", newline="") as f:
        header_line = f.readline()
        delimiter = "\t" if "\t" in header_line else ","
        header = next(csv.reader([header_line], delimiter=delimiter))
        if column is None:
            column = next((c for c in CSV_TEXT_COLUMNS if c in header), None)
        if column not in header:
            raise DataError(f"no text column {column!r}; columns are {header}; choose one with --column",
                            file=str(path))
        idx = header.index(column)
        for row in csv.reader(f, delimiter=delimiter):
            if idx < len(row) and row[idx]:
                yield row[idx]


def iter_documents(source: CorpusSource | Path | str) -> Iterator[str]:
    """The documents of one file, read lazily (format from the file name, see the module docstring)."""
    if not isinstance(source, CorpusSource):
        source = CorpusSource(Path(source))
    path = source.path
    if not path.is_file():
        raise BBTError(f"corpus file not found: {path}")
    name = path.name.lower()
    if _LIST_NAME.match(name):
        docs: Iterable[str] = iter_fincuge_list(path)
    elif name.endswith(".jsonl"):
        docs = _iter_jsonl(path, source.column or "text")
    elif name.endswith((".csv", ".tsv")):
        docs = _iter_csv(path, source.column)
    else:
        docs = _iter_lines(path)
    for doc in docs:
        yield _SEGMENTATION_SPACE.sub("", doc) if source.despace else doc


def _iter_lines(path: Path) -> Iterator[str]:
    try:
        with path.open(encoding="utf-8") as f:
            yield from (line.rstrip("\r\n") for line in f)
    except UnicodeDecodeError as e:
        raise DataError(f"not UTF-8 text: {e}", file=str(path)) from e


def is_fincuge_heldout(path: Path) -> bool:
    """True for FinCUGE eval/problem lists: the files the benchmark scores on."""
    m = _LIST_NAME.match(path.name.lower())
    return bool(m) and m.group(1) != "train"


def shared_corpus_sources(data_dir: Path) -> list[CorpusSource]:
    """The default tokenizer corpus in ``data_dir`` (mapping in the module docstring); no eval/problem lists."""
    text = data_dir / "text"
    sources = [CorpusSource(data_dir / "fincuge" / task / "train_list.json") for task in FINCUGE_TEXT_FIELDS]
    sources += [CorpusSource(p) for p in sorted((text / "news_crawl").glob("*.jsonl"))]
    sources.append(CorpusSource(text / "flash_news" / "latest_news.csv", column="content"))
    sources += [CorpusSource(text / "guba_sentiment" / f"{n}.txt", despace=True) for n in ("positive", "negative")]
    sources += [CorpusSource(text / "astock_news" / f"{n}.csv", column="text_a") for n in ("test", "val")]
    missing = [str(s.path) for s in sources if not s.path.is_file()]
    if missing:
        raise BBTError(f"shared corpus incomplete under {data_dir}: missing {', '.join(missing)}")
    return sources


def fincuge_texts(data_dir: Path, split: str = "eval", tasks: Iterable[str] | None = None) -> list[str]:
    """All text cells of one FinCUGE split (all tasks by default): what the tokenizer is measured on."""
    if split not in FINCUGE_SPLITS:
        raise BBTError(f"unknown FinCUGE split {split!r}; expected one of {FINCUGE_SPLITS}")
    out: list[str] = []
    for task in tasks or FINCUGE_TEXT_FIELDS:
        out += [t for t in iter_fincuge_list(data_dir / "fincuge" / task / f"{split}_list.json", task) if t]
    return out


def training_lines(documents: Iterable[str]) -> Iterator[str]:
    """Split documents at newlines, strip, drop empty lines and exact repeats (see the module docstring)."""
    seen: set[str] = set()
    for doc in documents:
        for line in doc.splitlines():
            line = line.strip()
            if line and line not in seen:
                seen.add(line)
                yield line
