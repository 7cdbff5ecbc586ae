"""The knowledge graph built from the real shared kg/ files: counts, profiles, search, errors, threads, CLI."""

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from bbt.cli.kg import kg_app
from bbt.errors import BBTError, DataError
from bbt.kg import KnowledgeGraph, build_kg, load_kg


@pytest.fixture(scope="module")
def built(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("kg") / "kg.sqlite"
    counts = build_kg(data_dir, out, progress=False)
    return out, counts


@pytest.fixture(scope="module")
def graph(built):
    with load_kg(built[0]) as g:
        yield g


def _expected_counts(kg: Path) -> dict:
    """Counts straight from the CSVs with plain pandas, independent of the builder."""
    def read(rel, **kw):
        return pd.read_csv(kg / rel, dtype=str, keep_default_na=False, **kw)

    imp = "stock_kg/import/"
    stock, basics = read(imp + "stock.csv"), read("stock_basics/Astocks.csv", sep=" ")
    holders, listed = read("top10_holders/stockHolder.csv"), read("top10_holders/stockList.csv")
    industry, concept = read(imp + "industry.csv"), read(imp + "concept.csv")
    si, sc, es = read(imp + "stock_industry.csv"), read(imp + "stock_concept.csv"), read(imp + "executive_stock.csv")
    ind_name = dict(zip(industry["industry_id:ID(Industry)"], industry["name"]))
    companies = (set(stock["stock_id:ID(Stock)"].str.zfill(6)) | set(basics["code"]) | set(listed["symbol"])
                 | {t[:6] for t in holders["ts_code"]})
    industry_of = ({(c.zfill(6), ind_name[i]) for c, i in zip(si[":START_ID(Stock)"], si[":END_ID(Industry)"])}
                   | {(c, i) for c, i in zip(basics["code"], basics["industry"]) if i})
    return {
        "nodes": {"company": len(companies),
                  "industry": len(set(industry["name"]) | set(basics["industry"]) - {""}),
                  "concept": concept["name"].nunique(),
                  "person": read(imp + "executive.csv")["person_id:ID(Executive)"].nunique(),
                  "holder": holders["holder_name"].str.strip().nunique()},
        "edges": {"industry_of": len(industry_of),
                  "concept_of": len(sc.drop_duplicates()),
                  "employ_of": len(es.drop_duplicates()),
                  "holds": len(holders.drop_duplicates(["ts_code", "end_date", "holder_name"]))},
    }


def test_counts_match_the_source_files(built, graph, data_dir):
    out, counts = built
    expected = _expected_counts(data_dir / "kg")
    assert counts == expected
    assert graph.counts() == expected
    with sqlite3.connect(out) as conn:  # the meta counts agree with the tables
        for kind, table in (("nodes", "nodes"), ("edges", "edges")):
            rows = dict(conn.execute(f"SELECT type, count(*) FROM {table} GROUP BY type").fetchall())
            assert rows == expected[kind]
    assert not out.with_name(out.name + ".tmp").exists()  # built into .tmp, then renamed


@pytest.mark.parametrize("query", ["000001", "000001.SZ", "000001.sz", "平安银行", "1"])
def test_profile_of_ping_an_bank(graph, query):
    p = graph.profile(query)
    assert p["code"] == "000001" and p["ts_code"] == "000001.SZ" and p["name"] == "平安银行"
    assert p["industry"] == "银行" and p["area"] == "深圳" and p["listing_date"] == "1991-04-03"
    assert "融资融券" in p["concepts"]
    assert p["executives"][0] == {"name": "谢永林", "jobs": "董事长/执行董事", "gender": "男", "age": 50}
    top = p["top_holders"]
    assert len(top) == 10 and {h["end_date"] for h in top} == {"2017-12-31"}
    assert top[0] == {"name": "中国平安保险(集团)股份有限公司-集团本级-自有资金",
                      "amount": 8510493066, "ratio": 49.56, "end_date": "2017-12-31"}
    assert [h["ratio"] for h in top] == sorted((h["ratio"] for h in top), reverse=True)


def test_profile_by_former_name_and_unknown(graph):
    assert graph.profile("海信科龙")["code"] == "000921"  # stock_kg's older name of 海信家电
    assert graph.profile("万科A")["code"] == "000002"     # half-width query, full-width name
    assert graph.profile("no such company") is None
    assert graph.profile("") is None


def test_search(graph):
    hits = graph.search("平安银行")
    assert hits[0] == {"type": "company", "name": "平安银行", "key": "000001", "code": "000001"}
    assert all("平安银行" in h["name"] for h in hits[1:])
    assert graph.search("银行", types=["industry"]) == [{"type": "industry", "name": "银行", "key": "银行"}]
    assert len(graph.search("王", limit=3)) == 3
    assert graph.search("000001.sz")[0]["code"] == "000001"
    assert graph.search("%") == []  # a plain character, not a wildcard
    with pytest.raises(BBTError, match="unknown node type"):
        graph.search("x", types=["stock"])


def test_names_for_extractors(graph):
    names = graph.company_names()
    assert names["平安银行"] == "000001" and names["万科A"] == "000002" and names["海信家电"] == "000921"
    assert "谢永林" in graph.person_names()
    assert {n["key"] for n in graph.neighbors("000001", edge_type="industry_of")} == {"银行", "金融行业"}


def test_usable_from_four_threads(graph):
    queries = ["000001", "平安银行", "000002.SZ", "600519"] * 10
    expected = [graph.profile(q) for q in queries]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(graph.profile, queries))
        found = list(pool.map(lambda q: graph.search(q, limit=5), queries))
    assert got == expected
    assert all(f for f in found)


