"""`bbt eval fincuge` end to end with the dummy backend and --limit."""

import json

import pytest
from typer.testing import CliRunner

from bbt.cli.main import app
from bbt.errors import BBTError

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, ["eval", "fincuge", "--no-progress", *map(str, args)])


def test_cli_writes_json_markdown_and_cache(data_dir, tmp_path):
    out = tmp_path / "res" / "dummy.json"
    res = _run("--model", "dummy", "--data-dir", data_dir, "--tasks", "finfe,finnsp,finna", "--limit", 12,
               "--batch-size", 5, "--out", out)
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["model"] == "dummy:first" and data["split"] == "eval" and list(data["tasks"]) == [
        "finfe", "finnsp", "finna"]
    assert all(t["n"] == 12 and 0 <= t["score"] <= 100 for t in data["tasks"].values())
    assert len(out.with_suffix(".cache.jsonl").read_text(encoding="utf-8").splitlines()) == 36
    md = out.with_suffix(".md").read_text(encoding="utf-8")
    assert "published, their test split" in md and "ours, eval split, first 12 rows per task" in md
    assert "T5-base" in res.output and "published" in res.output and "average" in res.output

    gold = tmp_path / "gold.json"
    res = _run("--model", "dummy:gold", "--data-dir", data_dir, "--tasks", "finfe", "--split", "train",
               "--limit", 4, "--out", gold, "--leaderboard", out)
    assert res.exit_code == 0, res.output
    md = gold.with_suffix(".md").read_text(encoding="utf-8")
    assert "ours, train split" in md and "dummy:first" in md  # the other result shown beside


@pytest.mark.parametrize("args,message", [
    (["--tasks", "finfe,nope"], "unknown FinCUGE task"),
    (["--split", "nope"], "no split 'nope'"),
    (["--split", "problem"], "unlabelled"),
    (["--model", "nowhere/at/all"], "not a directory and not a known spec"),
    (["--out", "x.txt"], "--out must end in .json"),
])
def test_cli_errors_are_one_clear_message(data_dir, tmp_path, args, message):
    base = {"--model": "dummy", "--tasks": "finfe", "--limit": "3", "--out": str(tmp_path / "r.json")}
    for k, v in zip(args[::2], args[1::2]):
        base[k] = v
    res = _run("--data-dir", data_dir, *[x for kv in base.items() for x in kv])
    assert isinstance(res.exception, BBTError) and message in str(res.exception), res.output


def test_cli_error_exit_code(data_dir, tmp_path, monkeypatch, capsys):
    from bbt.cli.main import main

    monkeypatch.setattr("sys.argv", ["bbt", "eval", "fincuge", "--model", "dummy", "--tasks", "nope",
                                     "--data-dir", str(data_dir), "--out", str(tmp_path / "r.json")])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 2 and "unknown FinCUGE task" in capsys.readouterr().err
