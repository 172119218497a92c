"""All Python in the repository, notebooks included, is ruff-formatted and lint-clean.

Configuration: ``[tool.ruff]`` in pyproject.toml (line length 88).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    if found is None:
        pytest.fail(
            "ruff is not installed: it is in requirements.txt (run `make venv`)"
        )
    return [found]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_ruff(), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_format_clean():
    result = _run("format", "--check", ".")
    assert result.returncode == 0, (
        "files need `ruff format` (run `.venv/bin/ruff format .`):\n" + result.stdout
    )


def test_ruff_lint_clean():
    result = _run("check", ".")
    assert result.returncode == 0, "ruff check found problems:\n" + result.stdout


def test_ruff_sees_the_notebooks():
    """Both checks above cover the chapters' notebooks, not only .py files."""
    files = _run("check", "--show-files", "chapters").stdout
    assert "03_residual_networks.ipynb" in files, files
