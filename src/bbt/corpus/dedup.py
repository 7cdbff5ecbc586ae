"""Exact and near-duplicate detection (MinHash over character 5-grams + MinHashLSH)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE = 5
_WS_RE = re.compile(r"\s+")
# why: a polynomial rolling hash over code points computed in numpy is ~4x faster than hashing
# each shingle string in Python (datasketch's update_batch), which is what reaches >5 MB/s
_P = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def exact_key(text: str) -> str:
    """Hash of the text with whitespace removed and case folded: re-spaced copies are exact dupes."""
    return hashlib.blake2b(_WS_RE.sub("", text).casefold().encode("utf-8"), digest_size=16).hexdigest()


class Deduper:
    """Remembers kept documents; `check` says whether a new one is an exact or near duplicate."""

    def __init__(self, threshold: float = 0.8, num_perm: int = NUM_PERM):
        self.threshold = threshold
        self._template = MinHash(num_perm=num_perm, scheme="affine32")  # fixed seed: stable across runs
        self._a, self._b = self._template.permutations
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.exact: set[str] = set()
        self._sigs: dict[str, np.ndarray] = {}

    def signature(self, text: str) -> np.ndarray:
        """MinHash values (uint32) of the set of character 5-grams of the whitespace-free text."""
        cp = np.frombuffer(_WS_RE.sub("", text).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        if len(cp) < SHINGLE:
            cp = np.pad(cp, (0, SHINGLE - len(cp)))
        n = len(cp) - SHINGLE + 1
        h = np.zeros(n, dtype=np.uint64)
        for j in range(SHINGLE):
            h = h * _P + cp[j:j + n]  # wraps mod 2^64 on purpose
        # no np.unique: repeated shingles cannot change a minimum, and skipping it saves ~20%
        shingles = ((h * _MIX) >> np.uint64(32)).astype(np.uint32)
        return (np.multiply.outer(shingles, self._a) + self._b).min(axis=0)

    def _minhash(self, sig: np.ndarray) -> MinHash:
        return MinHash(hashvalues=sig, permutations=self._template.permutations, scheme="affine32")

    def check(self, key: str, sig: np.ndarray) -> str | None:
        """'exact_dupes', 'near_dupes' or None (new). Candidates from the LSH are confirmed by estimated Jaccard."""
        if key in self.exact:
            return "exact_dupes"
        for cand in self.lsh.query(self._minhash(sig)):
            if float(np.mean(self._sigs[cand] == sig)) >= self.threshold:
                return "near_dupes"
        return None

    def add(self, key: str, sig: np.ndarray) -> None:
        if key in self.exact:
            return
        self.exact.add(key)
        self._sigs[key] = sig
        self.lsh.insert(key, self._minhash(sig))

    def add_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Rebuild state from stored (key, signature bytes) pairs, e.g. the columns of earlier shards."""
        for key, raw in items:
            self.add(key, np.frombuffer(raw, dtype=np.uint32).copy())
