"""`bbt kg build`: the stock knowledge graph as one SQLite file, from the shared kg/ CSVs.

Nodes: company (key = 6-digit code), person (key = the executive's md5 id), industry, concept and holder
(key = name). Edges: company -industry_of-> industry, company -concept_of-> concept,
person -employ_of-> company (props jobs), holder -holds-> company.

Choices, and why:
- Companies are the union of stock_kg, stock basics, stockList and the holders' ts_codes; the name is the
  newest one (basics, about 2020, before stockList and stock_kg, about 2018); every other name becomes a
  searchable short name, so old names (海信科龙) still find the company.
- Industries merge two taxonomies: stock_kg's 49 and Tushare's (basics); a company links to both, and each
  industry_of edge records its sources. The profile's `industry` is the basics one when present.
- holds keeps every reporting period (history is cheap, 7k rows). Exact repeats of a holder in one period are
  dropped (the later announcement wins); edges of a company's latest end_date carry `latest: true`.
- The *_prep.csv files are the inputs the import CSVs were made from (same rows), so they are not read.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from bbt.errors import BBTError, DataError
from bbt.kg.graph import EDGE_TYPES, FORMAT, NODE_TYPES, VERSION, normalize
from bbt.results import atomic_path


@dataclass(frozen=True)
class Source:
    rel: str                    # path under the kg/ folder
    columns: tuple[str, ...]    # required columns (for header-less files: the names given to them)
    sep: str = ","
    header: bool = True


_IMPORT = "stock_kg/import/"
SOURCES = {
    "stock": Source(_IMPORT + "stock.csv", ("stock_id:ID(Stock)", "name")),
    "executive": Source(_IMPORT + "executive.csv", ("person_id:ID(Executive)", "name", "gender", "age:int")),
    "industry": Source(_IMPORT + "industry.csv", ("industry_id:ID(Industry)", "name")),
    "concept": Source(_IMPORT + "concept.csv", ("concept_id:ID(Concept)", "name")),
    "stock_industry": Source(_IMPORT + "stock_industry.csv", (":START_ID(Stock)", ":END_ID(Industry)")),
    "stock_concept": Source(_IMPORT + "stock_concept.csv", (":START_ID(Stock)", ":END_ID(Concept)")),
    "executive_stock": Source(_IMPORT + "executive_stock.csv", (":START_ID(Executive)", "jobs", ":END_ID(Stock)")),
    "basics": Source("stock_basics/Astocks.csv", ("code", "name", "industry", "area", "timeToMarket"), sep=" "),
    "holders": Source("top10_holders/stockHolder.csv",
                      ("ts_code", "ann_date", "end_date", "holder_name", "hold_amount", "hold_ratio")),
    "stock_list": Source("top10_holders/stockList.csv", ("ts_code", "symbol", "name", "exchange_id", "list_date")),
}
# why optional: they only add short names, the graph is complete without them
ACODES = Source("stock_basics/Acodes_names.csv", ("code", "name"), sep=" ", header=False)
STOCK_NAMES = Source("stocks/stock_names.csv", ("code", "name"))  # relative to the data dir, not kg/

_EXCHANGES = {"SH": "SSE", "SZ": "SZSE", "BJ": "BSE"}

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE nodes(id INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL,
                   props TEXT, UNIQUE(type, key));
CREATE TABLE edges(src INTEGER NOT NULL REFERENCES nodes(id), dst INTEGER NOT NULL REFERENCES nodes(id),
                   type TEXT NOT NULL, props TEXT);
CREATE TABLE names(alias TEXT NOT NULL, norm TEXT NOT NULL, node INTEGER NOT NULL REFERENCES nodes(id),
                   kind TEXT NOT NULL);
"""
INDEXES = """
CREATE INDEX edges_src ON edges(src, type);
CREATE INDEX edges_dst ON edges(dst, type);
CREATE INDEX names_norm ON names(norm);
CREATE INDEX nodes_type_name ON nodes(type, name);
"""


