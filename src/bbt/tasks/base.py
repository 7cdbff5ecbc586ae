"""Task kinds: row -> (prompt + input, target), output -> prediction, predictions -> score.

Files: `<data_dir>/fincuge/<task>/<split>_list.json` (the published layout; `data_dir` may also be the `fincuge`
folder itself). Every split with the labelled layout works (`train`, `eval`, your own); `problem` is the
unlabelled published test input and is refused with a clear message.

One `Task` subclass per *kind* of task (single label, label set, span, summary, negative-news); the tasks
themselves are declared by name in `bbt.tasks.fincuge`. A task turns a raw row into an `Example`:

- `input`: the source prompt naming the task type (e.g. 【新闻情绪】) + a compact input: what seq2seq models read;
- `target`: the text such a model should generate (label word, "、"-joined labels, span, "无", summary ...);
- `reference`: the gold answer in the metric's form (label, frozenset of labels, span, `NSPAnswer`);
- `fields`: the raw parsed fields, for baselines and LLM prompts. Per task:
  finfe/finne `text, label`; finnl `text, labels`; finre `head, tail, relation, text`;
  finnsp `id, title, text, entities, negative, negative_entities`; finese `id, text, event_type, subject`
  (None = no subject); finqa/fincqa `question, text, question_and_text, answer`; finna `text, summary`.

`parse(output, example)` is forgiving (whitespace, punctuation, synonyms, first valid label in free text) and never
raises: an output it cannot read becomes `INVALID` (or an empty set / empty span), which always scores as wrong.
Known junk rows (a stray header, labels outside the category list) are skipped and *counted*: `load` logs one
warning per file, `load_with_notes` returns the notes so the harness can record them.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from bbt.errors import BBTError, DataError
from bbt.tasks import metrics

log = logging.getLogger("bbt.tasks")

INVALID = "<invalid>"  # why: an unreadable output must count as wrong, never crash scoring
SEP = "、"  # joins several labels / entities in targets (no category or entity name contains it)


@dataclass(frozen=True)
class Example:
    id: str  # stable within the split: the file's id when it has one, else the row index
    input: str  # source prompt + compact input
    target: str  # what a seq2seq model should generate
    reference: Any  # gold answer in the metric's form
    fields: dict = field(compare=False)  # raw parsed fields (see the module docstring)


class NSPAnswer(NamedTuple):
    """FinNSP gold/prediction: is the text negative news, and about which of its entities."""
    negative: bool
    entities: frozenset


class _Skip(Exception):
    """A known kind of junk row: skipped and counted under `reason`, never silently."""

    def __init__(self, reason: str):
        self.reason = reason


# ---------------------------------------------------------------------------------------------- text helpers

_WS = re.compile(r"\s+")
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」", "『": "』", "《": "》", "【": "】"}
_ANSWER_PREFIX = re.compile(
    r"^(?:最终)?(?:答案|回答|答|输出|结果|主体|事件主体|摘要|标题|关系|类别|标签|情绪|负面主体)\s*(?:是|为)?\s*[:：]?\s*")
_EDGE_PUNCT = " \t\r\n\"'“”‘’「」『』《》【】()（）[]。，,.;；:：!！?？、*`"
_NONE_WORDS = frozenset({"无", "没有", "不存在", "无主体", "无答案", "未提及", "无相关信息", "无相应参数", "无参数",
                         "nan", "none", "null", "n/a", "无法确定", "不确定"})


def compact(text: Any) -> str:
    """Whitespace runs (incl. U+3000, newlines) -> one space, stripped: model inputs stay short and stable."""
    return _WS.sub(" ", str(text)).strip()


def _norm(text: str) -> str:
    """For matching only: full-width -> half-width, lower case (labels are compared, never returned)."""
    return unicodedata.normalize("NFKC", text).lower()


def first_line(output: str) -> str:
    """The first non-empty line of a model output (chat models like to explain on the following lines)."""
    for line in str(output).splitlines():
        if line.strip():
            return line.strip()
    return ""


def clean_span(output: str) -> str:
    """A span answer from free text: first line, no "答案：" prefix, no quotes wrapping the whole answer."""
    s = _ANSWER_PREFIX.sub("", first_line(output)).strip()
    s = s.rstrip("。").strip()  # why: a sentence-final 。 ends no gold span, but chat models add one
    while len(s) >= 2 and _QUOTES.get(s[0]) == s[-1] and s[0] not in s[1:-1] and s[-1] not in s[1:-1]:
        s = s[1:-1].strip()
    return s


def is_none_answer(text: str) -> bool:
    """Whether a cleaned answer means "nothing" (无 / 没有 / none ...)."""
    return _norm(text).strip(_EDGE_PUNCT) in _NONE_WORDS


def scan_labels(text: str, vocab: dict[str, str]) -> list[str]:
    """Canonical labels named in `text`, in order, leftmost-longest and non-overlapping.

    `vocab` maps surface forms (labels, synonyms) to canonical labels. Leftmost-longest makes "被持股" win over
    "持股", and reads glued labels ("中国公司") as both.
    """
    s = _norm(text)
    keys = sorted({_norm(k): v for k, v in vocab.items()}.items(), key=lambda kv: -len(kv[0]))
    found, i = [], 0
    while i < len(s):
        for k, v in keys:
            if s.startswith(k, i):
                found.append(v)
                i += len(k)
                break
        else:
            i += 1
    return found


# ---------------------------------------------------------------------------------------------- base task

@dataclass(frozen=True)
class Task:
    """One FinCUGE task. Subclasses say how a row becomes an Example, how an output is parsed, how it scores."""

    name: str
    title: str  # human-readable name, for tables
    prompt: str  # the source prompt that names the task type, e.g. 【新闻情绪】
    columns: tuple[str, ...]  # names of the row's fields, in file order
    metric: str  # name of the main metric (recorded in the results)
    labels: tuple[str, ...] | None = None
    max_new_tokens: int = 16  # generation budget for this task's target
    template: str = "{text}"  # compact input after the prompt; str.format over the parsed fields

    # ---- loading

    def path(self, data_dir: str | Path, split: str) -> Path:
        data_dir = Path(data_dir)
        root = data_dir / "fincuge" if (data_dir / "fincuge" / self.name).is_dir() else data_dir
        folder = root / self.name
        if not folder.is_dir():
            raise BBTError(f"FinCUGE task folder not found: {data_dir / 'fincuge' / self.name} "
                           f"(expected <data_dir>/fincuge/{self.name}/<split>_list.json)")
        f = folder / f"{split}_list.json"
        if not f.is_file():
            have = sorted(p.name[: -len("_list.json")] for p in folder.glob("*_list.json"))
            raise BBTError(f"no split {split!r} for {self.name}: {f} does not exist "
                           f"(splits there: {', '.join(have) or 'none'})")
        return f

    def load(self, data_dir: str | Path, split: str = "eval", limit: int | None = None) -> list[Example]:
        """The split's labelled examples in file order (the first `limit`); skipped rows are logged, counted."""
        examples, notes = self.load_with_notes(data_dir, split, limit)
        for note in notes:
            log.warning(note)
        return examples

    def load_with_notes(self, data_dir: str | Path, split: str = "eval",
                        limit: int | None = None) -> tuple[list[Example], list[str]]:
        f = self.path(data_dir, split)
        try:
            rows = json.loads(f.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise DataError(f"not a JSON file ({e})", file=str(f)) from None
        if not isinstance(rows, list):
            raise DataError(f"expected a JSON list of rows, got {type(rows).__name__}", file=str(f))
        if rows and isinstance(rows[0], dict) and "input" in rows[0]:
            raise BBTError(f"{f} is unlabelled (published test inputs {{id, input}}); "
                           "evaluate on a labelled split such as eval or train")
        examples: list[Example] = []
        skipped: dict[str, int] = {}  # reason -> rows left out
        kept: dict[str, int] = {}  # what was dropped -> rows kept without it
        seen_ids: set[str] = set()
        for i, row in enumerate(rows):
            if limit is not None and len(examples) >= limit:
                break
            if isinstance(row, dict) and all(c in row for c in self.columns):  # FinNER's layout: named fields
                fields = {c: row[c] for c in self.columns}
            elif isinstance(row, list) and len(row) == len(self.columns):
                fields = dict(zip(self.columns, row))
            else:
                raise DataError(f"expected a list of {len(self.columns)} fields {list(self.columns)} (or an object "
                                f"with those keys), got {_short(row)}", file=str(f), row=i)
            try:
                ex = self.make_example(str(i), fields)
            except _Skip as s:
                skipped[s.reason] = skipped.get(s.reason, 0) + 1
                continue
            except (TypeError, ValueError, AttributeError, KeyError) as e:
                raise DataError(f"cannot read row {_short(row)}: {e}", file=str(f), row=i) from None
            if ex.id in seen_ids:  # why: ids key the cache; a repeated file id must not share a slot
                ex = Example(f"{ex.id}#{i}", ex.input, ex.target, ex.reference, ex.fields)
            seen_ids.add(ex.id)
            if ex.fields.get("dropped"):
                kept[ex.fields["dropped"]] = kept.get(ex.fields["dropped"], 0) + 1
            examples.append(ex)
        notes = [f"{f}: skipped {n} row(s): {reason}" for reason, n in skipped.items()]
        notes += [f"{f}: kept {n} row(s) with {what}" for what, n in kept.items()]
        n_skipped = sum(skipped.values())
        if rows and n_skipped > max(10, len(rows) // 10):  # why: that many is a wrong layout, not junk
            raise DataError(f"{n_skipped} of {len(rows)} rows are unreadable ({'; '.join(skipped)}); "
                            f"is this the {self.name} layout {list(self.columns)}?", file=str(f))
        return examples, notes

    def make_example(self, row_id: str, fields: dict) -> Example:
        raise NotImplementedError

    def render(self, fields: dict) -> str:
        return self.prompt + compact(self.template.format(**fields))

    # ---- model side

    def parse(self, output: str, example: Example) -> Any:
        raise NotImplementedError

    def instruction(self, example: Example) -> str:
        raise NotImplementedError

    def score(self, predictions: list, examples: list[Example]) -> dict:
        raise NotImplementedError


def _short(obj: Any, n: int = 80) -> str:
    s = repr(obj)
    return s if len(s) <= n else s[:n] + "…"


_ANSWER_ONLY = "只输出答案，不要解释。"


# ---------------------------------------------------------------------------------------------- single label

@dataclass(frozen=True)
class LabelTask(Task):
    """One label out of `labels` (finfe, finne, finre)."""

    label_column: str = "label"
    raw_labels: dict = field(default_factory=dict)  # value in the file -> label (empty: the value is the label)
    words: dict = field(default_factory=dict)  # label -> target text when they differ (finre: unknown -> 无关系)
    synonyms: dict = field(default_factory=dict)  # surface form -> label, for parsing free text
    question: str = ""  # the instruction's question, str.format over the fields
    shown: str = "text"  # the field an instruction shows as the text

    def make_example(self, row_id: str, fields: dict) -> Example:
        raw = fields[self.label_column]
        label = self.raw_labels.get(raw, self.raw_labels.get(str(raw))) if self.raw_labels else raw
        if label not in (self.labels or ()):
            raise _Skip(f"{self.label_column} not one of the {len(self.labels or ())} labels (e.g. {_short(raw, 30)})")
        fields = {**fields, "text": compact(fields["text"]), self.label_column: raw, "label": label}
        return Example(row_id, self.render(fields), self.words.get(label, label), label, fields)

    def _vocab(self) -> dict[str, str]:
        vocab = {lab: lab for lab in self.labels or ()}
        vocab.update({w: lab for lab, w in self.words.items()})
        vocab.update(self.synonyms)
        return vocab

    def parse(self, output: str, example: Example) -> str:
        s = _norm(str(output)).strip().strip(_EDGE_PUNCT)
        for raw, lab in self.raw_labels.items():  # the bare file value ("2", "0.5") is an answer too
            if s == _norm(str(raw)):
                return lab
        found = scan_labels(str(output), self._vocab())
        return found[0] if found else INVALID

    def instruction(self, example: Example) -> str:
        choices = SEP.join(self.words.get(lab, lab) for lab in self.labels or ())
        return (f"{self.question.format(**example.fields)}\n可选答案：{choices}。只输出其中一个，不要解释。\n"
                f"文本：{example.fields[self.shown]}\n答案：")

    def score(self, predictions: list, examples: list[Example]) -> dict:
        return {"score": metrics.accuracy(predictions, [e.reference for e in examples])}


@dataclass(frozen=True)
class RelationTask(LabelTask):
    """finre: a relation label; micro-F1 over relations other than `unknown` (the published metric), + accuracy."""

    none_label: str = "unknown"

    def score(self, predictions: list, examples: list[Example]) -> dict:
        refs = [e.reference for e in examples]

        def pos(label: str) -> set:
            return set() if label == self.none_label else {label}

        # pred == gold != unknown is a true positive, any other non-unknown prediction a false positive
        f1 = metrics.micro_f1_sets([pos(p) for p in predictions], [pos(r) for r in refs])
        return {"score": f1["f1"], "precision": f1["precision"], "recall": f1["recall"],
                "accuracy": metrics.accuracy(predictions, refs)}


# ---------------------------------------------------------------------------------------------- label set

@dataclass(frozen=True)
class MultiLabelTask(Task):
    """finnl: a set of categories; the file joins them with spaces, the target with 、."""

    synonyms: dict = field(default_factory=dict)

    def make_example(self, row_id: str, fields: dict) -> Example:
        labels: list[str] = []
        junk = False
        for token in str(fields["labels"]).split():
            found = scan_labels(token, {lab: lab for lab in self.labels or ()})
            # why: keep a token only when it is made of categories entirely ("中国公司" = 中国 + 公司, "公司、");
            # "上个", "躯体", "外国际" are annotators' junk
            if found and sum(len(x) for x in found) == len(token.strip(_EDGE_PUNCT)):
                labels += [x for x in found if x not in labels]
            else:
                junk = True
        if not labels:
            raise _Skip("no valid category among the labels")
        fields = {**fields, "text": compact(fields["text"]), "labels": tuple(labels)}
        if junk:  # why: the row still has real categories; it is kept, its junk tokens dropped (and counted)
            fields["dropped"] = f"junk label tokens dropped (not among the {len(self.labels or ())} categories)"
        return Example(row_id, self.render(fields), SEP.join(labels), frozenset(labels), fields)

    def parse(self, output: str, example: Example) -> frozenset:
        vocab = {lab: lab for lab in self.labels or ()}
        vocab.update(self.synonyms)
        return frozenset(scan_labels(first_line(output), vocab))

    def instruction(self, example: Example) -> str:
        return (f"给下面这条金融新闻分类，可以有多个类别。类别只能从以下选择：{SEP.join(self.labels or ())}。"
                f"只输出类别，多个类别用“、”分隔，不要解释。\n新闻：{example.fields['text']}\n答案：")

    def score(self, predictions: list, examples: list[Example]) -> dict:
        f1 = metrics.micro_f1_sets([set(p) for p in predictions], [set(e.reference) for e in examples])
        return {"score": f1["f1"], "precision": f1["precision"], "recall": f1["recall"]}


# ---------------------------------------------------------------------------------------------- spans

@dataclass(frozen=True)
class SpanTask(Task):
    """An answer span scored by character F1. `none` is the gold text for "nothing" (any 无/没有 parses to it)."""

    none: str = "无"

    def parse(self, output: str, example: Example) -> str:
        s = clean_span(output)
        if not s or is_none_answer(s):
            return self.none
        return s

    def score(self, predictions: list, examples: list[Example]) -> dict:
        refs = [e.reference for e in examples]
        return {"score": metrics.mean_char_f1(predictions, refs), "exact": metrics.accuracy(predictions, refs)}


@dataclass(frozen=True)
class SubjectTask(SpanTask):
    """finese: the subject of an event of a given type; `NaN` (none) becomes the target "无"."""

    def make_example(self, row_id: str, fields: dict) -> Example:
        subject = str(fields["subject"]).strip() if fields["subject"] is not None else ""
        # NaN (any case) = the event has no subject in the text
        subject = None if subject.lower() in ("", "nan") else subject
        fields = {**fields, "id": str(fields["id"]), "text": compact(fields["text"]), "subject": subject}
        answer = subject or self.none
        return Example(fields["id"], self.render(fields), answer, answer, fields)

    def instruction(self, example: Example) -> str:
        f = example.fields
        return (f"从下面的金融新闻中找出“{f['event_type']}”事件的主体（公司、平台或机构的名称），照原文摘出。"
                f"没有这样的主体时回答“{self.none}”。{_ANSWER_ONLY}\n新闻：{f['text']}\n答案：")


@dataclass(frozen=True)
class QATask(SpanTask):
    """finqa, fincqa: rows are ["question？text", answer]; the question is split off for LLM prompts."""

    def make_example(self, row_id: str, fields: dict) -> Example:
        qt = str(fields["question_and_text"])
        q, mark, text = qt.partition("？")
        if not mark:
            q, mark, text = qt.partition("?")
        answer = str(fields["answer"]).strip()
        if not answer:
            raise _Skip("empty answer")
        fields = {**fields, "question": q + mark if mark else "", "text": compact(text if mark else qt),
                  "answer": answer}
        return Example(row_id, self.render(fields), answer, answer, fields)

    def instruction(self, example: Example) -> str:
        f = example.fields
        return (f"阅读下面的金融文本，回答问题。答案尽量从原文摘出，多个答案用“,”分隔；文中没有答案时回答"
                f"“{self.none}”。{_ANSWER_ONLY}\n问题：{f['question']}\n文本：{f['text']}\n答案：")


@dataclass(frozen=True)
class SummaryTask(Task):
    """finna: one-sentence news summary; mean of ROUGE-1/2/L on characters (word-level ROUGE reported too)."""

    def make_example(self, row_id: str, fields: dict) -> Example:
        summary = compact(fields["summary"])
        if not summary:
            raise _Skip("empty summary")
        fields = {**fields, "text": compact(fields["text"]), "summary": summary}
        return Example(row_id, self.render(fields), summary, summary, fields)

    def parse(self, output: str, example: Example) -> str:
        return clean_span(output)

    def instruction(self, example: Example) -> str:
        return ("用一句话（不超过40个字）概括下面这条金融新闻，像新闻标题那样。只输出这句话。\n"
                f"新闻：{example.fields['text']}\n摘要：")

    def score(self, predictions: list, examples: list[Example]) -> dict:
        refs = [e.reference for e in examples]
        chars = metrics.rouge_chars(predictions, refs)
        words = metrics.rouge_words(predictions, refs)
        out = {"score": (chars["rouge1"] + chars["rouge2"] + chars["rougeL"]) / 3, **chars}
        out.update({f"{k}_words": v for k, v in words.items()})
        return out


# ---------------------------------------------------------------------------------------------- finnsp

_ENTITY_SPLIT = re.compile(r"[、，,;；|]+")  # not spaces: some entity names hold them
_NEG_PREFIX = re.compile(r"^(?:是|有|负面|包含)?\s*(?:负面)?(?:金融)?(?:主体|实体)?\s*(?:是|为|有)?\s*[:：，,]?\s*")
_NOT_NEGATIVE = re.compile(r"^(?:否|不是|没有|无|不包含|不存在|非负面|不含|no\b|none\b)")


@dataclass(frozen=True)
class NegativeTask(Task):
    """finnsp: is the text negative news, and about which of the given entities.

    Target "否" or "是：A、B". Score = mean of the negative/not accuracy and micro-F1 over negative entities.
    """

    def make_example(self, row_id: str, fields: dict) -> Example:
        flag = str(fields["negative"]).strip()
        if flag not in ("0", "1"):
            raise _Skip(f"is_negative not 0/1 (e.g. a header row, {_short(flag, 20)})")
        entities = tuple(e.strip() for e in str(fields["entities"]).split(";") if e.strip())
        negs = tuple(e.strip() for e in str(fields["negative_entities"]).split(";") if e.strip())
        title, text = compact(fields["title"]), compact(fields["text"])
        fields = {**fields, "id": str(fields["id"]), "title": title, "text": text, "entities": entities,
                  "negative": flag == "1", "negative_entities": negs}
        shown_title = "" if not title or text.startswith(title) else f"标题：{title}；"
        inp = f"{self.prompt}实体：{SEP.join(entities)}；{shown_title}正文：{text}"
        target = f"是：{SEP.join(negs)}" if flag == "1" and negs else ("是" if flag == "1" else "否")
        return Example(fields["id"], inp, target, NSPAnswer(flag == "1", frozenset(negs)), fields)

    def parse(self, output: str, example: Example) -> NSPAnswer:
        s = first_line(output)  # why: no punctuation stripping here, entity names hold "(", "）", "????"
        if not s.strip(_EDGE_PUNCT) or _NOT_NEGATIVE.match(_norm(s.strip(_EDGE_PUNCT))):
            return NSPAnswer(False, frozenset())
        rest = _NEG_PREFIX.sub("", s, count=1)
        known = {_norm(e): e for e in example.fields.get("entities", ())}
        found: list[str] = []
        for piece in _ENTITY_SPLIT.split(rest):
            for cand in (piece.strip(), piece.strip(_EDGE_PUNCT)):
                if _norm(cand) in known:
                    found.append(known[_norm(cand)])
                    break
            else:  # free text ("负面主体是北银创投等"): the given entities it names, else the piece itself
                piece = piece.strip(_EDGE_PUNCT)
                if piece:
                    found += scan_labels(piece, {e: e for e in known.values()}) or [piece]
        return NSPAnswer(True, frozenset(found))

    def instruction(self, example: Example) -> str:
        f = example.fields
        title = f"标题：{f['title']}\n" if f["title"] and not f["text"].startswith(f["title"]) else ""
        return ("判断下面的金融文本是否包含针对所列实体的负面消息。如果不是负面消息，只回答“否”；如果是，回答"
                "“是：”并列出负面消息针对的实体（只能从所列实体中选择，多个用“、”分隔）。不要解释。\n"
                f"实体：{SEP.join(f['entities'])}\n{title}正文：{f['text']}\n答案：")

    def score(self, predictions: list, examples: list[Example]) -> dict:
        refs = [e.reference for e in examples]
        acc = metrics.accuracy([bool(p.negative) for p in predictions], [r.negative for r in refs])
        f1 = metrics.micro_f1_sets([set(p.entities) for p in predictions], [set(r.entities) for r in refs])
        return {"score": (acc + f1["f1"]) / 2, "negative_accuracy": acc, "entity_f1": f1["f1"],
                "entity_precision": f1["precision"], "entity_recall": f1["recall"]}


# ---------------------------------------------------------------------------------------------- the registry
