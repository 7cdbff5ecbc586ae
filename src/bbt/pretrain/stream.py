"""Streaming mixture over corpus shards: source-weighted, Source-Prompted, packed, span-corrupted batches.

    shards (Parquet, `bbt corpus`) --per source--> SourceStream: one shard in memory at a time, rows in a
    seeded order per epoch, tokenised a shard at a time, [tag] + doc + </s> appended to the source's buffer
    --mixture--> each packed sequence is filled from ONE source drawn by its weight, so the weights are the
    sources' shares of training tokens (a per-document draw would favour sources with long documents)
    --span corruption--> inputs of exactly `input_len` tokens, targets of exactly `target_len`: no padding.

The whole state (numpy Generator + each source's epoch, shard, row and token buffer) is a small dict, saved
with every checkpoint, so `--resume` produces exactly the batches an uninterrupted run would have.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bbt.errors import BBTError
from bbt.pretrain.objectives import corrupt_sequence, input_target_lengths, sentinel_ids
from bbt.pretrain.shards import corpus_shards, read_columns

# why: the seed's Source Prompt tags; "other" is FinCUGE relation/negative-news text (see docs/corpus.md)
SOURCE_TAGS = {"announcement": "【公告】", "report": "【研报】", "news": "【新闻】", "forum": "【股吧】",
               "other": "【资讯】"}


def source_shards(corpus_dir: Path) -> dict[str, list[Path]]:
    """Which shards hold rows of which source (reads only the `source` column)."""
    out: dict[str, list[Path]] = {}
    for path in corpus_shards(corpus_dir):
        sources = read_columns(path, ["source"]).column("source").unique().to_pylist()
        for s in sources:
            out.setdefault(s, []).append(path)
    return out


class SourceStream:
    """Token stream of one source: endless epochs over its shards, a seeded shuffle per epoch."""

    def __init__(self, name: str, shards: list[Path], tok, seed: int, prompt: bool):
        self.name, self.shards, self.tok, self.seed = name, shards, tok, seed
        self.prefix = tok(SOURCE_TAGS.get(name, f"【{name}】"), add_special_tokens=False)["input_ids"] if prompt else []
        self.eos = tok.eos_token_id
        self.epoch, self.shard_pos, self.row_pos = 0, 0, 0
        self.buffer: list[int] = []
        self._docs: list[list[int]] | None = None  # the current shard's documents, in this epoch's order

    def _rng(self, *salt: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, *salt])

    def _load_shard(self) -> None:
        order = self._rng(self.epoch).permutation(len(self.shards))
        path = self.shards[order[self.shard_pos]]
        table = read_columns(path, ["text", "source"])
        texts = [t for t, s in zip(table.column("text").to_pylist(), table.column("source").to_pylist())
                 if s == self.name and t]
        rows = self._rng(self.epoch, int(order[self.shard_pos])).permutation(len(texts))
        ids = self.tok([texts[i] for i in rows], add_special_tokens=False, verbose=False)["input_ids"] if len(texts) else []
        self._docs = ids

    def _next_doc(self) -> list[int]:
        for _ in range(len(self.shards) + 1):
            if self._docs is None:
                self._load_shard()
            if self.row_pos < len(self._docs):
                doc = self._docs[self.row_pos]
                self.row_pos += 1
                return self.prefix + doc + [self.eos]
            self._docs, self.row_pos = None, 0
            self.shard_pos += 1
            if self.shard_pos == len(self.shards):
                self.shard_pos, self.epoch = 0, self.epoch + 1
        raise BBTError(f"source {self.name!r} has no documents in {[str(p) for p in self.shards]}")

    def take(self, n: int) -> list[int]:
        """The next n tokens of this source (documents packed back to back)."""
        while len(self.buffer) < n:
            self.buffer.extend(self._next_doc())
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def state(self) -> dict:
        return {"epoch": self.epoch, "shard_pos": self.shard_pos, "row_pos": self.row_pos, "buffer": self.buffer}

    def load_state(self, st: dict) -> None:
        self.epoch, self.shard_pos, self.row_pos = st["epoch"], st["shard_pos"], st["row_pos"]
        self.buffer, self._docs = list(st["buffer"]), None


@dataclass
class StreamConfig:
    input_len: int = 256  # why: encoder tokens per packed sequence after corruption (nanoT5 uses 512 on GPU)
    noise_density: float = 0.15
    mean_span: float = 3.0
    source_prompt: bool = True  # the Source Prompt switch: 【新闻】 etc. before every document
    seed: int = 0


class CorpusStream:
    """Batches {input_ids [B, input_len], labels [B, target_len]} from a weighted mixture of sources."""

    def __init__(self, corpus_dir: Path, tok, weights: dict[str, float], cfg: StreamConfig):
        shards = source_shards(corpus_dir)
        unknown = sorted(set(weights) - set(shards))
        if unknown:
            raise BBTError(f"sampling weights name sources {unknown} that {corpus_dir} does not hold; "
                           f"it holds {sorted(shards)}")
        self.names = [s for s in sorted(weights) if weights[s] > 0]
        if not self.names:
            raise BBTError("every source has sampling weight 0")
        w = np.array([weights[s] for s in self.names], dtype=float)
        self.weights = w / w.sum()
        self.cfg, self.eos = cfg, tok.eos_token_id
        self.raw_len, self.target_len = input_target_lengths(cfg.input_len, cfg.noise_density, cfg.mean_span)
        self.sentinels = sentinel_ids(tok)
        self.sources = [SourceStream(s, shards[s], tok, cfg.seed + 1000 * i, cfg.source_prompt)
                        for i, s in enumerate(self.names)]
        self.rng = np.random.default_rng(cfg.seed)
        self.tokens_by_source = {s: 0 for s in self.names}

    def example(self, infill: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(inputs, targets); `infill`: the target is the whole original sequence + </s> (BART's text
        infilling) instead of the masked spans only, so the decoder must copy the kept tokens from the encoder."""
        k = int(self.rng.choice(len(self.sources), p=self.weights))
        raw = np.asarray(self.sources[k].take(self.raw_len), dtype=np.int64)  # corrupted: input_len incl. </s>
        self.tokens_by_source[self.names[k]] += len(raw)
        inputs, targets = corrupt_sequence(raw, self.rng, self.sentinels, self.eos, self.cfg.noise_density,
                                           self.cfg.mean_span)
        return (inputs, np.append(raw, self.eos)) if infill else (inputs, targets)

    def batch(self, size: int, infill: bool = False) -> dict[str, np.ndarray]:
        """input_ids [B, input_len]; labels [B, target_len], or [B, raw_len + 1] with `infill`."""
        pairs = [self.example(infill) for _ in range(size)]
        return {"input_ids": np.stack([p[0] for p in pairs]), "labels": np.stack([p[1] for p in pairs])}

    def detection_batch(self, size: int, mask_rate: float) -> dict[str, np.ndarray]:
        """Replaced-token detection (bbt.model.electra): input_ids [B, input_len] of uncorrupted packed text
        (ending in </s>), attention_mask, and rtd_mask [B, input_len]: `mask_rate` of the tokens (never </s>, at
        least one per row) for the generator to fill."""
        rows = []
        for _ in range(size):
            k = int(self.rng.choice(len(self.sources), p=self.weights))
            raw = self.sources[k].take(self.cfg.input_len - 1)
            self.tokens_by_source[self.names[k]] += len(raw)
            rows.append(np.append(np.asarray(raw, dtype=np.int64), self.eos))
        ids = np.stack(rows)  # [B, L]
        mask = (self.rng.random(ids.shape) < mask_rate) & (ids != self.eos)
        empty = ~mask.any(axis=1)
        mask[empty, self.rng.integers(0, ids.shape[1] - 1, int(empty.sum()))] = True
        return {"input_ids": ids, "attention_mask": np.ones_like(ids), "rtd_mask": mask.astype(np.int64)}

    def state(self) -> dict:
        return {"rng": self.rng.bit_generator.state, "sources": {s.name: s.state() for s in self.sources},
                "tokens_by_source": dict(self.tokens_by_source)}

    def load_state(self, st: dict) -> None:
        self.rng.bit_generator.state = st["rng"]
        for s in self.sources:
            s.load_state(st["sources"][s.name])
        self.tokens_by_source.update(st.get("tokens_by_source", {}))


