"""docs/benchmarks.md is generated from docs/benchmarks.template.md and results/*.md and must never drift from them."""

from pathlib import Path

import pytest

from bbt.bench.docs import OUTPUT, render_benchmarks, shift_headings, write_benchmarks
from bbt.errors import BBTError

ROOT = Path(__file__).resolve().parents[2]


def test_benchmarks_doc_matches_results():
    doc = (ROOT / OUTPUT).read_text(encoding="utf-8")
    assert doc == render_benchmarks(ROOT), (
        "docs/benchmarks.md is out of date with docs/benchmarks.template.md or results/*.md; "
        "regenerate it with `bbt bench docs`")


def test_every_result_table_is_included_verbatim():
    doc = render_benchmarks(ROOT)
    assert "<!-- include:" not in doc
    table = (ROOT / "results" / "stock_bench.md").read_text(encoding="utf-8")
    assert "\n".join(line for line in table.splitlines() if line.startswith("|")) in doc


def _repo(tmp_path: Path, template: str, files: dict[str, str]) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "benchmarks.template.md").write_text(template, encoding="utf-8")
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    return tmp_path


def test_missing_include_raises_naming_the_file(tmp_path):
    root = _repo(tmp_path, "# T\n\n<!-- include: results/nope.md -->\n", {})
    with pytest.raises(BBTError, match=r"benchmarks\.template\.md:3: included file results/nope\.md not found"):
        render_benchmarks(root)


def test_missing_template_raises(tmp_path):
    with pytest.raises(BBTError, match="template not found"):
        render_benchmarks(tmp_path)


def test_headings_shift_below_the_section_and_fences_are_left_alone(tmp_path):
    root = _repo(tmp_path, "# T\n\n## Section\n\n<!-- include: results/a.md -->\n\n```\n<!-- include: results/a.md -->\n```\n"
                           "<!-- include: results/a.md shift=0 -->\n",
                 {"results/a.md": "# A\n\n| x |\n|---|\n| 1 |\n\n```\n# not a heading\n```\n"})
    doc = render_benchmarks(root)
    assert "### A\n\n| x |\n|---|\n| 1 |\n\n```\n# not a heading\n```" in doc
    assert "```\n<!-- include: results/a.md -->\n```" in doc  # a marker inside a code fence is text
    assert doc.rstrip().endswith("# A\n\n| x |\n|---|\n| 1 |\n\n```\n# not a heading\n```")
    assert shift_headings("## a\nb", -1) == "# a\nb"


def test_write_benchmarks_writes_the_rendering(tmp_path):
    root = _repo(tmp_path, "# T\n<!-- include: results/a.md -->\n", {"results/a.md": "table\n"})
    path = write_benchmarks(root)
    assert path == root / OUTPUT and path.read_text(encoding="utf-8") == render_benchmarks(root)
    assert "table" in path.read_text(encoding="utf-8")
