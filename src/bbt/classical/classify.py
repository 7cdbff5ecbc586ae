"""Text classification baselines: finfe, finne (one label), finre (relation of a marked entity pair), finnl
(label set). Character n-gram TF-IDF + a linear SVM; labels are learnt as the task's target texts, so a
prediction is already in the format `Task.parse` reads."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

from bbt.classical.common import SEED, char_tfidf, columns, frame
from bbt.tasks import SEP, Example

HEAD, TAIL = "◆", "◇"  # placeholders for the entity pair: the relation depends on the pattern, not on the names


def _svm(c: float) -> LinearSVC:
    return LinearSVC(C=c, random_state=SEED)


class LabelModel:
    """One label per text (finfe, finne). C of the SVM picked by 3-fold CV on train when `c_grid` has several."""

    def __init__(self, task: str, c_grid: tuple[float, ...] = (0.3, 1.0)):
        self.task, self.c_grid = task, c_grid
        self.pipe: Pipeline | None = None

    def _texts(self, examples: list[Example]) -> list[str]:
        return [e.fields["text"] for e in examples]

    def fit(self, examples: list[Example]) -> "LabelModel":
        pipe = make_pipeline(char_tfidf(), _svm(self.c_grid[0]))
        y = [e.target for e in examples]
        if len(self.c_grid) > 1 and min(np.unique(y, return_counts=True)[1]) >= 3:
            search = GridSearchCV(pipe, {"linearsvc__C": list(self.c_grid)}, cv=3, n_jobs=1)
            pipe = search.fit(self._texts(examples), y).best_estimator_
        else:
            pipe.fit(self._texts(examples), y)
        self.pipe = pipe
        return self

    def predict(self, examples: list[Example]) -> list[str]:
        return [str(p) for p in self.pipe.predict(self._texts(examples))] if examples else []


def mark_pair(text: str, head: str, tail: str) -> str:
    """`text` with head -> ◆ and tail -> ◇; the longer name first, so a name inside the other stays whole."""
    pairs = [(head, HEAD), (tail, TAIL)]
    for name, mark in sorted(pairs, key=lambda p: -len(p[0])):
        if name:
            text = text.replace(name, mark)
    return text


def relation_fields(e: Example) -> dict[str, str]:
    """finre features: the marked text, the stretch between the two marks (with their order), the pair itself."""
    head, tail = str(e.fields["head"]), str(e.fields["tail"])
    marked = mark_pair(e.fields["text"], head, tail)
    i, j = marked.find(HEAD), marked.find(TAIL)
    between = ""
    if i >= 0 and j >= 0:
        a, b = sorted((i, j))
        between = ("头前" if i < j else "尾前") + marked[a:b + 1]
    nested = "含" if (head in tail or tail in head) else "离"  # "自己" pairs are mostly a name and its short form
    return {"text": marked, "between": between, "pair": f"{nested}|{head}|{tail}"}


class RelationModel(LabelModel):
    """finre: relation of (head, tail) from the marked text, the between-span and the names (fixed C: 44
    classes make the CV search the slowest part of the whole baseline for a <1 point gain)."""

    def __init__(self, task: str = "finre", c: float = 1.0):
        super().__init__(task, (c,))

    def fit(self, examples: list[Example]) -> "RelationModel":
        # smaller vocabularies for the short fields: 44 classes x features weights is the largest model here
        vec = columns({"text": char_tfidf(), "between": char_tfidf(max_features=50_000),
                       "pair": char_tfidf(max_features=30_000)})
        self.pipe = make_pipeline(vec, _svm(self.c_grid[0]))
        self.pipe.fit(frame([relation_fields(e) for e in examples]), [e.target for e in examples])
        return self

    def predict(self, examples: list[Example]) -> list[str]:
        if not examples:
            return []
        return [str(p) for p in self.pipe.predict(frame([relation_fields(e) for e in examples]))]


class MultiLabelModel:
    """finnl: one-vs-rest SVMs over the categories seen in train; a label is kept when its score clears a
    threshold picked on a train-internal 20% split (micro-F1), and the best label is always kept (every news
    item has at least one category)."""

    def __init__(self, task: str = "finnl", c: float = 1.0):
        self.task, self.c = task, c
        self.binarizer = MultiLabelBinarizer()
        self.pipe: Pipeline | None = None
        self.threshold = 0.0

    def _decide(self, scores: np.ndarray, threshold: float) -> np.ndarray:
        return (scores >= threshold) | (scores == scores.max(axis=1, keepdims=True))

    def _pipe(self) -> Pipeline:
        return make_pipeline(char_tfidf(), OneVsRestClassifier(_svm(self.c)))

    def fit(self, examples: list[Example]) -> "MultiLabelModel":
        texts = [e.fields["text"] for e in examples]
        y = self.binarizer.fit_transform([sorted(e.reference) for e in examples])
        if len(examples) >= 50:
            ta, tb, ya, yb = train_test_split(texts, y, test_size=0.2, random_state=SEED)
            scores = self._pipe().fit(ta, ya).decision_function(tb)
            self.threshold = max(np.linspace(-1.0, 0.5, 61),
                                 key=lambda t: _micro_f1(self._decide(scores, t), yb.astype(bool)))
        self.pipe = self._pipe().fit(texts, y)
        return self

    def predict(self, examples: list[Example]) -> list[str]:
        if not examples:
            return []
        scores = self.pipe.decision_function([e.fields["text"] for e in examples])
        chosen = self.binarizer.inverse_transform(self._decide(np.atleast_2d(scores), self.threshold))
        return [SEP.join(labels) for labels in chosen]


def _micro_f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = (pred & gold).sum()
    return 2 * tp / max(1, pred.sum() + gold.sum())
