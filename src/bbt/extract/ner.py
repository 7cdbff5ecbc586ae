"""Named-entity recognition (COMPANY / PERSON / ORG with character offsets), trained on weak labels.

No NER set is shipped, so `train_ner` builds one: the gazetteer (`bbt.extract.gazetteer`, from FinCUGE entity
fields and the knowledge graph) labels train-side texts (finre, finnsp, finese, finqa train splits, news_crawl,
flash_news; never a FinCUGE eval list), and a small character tagger learns from those labels:
embedding -> 5 dilated residual convolutions (a 33-character window) -> BIO tags, cross entropy, greedy decoding
with BIO repair (an I- tag after O or another type starts an entity); predictions that are not gazetteer names
and that the gazetteer's junk filter would refuse, or that jieba lists as everyday words (single characters,
bare 公司 / 广东 / 石油 / 科技), are dropped. A BiGRU layer (`rnn_hidden`; tried as 96-dim,
3 convolutions + BiGRU 64) scored F1 0.66 against 0.72 for this one in the same 150 s on busy CPU cores: packed
sequences halve the steps a time budget allows.

Evaluation: the distinct texts are split 90/10 (fixed seed, by text, not by chunk, so no text is on both sides).
**Gold on the held-out slice is the weak labels themselves** (the full gazetteer's matches): the scores say how
well the model reproduces and extends the gazetteer, not how it does against human annotation. "Novel recall" is
the recall on held-out gold entities whose surface string never occurs as an entity in the training slice: what
the model finds beyond memorised names. The baseline is the gazetteer restricted to the names labelled in the
training slice (what memorisation alone gets; its novel recall is 0 by construction).

Serving (`NERModel.predict`): texts are cut into chunks of <= 160 characters at sentence ends (commas, then a
hard cut, when a sentence is longer), tagged in length-sorted batches, and the entities mapped back to offsets
in the original text. With `use_gazetteer=True` (the default) exact gazetteer hits are added first and model
entities fill the rest (no overlaps): known names are then always found. The evaluation scores the model alone
(`use_gazetteer=False`), since the full gazetteer reproduces the gold by construction; the report also scores the
training-slice gazetteer + model ("hybrid").
"""

from __future__ import annotations

import bisect
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bbt.errors import BBTError, DataError
from bbt.extract.gazetteer import TYPES, Gazetteer, build_gazetteer, common_words, is_junk
from bbt.results import atomic_path

CHUNK = 160
TAGS = ("O",) + tuple(f"{p}-{t}" for t in TYPES for p in ("B", "I"))  # O, B-COMPANY, I-COMPANY, B-PERSON, ...
SPLIT_SEED = 13  # fixed: the held-out slice is the same whatever the training seed
HELD_OUT = 0.1
EMPTY_KEEP = 0.3  # share of entity-free training chunks kept: most chunks have none, they would swamp the loss
FORMAT = "bbt-ner-1"

_SENT_END = re.compile(r"[。！？!?；;\n]+")
_SOFT_END = re.compile(r"[，,、：:\s]+")


def _norm_table() -> dict[int, str]:
    """One-to-one character normalisation for the vocabulary only (offsets never move): full-width ASCII ->
    ASCII, digits -> 0, upper -> lower case, any whitespace -> space."""
    table = {}
    for c in range(0x21, 0x7F):
        for ch in (chr(c), chr(c + 0xFEE0)):  # ASCII and its full-width form
            table[ord(ch)] = "0" if chr(c).isdigit() else chr(c).lower()
    table.update({ord(c): " " for c in "\t\n\r\x0b\x0c\u3000\xa0"})
    return table


_NORM = _norm_table()


def normalise(text: str) -> str:
    """The text the vocabulary sees: same length as `text`, character for character."""
    return text.translate(_NORM)


# ---------------------------------------------------------------------------------------------- texts

def _finnsp_texts(ex) -> list[str]:
    f = ex.fields
    return [f["text"]] if f["text"].startswith(f["title"]) else [f["title"], f["text"]]


