"""Corpus readers: every accepted format, the FinCUGE text cells, the leak-free default corpus."""

import json

import pytest

from bbt.errors import BBTError, DataError
from bbt.text.corpus_text import (CorpusSource, fincuge_texts, is_fincuge_heldout, iter_documents,
                                  shared_corpus_sources, training_lines)


def test_plain_jsonl_and_csv(tmp_path):
    (tmp_path / "a.txt").write_text("第一篇\n第二篇\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"text": "新闻一"}\n\n{"text": "新闻二", "x": 1}\n', encoding="utf-8")
    (tmp_path / "c.csv").write_text("\ufeff,datetime,content\n0,2019,\"快讯，一\"\n1,2019,快讯二\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text("CODE\ttext_a\n1\t公告一\n", encoding="utf-8")  # tab-separated .csv
    assert list(iter_documents(tmp_path / "a.txt")) == ["第一篇", "第二篇"]
    assert list(iter_documents(tmp_path / "b.jsonl")) == ["新闻一", "新闻二"]
    assert list(iter_documents(tmp_path / "c.csv")) == ["快讯，一", "快讯二"]
    assert list(iter_documents(tmp_path / "d.csv")) == ["公告一"]
    assert list(iter_documents(CorpusSource(tmp_path / "d.csv", column="CODE"))) == ["1"]


def test_bad_inputs_name_the_file(tmp_path):
    (tmp_path / "c.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="c.csv.*no text column"):
        list(iter_documents(tmp_path / "c.csv"))
    (tmp_path / "b.jsonl").write_text("{oops\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 1"):
        list(iter_documents(tmp_path / "b.jsonl"))
    with pytest.raises(BBTError, match="not found"):
        list(iter_documents(tmp_path / "missing.txt"))


def test_fincuge_text_cells(tmp_path):
    d = tmp_path / "finre"
    d.mkdir()
    (d / "train_list.json").write_text(json.dumps([["东方航空", "上航", "unknown", "东方航空与上航合并"]]), "utf-8")
    assert list(iter_documents(d / "train_list.json")) == ["东方航空与上航合并"]
    q = tmp_path / "finqa"
    q.mkdir()
    (q / "train_list.json").write_text(json.dumps([["企业收购事件对应的主体有哪些？长实收购酒馆业。", "长实"]]), "utf-8")
    assert list(iter_documents(q / "train_list.json")) == ["企业收购事件对应的主体有哪些？", "长实收购酒馆业。"]
    (q / "problem_list.json").write_text(json.dumps([{"id": 0, "input": "问题？文本"}]), "utf-8")
    assert list(iter_documents(q / "problem_list.json")) == ["问题？", "文本"]
    assert is_fincuge_heldout(q / "problem_list.json") and not is_fincuge_heldout(q / "train_list.json")


def test_guba_despace_and_training_lines(tmp_path):
    (tmp_path / "g.txt").write_text("买入 长期 持有 etf 融资 good news\n", encoding="utf-8")
    assert list(iter_documents(CorpusSource(tmp_path / "g.txt", despace=True))) == ["买入长期持有etf融资good news"]
    docs = ["一行\n\n 二行 \n一行", "二行", "三行"]
    assert list(training_lines(docs)) == ["一行", "二行", "三行"]


def test_shared_corpus_has_no_eval_or_problem_lists(data_dir):
    sources = shared_corpus_sources(data_dir)
    names = {s.path.name for s in sources}
    assert "eval_list.json" not in names and "problem_list.json" not in names
    assert sum(s.path.name == "train_list.json" for s in sources) == 9
    assert {s.path.parent.name for s in sources} >= {"news_crawl", "flash_news", "guba_sentiment", "astock_news"}
    for s in sources:  # each source yields text
        assert next(iter(iter_documents(s))).strip()
    assert len(fincuge_texts(data_dir, "eval", ["finfe"])) == 2020
