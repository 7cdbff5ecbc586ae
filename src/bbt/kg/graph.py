"""Read-only access to a knowledge graph file written by `bbt kg build`."""

from __future__ import annotations

import json
import sqlite3
import threading
import unicodedata
from pathlib import Path
from typing import Any

from bbt.errors import BBTError

FORMAT, VERSION = "bbt-kg", 1
DEFAULT_KG_PATH = Path("runs/kg.sqlite")
NODE_TYPES = ("company", "industry", "concept", "person", "holder")
EDGE_TYPES = ("industry_of", "concept_of", "employ_of", "holds")
# why: lookups prefer an exact code over a current name over a former/other short name
_KIND_RANK = "CASE a.kind WHEN 'code' THEN 0 WHEN 'ts_code' THEN 1 WHEN 'name' THEN 2 ELSE 3 END"
_TYPE_RANK = ("CASE n.type WHEN 'company' THEN 0 WHEN 'industry' THEN 1 WHEN 'concept' THEN 2 "
              "WHEN 'person' THEN 3 ELSE 4 END")


def normalize(text: str) -> str:
    """Matching form of a name: NFKC (full-width Ａ -> A), no whitespace, case-folded (000001.sz)."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _hint(path: Path) -> str:
    return f"build it with `bbt kg build --out {path}`"


class KnowledgeGraph:
    """The stock knowledge graph in one SQLite file, opened read-only; safe to share between threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise BBTError(f"knowledge graph not found: {self.path}; {_hint(self.path)}")
        # why: one connection shared by threads (check_same_thread=False), every use under the lock
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(f"file:{self.path.resolve().as_posix()}?mode=ro", uri=True,
                                     check_same_thread=False)
        try:
            meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError:  # not SQLite at all, or SQLite without our tables
            self._conn.close()
            raise BBTError(f"{self.path} is not a bbt knowledge graph; {_hint(self.path)}") from None
        if meta.get("format") != FORMAT or meta.get("version") != str(VERSION):
            self._conn.close()
            raise BBTError(f"{self.path} is not a bbt knowledge graph of version {VERSION} "
                           f"(format={meta.get('format')!r}, version={meta.get('version')!r}); "
                           f"re{_hint(self.path)}")
        self.meta: dict[str, Any] = {k: _maybe_json(v) for k, v in meta.items()}
        self._company_names: dict[str, str] | None = None
        self._person_names: set[str] | None = None

    def _rows(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> KnowledgeGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def counts(self) -> dict[str, dict[str, int]]:
        """{"nodes": {type: n}, "edges": {type: n}} as recorded at build time."""
        return self.meta["counts"]

    def _company_id(self, query: str) -> int | None:
        q = normalize(query)
        if q.isdigit() and len(q) < 6:  # why: codes lose their zeros in spreadsheets (1 -> 000001)
            q = q.zfill(6)
        rows = self._rows(f"SELECT a.node FROM names a JOIN nodes n ON n.id = a.node "
                          f"WHERE a.norm = ? AND n.type = 'company' ORDER BY {_KIND_RANK}, n.key LIMIT 1", (q,))
        return rows[0][0] if rows else None

    def profile(self, query: str) -> dict | None:
        """Company by 6-digit code, ts_code (000001.SZ) or exact name / short name; None when nothing matches."""
        node = self._company_id(query)
        if node is None:
            return None
        (name, props), = self._rows("SELECT name, props FROM nodes WHERE id = ?", (node,))
        p = json.loads(props)
        concepts = self._rows("SELECT n.name FROM edges e JOIN nodes n ON n.id = e.dst "
                              "WHERE e.src = ? AND e.type = 'concept_of' ORDER BY e.rowid", (node,))
        execs = self._rows("SELECT n.name, n.props, e.props FROM edges e JOIN nodes n ON n.id = e.src "
                           "WHERE e.dst = ? AND e.type = 'employ_of' ORDER BY e.rowid", (node,))
        holds = self._rows("SELECT n.name, e.props FROM edges e JOIN nodes n ON n.id = e.src "
                           "WHERE e.dst = ? AND e.type = 'holds'", (node,))
        holders = [{"name": h, **json.loads(e)} for h, e in holds]
        holders = [h for h in holders if h["latest"]]
        holders.sort(key=lambda h: (-h["ratio"], h["name"]))
        executives = []
        for n, person, edge in execs:
            pp = json.loads(person)
            executives.append({"name": n, "jobs": json.loads(edge)["jobs"], "gender": pp["gender"], "age": pp["age"]})
        return {
            "code": p["code"], "ts_code": p["ts_code"], "name": name, "industry": p["industry"],
            "area": p["area"], "listing_date": p["listing_date"], "exchange": p["exchange"],
            "aliases": p["aliases"],
            "concepts": [c for c, in concepts],
            "executives": executives,
            "top_holders": [{k: h[k] for k in ("name", "amount", "ratio", "end_date")} for h in holders],
        }

    def search(self, text: str, limit: int = 10, types: list[str] | None = None) -> list[dict]:
        """Nodes whose name or alias contains ``text``: exact matches, then prefix matches, then shorter names."""
        q = normalize(text)
        if not q or limit <= 0:
            return []
        types = list(types) if types else list(NODE_TYPES)
        unknown = [t for t in types if t not in NODE_TYPES]
        if unknown:
            raise BBTError(f"unknown node type {unknown[0]!r}; choose from {', '.join(NODE_TYPES)}")
        marks = ",".join("?" * len(types))
        # why: instr, not LIKE, so '%' and '_' in the text are plain characters
        rows = self._rows(
            f"SELECT n.type, n.name, n.key FROM names a JOIN nodes n ON n.id = a.node "
            f"WHERE instr(a.norm, ?) > 0 AND n.type IN ({marks}) "
            f"GROUP BY n.id ORDER BY MAX(a.norm = ?) DESC, MAX(instr(a.norm, ?) = 1) DESC, length(n.name), "
            f"{_TYPE_RANK}, n.name, n.key LIMIT ?",
            (q, *types, q, q, int(limit)))
        hits = []
        for typ, name, key in rows:
            hit = {"type": typ, "name": name, "key": key}
            if typ == "company":
                hit["code"] = key
            hits.append(hit)
        return hits

    def neighbors(self, key: str, type: str = "company", edge_type: str | None = None,
                  limit: int = 100) -> list[dict]:
        """Nodes linked to one node (a company may be given by any profile query), with the edge and direction."""
        if type == "company":
            node = self._company_id(key)
        else:
            rows = self._rows("SELECT id FROM nodes WHERE type = ? AND key = ?", (type, key))
            node = rows[0][0] if rows else None
        if node is None:
            return []
        etype = "" if edge_type is None else " AND e.type = ?"
        extra = () if edge_type is None else (edge_type,)
        rows = self._rows(
            f"SELECT 'out', e.type, e.props, n.type, n.key, n.name FROM edges e JOIN nodes n ON n.id = e.dst "
            f"WHERE e.src = ?{etype} UNION ALL "
            f"SELECT 'in', e.type, e.props, n.type, n.key, n.name FROM edges e JOIN nodes n ON n.id = e.src "
            f"WHERE e.dst = ?{etype} LIMIT ?", (node, *extra, node, *extra, int(limit)))
        return [{"direction": d, "edge": t, "props": json.loads(p) if p else {}, "type": nt, "key": k, "name": n}
                for d, t, p, nt, k, n in rows]

    def company_names(self) -> dict[str, str]:
        """Company name or short name (as written, and in half-width form) -> 6-digit code."""
        if self._company_names is None:
            rows = self._rows("SELECT a.alias, n.key, a.kind FROM names a JOIN nodes n ON n.id = a.node "
                              "WHERE n.type = 'company' AND a.kind IN ('name', 'short_name') "
                              "ORDER BY a.kind = 'name' DESC, n.key")
            out: dict[str, str] = {}
            for alias, code, _ in rows:  # current names come first, so they win over a former name
                out.setdefault(alias, code)
                out.setdefault(unicodedata.normalize("NFKC", alias), code)
            self._company_names = out
        return dict(self._company_names)

    def person_names(self) -> set[str]:
        """Names of all executives."""
        if self._person_names is None:
            self._person_names = {n for n, in self._rows("SELECT name FROM nodes WHERE type = 'person'")}
        return set(self._person_names)


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def load_kg(path: str | Path = DEFAULT_KG_PATH) -> KnowledgeGraph:
    """Open a knowledge graph; BBTError with the build command when it is missing or not a KG file."""
    return KnowledgeGraph(path)