def corpus_texts(data_dir: str | Path) -> list[tuple[str, str]]:
    """(source, text) for every distinct train-side text: the FinCUGE train splits, and text/news_crawl and
    text/flash_news when the data directory has them."""
    import pandas as pd

    from bbt.tasks import get_task

    data_dir = Path(data_dir)
    out: list[tuple[str, str]] = []
    for task in ("finre", "finnsp", "finese", "finqa"):
        for ex in get_task(task).load(data_dir, "train"):
            out += [(task, t) for t in (_finnsp_texts(ex) if task == "finnsp" else [ex.fields["text"]])]
    news = sorted((data_dir / "text" / "news_crawl").glob("*.jsonl"))
    for f in news:
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                try:
                    out.append(("news_crawl", str(json.loads(line)["text"])))
                except (json.JSONDecodeError, KeyError, TypeError) as e:
                    raise DataError(f"not a {{text: ...}} JSON line ({e})", file=str(f), row=i) from None
    flash = data_dir / "text" / "flash_news" / "latest_news.csv"
    if flash.is_file():
        df = pd.read_csv(flash, dtype=str)
        for col in ("title", "content"):
            out += [("flash_news", t) for t in df.get(col, pd.Series(dtype=str)).dropna()]
    seen: set[str] = set()
    unique = []
    for src, t in out:
        if t.strip() and t not in seen:
            seen.add(t)
            unique.append((src, t))
    return unique


def chunk_spans(text: str, max_len: int = CHUNK, protect: list[tuple] = ()) -> list[tuple[int, int]]:
    """(start, end) pieces of `text`, each <= max_len, cut after sentence ends, else after commas, else hard.

    A cut never falls inside a `protect` span (start, end, ...) that fits in a chunk: training labels stay whole.
    """
    n = len(text)
    sentence_ends = [m.end() for m in _SENT_END.finditer(text)]
    clause_ends = [m.end() for m in _SOFT_END.finditer(text)]
    inside = np.zeros(n + 1, dtype=bool)  # inside[p]: a cut at p would split a protected span
    for s, e, *_ in protect:
        if e - s < max_len:
            inside[s + 1:e] = True
    out, start = [], 0
    while start < n:
        if n - start <= max_len:
            out.append((start, n))
            break
        limit = start + max_len
        cut = _last_cut(sentence_ends, start, limit, inside) or _last_cut(clause_ends, start, limit, inside)
        if cut is None:
            cut = limit
            while cut > start + 1 and inside[cut]:
                cut -= 1
        out.append((start, cut))
        start = cut
    return out


def _last_cut(points: list[int], start: int, limit: int, inside: np.ndarray) -> int | None:
    """The last cut point in (start, limit] that splits no protected span."""
    i = bisect.bisect_right(points, limit) - 1
    while i >= 0 and points[i] > start:
        if not inside[points[i]]:
            return points[i]
        i -= 1
    return None


# ---------------------------------------------------------------------------------------------- model

class CharTagger(nn.Module):
    """Character embedding -> dilated residual convolutions (-> optional BiGRU) -> one score per BIO tag.

    Padding is zeroed after every layer, so a chunk's tags never depend on what it is batched with.
    """

    def __init__(self, vocab_size: int, dim: int = 128, dilations: tuple = (1, 2, 4, 8, 1), rnn_hidden: int = 0,
                 n_tags: int = len(TAGS), dropout: float = 0.1):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(dim, dim, 3, padding=d, dilation=d) for d in dilations)
        self.rnn = nn.GRU(dim, rnn_hidden, batch_first=True, bidirectional=True) if rnn_hidden else None
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(2 * rnn_hidden if rnn_hidden else dim, n_tags)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        mask = (torch.arange(ids.shape[1])[None, :] < lengths[:, None]).unsqueeze(1)  # (batch, 1, length)
        h = self.drop(self.emb(ids)).transpose(1, 2)
        for conv in self.convs:
            h = (h + torch.relu(conv(h))) * mask
        h = h.transpose(1, 2)
        if self.rnn is not None:
            # why: packing keeps the backward GRU from reading padding (it doubles the cost on CPU)
            packed = nn.utils.rnn.pack_padded_sequence(self.drop(h), lengths.cpu(), batch_first=True,
                                                       enforce_sorted=False)
            h, _ = nn.utils.rnn.pad_packed_sequence(self.rnn(packed)[0], batch_first=True,
                                                    total_length=ids.shape[1])
        return self.out(self.drop(h))


