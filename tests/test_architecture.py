"""The package's shape is checked, not just described (issue 18).

* ``lint-imports`` keeps the layer contract in pyproject.toml: a module imports only from
  layers below it, function-local imports included; and it fails when one reaches up.
* No module in helpers/, scripts/ or tests/ is over 400 lines (data tables excepted, by
  name), and no function or method is over 60 lines.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CHECKED = ("helpers", "scripts", "tests")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# Modules that are only data (the papers' result tables) may be longer.
DATA_MODULES = {"helpers/experiments/paper_results.py"}


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_layer_contract_is_kept() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """A copy of the package with one function-local import from train up to book."""
    shutil.copytree(ROOT / "helpers", tmp_path / "helpers")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    schedule = tmp_path / "helpers" / "train" / "schedule.py"
    schedule.write_text(
        schedule.read_text()
        + "\n\ndef _upward():\n    from helpers.book.plots import plot_history\n"
        "\n    return plot_history\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "helpers.train is not allowed to import helpers.book" in result.stdout


def _python_files() -> list[Path]:
    return sorted(
        p
        for folder in CHECKED
        for p in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in p.parts
    )


def module_sizes(files: list[Path], root: Path = ROOT) -> dict[str, int]:
    """Lines per module, for the modules over the limit."""
    sizes = {
        p.relative_to(root).as_posix(): len(p.read_text().splitlines()) for p in files
    }
    return {k: n for k, n in sizes.items() if n > MAX_MODULE_LINES}


def long_functions(files: list[Path], root: Path = ROOT) -> list[str]:
    """``path:line name (N lines)`` for every function or method over the limit."""
    found = []
    for p in files:
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    where = p.relative_to(root).as_posix()
                    found.append(f"{where}:{node.lineno} {node.name} ({n} lines)")
    return found


def test_no_module_over_the_limit() -> None:
    over = module_sizes(_python_files())
    assert set(over) <= DATA_MODULES, {k: over[k] for k in set(over) - DATA_MODULES}


def test_no_function_over_the_limit() -> None:
    assert long_functions(_python_files()) == []


def test_the_checks_catch_a_long_module_and_a_long_method(tmp_path: Path) -> None:
    body = "\n".join(f"        x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    long = tmp_path / "long.py"
    long.write_text("class A:\n    def f(self):\n" + body + "\n" * MAX_MODULE_LINES)
    assert long_functions([long], tmp_path) == [
        f"long.py:2 f ({MAX_FUNCTION_LINES + 1} lines)"
    ]
    assert list(module_sizes([long], tmp_path)) == ["long.py"]
    short = tmp_path / "short.py"
    short.write_text("def g():\n    return 1\n")
    assert long_functions([short], tmp_path) == []
    assert module_sizes([short], tmp_path) == {}
