"""finna baseline: Lead, the standard extractive summarisation floor: the article's opening, cut to about the
length of the train summaries. Fitting picks, by ROUGE on train rows, the cut length (0.8-2.5 x the mean
summary length: with the first sentence end as the real stop, a generous cap scores best), whether to stop at
the first sentence end, and whether to drop a leading dateline clause ("1月13日消息，")."""

from __future__ import annotations

import itertools
import re

from bbt.tasks import Example, metrics

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
_DATELINE = re.compile(r"^[^，,。]{0,30}?(?:消息|电|讯|报道|获悉|了解到|表示|公告|宣布)[，,：:]")
_PICK_ROWS = 500  # train rows used to pick the variant: enough to rank them, and quick
_LENGTH_FACTORS = (0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5)


class LeadModel:
    """finna: the opening of the text as its summary."""

    def __init__(self, task: str = "finna"):
        self.task = task
        self.length = 30
        self.first_sentence = True
        self.drop_dateline = True

    def _lead(self, text: str, length: int, first_sentence: bool, drop_dateline: bool) -> str:
        text = text.strip()
        if drop_dateline:
            stripped = _DATELINE.sub("", text, count=1)
            text = stripped or text
        if first_sentence:
            text = next((s for s in _SENTENCE_END.split(text) if s.strip()), text)
        return text[:length].rstrip("，,。；;：: ")

    def fit(self, examples: list[Example]) -> "LeadModel":
        if not examples:
            return self
        mean = sum(len(e.target) for e in examples) / len(examples)
        lengths = sorted({max(1, round(mean * f)) for f in _LENGTH_FACTORS})
        sample = examples[:_PICK_ROWS]
        refs = [e.target for e in sample]

        def score(variant: tuple[int, bool, bool]) -> float:
            preds = [self._lead(e.fields["text"], *variant) for e in sample]
            r = metrics.rouge_chars(preds, refs)
            return r["rouge1"] + r["rouge2"] + r["rougeL"]

        variants = itertools.product(lengths, (True, False), (True, False))
        self.length, self.first_sentence, self.drop_dateline = max(variants, key=score)
        return self

    def predict(self, examples: list[Example]) -> list[str]:
        return [self._lead(e.fields["text"], self.length, self.first_sentence, self.drop_dateline)
                for e in examples]