class Vocab:
    """Characters -> ids (0 pad, 1 unknown) through a dense code-point table: no per-character Python loop."""

    def __init__(self, chars: list[str]):
        self.chars = list(chars)
        top = max((ord(c) for c in self.chars), default=0) + 1
        self.table = np.ones(top + 1, dtype=np.int64)  # the last cell answers every code point above `top`
        for i, c in enumerate(self.chars):
            self.table[ord(c)] = i + 2

    def __len__(self) -> int:
        return len(self.chars) + 2

    def encode(self, text: str) -> np.ndarray:
        cps = np.frombuffer(normalise(text).encode("utf-32-le"), dtype=np.uint32)
        return self.table[np.minimum(cps, len(self.table) - 1)]


def decode_tags(tags: np.ndarray) -> list[tuple[int, int, str]]:
    """BIO tag ids -> (start, end, type); an I- after O or after another type starts an entity (BIO repair)."""
    if len(tags) == 0:
        return []
    typ = (tags + 1) // 2  # 0 = O, 1.. = index into TYPES + 1
    is_b = tags % 2 == 1
    prev = np.concatenate([[0], typ[:-1]])
    starts = np.flatnonzero((typ > 0) & (is_b | (typ != prev)))
    breaks = np.flatnonzero(((typ > 0) & (is_b | (typ != prev))) | ((typ == 0) & (prev > 0)))
    breaks = np.append(breaks, len(tags))
    ends = breaks[np.searchsorted(breaks, starts, side="right")]
    return [(int(s), int(e), TYPES[typ[s] - 1]) for s, e in zip(starts, ends)]


def _plausible(name: str, known: set[str] | dict) -> bool:
    """A predicted entity worth returning: a gazetteer name, or a name the gazetteer's junk filter would accept
    that is not an everyday word (single characters and bare 公司, 深圳, 石油, 科技 are the model's commonest
    errors)."""
    if name in known:
        return True
    return name == name.strip() and not is_junk(name) and name not in common_words()


def merge_spans(first: list[tuple], second: list[tuple]) -> list[tuple]:
    """All of `first`, plus the spans of `second` that overlap none of them; sorted by start."""
    out = list(first)
    taken = sorted((s, e) for s, e, *_ in first)
    for span in second:
        s, e = span[0], span[1]
        if not any(s < te and ts < e for ts, te in taken):
            out.append(span)
    return sorted(out)


class NERModel:
    """A trained tagger (+ its gazetteer). `predict` returns entities with offsets into the original texts."""

    def __init__(self, net: CharTagger, vocab: Vocab, gazetteer: Gazetteer | None = None, config: dict | None = None):
        self.net = net.eval()
        self.vocab = vocab
        self.gazetteer = gazetteer
        self.config = config or {}

    def spans(self, texts: list[str], batch_size: int = 64) -> list[list[tuple[int, int, str]]]:
        """Model-only (start, end, type) spans per text."""
        pieces = []  # (text index, chunk start, ids)
        for i, text in enumerate(texts):
            for s, e in chunk_spans(text):
                pieces.append((i, s, self.vocab.encode(text[s:e])))
        out: list[list] = [[] for _ in texts]
        known = self.gazetteer.names if self.gazetteer is not None else {}
        order = sorted(range(len(pieces)), key=lambda k: len(pieces[k][2]))
        with torch.inference_mode():
            for b in range(0, len(order), batch_size):
                batch = [pieces[k] for k in order[b:b + batch_size]]
                ids, lengths = _pad([p[2] for p in batch])
                tags = self.net(ids, lengths).argmax(-1).numpy()
                for (i, start, x), row in zip(batch, tags):
                    text = texts[i]
                    out[i] += [(start + s, start + e, t) for s, e, t in decode_tags(row[:len(x)])
                               if _plausible(text[start + s:start + e], known)]
        return [sorted(o) for o in out]

    def predict(self, texts: list[str], batch_size: int = 64, use_gazetteer: bool = True) -> list[list[dict]]:
        """Entities per text: {"text", "type", "start", "end"} (end exclusive, `text[start:end]` is the entity)."""
        if isinstance(texts, str):
            raise BBTError("predict takes a list of texts, not one string")
        texts = [str(t) for t in texts]
        found = self.spans(texts, batch_size)
        if use_gazetteer and self.gazetteer is not None:
            found = [merge_spans(self.gazetteer.label(t), f) for t, f in zip(texts, found)]
        return [[{"text": t[s:e], "type": ty, "start": s, "end": e} for s, e, ty in f] for t, f in zip(texts, found)]


