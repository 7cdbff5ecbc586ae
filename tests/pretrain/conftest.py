"""A small real corpus (news_crawl articles + FinNL news as `news`, FinFE posts as `forum`) in several shards."""

import json

import pytest


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
