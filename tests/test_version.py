"""helpers.__version__ / __commit__ and how the book prints them (helpers/core/versions.py,
read by the Sphinx extension scripts/sphinx_ext/book_version.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

import book_meta  # scripts/ is on sys.path (tests/conftest.py)
import pytest

import helpers
from helpers.core import versions as _version

ROOT = Path(__file__).resolve().parents[1]
SPHINX_EXT = ROOT / "scripts" / "sphinx_ext"


def test_version_is_written_once_and_read_by_pyproject():
    assert helpers.__version__ == _version.source_version(ROOT)
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", helpers.__version__)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = { attr = "helpers.__version__" }' in pyproject
    assert not re.search(r'^version = "', pyproject, re.M), (
        "a second version in pyproject.toml"
    )


def test_source_version_reads_the_literal(tmp_path):
    (tmp_path / "helpers").mkdir()
    init = tmp_path / "helpers" / "__init__.py"
    init.write_text('"""doc"""\n__version__ = "2.3.4"\n', encoding="utf-8")
    assert _version.source_version(tmp_path) == "2.3.4"
    init.write_text("__version__ = compute()\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no `__version__"):
        _version.source_version(tmp_path)


def test_git_commit_of_a_checkout_and_none_outside(tmp_path):
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, env=env)
    (tmp_path / "f").write_text("x")
    subprocess.run(["git", "-C", str(tmp_path), "add", "f"], check=True, env=env)
    subprocess.run(
        ["git", "-C", str(tmp_path), "commit", "-qm", "c"], check=True, env=env
    )
    head = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert _version.git_commit(tmp_path) == head
    assert _version.git_commit(tmp_path / "nowhere") is None


def test_installed_commit_from_pip_vcs_metadata(monkeypatch):
    sha = "0123456789abcdef0123456789abcdef01234567"

    class Dist:
        def __init__(self, text):
            self.text = text

        def read_text(self, name):
            return self.text if name == "direct_url.json" else None

    pip_git = json.dumps(
        {"url": "https://github.com/o/r", "vcs_info": {"vcs": "git", "commit_id": sha}}
    )
    monkeypatch.setattr(metadata, "distribution", lambda name: Dist(pip_git))
    assert _version.installed_commit() == sha
    editable = json.dumps({"url": "file:///src", "dir_info": {"editable": True}})
    monkeypatch.setattr(metadata, "distribution", lambda name: Dist(editable))
    assert _version.installed_commit() is None


def test_book_version_text():
    sha = "1548d6225aa30f7bc06ce1b078dce6d6b06a7fba"
    assert _version.book_version("0.1.0", sha) == "0.1.0 (commit 1548d62)"
    assert _version.book_version("0.1.0", "") == "0.1.0"


def test_helpers_commit_is_this_checkout():
    expected = _version.git_commit(ROOT) or _version.installed_commit()
    assert helpers.__commit__ == expected
    with pytest.raises(AttributeError):
        helpers.__no_such_attribute__  # noqa: B018


def test_book_version_extension_reads_this_checkout(monkeypatch):
    """The extension loads helpers/core/versions.py from the source folder it builds."""
    assert book_meta.versions_module(ROOT).source_version(ROOT) == helpers.__version__
    monkeypatch.syspath_prepend(str(SPHINX_EXT))
    import book_version

    app = SimpleNamespace(srcdir=str(ROOT))
    config = SimpleNamespace(myst_substitutions=None)
    book_version._on_config_inited(app, config)
    expected = _version.book_version(
        helpers.__version__, _version.git_commit(ROOT) or ""
    )
    assert config.myst_substitutions["book_version"] == expected
    context = {}
    book_version._on_page_context(app, "intro", "page.html", context, None)
    assert f'name="{book_meta.VERSION_META}"' in context["metatags"]


def test_extensions_load_as_sphinx_loads_them(tmp_path):
    """Sphinx puts only scripts/sphinx_ext on sys.path; the extensions still find book_meta."""
    code = (
        f"import sys; sys.path.insert(0, {str(SPHINX_EXT)!r}); "
        "import author_year_labels, book_assets, book_version, colab_launch"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
