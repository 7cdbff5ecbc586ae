"""Similarity-weighted sampling of corpus sources (issue 5).

A corpus directory (`bbt corpus build-shared` / `ingest`: `shard-*.parquet` + `manifest.json`) holds documents
tagged with a `source` (news, forum, announcement, report, other). Pre-training can mix the sources by size
(proportional to characters) or by how close each source is to the downstream tasks:

- sample up to `per_source` texts of each source and up to `per_task` inputs of each FinCUGE *train* list (never
  eval, so the weights cannot be tuned on the evaluation texts);
- fit one TF-IDF vectorizer (character 1-2-grams: Chinese has no word boundaries and needs no tokenizer) on all
  of them, and take the cosine between each source's centroid and the downstream centroid;
- weight = softmax(similarity / temperature); a small temperature sharpens the mix towards the closest source.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from bbt.errors import BBTError
from bbt.pretrain.shards import corpus_shards, read_columns

NGRAMS = (1, 2)  # character n-grams of the TF-IDF vectors


def read_source_sample(corpus_dir: str | Path, per_source: int = 2000, seed: int = 0) -> dict[str, list[str]]:
    """A seeded random sample of up to `per_source` texts of every source in the corpus."""
    if per_source < 1:
        raise BBTError(f"per_source must be at least 1, got {per_source}")
    files = corpus_shards(corpus_dir)
    # why two passes: the small `source` column picks the rows, then only the picked texts are kept in memory
    src_parts = [read_columns(f, ["source"]).column("source").to_numpy(zero_copy_only=False) for f in files]
    sources = np.concatenate(src_parts).astype(str)
    shard_of = np.repeat(np.arange(len(files)), [len(s) for s in src_parts])
    row_of = np.concatenate([np.arange(len(s)) for s in src_parts])
    rng = np.random.default_rng(seed)
    picked = {s: rng.permutation(np.flatnonzero(sources == s))[:per_source] for s in np.unique(sources)}
    out: dict[str, list[str]] = {}
    for s, idx in picked.items():
        texts = np.empty(len(idx), dtype=object)
        for k in np.unique(shard_of[idx]):
            here = shard_of[idx] == k
            texts[here] = read_columns(files[k], ["text"]).column("text").take(pa.array(row_of[idx][here])).to_pylist()
        out[str(s)] = texts.tolist()
    return out


def source_sizes(corpus_dir: str | Path) -> dict[str, int]:
    """Characters of text per source, summed over every shard (one pass, two columns read)."""
    sizes: dict[str, int] = {}
    for f in corpus_shards(corpus_dir):
        t = read_columns(f, ["text", "source"])
        agg = pa.table({"source": t.column("source"), "n": pc.utf8_length(t.column("text"))}) \
            .group_by("source").aggregate([("n", "sum")])
        for s, n in zip(agg.column("source").to_pylist(), agg.column("n_sum").to_pylist()):
            sizes[s] = sizes.get(s, 0) + int(n)
    return dict(sorted(sizes.items()))


def downstream_texts(data_dir: str | Path, per_task: int = 300, seed: int = 0) -> list[str]:
    """Up to `per_task` seeded random inputs of each FinCUGE task's TRAIN list, without the 【task】 prompt."""
    from bbt.tasks import TASKS

    rng = np.random.default_rng(seed)
    out: list[str] = []
    for task in TASKS.values():
        # why load the whole list: the files are small and their order is not random, so `limit` would bias
        inputs = [ex.input for ex in task.load(data_dir, "train")]
        for i in np.sort(rng.permutation(len(inputs))[:per_task]):
            s = inputs[i]
            # why strip: the prompt names the task, it is not text the corpus could resemble
            out.append(s[len(task.prompt):] if s.startswith(task.prompt) else s)
    if not out:
        raise BBTError(f"no FinCUGE train inputs under {data_dir}")
    return out


