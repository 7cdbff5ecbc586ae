"""Which kind of FinCUGE text a text reads like: forum post (finfe's Guba-style posts) or news / report (finne,
finnl and finna's news texts). The commentary benchmark's style check: the retail voice should read as forum
text, the analyst voice as news. Character n-gram TF-IDF + logistic regression, fitted on the *train* lists only;
`fit` keeps 10% of them aside to report its own accuracy."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from bbt.classical.common import SEED, char_tfidf

SOURCES = {"finfe": "forum", "finne": "news", "finnl": "news", "finna": "news"}


class SourceStyleModel:
    def __init__(self, per_task: int = 3000):
        self.per_task = per_task  # rows per task: balances forum (one task) against news (three)
        self.pipe = None
        self.report: dict = {}

    def fit(self, data_dir) -> "SourceStyleModel":
        from bbt.tasks import get_task

        texts, labels = [], []
        for task, source in SOURCES.items():
            rows = get_task(task).load(data_dir, "train")
            n = self.per_task * (3 if source == "forum" else 1)  # why 3: as many forum rows as news rows in all
            rng = np.random.default_rng(SEED)
            for i in rng.permutation(len(rows))[:n]:
                texts.append(rows[i].fields["text"])
                labels.append(source)
        tr_x, ho_x, tr_y, ho_y = train_test_split(texts, labels, test_size=0.1, random_state=SEED, stratify=labels)
        self.pipe = make_pipeline(char_tfidf(), LogisticRegression(max_iter=1000, C=4.0)).fit(tr_x, tr_y)
        acc = float(np.mean(self.pipe.predict(ho_x) == np.array(ho_y)))
        self.report = {"train_rows": len(tr_x), "held_out_rows": len(ho_x), "held_out_accuracy": round(acc, 4)}
        return self

    def predict(self, texts: list[str]) -> list[str]:
        return [str(p) for p in self.pipe.predict(list(texts))] if texts else []
