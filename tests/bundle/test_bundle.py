"""The bundle: manifest of every capability with its measured score, cached rebuilds, per-capability selection
between classical models and BBT checkpoints by eval score, clear errors."""

import json
import shutil

import pytest

from bbt.bundle.build import STEPS, _step_select, build_bundle
from bbt.bundle.manifest import CAPABILITIES, MANIFEST, TASK_OF, read_manifest
from bbt.errors import BBTError


def test_manifest_names_a_model_and_a_measured_score_for_every_capability(bundle_dir):
    m = read_manifest(bundle_dir)
    assert set(CAPABILITIES) <= set(m["capabilities"]) and m["quick"] is True
    for cap, task in TASK_OF.items():
        spec = m["capabilities"][cap]
        assert spec["task"] == task and spec["split"] == "eval" and spec["n"] == 120
        assert spec["score"] == max(spec["candidates"].values())
    assert m["capabilities"]["kg"]["counts"]["nodes"]["company"] > 3000
    assert m["capabilities"]["forecast"]["eval"]["chosen"] in ("bbt", "naive")
    assert all(m["steps"][name]["done"] for name, _ in STEPS)
    assert "bbt-train" in m["bbt_note"] and "bbt_train" not in m["steps"]  # the default build says BBT is not in it
    assert "--bbt-train" in (bundle_dir / MANIFEST).read_text(encoding="utf-8")


def test_bbt_train_fine_tunes_a_model_that_competes(bundle_dir, data_dir, tmp_path):
    import shutil

    root = tmp_path / "b"
    shutil.copytree(bundle_dir, root)  # why: the session's bundle serves other tests unchanged
    m = build_bundle(data_dir, root, progress=False, quick=True, bbt_train_seconds=120)
    assert m["steps"]["bbt_train"]["done"] and "bbt_note" not in m
    assert (root / "bbt" / "best" / "config.json").is_file() and (root / "tokenizer" / "tokenizer.json").is_file()
    assert m["bbt_trained"]["steps"] == 6
    # pre-trained first (replaced-token detection on the shared corpus), and the fine-tune started from it
    assert m["bbt_pretrained"]["steps"] == 3 and (root / "corpus" / "manifest.json").is_file()
    state = json.loads((root / "bbt" / "best" / "bbt_state.json").read_text())
    assert state["config"]["init"].endswith("bbt_pretrain/final")
    assert json.loads((root / "bbt" / "best" / "config.json").read_text())["bbt"]["lexical"]  # fused by default
    for cap in ("forum_sentiment", "relations", "negative_news"):
        assert "bbt:best" in m["capabilities"][cap]["candidates"], cap
    done = {k: v["seconds"] for k, v in m["steps"].items()}
    again = build_bundle(data_dir, root, progress=False, quick=True, bbt_train_seconds=120)
    assert {k: v["seconds"] for k, v in again["steps"].items()} == done  # cached: nothing retrained


def test_a_finished_bundle_is_cached(bundle_dir, data_dir):
    before = (bundle_dir / MANIFEST).read_text(encoding="utf-8")
    m = build_bundle(data_dir, bundle_dir, progress=False, quick=True)
    assert m["last_run_seconds"] < 5
    assert json.loads(before)["steps"] == m["steps"]


def test_a_bbt_checkpoint_competes_per_capability(bundle_dir, data_dir, tokenizer_dir, tmp_path):
    from bbt.model.checkpoint import save_pretrained
    from bbt.model.config import preset_config
    from bbt.model.modeling import BBTModel
    from bbt.text.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    cfg = preset_config("tiny", len(tok), cls_heads={"finfe": ["消极", "中性", "积极"]})
    save_pretrained(BBTModel(cfg), tmp_path / "tiny", tokenizer=tok)
    root = tmp_path / "bundle"
    shutil.copytree(bundle_dir, root)
    m = read_manifest(root)
    m["bbt_candidates"] = [str(tmp_path / "tiny")]
    _step_select(data_dir, root, m, progress=False)
    for cap, task in TASK_OF.items():
        spec = m["capabilities"][cap]
        assert set(spec["candidates"]) == {"classical", "bbt:tiny"}
        best = max(spec["candidates"], key=spec["candidates"].get)
        assert spec["name"].startswith("bbt:") == (best == "bbt:tiny")
    m["pins"] = {"forum_sentiment": "bbt", "news_sentiment": "classical"}
    _step_select(data_dir, root, m, progress=False)
    assert m["capabilities"]["forum_sentiment"]["name"] == "bbt:tiny"
    assert m["capabilities"]["forum_sentiment"]["pinned"] is True
    assert m["capabilities"]["news_sentiment"]["engine"] == "classical"
    assert "pinned" not in m["capabilities"]["news_classify"]
    m["bbt_candidates"], m["pins"] = [], {"relations": "bbt"}
    with pytest.raises(BBTError, match="--pin relations=bbt"):
        _step_select(data_dir, root, m, progress=False)


