"""Shared fixtures."""

import json

import pytest

from bbt.settings import DataNotFoundError, resolve_data_dir


@pytest.fixture(scope="session")
def data_dir():
    """The shared data directory (BBT_DATA_DIR or ../shared/data); tests that need it skip without it."""
    try:
        return resolve_data_dir()
    except DataNotFoundError:
        pytest.skip("shared data not found (set BBT_DATA_DIR)")


@pytest.fixture(scope="session")
def tokenizer_dir(data_dir, tmp_path_factory):
    """A small real tokenizer (vocab 2,000 + 100 sentinels) trained once per session on FinCUGE train texts."""
    import json

    from bbt.text.tokenizer import TokenizerTrainConfig, train_tokenizer

    root = tmp_path_factory.mktemp("tokenizer")
    lines = []
    for task, n in (("finfe", 2500), ("finese", 300), ("finnl", 300)):
        rows = json.loads((data_dir / "fincuge" / task / "train_list.json").read_text("utf-8"))
        lines += [str(r[1] if task == "finese" else r[0]).replace("\n", " ") for r in rows[:n]]
    (root / "corpus.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = TokenizerTrainConfig(vocab_size=2000, character_coverage=0.98)
    train_tokenizer([root / "corpus.txt"], root / "tok", cfg, show_progress=False)
    return root / "tok"


@pytest.fixture(scope="session")
def bundle_dir(data_dir, tmp_path_factory):
    """A quick real model bundle (every build step on a slice of the shared data), built once per session."""
    from bbt.bundle.build import build_bundle

    root = tmp_path_factory.mktemp("bundle")
    build_bundle(data_dir, root, progress=False, quick=True)
    return root


@pytest.fixture(scope="session")
def bundle(bundle_dir):
    from bbt.bundle.runtime import load_bundle

    return load_bundle(bundle_dir)


# A small real corpus (news_crawl articles + FinNL news as `news`, FinFE posts as `forum`) in several shards.
@pytest.fixture(scope="session")
def small_corpus(data_dir, tmp_path_factory):
    from bbt.corpus import IngestConfig, ingest
    from bbt.corpus.clean import CleanConfig
    from bbt.corpus.readers import ReadOptions

    root = tmp_path_factory.mktemp("corpus")
    lines = (data_dir / "text" / "news_crawl" / "em_xiadie.jsonl").read_text("utf-8").splitlines()
    news = [json.loads(line)["text"] for line in lines][:30]
    news += [r[0] for r in json.loads((data_dir / "fincuge" / "finnl" / "train_list.json").read_text("utf-8"))[:400]]
    forum = [r[0] for r in json.loads((data_dir / "fincuge" / "finfe" / "train_list.json").read_text("utf-8"))[:400]]
    for name, texts in (("news", news), ("forum", forum)):
        (root / f"{name}.jsonl").write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in texts),
                                            encoding="utf-8")
        cfg = IngestConfig(read=ReadOptions(source=name), clean=CleanConfig(min_chars=10), shard_size=150)
        ingest([root / f"{name}.jsonl"], root / "corpus", cfg, progress=False)
    return root / "corpus"
