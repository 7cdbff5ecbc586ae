"""The pre-training batches: span-corrupted corpus text (targets = the spans, or with `infill_rate` the whole
text), replaced-token detection on the same text (`rtd_rate`), knowledge-triple masking, and text + series.

Each step draws one kind with the configured rates (one kind per batch keeps shapes simple: corpus batches are
packed to a fixed length and need no padding). Every random choice comes from numpy Generators whose states are
part of `state()`, so a resumed run draws exactly the batches an uninterrupted one would have.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bbt.errors import BBTError
from bbt.pretrain.shards import corpus_shards, read_columns
from bbt.pretrain.stream import CorpusStream, StreamConfig, load_weights

# why: the joint objective trains on news before this day only; later days stay unseen for its evaluation
JOINT_CUTOFF = "2020-07-01"


def pad_rows(rows: list[list[int]], value: int) -> np.ndarray:
    n = max(len(r) for r in rows)
    out = np.full((len(rows), n), value, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def corpus_texts(corpus_dir: Path) -> list[str]:
    return [t for p in corpus_shards(corpus_dir) for t in read_columns(p, ["text"]).column("text").to_pylist()]


class KnowledgeBatches:
    """(triple, sentence) pairs mined once from the corpus; a batch = triple-masked examples, padded."""

    def __init__(self, corpus_dir: Path, data_dir: Path, tok, stream_cfg: StreamConfig, cache: Path):
        from bbt.kg.build import build_kg
        from bbt.pretrain.knowledge import TripleIndex, load_triples, mine
        from bbt.pretrain.objectives import sentinel_ids

        kg = cache / "kg.sqlite"
        if not kg.is_file():
            build_kg(data_dir, kg, progress=False)
        self.tok, self.cfg = tok, stream_cfg
        self.sentinels = sentinel_ids(tok)
        # why: a pair whose elements cannot be masked, or whose triple alone overflows input_len, would fail at
        # a random step hours into a run; such pairs are dropped here, once
        probe = np.random.default_rng(0)
        mined = mine(corpus_texts(corpus_dir), TripleIndex(load_triples(kg)))
        self.pairs = [p for p in mined if self._usable(p, probe)]
        if not self.pairs:
            raise BBTError(f"no corpus sentence in {corpus_dir} mentions both ends of a knowledge triple; "
                           "set --knowledge-rate 0")

    def _usable(self, pair, rng) -> bool:
        from bbt.pretrain.knowledge import triple_example

        try:
            triple_example(*pair, self.tok, rng, self.sentinels, self.tok.eos_token_id, self.cfg.noise_density,
                           self.cfg.mean_span, self.cfg.input_len)
            return True
        except BBTError:
            return False

    def batch(self, size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        from bbt.pretrain.knowledge import triple_example

        rows = [triple_example(*self.pairs[i], self.tok, rng, self.sentinels, self.tok.eos_token_id,
                               self.cfg.noise_density, self.cfg.mean_span, self.cfg.input_len)
                for i in rng.integers(0, len(self.pairs), size)]
        ids = pad_rows([r[0] for r in rows], self.tok.pad_token_id)
        return {"input_ids": ids, "attention_mask": (ids != self.tok.pad_token_id).astype(np.int64),
                "labels": pad_rows([r[1] for r in rows], -100)}


class JointBatches:
    """News of a stock before day T + its OHLCV window before T -> the TS head forecasts the open at T."""

    def __init__(self, data_dir: Path, tok, max_text_len: int, prompt: bool):
        from bbt.pretrain.joint import build_joint_examples, split_by_time
        from bbt.pretrain.stream import SOURCE_TAGS

        examples, self.stats = build_joint_examples(data_dir)
        self.train, self.test = split_by_time(examples, JOINT_CUTOFF)
        if not self.train:
            raise BBTError(f"no joint text + series examples before {JOINT_CUTOFF}; set --joint-rate 0")
        tag = SOURCE_TAGS["news"] if prompt else ""
        self.ids = tok([tag + e.text for e in self.train], max_length=max_text_len, truncation=True)["input_ids"]
        self.series = np.stack([e.series for e in self.train]).astype(np.float32)  # [N, L, 5]
        self.target = np.stack([e.target for e in self.train]).astype(np.float32)  # [N, 1, 1]
        self.pad = tok.pad_token_id

    def batch(self, size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        idx = rng.integers(0, len(self.ids), size)
        ids = pad_rows([self.ids[i] for i in idx], self.pad)
        return {"input_ids": ids, "attention_mask": (ids != self.pad).astype(np.int64),
                "series": self.series[idx], "series_target": self.target[idx]}


def mix_rates(cfg) -> dict[str, float]:
    """The shares of the batch kinds besides span corruption, checked: each >= 0, together < 1."""
    rates = {"infill": cfg.infill_rate, "knowledge": cfg.knowledge_rate, "joint": cfg.joint_rate,
             "rtd": cfg.rtd_rate}
    if any(r < 0 for r in rates.values()) or sum(rates.values()) >= 1:
        raise BBTError(f"infill_rate + knowledge_rate + joint_rate + rtd_rate must be in [0, 1), got {rates}")
    return rates


class PretrainData:
    def __init__(self, cfg, corpus_dir: Path, tok, data_dir: Path | None, seed: int, cache_dir: Path):
        stream_cfg = StreamConfig(cfg.input_len, cfg.noise_density, cfg.mean_span, cfg.source_prompt, seed)
        self.text = CorpusStream(corpus_dir, tok, load_weights(cfg.weights, corpus_dir), stream_cfg)
        rates = mix_rates(cfg)
        self.kinds = ["text"] + [k for k, r in rates.items() if r > 0]
        self.p = np.array([1 - sum(rates.values())] + [rates[k] for k in self.kinds[1:]])
        if any(k in self.kinds for k in ("knowledge", "joint")) and data_dir is None:
            raise BBTError("knowledge masking and the joint objective read the shared data: pass --data-dir")
        self.other = {}
        if "knowledge" in self.kinds:
            self.other["knowledge"] = KnowledgeBatches(corpus_dir, data_dir, tok, stream_cfg, Path(cache_dir))
        if "joint" in self.kinds:
            self.other["joint"] = JointBatches(data_dir, tok, cfg.input_len, cfg.source_prompt)
        self.rtd_mask_rate = cfg.rtd_mask_rate
        self.rng = np.random.default_rng([seed, 0xB47C4])  # why the salt: [seed, k] seeds the sources' shard orders

    def batch(self, size: int) -> tuple[str, dict[str, np.ndarray]]:
        kind = self.kinds[int(self.rng.choice(len(self.kinds), p=self.p))] if len(self.kinds) > 1 else "text"
        if kind in ("text", "infill"):  # both read the same token stream
            return kind, self.text.batch(size, infill=kind == "infill")
        if kind == "rtd":  # the same token stream, uncorrupted, for the generator to fill
            return kind, self.text.detection_batch(size, self.rtd_mask_rate)
        return kind, self.other[kind].batch(size, self.rng)

    def state(self) -> dict:
        return {"rng": self.rng.bit_generator.state, "text": self.text.state()}

    def load_state(self, st: dict) -> None:
        self.rng.bit_generator.state = st["rng"]
        self.text.load_state(st["text"])