def _pad(seqs: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(s) for s in seqs])
    ids = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)
    for j, s in enumerate(seqs):
        ids[j, :len(s)] = torch.from_numpy(s)
    return ids, lengths


# ---------------------------------------------------------------------------------------------- training

def _tag_ids(n: int, spans: list[tuple]) -> np.ndarray:
    tags = np.zeros(n, dtype=np.int64)
    for s, e, t in spans:
        k = TYPES.index(t)
        tags[s] = 1 + 2 * k
        tags[s + 1:e] = 2 + 2 * k
    return tags


def _training_chunks(texts: list[str], labels: list[list[tuple]], rng: random.Random) -> list[tuple[str, np.ndarray]]:
    """(chunk text, tag ids) for the training slice; entity-free chunks are kept with probability EMPTY_KEEP."""
    out = []
    for text, spans in zip(texts, labels):
        for s, e in chunk_spans(text, protect=spans):
            inner = [(a - s, b - s, t) for a, b, t in spans if a >= s and b <= e]
            if (inner or rng.random() < EMPTY_KEEP) and text[s:e].strip():
                out.append((text[s:e], _tag_ids(e - s, inner)))
    return out


def _batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Length-sorted buckets (little padding), batches shuffled: a fresh order every epoch."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    out = []
    for b in range(0, len(idx), batch_size * 50):
        bucket = sorted(idx[b:b + batch_size * 50], key=lambda k: lengths[k])
        out += [bucket[j:j + batch_size] for j in range(0, len(bucket), batch_size)]
    rng.shuffle(out)
    return out


def prf(pred: list[list[tuple]], gold: list[list[tuple]], keep=None) -> dict:
    """Entity-level precision / recall / F1 (exact span and type), micro and per type. `keep(text_i, span)`
    restricts the gold side (e.g. to novel entities)."""
    p_set = {(i,) + tuple(x) for i, spans in enumerate(pred) for x in spans}
    g_set = {(i,) + tuple(x) for i, spans in enumerate(gold) for x in spans}
    if keep is not None:
        g_set = {g for g in g_set if keep(g)}

    def score(ps: set, gs: set) -> dict:
        tp = len(ps & gs)
        p = tp / len(ps) if ps else 0.0
        r = tp / len(gs) if gs else 0.0
        return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
                "predicted": len(ps), "gold": len(gs), "correct": tp}

    out = {"micro": score(p_set, g_set)}
    for t in TYPES:
        out[t] = score({x for x in p_set if x[3] == t}, {x for x in g_set if x[3] == t})
    return out


def _evaluate(model: NERModel, texts: list[str], gold: list[list[tuple]], train_names: set[str],
              baseline: Gazetteer) -> dict:
    t0 = time.time()
    pred = model.spans(texts)
    seconds = time.time() - t0
    base = [baseline.label(t) for t in texts]
    hybrid = [merge_spans(b, p) for b, p in zip(base, pred)]

    def novel(g: tuple) -> bool:
        return texts[g[0]][g[1]:g[2]] not in train_names

    out = {}
    for name, spans in (("model", pred), ("gazetteer_baseline", base), ("hybrid", hybrid)):
        scores = prf(spans, gold)
        scores["novel_recall"] = prf(spans, gold, keep=novel)["micro"]["recall"]
        out[name] = scores
    n_novel = prf(pred, gold, keep=novel)["micro"]["gold"]
    # predicted names the full gazetteer does not know: where the model goes beyond the weak labels
    known = set(model.gazetteer.names) if model.gazetteer else set()
    outside = Counter((texts[i][s:e], t) for i, spans in enumerate(pred) for s, e, t in spans
                      if texts[i][s:e] not in known)
    return {**out, "held_out_gold_entities": sum(map(len, gold)), "held_out_novel_gold_entities": n_novel,
            "predict_chars_per_second": sum(map(len, texts)) / max(seconds, 1e-9),
            "model_entities_outside_gazetteer": sum(outside.values()),
            "model_entities_outside_gazetteer_sample": [f"{n} ({t})" for (n, t), _ in outside.most_common(30)]}


