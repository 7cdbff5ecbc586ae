"""bbt.results: every write is all-or-nothing, so a kill mid-write never leaves half a file or directory."""

import json
import os

import pytest

from bbt.results import (
    atomic_dir,
    atomic_path,
    dump_joblib,
    markdown_table,
    read_json,
    recover_dir,
    write_json,
    write_markdown,
    write_text,
)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "r.json"
    write_json(target, {"score": 1.5, "nan": float("nan")})
    assert json.loads(target.read_text(encoding="utf-8")) == {"score": 1.5, "nan": None}
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("killed mid-write")
    assert read_json(target) == {"score": 1.5, "nan": None}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_files_are_ordinary_files_not_private_temporaries(tmp_path):
    write_text(tmp_path / "a.txt", "中文")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~umask
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "中文"


def test_directory_swap_and_recovery(tmp_path):
    target = tmp_path / "ckpt"
    with atomic_dir(target) as tmp:
        (tmp / "w.bin").write_bytes(b"v1")
    with pytest.raises(KeyboardInterrupt):
        with atomic_dir(target) as tmp:
            (tmp / "w.bin").write_bytes(b"v2-partial")
            raise KeyboardInterrupt
    assert (target / "w.bin").read_bytes() == b"v1"
    with atomic_dir(target) as tmp:
        (tmp / "w.bin").write_bytes(b"v2")
    assert (target / "w.bin").read_bytes() == b"v2" and sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]
    # a kill between the two renames leaves only ckpt.old: recovery puts it back
    os.replace(target, tmp_path / "ckpt.old")
    assert recover_dir(target) and (target / "w.bin").read_bytes() == b"v2"
    assert not recover_dir(tmp_path / "never-written")


def test_joblib_markdown_and_unreadable_json(tmp_path):
    import joblib

    dump_joblib({"a": [1, 2]}, tmp_path / "m.joblib")
    assert joblib.load(tmp_path / "m.joblib") == {"a": [1, 2]}
    write_markdown(tmp_path / "t.md", markdown_table(["model", "score"], [["a|b", None]]) + "\n\n\n")
    assert (tmp_path / "t.md").read_text(encoding="utf-8") == "| model | score |\n|---|---|\n| a\\|b | — |\n"
    (tmp_path / "torn.json").write_text('{"half": ', encoding="utf-8")
    assert read_json(tmp_path / "torn.json", default="missing") == "missing"
    with pytest.raises(ValueError, match="2 columns"):
        markdown_table(["a", "b"], [[1]])
