"""Shared pieces of the classical FinCUGE baselines: the model protocol, vectorizers, a train-internal split."""

from __future__ import annotations

import random
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer

from bbt.tasks import Example

SEED = 0
MAX_FEATURES = 100_000  # per text field: a linear model stores classes x features weights; this keeps files small


@runtime_checkable
class TaskModel(Protocol):
    """A per-task baseline: fit on train examples, predict the task's target texts (what `Task.parse` reads)."""

    task: str

    def fit(self, examples: list[Example]) -> "TaskModel": ...

    def predict(self, examples: list[Example]) -> list[str]: ...


def char_tfidf(ngram_max: int = 3, max_features: int = MAX_FEATURES, min_df: int = 2) -> TfidfVectorizer:
    """Character 1..n-gram TF-IDF: Chinese needs no word segmentation for it, and sublinear tf damps repeats."""
    return TfidfVectorizer(analyzer="char", ngram_range=(1, ngram_max), sublinear_tf=True,
                           max_features=max_features, min_df=min_df, lowercase=False, dtype=np.float32)


def token_tfidf() -> TfidfVectorizer:
    """TF-IDF over space-separated feature tokens that we build ourselves (flags, conjunctions)."""
    return TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True, dtype=np.float32)


def columns(spec: dict[str, TfidfVectorizer]) -> ColumnTransformer:
    """One vectorizer per named text column of a DataFrame, side by side."""
    return ColumnTransformer([(name, vec, name) for name, vec in spec.items()])


def frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def holdout_split(examples: list[Example], fraction: float = 0.1,
                  seed: int = SEED) -> tuple[list[Example], list[Example]]:
    """A seeded random split of train examples into (fit, held-out); never touches the eval split.

    Rows that share a text (finre pairs, fincqa/finqa questions on one article) stay on one side, so the
    held-out score is not flattered by texts the model was fitted on.
    """
    groups: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        groups.setdefault(str(e.fields.get("text", i)), []).append(i)
    keys = list(groups)
    random.Random(seed).shuffle(keys)
    held: set[int] = set()
    for k in keys:
        if len(held) >= max(1, round(len(examples) * fraction)):
            break
        held.update(groups[k])
    return ([e for i, e in enumerate(examples) if i not in held], [e for i, e in enumerate(examples) if i in held])


def shrink(obj: object) -> object:
    """Cast the weights of the linear models inside `obj` to float32, in place: half the file size, and scores
    move by ~1e-7, far below any margin that matters. Walks our model objects, dicts, pipelines, one-vs-rest."""
    if isinstance(obj, dict):
        for value in obj.values():
            shrink(value)
        return obj
    for attr in ("coef_", "intercept_"):
        value = getattr(obj, attr, None)
        if isinstance(value, np.ndarray) and value.dtype == np.float64:
            setattr(obj, attr, value.astype(np.float32))
    for child in getattr(obj, "estimators_", None) or []:
        shrink(child)
    for _, step in getattr(obj, "steps", None) or []:
        shrink(step)
    if type(obj).__module__.startswith("bbt."):
        for value in vars(obj).values():
            shrink(value)
    return obj