def kg_folder(data_dir: str | Path) -> Path:
    """The folder holding stock_kg/, stock_basics/, top10_holders/: DATA/kg, or DATA itself."""
    root = Path(data_dir)
    return root if (root / "stock_kg").is_dir() and not (root / "kg").is_dir() else root / "kg"


def _check_files(kg_dir: Path) -> None:
    for src in SOURCES.values():
        path = kg_dir / src.rel
        if not path.is_file():
            want = ", ".join(s.rel for s in SOURCES.values())
            raise DataError(f"not found; the data directory must hold kg/ with {want} "
                            "(the shared data layout, README.md section kg/)", file=str(path))


def read_source(path: Path, src: Source) -> pd.DataFrame:
    """The required columns of one CSV as stripped strings; DataError naming the file and a missing column."""
    try:
        df = pd.read_csv(path, sep=src.sep, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                         header=0 if src.header else None, names=None if src.header else list(src.columns))
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        kind = "space" if src.sep == " " else "comma"
        raise DataError(f"cannot read as {kind}-separated UTF-8 text: {e}", file=str(path)) from None
    missing = [c for c in src.columns if c not in df.columns]
    if missing:
        also = f" (also missing: {', '.join(missing[1:])})" if missing[1:] else ""
        raise DataError(f"missing required column{also}; header has: {','.join(map(str, df.columns))}",
                        file=str(path), row=1, column=missing[0])
    return pd.DataFrame({c: df[c].str.strip() for c in src.columns})


def _bad(mask: pd.Series, df: pd.DataFrame, col: str, path: Path, what: str) -> None:
    if mask.any():
        i = int(mask.to_numpy().argmax())
        raise DataError(f"{df[col].iloc[i]!r} is not {what}", file=str(path), row=i + 2, column=col)


def _codes(df: pd.DataFrame, col: str, path: Path) -> pd.Series:
    """6-digit codes: stock_kg writes 000001 as 1, so short all-digit codes are zero-padded."""
    _bad(~df[col].str.fullmatch(r"\d{1,6}"), df, col, path, "a stock code (1-6 digits)")
    return df[col].str.zfill(6)


def _dates(df: pd.DataFrame, col: str, path: Path, optional: bool = False) -> pd.Series:
    """YYYYMMDD -> YYYY-MM-DD; with optional, '' and '0' (not listed yet) become None."""
    raw = df[col]
    empty = raw.isin(["", "0"]) if optional else pd.Series(False, index=raw.index)
    parsed = pd.to_datetime(raw.where(~empty), format="%Y%m%d", errors="coerce")
    _bad(parsed.isna() & ~empty, df, col, path, "a date YYYYMMDD")
    return parsed.dt.strftime("%Y-%m-%d").astype(object).where(~empty, None)


def _numbers(df: pd.DataFrame, col: str, path: Path) -> pd.Series:
    values = pd.to_numeric(df[col], errors="coerce")
    _bad(values.isna(), df, col, path, "a number")
    return values


def _ts_code(code: str) -> str:
    """Exchange suffix from the code's first digit (6/9 Shanghai incl. B shares, 4/8 Beijing, else Shenzhen)."""
    return code + (".SH" if code[0] in "69" else ".BJ" if code[0] in "48" else ".SZ")


def _company_name(name: str) -> str:
    return "".join(name.split())  # why: stock_names pads short names: 万  科Ａ