def test_missing_or_foreign_bundles_are_clear_errors(tmp_path):
    from bbt.bundle.runtime import load_bundle

    with pytest.raises(BBTError, match="bbt bundle build"):
        load_bundle(tmp_path)
    (tmp_path / MANIFEST).write_text('{"kind": "something-else"}')
    with pytest.raises(BBTError, match="not a format"):
        load_bundle(tmp_path)
    with pytest.raises(BBTError, match="checkpoint directory not found"):
        build_bundle(tmp_path, tmp_path / "b", bbt_candidates=[tmp_path / "nope"], progress=False)


def test_bundle_backend_scores_what_the_api_answers(bundle_dir, bundle, data_dir, tmp_path):
    """`bbt eval fincuge --model bundle:DIR` equals the API's answers on the same rows (the functions the routes
    call), task by task, and `--tasks all` means the served tasks."""
    import json

    from typer.testing import CliRunner

    from bbt.bundle.backend import CAPABILITY_OF
    from bbt.cli.main import app
    from bbt.tasks import get_task

    out = tmp_path / "bundle_eval.json"
    r = CliRunner().invoke(app, ["eval", "fincuge", "--model", f"bundle:{bundle_dir}", "--data-dir", str(data_dir),
                                 "--limit", "6", "--out", str(out), "--no-progress"])
    assert r.exit_code == 0, r.output
    res = json.loads(out.read_text())
    assert set(res["tasks"]) == set(CAPABILITY_OF) and all(v["n"] == 6 for v in res["tasks"].values())
    cache = {(c["task"], c["id"]): c["output"]
             for c in map(json.loads, out.with_suffix(".cache.jsonl").read_text().splitlines())}
    f = bundle.functions()
    ner = get_task("finner").load(data_dir, "eval", limit=6)
    api_ner = f["ner"]([e.fields["text"] for e in ner])
    for e, a in zip(ner, api_ner):
        got = get_task("finner").parse(cache[("finner", e.id)], e)
        assert got == {(x["text"], x["type"]) for x in a["entities"]}
    nsp = get_task("finnsp").load(data_dir, "eval", limit=6)
    api_nsp = f["negative_news"]([{"title": e.fields["title"], "text": e.fields["text"],
                                   "entities": list(e.fields["entities"])} for e in nsp])
    for e, a in zip(nsp, api_nsp):
        got = get_task("finnsp").parse(cache[("finnsp", e.id)], e)
        assert got.negative == a["negative"] and set(got.entities) == set(a["subjects"])
    fe = get_task("finfe").load(data_dir, "eval", limit=6)
    names = {"negative": "消极", "neutral": "中性", "positive": "积极"}
    assert [cache[("finfe", e.id)] for e in fe] == [names[a["label"]]
                                                   for a in f["forum_sentiment"]([e.fields["text"] for e in fe])]
    bad = CliRunner().invoke(app, ["eval", "fincuge", "--model", f"bundle:{bundle_dir}", "--data-dir",
                                   str(data_dir), "--tasks", "finese", "--limit", "2", "--out", str(tmp_path / "x.json"),
                                   "--no-progress"])
    assert bad.exit_code != 0 and "does not answer finese" in str(bad.exception)


def test_a_failing_step_keeps_the_background_steps_work(bundle_dir, data_dir, tmp_path, monkeypatch):
    import bbt.bundle.build as build

    root = tmp_path / "b"
    shutil.copytree(bundle_dir, root)
    m = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    for step in ("finner", "forecast"):
        m["steps"].pop(step)
    (root / MANIFEST).write_text(json.dumps(m), encoding="utf-8")

    def broken(*_):
        raise RuntimeError("forecast broke")

    monkeypatch.setattr(build, "STEPS", tuple((n, broken if n == "forecast" else f) for n, f in build.STEPS))
    with pytest.raises(RuntimeError, match="forecast broke"):
        build_bundle(data_dir, root, progress=False, quick=True)
    after = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    assert after["steps"]["finner"]["done"] and "forecast" not in after["steps"]  # the next run redoes forecast only
    assert after["capabilities"]["ner"]["engine"] == "finner-crf"


def test_pins_parse_and_bad_ones_are_clear_errors(tmp_path):
    from bbt.cli.bundle import parse_pins

    assert parse_pins(["forum_sentiment=bbt", " relations = classical "]) == {"forum_sentiment": "bbt",
                                                                             "relations": "classical"}
    with pytest.raises(BBTError, match="CAPABILITY=bbt"):
        parse_pins(["forum_sentiment"])
    with pytest.raises(BBTError, match="--pin kg=bbt"):
        build_bundle(tmp_path, tmp_path / "b", progress=False, pins={"kg": "bbt"})
