"""`bbt eval commentary`: score any commentary writer, or texts someone else wrote, with the claim checker.

    bbt eval commentary --model template --windows 500            # our realiser (the baseline)
    bbt eval commentary --model openai:http://127.0.0.1:8000/v1   # an LLM given the window's daily bars
    bbt eval commentary --texts texts.jsonl --out scored.json     # {"csv"|"series", "end", "text"[, "code", "style"]}

Windows are drawn from the data directory's A-share histories (`stocks/ashare_qfq`, a seeded draw of stocks and
end dates from 2015 on, so limit rules and prices are those of today's market); each is written in both voices.
Per voice: claim precision (verified / checkable claims), contradiction rate (claims stating the opposite
direction), mean numeric error of percentage claims (points), facts covered per text (distinct window facts a
verified claim states) and the share with >= 3, the share of each window's 3 most salient facts covered, and the
style check (the share the forum-vs-news classifier, fitted on FinCUGE train texts, reads as the voice's source:
retail -> forum, analyst -> news). A placebo runs in the same command: the template text of another window scored
against this one (what the checker says of text that is fluent but about the wrong series).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from bbt.errors import BBTError, DataError
from bbt.results import markdown_table, write_json, write_markdown
from bbt.ts.claims import Claim, check_text, summarise
from bbt.ts.facts import WindowFacts, window_facts

STYLE_SOURCE = {"analyst": "news", "retail": "forum"}
SINCE = "2015-01-01"
MIN_COVERED = 3


@dataclass
class Window:
    code: str | None
    name: str | None
    st: bool
    facts: WindowFacts  # holds the rows read (date <= end)


WRITERS: dict[str, Callable[[str], "object"]] = {}


def register_writer(kind: str):
    def deco(cls):
        WRITERS[kind] = cls
        return cls
    return deco


@register_writer("template")
class TemplateWriter:
    name = "template"

    def __init__(self, rest: str = ""):
        pass

    def write(self, windows: list[Window], style: str) -> list[str]:
        from bbt.apps.commentary import realise

        return [realise(w.facts, style, name=w.name).text for w in windows]


@register_writer("openai")
class OpenAIWriter:
    """An OpenAI-compatible chat model given the last 60 daily bars as a table (what series-to-text LLMs read)."""

    def __init__(self, rest: str):
        from bbt.eval.backends.openai import OpenAIBackend

        url, _, model = rest.partition("#")
        self.backend = OpenAIBackend(url, model or None)
        self.name = self.backend.name

    def prompt(self, w: Window, style: str) -> str:
        rows = w.facts.series.tail(60)
        table = "\n".join(f"{pd.Timestamp(r.date).date()},{r.open:.2f},{r.high:.2f},{r.low:.2f},{r.close:.2f},{r.volume:.0f}"
                          for r in rows.itertuples())
        voice = "财经新闻记者" if style == "analyst" else "股吧里的散户股民"
        return (f"以下是股票{w.name or ''}({w.code or ''})截至{w.facts.end}最近{len(rows)}个交易日的日线"
                f"（日期,开盘,最高,最低,收盘,成交量）：\n{table}\n请以{voice}的口吻，用中文写一段100字以内的行情点评，"
                "数字要与数据一致。")

    def write(self, windows: list[Window], style: str) -> list[str]:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=self.backend.concurrency) as pool:
            return list(pool.map(lambda w: self.backend.complete(self.prompt(w, style), 300), windows))


def load_writer(spec: str):
    kind, _, rest = spec.partition(":")
    if kind == "bbt":
        raise BBTError("bbt:DIR commentary needs a checkpoint trained to write it (not available yet); score the "
                       "template realiser (--model template) or an openai:URL endpoint")
    if kind not in WRITERS:
        raise BBTError(f"--model {spec!r}: choose template, openai:URL[#MODEL] (writers: {', '.join(WRITERS)})")
    return WRITERS[kind](rest)


def draw_windows(data_dir: Path, n: int, seed: int = 0, per_stock: int = 10) -> list[Window]:
    """`n` windows: ceil(n / per_stock) stocks of `stocks/ashare_qfq`, `per_stock` end dates each (>= SINCE, with
    a year of history before), drawn with `seed`."""
    from bbt.data.market import load_market_file
    from bbt.data.stocks import is_st, stock_name
    from bbt.data.universe import list_stock_files

    rng = np.random.default_rng(seed)
    files = list_stock_files(data_dir)
    out: list[Window] = []
    for i in rng.permutation(len(files)):
        frame = load_market_file(files[i])
        code = str(frame.attrs.get("code") or files[i].stem)
        ok = np.flatnonzero((frame["date"] >= pd.Timestamp(SINCE)).to_numpy() & (np.arange(len(frame)) >= 260))
        if len(ok) < per_stock:
            continue
        st, name = is_st(data_dir, code), stock_name(data_dir, code)
        for j in np.sort(rng.choice(ok, size=per_stock, replace=False)):
            out.append(Window(code, name, st, window_facts(frame, frame["date"].iloc[j], code=code, st=st)))
            if len(out) == n:
                return out
    if not out:
        raise BBTError(f"no stock in {data_dir / 'stocks' / 'ashare_qfq'} has a year of history after {SINCE}")
    return out


def covered_facts(claims: list[Claim], wf: WindowFacts) -> set[str]:
    ids = {f.id for f in wf.facts}
    return {c.fact for c in claims if c.verdict == "verified" and c.fact in ids}


def score_texts(windows: list[Window], texts: list[str], style: str | None, style_model=None) -> dict:
    """Per text (claims with verdicts, facts covered) and the totals of the list."""
    rows, all_claims = [], []
    for w, text in zip(windows, texts):
        claims = check_text(text, w.facts.series, w.code, w.st)
        cov = covered_facts(claims, w.facts)
        top = {f.id for f in w.facts.top(3)}
        rows.append({"code": w.code, "end": w.facts.end, "text": text, "claims": [c.to_dict() for c in claims],
                     "facts_covered": sorted(cov), "top3_covered": len(cov & top)})
        all_claims += claims
    total = summarise(all_claims)
    n = max(1, len(rows))
    total.update({"texts": len(rows), "facts_covered_mean": sum(len(r["facts_covered"]) for r in rows) / n,
                  f"share_covering_{MIN_COVERED}": sum(len(r["facts_covered"]) >= MIN_COVERED for r in rows) / n,
                  "top3_coverage": sum(r["top3_covered"] for r in rows) / (3 * n)})
    if style_model is not None and style in STYLE_SOURCE and texts:
        read_as = style_model.predict(texts)
        total["style_match"] = float(np.mean([s == STYLE_SOURCE[style] for s in read_as]))
        for r, s in zip(rows, read_as):
            r["reads_as"] = s
    return {"totals": total, "texts": rows}


def run(spec: str, data_dir: Path, n_windows: int, out: Path, seed: int = 0, styles=("analyst", "retail")) -> dict:
    from bbt.classical.source_style import SourceStyleModel

    t0 = time.perf_counter()
    windows = draw_windows(data_dir, n_windows, seed)
    t_draw = time.perf_counter() - t0
    style_model = SourceStyleModel().fit(data_dir)
    writer = load_writer(spec)
    res = {"model": getattr(writer, "name", spec), "windows": len(windows), "seed": seed, "since": SINCE,
           "style_classifier": style_model.report, "draw_seconds": round(t_draw, 1), "styles": {}}
    shift = np.roll(np.arange(len(windows)), 1)  # placebo: window i gets the text of window i-1
    for style in styles:
        t1 = time.perf_counter()
        texts = writer.write(windows, style)
        secs = time.perf_counter() - t1
        scored = score_texts(windows, texts, style, style_model)
        scored["totals"]["seconds_per_text"] = round(secs / max(1, len(texts)), 5)
        placebo = score_texts(windows, [texts[i] for i in shift], None)["totals"]
        res["styles"][style] = {"totals": scored["totals"], "placebo": placebo, "examples": scored["texts"][:5]}
    res["seconds"] = round(time.perf_counter() - t0, 1)
    write_json(out, res)
    write_markdown(out.with_suffix(".md"), markdown(res))
    return res


def _fmt(x, pct: bool = True) -> str:
    return "-" if x is None else (f"{100 * x:.1f}%" if pct else f"{x:.2f}")


def markdown(res: dict) -> str:
    head = ["voice", "writer", "texts", "claims", "precision", "contradiction", "numeric err (pp)",
            "facts covered", f">= {MIN_COVERED} facts", "top-3 coverage", "style match"]
    table = []
    for style, r in res["styles"].items():
        for who, t in ((res["model"], r["totals"]), ("placebo (another window's text)", r["placebo"])):
            table.append([style, who, t["texts"], t["claims"], _fmt(t["precision"]), _fmt(t["contradiction_rate"]),
                          _fmt(t["numeric_error_pp"], False), f"{t['facts_covered_mean']:.2f}",
                          _fmt(t[f"share_covering_{MIN_COVERED}"]), _fmt(t["top3_coverage"]),
                          _fmt(t.get("style_match"))])
    ex = [f"- {s} ({r['examples'][0]['code']} {r['examples'][0]['end']}): {r['examples'][0]['text']}"
          for s, r in res["styles"].items() if r["examples"]]
    sc = res["style_classifier"]
    return "\n\n".join([
        "### Commentary claims checked against the series", markdown_table(head, table),
        f"{res['windows']} windows (seed {res['seed']}, A-share histories from {res['since']}), each written in both "
        f"voices. Style match: the share a forum-vs-news classifier (character TF-IDF + logistic regression on "
        f"FinCUGE train texts; {100 * sc['held_out_accuracy']:.1f}% on {sc['held_out_rows']} held-out train rows) "
        "reads as the voice's source (retail -> forum, analyst -> news).", "\n".join(ex)])


def load_texts(path: Path) -> list[tuple[Window, str, str | None]]:
    """JSON lines {"csv": PATH | "series": [rows], "end": DATE, "text": ..., ["code"], ["style"]}; a bad line is an
    error naming it."""
    from bbt.data.market import load_market_file
    from bbt.data.rows import series_frame

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataError("no such file", file=str(path)) from None
    except UnicodeDecodeError as e:
        raise DataError(f"not UTF-8 text (byte {e.start})", file=str(path)) from None
    if not any(line.strip() for line in lines):
        raise DataError("no JSON lines in the file", file=str(path))
    items = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"not JSON ({e.msg})", file=str(path), row=i) from None
        for k in ("end", "text"):
            if not isinstance(d, dict) or k not in d:
                raise DataError(f"no {k!r} field", file=str(path), row=i, column=k)
        if "csv" in d:
            p = Path(d["csv"])
            frame = load_market_file(p if p.is_absolute() else Path(path).parent / p)
        elif "series" in d:
            try:
                frame = series_frame(d["series"])
            except DataError as e:
                raise DataError(f"series: {e}", file=str(path), row=i, column="series") from None
        else:
            raise DataError("needs 'csv' (a price file) or 'series' (rows)", file=str(path), row=i, column="csv")
        code = d.get("code") or frame.attrs.get("code")
        try:
            wf = window_facts(frame, d["end"], code=code)
        except DataError as e:
            raise DataError(str(e), file=str(path), row=i) from None
        items.append((Window(code, None, False, wf), str(d["text"]), d.get("style")))
    return items


def run_texts(path: Path, out: Path, data_dir: Path | None = None) -> dict:
    """Score the texts of a JSON-lines file; lines with a "style" (analyst | retail) also get the style check
    (it needs the data directory's FinCUGE train texts)."""
    items = load_texts(path)
    windows = [w for w, _, _ in items]
    scored = score_texts(windows, [t for _, t, _ in items], None)
    res = {"texts_file": str(path), **scored}
    styled = [(k, st) for k, (_, _, st) in enumerate(items) if st in STYLE_SOURCE]
    if styled and data_dir is not None:
        from bbt.classical.source_style import SourceStyleModel

        model = SourceStyleModel().fit(data_dir)
        read_as = model.predict([items[k][1] for k, _ in styled])
        for (k, st), r in zip(styled, read_as):
            res["texts"][k]["reads_as"] = r
        res["totals"]["style_match"] = {st: float(np.mean([r == STYLE_SOURCE[st] for (_, s2), r in zip(styled, read_as)
                                                           if s2 == st])) for st in {s for _, s in styled}}
    write_json(out, res)
    return res
