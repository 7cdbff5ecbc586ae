"""Readers: turn JSONL, CSV/TSV, text, HTML and PDF files into documents; broken inputs become problems."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from bbt.errors import DataError

SOURCE_TYPES = ("announcement", "report", "news", "forum", "other")
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv", ".txt": "text",
           ".html": "html", ".htm": "html", ".pdf": "pdf"}

# why: A-share codes are 6 digits with a known board prefix (SZ main 000-003, ChiNext 300/301,
# SH main 600/601/603/605, STAR 688/689); the guards keep prices and longer numbers from matching.
_CODE_RE = re.compile(r"(?<![\d.])(?:00[0-3]|30[01]|60[0135]|68[89])\d{3}(?![\d.]\d|\d)")
_DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")


@dataclass
class Doc:
    text: str
    source: str
    origin: str
    line: int | None = None
    date: str | None = None
    codes: list[str] = field(default_factory=list)


@dataclass
class Problem:
    file: str
    line: int | None
    reason: str


@dataclass
class ReadOptions:
    source: str = "other"
    field: str = "text"
    column: str = "text"
    date_field: str | None = "date"  # used when present, ignored when absent
    code_field: str | None = "code"
    per_line: bool = False
    encoding: str = "utf-8"


def find_codes(*values: object) -> list[str]:
    """Distinct A-share codes in order of first appearance across the given values."""
    seen: dict[str, None] = {}
    for v in values:
        if v:
            for c in _CODE_RE.findall(str(v)):
                seen.setdefault(c, None)
    return list(seen)


def normalise_date(value: object) -> str | None:
    """YYYY-MM-DD when the value holds a recognisable date, else None (an unknown date is not an error)."""
    if value is None:
        return None
    s = str(value).strip()
    m = _DATE_RE.search(s)
    if m:
        return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
    if re.fullmatch(r"\d{8}", s):  # Tushare style 20180702
        return f"{s[:4]}-{s[4:6]}-{s[6:]}"
    return None


def _doc(text: str, opts: ReadOptions, origin: str, line: int | None, date: object = None,
         code: object = None) -> Doc:
    return Doc(text=text, source=opts.source, origin=origin, line=line, date=normalise_date(date),
               codes=find_codes(code, text))


def expand_inputs(srcs: list[Path]) -> list[Path]:
    """Files named directly, plus files with a known extension found under named directories."""
    out: list[Path] = []
    for s in srcs:
        if s.is_dir():
            out += sorted(p for p in s.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS)
        elif s.is_file():
            out.append(s)
        else:
            raise DataError("input not found", file=str(s))
    return out


def read_file(path: Path, opts: ReadOptions, problems: list[Problem]) -> Iterator[Doc]:
    """Documents of one file; anything unreadable is appended to `problems` and skipped."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        problems.append(Problem(str(path), None, f"unknown file type {path.suffix!r}"))
        return
    reader = {"jsonl": _read_jsonl, "csv": _read_csv, "text": _read_text, "html": _read_html,
              "pdf": _read_pdf}[fmt]
    yield from reader(path, opts, problems)


def _read_jsonl(path: Path, opts: ReadOptions, problems: list[Problem]) -> Iterator[Doc]:
    origin = str(path)
    with path.open("rb") as f:  # why: bytes, so one badly encoded line is skipped, not the whole file
        for no, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode(opts.encoding))
            except UnicodeDecodeError as e:
                problems.append(Problem(origin, no, f"cannot decode as {opts.encoding}: {e.reason}"))
                continue
            except json.JSONDecodeError as e:
                problems.append(Problem(origin, no, f"bad JSON: {e.msg}"))
                continue
            text = rec.get(opts.field) if isinstance(rec, dict) else None
            if not isinstance(text, str):
                problems.append(Problem(origin, no, f"no text field {opts.field!r}"))
                continue
            yield _doc(text, opts, origin, no, rec.get(opts.date_field) if opts.date_field else None,
                       rec.get(opts.code_field) if opts.code_field else None)


def _read_whole(path: Path, opts: ReadOptions, problems: list[Problem]) -> str | None:
    try:
        return path.read_bytes().decode(opts.encoding)
    except UnicodeDecodeError as e:
        problems.append(Problem(str(path), None, f"cannot decode as {opts.encoding}: {e.reason}"))
    except OSError as e:
        problems.append(Problem(str(path), None, f"cannot read: {e}"))
    return None


def _read_csv(path: Path, opts: ReadOptions, problems: list[Problem]) -> Iterator[Doc]:
    content = _read_whole(path, opts, problems)
    if content is None:
        return
    lines = content.splitlines()
    first = lines[0] if lines else ""
    # why: some "csv" exports (e.g. Astock news) are tab-separated; the header tells which
    sep = "\t" if path.suffix.lower() == ".tsv" or first.count("\t") > first.count(",") else ","
    csv.field_size_limit(1 << 30)
    rows = csv.DictReader(lines, delimiter=sep)
    if opts.column not in (rows.fieldnames or []):
        raise DataError(f"no text column {opts.column!r} (columns: {rows.fieldnames})", file=str(path))
    try:
        for i, row in enumerate(rows, 2):  # row 1 is the header
            text = row.get(opts.column)
            if text is None:
                problems.append(Problem(str(path), i, "row too short"))
                continue
            yield _doc(text, opts, str(path), i, row.get(opts.date_field) if opts.date_field else None,
                       row.get(opts.code_field) if opts.code_field else None)
    except csv.Error as e:
        problems.append(Problem(str(path), rows.line_num, f"bad CSV: {e}"))


def _read_text(path: Path, opts: ReadOptions, problems: list[Problem]) -> Iterator[Doc]:
    content = _read_whole(path, opts, problems)
    if content is None:
        return
    if opts.per_line:
        for no, line in enumerate(content.splitlines(), 1):
            if line.strip():
                yield _doc(line, opts, str(path), no)
    else:
        yield _doc(content, opts, str(path), None)


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page: scripts/styles dropped, block elements become line breaks."""

    _SKIP = {"script", "style", "noscript", "template", "head"}
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self._skip_depth += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip_depth:
            self._skip_depth -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    p = _TextExtractor()
    p.feed(html)
    p.close()
    return "".join(p.parts)


def _read_html(path: Path, opts: ReadOptions, problems: list[Problem]) -> Iterator[Doc]:
    content = _read_whole(path, opts, problems)
    if content is not None:
        yield _doc(html_to_text(content), opts, str(path), None)


def _read_pdf(path: Path, opts: ReadOptions, problems: list[Problem]) -> Iterator[Doc]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as e:  # why: pypdf raises many error types on damaged files; all mean "skip it"
        problems.append(Problem(str(path), None, f"broken PDF: {type(e).__name__}: {e}"))
        return
    yield _doc(text, opts, str(path), None)
