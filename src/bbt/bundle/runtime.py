"""A loaded bundle: every capability as a batch function `items -> results` (plain dicts), models loaded once.

The service wraps each of these functions in a micro-batcher; nothing here knows about HTTP.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from bbt.bundle.engines import inference_example, load_engine
from bbt.bundle.manifest import CAPABILITIES, MANIFEST, read_manifest
from bbt.errors import BBTError
from bbt.tasks import get_task

SENTIMENT_NAMES = {"消极": "negative", "中性": "neutral", "积极": "positive"}
MAX_NER_PAIRS = 30  # why: n entities give n(n-1) ordered pairs; a long article must not cost thousands of calls


class Bundle:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.manifest = read_manifest(self.path)
        caps = self.manifest.get("capabilities", {})
        missing = [c for c in CAPABILITIES if c not in caps]
        if missing:
            raise BBTError(f"bundle {self.path} lacks capabilities {missing}; finish it with `bbt bundle build`")
        self._engines: dict[str, Any] = {}
        loaded: dict[str, Any] = {}  # why: a checkpoint that serves several capabilities is loaded once
        for cap in ("forum_sentiment", "news_sentiment", "news_classify", "relations", "negative_news", "summarize"):
            spec = caps[cap]
            key = json.dumps({"engine": spec.get("engine"), "path": spec.get("path"), "files": spec.get("files")},
                             sort_keys=True) if spec.get("engine") == "bbt" else cap
            if key not in loaded:
                loaded[key] = load_engine(spec, self.path)
            self._engines[cap] = loaded[key]
        from bbt.extract.announcement import AnnouncementExtractor
        from bbt.extract.causal import load_causal
        from bbt.extract.events import load_events
        from bbt.extract.finner import load_finner
        from bbt.extract.ner import load_ner
        from bbt.kg import load_kg

        self.kg = load_kg(self.path / caps["kg"]["path"])
        self.ner_model = load_ner(self.path / caps["entity_candidates"]["path"])  # candidates of relations etc.
        self.finner_model = load_finner(self.path / caps["ner"]["path"])  # /v1/ner: the 11 FinNER types
        self.events_model = load_events(self.path / caps["events"]["path"])
        self.causal_model = load_causal(self.path / caps["causal"]["path"])
        self.announcement_model = AnnouncementExtractor(self.kg.company_names())
        from bbt.bundle.forecast import ServiceForecaster

        self.forecaster = ServiceForecaster(self.path / caps["forecast"]["path"])

    # ---- what the service asks
    def model_names(self) -> dict[str, str]:
        caps = self.manifest["capabilities"]
        return {c: str(caps[c].get("name") or caps[c].get("engine")) for c in CAPABILITIES}

    def functions(self) -> dict[str, Callable[[list], list]]:
        return {"forum_sentiment": lambda xs: self.sentiment("forum_sentiment", "finfe", xs),
                "news_sentiment": lambda xs: self.sentiment("news_sentiment", "finne", xs),
                "news_classify": self.news_classify, "summarize": self.summarize, "ner": self.ner,
                "relations": self.relations, "negative_news": self.negative_news, "events": self.events,
                "causal": self.causal, "announcements": self.announcements, "kg_companies": self.kg_companies,
                "kg_search": self.kg_search, "forecast": self.forecast}

    # ---- capabilities
    def sentiment(self, cap: str, task_name: str, texts: list[str]) -> list[dict]:
        task = get_task(task_name)
        examples = [inference_example(task, {"text": t}) for t in texts]
        labels, probs = self._engines[cap].label_probs(task_name, examples)
        names = [SENTIMENT_NAMES.get(lab, lab) for lab in labels]
        order = sorted(range(len(names)), key=lambda i: list(SENTIMENT_NAMES.values()).index(names[i])
                       if names[i] in SENTIMENT_NAMES.values() else len(names))  # negative, neutral, positive
        return [{"label": names[int(np.argmax(p))], "probs": {names[i]: round(float(p[i]), 6) for i in order}}
                for p in probs]

    def news_classify(self, texts: list[str]) -> list[dict]:
        task = get_task("finnl")
        examples = [inference_example(task, {"text": t}) for t in texts]
        labels, scores = self._engines["news_classify"].multilabel_scores("finnl", examples)
        out = []
        for row in scores:
            chosen = [lab for lab, s in zip(labels, row) if s > 0.5] or [labels[int(np.argmax(row))]]
            out.append({"labels": chosen, "scores": {lab: round(float(s), 6) for lab, s in zip(labels, row)}})
        return out

    def summarize(self, texts: list[str]) -> list[dict]:
        task = get_task("finna")
        examples = [inference_example(task, {"text": t}) for t in texts]
        outputs = self._engines["summarize"].predict_texts("finna", examples)
        return [{"summary": task.parse(o, e)} for o, e in zip(outputs, examples)]

    def ner(self, texts: list[str]) -> list[dict]:
        return [{"entities": ents} for ents in self.finner_model.predict(list(texts))]

    def relations(self, items: list[tuple[dict, bool]]) -> list[dict]:
        """items: ({text, head, tail}, include_unknown). Without head/tail: every ordered pair of NER entities."""
        task = get_task("finre")
        need_ner = [i for i, (it, _) in enumerate(items) if not it.get("head")]
        found = dict(zip(need_ner, self.ner_model.predict([items[i][0]["text"] for i in need_ner]))) if need_ner else {}
        pairs: list[tuple[int, str, str]] = []
        for i, (it, _) in enumerate(items):
            if it.get("head"):
                pairs.append((i, it["head"], it["tail"]))
            else:
                names = list(dict.fromkeys(e["text"] for e in found[i]))
                pairs += [(i, h, t) for h, t in itertools.islice(itertools.permutations(names, 2), MAX_NER_PAIRS)]
        examples = [inference_example(task, {"head": h, "tail": t, "text": items[i][0]["text"]}) for i, h, t in pairs]
        outputs = self._engines["relations"].predict_texts("finre", examples)
        out: list[dict] = [{"relations": []} for _ in items]
        for (i, h, t), o, e in zip(pairs, outputs, examples):
            rel = task.parse(o, e)
            rel = "unknown" if rel not in (task.labels or ()) else rel
            if rel != "unknown" or items[i][1] or items[i][0].get("head"):
                out[i]["relations"].append({"head": h, "tail": t, "relation": rel})
        return out

    def negative_news(self, items: list[dict]) -> list[dict]:
        task = get_task("finnsp")
        need = [i for i, it in enumerate(items) if it.get("entities") is None]
        found = dict(zip(need, self.ner_model.predict([f"{items[i].get('title', '')} {items[i]['text']}".strip()
                                                         for i in need]))) if need else {}
        examples = []
        for i, it in enumerate(items):
            cands = it["entities"] if it.get("entities") is not None else list(dict.fromkeys(e["text"] for e in found[i]))
            cands = [c.strip() for c in cands if c and c.strip()]
            examples.append(inference_example(task, {"title": it.get("title", ""), "text": it["text"],
                                                     "entities": cands}, row_id=str(i)))
        outputs = self._engines["negative_news"].predict_texts("finnsp", examples)
        out = []
        for o, e in zip(outputs, examples):
            ans = task.parse(o, e)
            cands = list(e.fields["entities"])
            out.append({"negative": bool(ans.negative), "subjects": [c for c in cands if c in ans.entities],
                        "candidates": cands})
        return out

    def events(self, texts: list[str]) -> list[dict]:
        out = []
        for text, events in zip(texts, self.events_model.predict(list(texts))):
            for ev in events:  # the extractor works on whitespace-compacted text: offsets must point into ours
                for values in ev.get("values", {}).values():
                    for v in values:
                        start = text.find(v["text"])
                        v["start"], v["end"] = (start, start + len(v["text"])) if start >= 0 else (None, None)
            out.append({"events": events})
        return out

    def causal(self, texts: list[str]) -> list[dict]:
        return [{"causal": c} for c in self.causal_model.predict(list(texts))]

    def announcements(self, texts: list[str]) -> list[dict]:
        return self.announcement_model.predict(list(texts))

    def kg_companies(self, queries: list[str]) -> list[dict]:
        out = []
        for q in queries:
            prof = self.kg.profile(q)
            out.append({"query": q, "found": prof is not None, "profile": prof})
        return out

    def kg_search(self, items: list[tuple[str, int, list[str] | None]]) -> list[dict]:
        return [{"query": q, "hits": self.kg.search(q, limit=limit, types=types)} for q, limit, types in items]

    def forecast(self, items: list[dict]) -> list[dict]:
        """items: {series: {name: [float]}, horizon, decompose}; all series of all items in one model call."""
        from bbt.ts.decompose import decompose

        flat = [np.asarray(v, np.float64) for it in items for v in it["series"].values()]
        preds = self.forecaster.forecast(flat) if flat else np.zeros((0, 0))
        out, k = [], 0
        for it in items:
            names = list(it["series"])
            h = it["horizon"]
            fc = {n: [float(x) for x in preds[k + j, :h]] for j, n in enumerate(names)}
            k += len(names)
            lookback = min(self.forecaster.cfg.seq_len, min(len(v) for v in it["series"].values()))
            result = {"forecast": fc, "model": self.forecaster.name, "lookback": lookback, "decomposition": None}
            if it.get("decompose", True) and lookback >= 2:
                import pandas as pd

                window = pd.DataFrame({n: np.asarray(v, np.float64)[-lookback:] for n, v in it["series"].items()})
                # why: several series may have different units; their cross-series (global) part needs one scale
                parts = decompose(window, names, standardize=len(names) > 1, trend_window=min(25, lookback))
                result["decomposition"] = {
                    n: {p: [round(float(x), 6) for x in parts[f"{n}__{p}"]]
                        for p in ("low", "high", "global", "local", "trend", "period")} for n in names}
            out.append(result)
        return out


def load_bundle(path: str | Path) -> Bundle:
    p = Path(path)
    if not (p / MANIFEST).is_file():
        raise BBTError(f"no model bundle at {p} (no {MANIFEST}); build one with `bbt bundle build --out {p}`")
    return Bundle(p)


def describe(path: str | Path) -> str:
    return json.dumps(read_manifest(Path(path)), ensure_ascii=False, indent=2)
