"""The layer contract of docs/architecture.md, checked by import-linter on every test run."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECK = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"


def _lint(root: Path) -> subprocess.CompletedProcess:
    """import-linter over the `bbt` package found under root/src, with root/pyproject.toml's contracts."""
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run([sys.executable, "-c", CHECK], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)


def test_layers_and_no_cycles_hold():
    run = _lint(ROOT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


def test_an_upward_import_or_a_circle_breaks_the_contract(tmp_path):
    """The check is not vacuous: a product part importing a benchmark driver, or two modules importing each
    other, fails it."""
    shutil.copytree(ROOT / "src" / "bbt", tmp_path / "src" / "bbt", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    universe = tmp_path / "src" / "bbt" / "data" / "universe.py"
    universe.write_text(universe.read_text(encoding="utf-8") + "\nimport bbt.bench.stocks  # noqa\n", encoding="utf-8")
    run = _lint(tmp_path)
    assert run.returncode == 1 and "bbt.data.universe -> bbt.bench.stocks" in run.stdout, run.stdout[-3000:]

    universe.write_text(universe.read_text(encoding="utf-8").replace("import bbt.bench.stocks", "import bbt.data.market"),
                        encoding="utf-8")
    market = tmp_path / "src" / "bbt" / "data" / "market.py"
    market.write_text(market.read_text(encoding="utf-8") + "\nimport bbt.data.universe  # noqa\n", encoding="utf-8")
    run = _lint(tmp_path)
    assert run.returncode == 1 and "No cycles are allowed in bbt.data" in run.stdout, run.stdout[-3000:]
