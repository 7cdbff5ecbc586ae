"""`bbt tokenizer train/show` end to end through the real CLI app."""

import json

from typer.testing import CliRunner

from bbt.cli.main import app
from bbt.errors import BBTError
from bbt.text.tokenizer import load_tokenizer

runner = CliRunner()


def test_train_show_end_to_end(tmp_path, corpus_lines):
    lines = corpus_lines[:900] + corpus_lines[-150:]  # 900 forum posts, 150 news flashes
    (tmp_path / "posts.txt").write_text("\n".join(lines[:600]), encoding="utf-8")
    (tmp_path / "more.jsonl").write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False)
                                                   for t in lines[600:900]), encoding="utf-8")
    (tmp_path / "news.tsv").write_text("id\ttext\n" + "\n".join(f"{i}\t{t}" for i, t in enumerate(lines[900:])),
                                       encoding="utf-8")
    out = tmp_path / "tok"
    args = ["tokenizer", "train", "--corpus", str(tmp_path / "posts.txt"), str(tmp_path / "more.jsonl"),
            str(tmp_path / "news.tsv"), "--vocab-size", "1800", "--character-coverage", "0.98",
            "--no-newline-tokens", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "3 files" in result.output and "vocabulary 1,900" in result.output
    assert json.loads((out / "bbt_text.json").read_text())["newline_tokens"] is False
    tok = load_tokenizer(out)
    assert "[newline]" not in tok.get_vocab()
    ids = tok("第一行\n第二行", add_special_tokens=False)["input_ids"]
    assert "<0x0A>" in tok.convert_ids_to_tokens(ids) and tok.decode(ids) == "第一行\n第二行"

    shown = runner.invoke(app, ["tokenizer", "show", str(out), "--text", "公司公告\\n次行"])
    assert shown.exit_code == 0 and "</s>" in shown.output and "(same)" in shown.output

    again = runner.invoke(app, args)  # a non-empty --out is not replaced silently
    assert isinstance(again.exception, BBTError) and "--overwrite" in str(again.exception)


def test_train_errors_are_clear(tmp_path):
    (tmp_path / "a.txt").write_text("公司公告今日发布，股价上涨。\n" * 5 + "银行利率下调\n", encoding="utf-8")
    result = runner.invoke(app, ["tokenizer", "train", str(tmp_path / "a.txt"), "--vocab-size", "100",
                                 "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, BBTError) and "--vocab-size 100 is too small" in str(result.exception)
    result = runner.invoke(app, ["tokenizer", "train", "--vocab-size", "100", "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, BBTError) and "--shared" in str(result.exception)