def _kg_tree(data_dir: Path, root: Path) -> Path:
    """A data dir whose kg/ files link to the real ones, so a test can swap one."""
    for src in (data_dir / "kg").rglob("*.csv"):
        dst = root / "kg" / src.relative_to(data_dir / "kg")
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.symlink_to(src)
    return root


def test_missing_column_names_file_and_column(data_dir, tmp_path):
    root = _kg_tree(data_dir, tmp_path / "data")
    bad = root / "kg" / "top10_holders" / "stockHolder.csv"
    bad.unlink()
    bad.write_text(",ts_code,ann_date,end_date,holder_name,hold_amount\n0,000001.SZ,20180315,20171231,x,1.0\n",
                   encoding="utf-8")
    with pytest.raises(DataError) as e:
        build_kg(root, tmp_path / "kg.sqlite", progress=False)
    assert e.value.file == str(bad) and e.value.column == "hold_ratio"
    assert "stockHolder.csv" in str(e.value) and "hold_ratio" in str(e.value)
    assert not (tmp_path / "kg.sqlite").exists()


def test_bad_code_names_row(data_dir, tmp_path):
    root = _kg_tree(data_dir, tmp_path / "data")
    bad = root / "kg" / "stock_kg" / "import" / "stock.csv"
    bad.unlink()
    bad.write_text("stock_id:ID(Stock),name,code,:LABEL\n1,平安银行,1,Company\nABC,坏,ABC,Company\n",
                   encoding="utf-8")
    with pytest.raises(DataError, match=r"row 3.*stock_id:ID\(Stock\)"):
        build_kg(root, tmp_path / "kg.sqlite", progress=False)


def test_missing_file_says_what_the_data_dir_needs(tmp_path):
    with pytest.raises(DataError, match=r"stock\.csv.*must hold kg/"):
        build_kg(tmp_path, tmp_path / "kg.sqlite", progress=False)


def test_load_kg_errors(tmp_path):
    with pytest.raises(BBTError, match="bbt kg build --out"):
        load_kg(tmp_path / "missing.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database", encoding="utf-8")
    with pytest.raises(BBTError, match="not a bbt knowledge graph"):
        KnowledgeGraph(junk)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE meta(key TEXT, value TEXT)")
    with pytest.raises(BBTError, match="bbt kg build --out"):
        load_kg(other)


def test_cli(data_dir, built, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli.sqlite"
    res = runner.invoke(kg_app, ["build", "--data-dir", str(data_dir), "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "company" in res.output and f"{built[1]['nodes']['company']:,}" in res.output
    res = runner.invoke(kg_app, ["show", "平安银行", "--kg", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["code"] == "000001" and "平安银行" in res.stdout  # ensure_ascii=False
    res = runner.invoke(kg_app, ["show", "no such company", "--kg", str(out)])
    assert res.exit_code == 1
    res = runner.invoke(kg_app, ["search", "平安", "--kg", str(out), "--type", "company"])
    assert res.exit_code == 0 and "000001" in res.output
    res = runner.invoke(kg_app, ["show", "000001", "--kg", str(tmp_path / "none.sqlite")])
    assert isinstance(res.exception, BBTError)  # bbt's main() prints it as one line