def source_similarity(samples: dict[str, list[str]], targets: list[str]) -> dict[str, float]:
    """Cosine between each source's TF-IDF centroid and the centroid of `targets` (one vectorizer for all)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    empty = [s for s, texts in samples.items() if not texts]
    if not samples or empty or not targets:
        what = f"source(s) {', '.join(empty)} have" if empty else ("the corpus has" if not samples else "targets have")
        raise BBTError(f"similarity needs texts: {what} none")
    names = list(samples)
    groups = [samples[s] for s in names] + [list(targets)]
    sizes = np.array([len(g) for g in groups])
    vec = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, sublinear_tf=True, dtype=np.float32)
    x = vec.fit_transform([t for g in groups for t in g])  # rows are L2-normalised
    # group-mean matrix: row g averages the rows of group g, so all centroids come from one sparse product
    g = sp.csr_matrix((np.repeat(1.0 / sizes, sizes), (np.repeat(np.arange(len(groups)), sizes),
                                                      np.arange(sizes.sum()))), shape=(len(groups), x.shape[0]))
    c = np.asarray((g @ x).todense(), dtype=np.float64)
    c /= np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)
    sims = c[:-1] @ c[-1]
    return {s: float(v) for s, v in zip(names, sims)}


def similarity_weights(sims: dict[str, float], temperature: float = 0.1) -> dict[str, float]:
    """softmax(similarity / temperature): sums to one, monotone in the similarity."""
    if not temperature > 0:
        raise BBTError(f"temperature must be positive, got {temperature}")
    if not sims:
        raise BBTError("no sources to weight")
    z = np.array(list(sims.values()), dtype=np.float64) / temperature
    if not np.isfinite(z).all():
        raise BBTError(f"similarities must be finite numbers, got {sims}")
    w = np.exp(z - z.max())  # why shift: exp of sim/0.05 overflows nothing, but tiny temperatures would
    return dict(zip(sims, (w / w.sum()).tolist()))


def size_weights(sizes: dict[str, int | float]) -> dict[str, float]:
    """Weights proportional to size (characters)."""
    v = np.array(list(sizes.values()), dtype=np.float64)
    if not len(v) or (v < 0).any() or not np.isfinite(v).all() or v.sum() <= 0:
        raise BBTError(f"source sizes must be non-negative with a positive total, got {sizes}")
    return dict(zip(sizes, (v / v.sum()).tolist()))


def weights_table(corpus_dir: str | Path, data_dir: str | Path, temperature: float = 0.1, per_source: int = 2000,
                  seed: int = 0, per_task: int = 300) -> dict:
    """Sizes, size weights, similarities and similarity weights of every source of the corpus."""
    sizes = source_sizes(corpus_dir)
    targets = downstream_texts(data_dir, per_task=per_task, seed=seed)
    sims = source_similarity(read_source_sample(corpus_dir, per_source=per_source, seed=seed), targets)
    sw, simw = size_weights(sizes), similarity_weights(sims, temperature)
    return {"sources": {s: {"chars": sizes[s], "size_weight": sw[s], "similarity": sims[s],
                            "similarity_weight": simw[s]} for s in sizes},
            "temperature": temperature, "per_source": per_source, "per_task": per_task, "seed": seed,
            "n_targets": len(targets), "ngram_range": list(NGRAMS), "target_split": "train",
            "corpus_dir": str(corpus_dir)}


def weights_markdown(table: dict) -> str:
    """The table as Markdown, sources by decreasing similarity weight."""
    rows = sorted(table["sources"].items(), key=lambda kv: -kv[1]["similarity_weight"])
    lines = [f"Source weights (temperature {table['temperature']:g}; TF-IDF char {table['ngram_range'][0]}-"
             f"{table['ngram_range'][1]}-grams vs {table['n_targets']} FinCUGE train inputs)", "",
             "| source | chars | size weight | similarity | similarity weight |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {s} | {r['chars']:,} | {r['size_weight']:.3f} | {r['similarity']:.3f} | "
              f"{r['similarity_weight']:.3f} |" for s, r in rows]
    return "\n".join(lines) + "\n"
