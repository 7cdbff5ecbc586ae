"""Classical text models that the bundle adds to the FinCUGE baselines: label models with probabilities.

The API returns sentiment probabilities, which a LinearSVC does not give; a sigmoid-calibrated SVM on the same
character n-gram TF-IDF does (Platt scaling per class over 3 folds, then normalised), and scores the same.
"""

from __future__ import annotations

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from bbt.classical.common import SEED, char_tfidf
from bbt.tasks import Example


class ProbaLabelModel:
    """One label per text with probabilities (finfe, finne). Predicts the task's target texts like a baseline."""

    def __init__(self, task: str, c: float = 0.3):
        self.task, self.c = task, c
        self.pipe: Pipeline | None = None

    def fit(self, examples: list[Example]) -> "ProbaLabelModel":
        svm = CalibratedClassifierCV(LinearSVC(C=self.c, random_state=SEED), cv=3, method="sigmoid")
        self.pipe = make_pipeline(char_tfidf(), svm)
        self.pipe.fit([e.fields["text"] for e in examples], [e.target for e in examples])
        return self

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.pipe.classes_]

    def proba(self, examples: list[Example]) -> np.ndarray:
        """[N, n_classes] in the order of `classes`."""
        if not examples:
            return np.zeros((0, len(self.classes)))
        return self.pipe.predict_proba([e.fields["text"] for e in examples])

    def predict(self, examples: list[Example]) -> list[str]:
        if not examples:
            return []
        p = self.proba(examples)
        return [self.classes[i] for i in p.argmax(axis=1)]