def load_weights(spec: str | Path | dict | None, corpus_dir: Path) -> dict[str, float]:
    """Sampling weights: a dict, a JSON file ({"sources": {S: {"similarity_weight": w}}} from `bbt corpus
    weights --report`, or {S: w}), or None = size-proportional (characters per source)."""
    from bbt.pretrain.weights import size_weights, source_sizes

    if spec is None or spec == "size":
        return size_weights(source_sizes(corpus_dir))
    where = "weights"
    if isinstance(spec, dict):
        d = spec
    else:
        where = str(spec)
        try:
            d = json.loads(Path(spec).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise BBTError(f"{spec}: cannot read sampling weights ({e})") from None
    try:
        if isinstance(d, dict) and "sources" in d:
            d = {s: v["similarity_weight"] for s, v in d["sources"].items()}
        weights = {str(k): float(v) for k, v in d.items()}
    except (AttributeError, KeyError, TypeError, ValueError):
        raise BBTError(f"{where}: expected {{SOURCE: weight}} or the JSON of `bbt corpus weights --report`") from None
    bad = {k: v for k, v in weights.items() if not (v >= 0 and np.isfinite(v))}
    if bad:
        raise BBTError(f"{where}: sampling weights must be finite and non-negative, got {bad}")
    return weights