@contextmanager
def _steps(total: int, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A rich progress bar over named build steps; step(desc) marks the previous one done."""
    if not enabled:
        yield lambda desc: None
        return
    from rich.console import Console

    from bbt.progress import progress_bar

    with progress_bar(description="[bold]kg[/] {task.description:<28}", eta=False,
                      console=Console(stderr=True)) as progress:
        task = progress.add_task("start", total=total)
        started = [False]

        def step(desc: str) -> None:
            progress.update(task, description=desc, advance=1 if started[0] else 0)
            started[0] = True

        yield step
        progress.update(task, description="done", completed=total)


class _Graph:
    """Nodes, edges and aliases collected in memory before they are written."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[str, str], tuple[int, str, dict | None]] = {}  # (type, key) -> id, name, props
        self.edges: list[tuple[int, int, str, dict | None]] = []
        self.names: list[tuple[str, int, str]] = []  # alias, node, kind

    def node(self, type: str, key: str, name: str, props: dict | None = None) -> int:
        if (type, key) not in self.nodes:
            self.nodes[type, key] = (len(self.nodes) + 1, name, props)
            self.names.append((name, len(self.nodes), "name"))
        return self.nodes[type, key][0]

    def edge(self, src: tuple[str, str], dst: tuple[str, str], type: str, props: dict | None = None) -> None:
        self.edges.append((self.nodes[src][0], self.nodes[dst][0], type, props))


def _validate(t: dict[str, pd.DataFrame], kg_dir: Path) -> None:
    """Check codes, dates, numbers and links in place; add tidy columns (code, ISO dates, numbers)."""
    p = {name: kg_dir / src.rel for name, src in SOURCES.items()}
    for name, col in (("stock", "stock_id:ID(Stock)"), ("basics", "code"), ("stock_list", "symbol"),
                      ("stock_industry", ":START_ID(Stock)"), ("stock_concept", ":START_ID(Stock)"),
                      ("executive_stock", ":END_ID(Stock)")):
        t[name]["code"] = _codes(t[name], col, p[name])
    t["basics"]["listing_date"] = _dates(t["basics"], "timeToMarket", p["basics"], optional=True)
    t["stock_list"]["list_date"] = _dates(t["stock_list"], "list_date", p["stock_list"], optional=True)
    h = t["holders"]
    _bad(~h["ts_code"].str.fullmatch(r"\d{6}\.(SH|SZ|BJ)"), h, "ts_code", p["holders"], "a ts_code like 000001.SZ")
    t["holders"] = h.assign(ann_date=_dates(h, "ann_date", p["holders"]), end_date=_dates(h, "end_date", p["holders"]),
                            amount=_numbers(h, "hold_amount", p["holders"]),
                            ratio=_numbers(h, "hold_ratio", p["holders"]))
    t["executive"]["age"] = _numbers(t["executive"], "age:int", p["executive"])
    # why an error: a dangling id means the Neo4j import set is inconsistent (neo4j-admin would refuse it too)
    stocks = set(t["stock"]["code"])
    for name, col, target, id_col in (
            ("stock_industry", ":END_ID(Industry)", "industry", "industry_id:ID(Industry)"),
            ("stock_concept", ":END_ID(Concept)", "concept", "concept_id:ID(Concept)"),
            ("executive_stock", ":START_ID(Executive)", "executive", "person_id:ID(Executive)")):
        _bad(~t[name][col].isin(set(t[target][id_col])), t[name], col, p[name], f"an id in {target}.csv")
    for name, col in (("stock_industry", ":START_ID(Stock)"), ("stock_concept", ":START_ID(Stock)"),
                      ("executive_stock", ":END_ID(Stock)")):
        _bad(~t[name]["code"].isin(stocks), t[name], col, p[name], "an id in stock.csv")
    industry = dict(zip(t["industry"]["industry_id:ID(Industry)"], t["industry"]["name"]))
    concept = dict(zip(t["concept"]["concept_id:ID(Concept)"], t["concept"]["name"]))
    t["stock_industry"]["industry"] = t["stock_industry"][":END_ID(Industry)"].map(industry)
    t["stock_concept"]["concept"] = t["stock_concept"][":END_ID(Concept)"].map(concept)
    # why: a holder listed twice in one period is a repeat; the later announcement wins
    holders = t["holders"].sort_values("ann_date", kind="stable")
    t["holders"] = holders.drop_duplicates(["ts_code", "end_date", "holder_name"], keep="last").sort_index()


def _companies(t: dict[str, pd.DataFrame], extra_names: list[pd.DataFrame]) -> dict[str, dict]:
    """code -> company props, merging the sources (newest first for the name and listing date)."""
    out: dict[str, dict] = {}

    def company(code: str, source: str) -> dict:
        c = out.setdefault(code, {"code": code, "names": [], "sources": []})
        c["sources"].append(source)
        return c

    for r in t["basics"].itertuples(index=False):
        c = company(r.code, "basics")
        c.update(area=r.area or None, industry=r.industry or None, listing_date=r.listing_date)
        c["names"].append(_company_name(r.name))
    for r in t["stock_list"].itertuples(index=False):
        c = company(r.code, "stock_list")
        c.setdefault("ts_code", r.ts_code)
        c.setdefault("exchange", r.exchange_id or None)
        c["listing_date"] = c.get("listing_date") or r.list_date
        c["names"].append(_company_name(r.name))
    for code, name in zip(t["stock"]["code"], t["stock"]["name"]):
        company(code, "stock_kg")["names"].append(_company_name(name))
    for ts in t["holders"]["ts_code"].drop_duplicates():
        company(ts[:6], "top10_holders").setdefault("ts_code", ts)
    for frame in extra_names:  # only aliases of companies the graph already has
        for code, name in zip(frame["code"], frame["name"]):
            if code in out and name:
                out[code]["names"].append(_company_name(name))
    kg_industries = t["stock_industry"].groupby("code", sort=False)["industry"].agg(list).to_dict()
    for code, c in out.items():
        names = list(dict.fromkeys(n for n in c.pop("names") if n)) or [code]
        c["name"], c["aliases"] = names[0], names[1:]
        c.setdefault("ts_code", _ts_code(code))
        c.setdefault("exchange", _EXCHANGES.get(c["ts_code"][-2:]))
        c.setdefault("area", None)
        c.setdefault("listing_date", None)
        if not c.get("industry"):
            c["industry"] = "/".join(kg_industries.get(code, [])) or None
    return dict(sorted(out.items()))


def _add_nodes(g: _Graph, t: dict[str, pd.DataFrame], extra_names: list[pd.DataFrame]) -> None:
    for code, c in _companies(t, extra_names).items():
        props = {k: c[k] for k in ("code", "ts_code", "exchange", "area", "listing_date", "industry",
                                   "aliases", "sources")}
        node = g.node("company", code, c["name"], props)
        g.names += [(code, node, "code"), (c["ts_code"], node, "ts_code")]
        g.names += [(a, node, "short_name") for a in c["aliases"]]
    industries: dict[str, set[str]] = {}
    for name in t["industry"]["name"]:
        industries.setdefault(name, set()).add("stock_kg")
    for name in t["basics"]["industry"]:
        if name:
            industries.setdefault(name, set()).add("basics")
    for name, srcs in sorted(industries.items()):
        g.node("industry", name, name, {"sources": sorted(srcs)})
    for name in sorted(set(t["concept"]["name"])):
        g.node("concept", name, name)
    for r in t["executive"].sort_values("person_id:ID(Executive)").itertuples(index=False):
        age = int(r.age) if r.age > 0 else None  # why: -1 marks an unknown age in stock_kg
        g.node("person", r[0], r.name, {"gender": r.gender or None, "age": age})
    for name in sorted(set(t["holders"]["holder_name"])):
        g.node("holder", name, name)


def _add_edges(g: _Graph, t: dict[str, pd.DataFrame]) -> None:
    pairs: dict[tuple[str, str], set[str]] = {}
    for code, name in zip(t["stock_industry"]["code"], t["stock_industry"]["industry"]):
        pairs.setdefault((code, name), set()).add("stock_kg")
    for code, name in zip(t["basics"]["code"], t["basics"]["industry"]):
        if name:
            pairs.setdefault((code, name), set()).add("basics")
    for (code, name), srcs in pairs.items():
        g.edge(("company", code), ("industry", name), "industry_of", {"sources": sorted(srcs)})
    sc = t["stock_concept"]
    for code, name in dict.fromkeys(zip(sc["code"], sc["concept"])):
        g.edge(("company", code), ("concept", name), "concept_of")
    es = t["executive_stock"]
    for pid, code, jobs in dict.fromkeys(zip(es[":START_ID(Executive)"], es["code"], es["jobs"])):
        g.edge(("person", pid), ("company", code), "employ_of", {"jobs": jobs})
    h = t["holders"]
    latest = h["end_date"] == h.groupby("ts_code")["end_date"].transform("max")
    for r, is_latest in zip(h.itertuples(index=False), latest):
        amount = int(r.amount) if float(r.amount).is_integer() else float(r.amount)
        g.edge(("holder", r.holder_name), ("company", r.ts_code[:6]), "holds",
               {"amount": amount, "ratio": float(r.ratio), "end_date": r.end_date, "ann_date": r.ann_date,
                "latest": bool(is_latest)})


def build_kg(data_dir: str | Path, out_path: str | Path, progress: bool = True) -> dict:
    """Build the KG file at ``out_path`` (atomically) from DATA/kg; returns {"nodes": {...}, "edges": {...}}."""
    started = time.perf_counter()
    kg_dir, out = kg_folder(data_dir), Path(out_path)
    _check_files(kg_dir)
    optional = [(kg_dir / ACODES.rel, ACODES), (Path(data_dir) / STOCK_NAMES.rel, STOCK_NAMES)]
    optional = [(path, src) for path, src in optional if path.is_file()]
    with _steps(len(SOURCES) + len(optional) + 4, progress) as step:
        t: dict[str, pd.DataFrame] = {}
        for name, src in SOURCES.items():
            step(f"read {Path(src.rel).name}")
            t[name] = read_source(kg_dir / src.rel, src)
        extra = []
        for path, src in optional:
            step(f"read {path.name}")
            frame = read_source(path, src)
            extra.append(frame.assign(code=_codes(frame, "code", path)))
        rows = {src.rel: len(t[name]) for name, src in SOURCES.items()}
        rows.update({src.rel: len(f) for (_, src), f in zip(optional, extra)})
        step("validate")
        _validate(t, kg_dir)
        g = _Graph()
        step("nodes")
        _add_nodes(g, t, extra)
        step("edges")
        _add_edges(g, t)
        step("write")
        nodes, edges = Counter(typ for typ, _ in g.nodes), Counter(e[2] for e in g.edges)
        counts = {"nodes": {k: nodes[k] for k in NODE_TYPES}, "edges": {k: edges[k] for k in EDGE_TYPES}}
        meta = {"format": FORMAT, "version": str(VERSION), "counts": json.dumps(counts),
                "sources": json.dumps([{"file": f, "rows": n} for f, n in rows.items()]),
                "data_dir": str(Path(data_dir).resolve()),
                "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "build_seconds": f"{time.perf_counter() - started:.2f}"}
        _write(g, meta, out)
    return counts


def _write(g: _Graph, meta: dict[str, str], out: Path) -> None:
    """Written atomically (bbt.results.atomic_path): readers never see a half-written graph."""

    def dump(props: dict | None) -> str | None:
        return None if props is None else json.dumps(props, ensure_ascii=False)

    seen: set[tuple[str, int]] = set()
    names = []
    for alias, node, kind in g.names:  # first (most specific) kind wins when two aliases normalize alike
        norm = normalize(alias)
        if norm and (norm, node) not in seen:
            seen.add((norm, node))
            names.append((alias, norm, node, kind))
    try:
        with atomic_path(out) as tmp:
            conn = sqlite3.connect(tmp)
            try:
                with conn:
                    conn.executescript(SCHEMA)
                    conn.executemany("INSERT INTO nodes VALUES (?, ?, ?, ?, ?)",
                                     ((i, typ, key, name, dump(props))
                                      for (typ, key), (i, name, props) in g.nodes.items()))
                    conn.executemany("INSERT INTO edges VALUES (?, ?, ?, ?)",
                                     ((s, d, typ, dump(props)) for s, d, typ, props in g.edges))
                    conn.executemany("INSERT INTO names VALUES (?, ?, ?, ?)", names)
                    conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
                    conn.executescript(INDEXES)
            finally:
                conn.close()
    except sqlite3.Error as e:
        raise BBTError(f"cannot write the knowledge graph to {out}: {e}") from None
