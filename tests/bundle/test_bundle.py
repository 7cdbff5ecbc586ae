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


def test_missing_or_foreign_bundles_are_clear_errors(tmp_path):
    from bbt.bundle.runtime import load_bundle

    with pytest.raises(BBTError, match="bbt bundle build"):
        load_bundle(tmp_path)
    (tmp_path / MANIFEST).write_text('{"kind": "something-else"}')
    with pytest.raises(BBTError, match="not a format"):
        load_bundle(tmp_path)
    with pytest.raises(BBTError, match="checkpoint directory not found"):
        build_bundle(tmp_path, tmp_path / "b", bbt_candidates=[tmp_path / "nope"], progress=False)