def _atomic_torch_save(obj: dict, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def train_ner(data_dir: str | Path, out_dir: str | Path, max_seconds: float = 150, limit_texts: int | None = None,
              progress: bool = True, seed: int = 0, max_epochs: int = 20, batch_size: int = 64, dim: int = 128,
              dilations: tuple = (1, 2, 4, 8, 1), rnn_hidden: int = 0) -> dict:
    """Build the gazetteer, weak-label the train-side texts, train the tagger for at most `max_seconds` (training
    loop only), evaluate on the held-out 10% of texts, save `out_dir/ner.pt` + `out_dir/report.json`.

    `limit_texts` keeps that many texts (after the fixed shuffle) for quick runs. Deterministic for a given seed
    and number of optimiser steps; the time budget can stop at a different step on a slower machine.
    """
    from bbt.results import write_json

    t_start = time.time()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    gazetteer = build_gazetteer(data_dir)
    corpus = corpus_texts(data_dir)
    random.Random(SPLIT_SEED).shuffle(corpus)
    if limit_texts is not None:
        corpus = corpus[:limit_texts]
    if len(corpus) < 10:
        raise BBTError(f"only {len(corpus)} texts to train on; need at least 10")
    n_held = max(1, int(len(corpus) * HELD_OUT))
    held, train = corpus[:n_held], corpus[n_held:]
    train_texts, held_texts = [t for _, t in train], [t for _, t in held]
    train_labels = [gazetteer.label(t) for t in train_texts]
    held_gold = [gazetteer.label(t) for t in held_texts]
    train_names = {t[s:e] for t, spans in zip(train_texts, train_labels) for s, e, _ in spans}

    rng = random.Random(seed)
    torch.manual_seed(seed)
    chunks = _training_chunks(train_texts, train_labels, rng)
    counts = Counter(normalise("".join(c for c, _ in chunks)))
    vocab = Vocab(sorted(c for c, n in counts.items() if n >= 2))  # why: singletons cannot generalise
    data = [(vocab.encode(c), tags) for c, tags in chunks]
    config = {"vocab_size": len(vocab), "dim": dim, "dilations": list(dilations), "rnn_hidden": rnn_hidden,
              "chunk": CHUNK}
    net = _net(config)
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    prep_seconds = time.time() - t_start

    steps, epochs, losses = 0, 0, []
    t0 = time.time()
    out_of_time = False
    with _progress(progress) as bar:
        task = bar.add_task("training NER", total=max_seconds) if bar else None
        while epochs < max_epochs and not out_of_time:
            net.train()
            for batch in _batches([len(x) for x, _ in data], batch_size, rng):
                ids, lengths = _pad([data[k][0] for k in batch])
                tags, _ = _pad([data[k][1] for k in batch])
                mask = torch.arange(ids.shape[1])[None, :] < lengths[:, None]
                loss = nn.functional.cross_entropy(net(ids, lengths)[mask], tags[mask])
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
                steps += 1
                losses.append(loss.item())
                elapsed = time.time() - t0
                if bar:
                    bar.update(task, completed=min(elapsed, max_seconds),
                               description=f"training NER  epoch {epochs + 1}  loss {np.mean(losses[-50:]):.4f}")
                if elapsed >= max_seconds:
                    out_of_time = True
                    break
            else:
                epochs += 1
    train_seconds = time.time() - t0
    model = NERModel(net.eval(), vocab, gazetteer, config)
    scores = _evaluate(model, held_texts, held_gold, train_names, gazetteer.restricted(train_names))

    _atomic_torch_save({"format": FORMAT, "state_dict": net.state_dict(), "config": config, "vocab": vocab.chars,
                        "gazetteer": gazetteer.to_dict()}, out_dir / "ner.pt")
    report = {
        "task": "NER (COMPANY / PERSON / ORG, character offsets) trained on weak labels",
        "gold": "weak labels: the full gazetteer's matches on the held-out texts (not human annotation)",
        "split": f"distinct texts shuffled with seed {SPLIT_SEED}; {HELD_OUT:.0%} held out, split by text",
        "scores": scores,
        "data": {"texts": len(corpus), "train_texts": len(train_texts), "held_out_texts": len(held_texts),
                 "texts_by_source": dict(Counter(s for s, _ in corpus)), "train_chunks": len(data),
                 "train_entities": dict(Counter(t for spans in train_labels for *_, t in spans)),
                 "train_distinct_names": len(train_names), "gazetteer": gazetteer.stats},
        "training": {"seconds": train_seconds, "prep_seconds": prep_seconds, "max_seconds": max_seconds,
                     "steps": steps, "completed_epochs": epochs, "final_loss": float(np.mean(losses[-50:])) if losses
                     else None, "seed": seed, "batch_size": batch_size, "torch_threads": torch.get_num_threads()},
        "model": {**config, "parameters": sum(p.numel() for p in net.parameters()), "tags": list(TAGS)},
        "serving": "predict() adds exact gazetteer hits first (use_gazetteer=True) and model entities where they "
                   "overlap none; the scores above are the model alone, 'hybrid' is training-slice gazetteer + model",
        "total_seconds": time.time() - t_start,
    }
    write_json(out_dir / "report.json", report)
    return report


def _progress(enabled: bool):
    import contextlib

    if not enabled:
        return contextlib.nullcontext(None)
    from bbt.progress import progress_bar

    return progress_bar(counts=False, eta=False, transient=True)


def _net(cfg: dict) -> CharTagger:
    return CharTagger(cfg["vocab_size"], cfg["dim"], tuple(cfg["dilations"]), cfg["rnn_hidden"])


def load_ner(directory: str | Path) -> NERModel:
    """The model `train_ner` saved in `directory` (a BBTError if there is none)."""
    path = Path(directory) / "ner.pt"
    if not path.is_file():
        raise BBTError(f"no NER model at {path}; train one with `bbt ner train --out {directory}`")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a truncated or foreign file: say which, not a pickle trace
        raise BBTError(f"cannot read NER model {path}: {e}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise BBTError(f"{path} is not a bbt NER model (format {FORMAT})")
    cfg = ckpt["config"]
    net = _net(cfg)
    net.load_state_dict(ckpt["state_dict"])
    return NERModel(net, Vocab(ckpt["vocab"]), Gazetteer.from_dict(ckpt["gazetteer"]), cfg)


def report_markdown(report: dict) -> str:
    """The report as a markdown page: P/R/F1 per system and type, novel recall, data and training facts."""
    from bbt.results import markdown_table

    scores, data, train = report["scores"], report["data"], report["training"]
    rows = []
    for system in ("model", "gazetteer_baseline", "hybrid"):
        s = scores[system]
        for t in ("micro",) + TYPES:
            rows.append([system, t, f"{s[t]['precision']:.3f}", f"{s[t]['recall']:.3f}", f"{s[t]['f1']:.3f}",
                         s[t]["gold"], s[t]["predicted"], f"{s['novel_recall']:.3f}" if t == "micro" else ""])
    lines = [
        "# NER on weak labels (COMPANY / PERSON / ORG)",
        "",
        f"**Gold:** {report['gold']}. Split: {report['split']}.",
        "Exact span + type match. *Novel recall*: recall on held-out gold entities whose surface string is never "
        "an entity in the training slice "
        f"({scores['held_out_novel_gold_entities']} of {scores['held_out_gold_entities']}). "
        "Baseline: the gazetteer restricted to names labelled in the training slice. Hybrid: that baseline's "
        "matches first, model entities where they overlap none.",
        "",
        markdown_table(["system", "type", "precision", "recall", "F1", "gold", "predicted", "novel recall"], rows),
        "",
        f"- texts: {data['texts']} ({data['train_texts']} train / {data['held_out_texts']} held out), "
        f"sources {data['texts_by_source']}",
        f"- training chunks: {data['train_chunks']}, entities {data['train_entities']}, "
        f"distinct names {data['train_distinct_names']}",
        f"- gazetteer: {data['gazetteer']['names']} names {data['gazetteer']['by_type']}, dropped "
        f"{data['gazetteer']['dropped']}",
        f"- training: {train['seconds']:.0f} s (budget {train['max_seconds']:.0f} s, {train['torch_threads']} "
        f"torch threads), {train['steps']} steps, {train['completed_epochs']} full epochs, final loss "
        f"{train['final_loss']:.4f}; preparation {train['prep_seconds']:.0f} s",
        f"- model: {report['model']['parameters']} parameters; prediction "
        f"{scores['predict_chars_per_second']:.0f} characters/s",
        f"- model entities whose name the gazetteer lacks: {scores['model_entities_outside_gazetteer']} "
        f"(most frequent: {', '.join(scores['model_entities_outside_gazetteer_sample'][:15])})",
        f"- serving: {report['serving']}",
    ]
    return "\n".join(lines) + "\n"
