"""The sparse lexical channel: character n-gram TF-IDF features fused late into the NLU heads.

    text --char 1..n-gram TF-IDF (fitted on train texts)--> sparse x [B, F]
    x --EmbeddingBag(sum, per-feature weights)--> [B, n_out]  added to the head's logits (zero at the start)

A small encoder trained on 2 cores reads words it saw a few times; a linear model over n-grams reads every
n-gram it saw. Fusing the two late (one more logit term, learned jointly) lets the head use whichever is right
per example. The channel is switchable: `neural_only` (BBTGenerator, `bbt eval fincuge --neural-only`) scores the
same checkpoint without it, so both numbers can be reported. The fitted vocabulary and IDF are saved as
`lexical.json` beside the weights, so a checkpoint stays self-describing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bbt.errors import BBTError
from bbt.model.zero_init import zeros_

LEXICAL_FILE = "lexical.json"


class LexicalFeatures:
    """A fitted character n-gram TF-IDF vectoriser (scikit-learn) and its batch -> (ids, weights) form."""

    def __init__(self, vectorizer):
        self.vec = vectorizer
        self.n_features = len(vectorizer.vocabulary_)

    @classmethod
    def fit(cls, texts: list[str], max_features: int = 50_000, ngram: tuple[int, int] = (1, 2),
            min_df: int = 2) -> "LexicalFeatures":
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(analyzer="char", ngram_range=tuple(ngram), min_df=min_df, max_features=max_features,
                              sublinear_tf=True, dtype=np.float32)
        vec.fit(texts)
        return cls(vec)

    def transform(self, texts: list[str]) -> tuple[list[list[int]], list[list[float]]]:
        """Per text: the ids of its non-zero features and their TF-IDF values (l2-normalised)."""
        x = self.vec.transform(list(texts)).tocsr()
        ids = [x.indices[x.indptr[i]:x.indptr[i + 1]].tolist() for i in range(x.shape[0])]
        vals = [x.data[x.indptr[i]:x.indptr[i + 1]].tolist() for i in range(x.shape[0])]
        return ids, vals

    def batch(self, texts: list[str], device=None) -> tuple[torch.Tensor, torch.Tensor]:
        return pad_features(*self.transform(texts), self.n_features, device)

    def save(self, directory: Path) -> None:
        vocab = sorted(self.vec.vocabulary_.items(), key=lambda kv: kv[1])
        d = {"ngram_range": list(self.vec.ngram_range), "features": [k for k, _ in vocab],
             "idf": [float(v) for v in self.vec.idf_]}
        (Path(directory) / LEXICAL_FILE).write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "LexicalFeatures":
        from sklearn.feature_extraction.text import TfidfVectorizer

        path = Path(directory) / LEXICAL_FILE
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            vec = TfidfVectorizer(analyzer="char", ngram_range=tuple(d["ngram_range"]), sublinear_tf=True,
                                  dtype=np.float32, vocabulary={k: i for i, k in enumerate(d["features"])})
            vec.idf_ = np.asarray(d["idf"], dtype=np.float64)  # why: sets the fitted IDF without refitting
        except (OSError, json.JSONDecodeError, KeyError, ValueError) as e:
            raise BBTError(f"{path}: not a readable lexical channel ({e})") from None
        return cls(vec)


def pad_features(ids: list[list[int]], vals: list[list[float]], pad: int, device=None):
    """-> ids [B, K] (padded with `pad`, the EmbeddingBag's padding index) and weights [B, K]."""
    k = max(1, max((len(r) for r in ids), default=1))
    out_ids = torch.full((len(ids), k), pad, dtype=torch.long)
    out_w = torch.zeros(len(ids), k)
    for i, (r, v) in enumerate(zip(ids, vals)):
        if r:
            out_ids[i, :len(r)] = torch.tensor(r)
            out_w[i, :len(v)] = torch.tensor(v)
    return out_ids.to(device), out_w.to(device)


class LexicalHeads(nn.Module):
    """One sparse linear map per fused task: features -> a logit term of that task's head."""

    def __init__(self, n_features: int, outputs: dict[str, int]):
        super().__init__()
        self.n_features = n_features
        self.maps = nn.ModuleDict({t: nn.EmbeddingBag(n_features + 1, n, mode="sum", padding_idx=n_features)
                                   for t, n in outputs.items()})
        for m in self.maps.values():
            zeros_(m.weight)  # why: training starts from the neural head alone

    def forward(self, task: str, ids: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return self.maps[task](ids, per_sample_weights=weights)  # [B, n_out]
