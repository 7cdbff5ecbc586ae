"""A small tokenizer trained once per session on real shared text (a few thousand lines, seconds)."""

import json

import pytest

from bbt.text.tokenizer import TokenizerTrainConfig, train_tokenizer

# Small corpus: 2,500 forum posts + 500 news flashes. It holds ~2.3k distinct characters; SentencePiece needs an
# id for each covered one (coverage >= 0.98 is its minimum) plus 256 bytes, hence 2,000 rather than ~1,000.
SMALL = TokenizerTrainConfig(vocab_size=2000, character_coverage=0.98)


def small_corpus_lines(data_dir, n_posts=2500, n_news=500) -> list[str]:
    posts = [r[0] for r in json.loads((data_dir / "fincuge/finfe/train_list.json").read_text("utf-8"))]
    news = [r[0] for r in json.loads((data_dir / "fincuge/finnl/train_list.json").read_text("utf-8"))]
    return [t.replace("\n", " ") for t in posts[:n_posts] + news[:n_news]]


@pytest.fixture(scope="session")
def corpus_lines(data_dir) -> list[str]:
    return small_corpus_lines(data_dir)


@pytest.fixture(scope="session")
def trained_dir(tmp_path_factory, corpus_lines):
    root = tmp_path_factory.mktemp("tok")
    corpus = root / "corpus.txt"
    corpus.write_text("\n".join(corpus_lines) + "\n", encoding="utf-8")
    train_tokenizer([corpus], root / "out", SMALL, show_progress=False)
    return root / "out"


@pytest.fixture(scope="session")
def tok(trained_dir):
    from bbt.text.tokenizer import load_tokenizer

    return load_tokenizer(trained_dir)
