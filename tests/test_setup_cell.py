"""The shared setup cell: its Colab logic (mocked offline) and that every chapter uses it verbatim."""

from __future__ import annotations

import importlib.machinery
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import book_meta  # scripts/ is on sys.path (tests/conftest.py)
import pytest
from _site import ROOT

SETUP = ROOT / "chapters" / "_setup_cell.py"
TEXT = SETUP.read_text(encoding="utf-8")


def fake_helpers(monkeypatch, importable: bool) -> list:
    """Simulate `helpers` (importable or not) with a `helpers.book.setup.setup` that records calls."""
    setups: list = []
    setup = types.ModuleType("helpers.book.setup")
    setup.setup = lambda *args, **kwargs: setups.append(
        "setup" if not kwargs.get("reference") else ("reference", *args)
    )
    book = types.ModuleType("helpers.book")
    book.setup = setup
    package = types.ModuleType("helpers")
    package.__spec__ = importlib.machinery.ModuleSpec("helpers", None)
    package.book = book
    # None in sys.modules makes `import helpers` raise ImportError (until "pip" installs it).
    monkeypatch.setitem(sys.modules, "helpers", package if importable else None)
    monkeypatch.setitem(sys.modules, "helpers.book", book)
    monkeypatch.setitem(sys.modules, "helpers.book.setup", setup)
    return setups, package


def run_setup(
    monkeypatch,
    *,
    colab: bool,
    helpers_importable: bool,
    colab_by_env: bool = False,
    spec: str | None = None,
    reference: bool = False,
) -> tuple[list, list]:
    """Exec the cell with Colab, `helpers` and pip simulated; return (pip calls, setup calls)."""
    calls: list = []
    setups, package = fake_helpers(monkeypatch, helpers_importable)

    def pip(cmd, **kw):
        calls.append((cmd, kw))
        sys.modules["helpers"] = package  # the install makes it importable

    monkeypatch.setattr(subprocess, "run", pip)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delenv("RESNET_BOOK_HELPERS", raising=False)
    if spec:
        monkeypatch.setenv("RESNET_BOOK_HELPERS", spec)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    if colab_by_env:
        monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")
    elif colab:
        monkeypatch.setitem(
            sys.modules, "google.colab", types.ModuleType("google.colab")
        )
    text = (
        TEXT.replace("USE_REFERENCE = False", "USE_REFERENCE = True", 1)
        if reference
        else TEXT
    )
    exec(compile(text, str(SETUP), "exec"), {"__name__": "__main__"})
    return calls, setups


def test_outside_colab_does_nothing(monkeypatch):
    calls, setups = run_setup(monkeypatch, colab=False, helpers_importable=False)
    assert calls == [] and setups == []


def test_colab_without_helpers_installs_the_pinned_version(monkeypatch):
    calls, setups = run_setup(monkeypatch, colab=True, helpers_importable=False)
    assert len(calls) == 1 and setups == ["setup"]
    cmd, kwargs = calls[0]
    assert cmd[:4] == [sys.executable, "-m", "pip", "install"]
    assert "--no-deps" in cmd and kwargs.get("check") is True
    version = re.search(
        r'__version__ = "([^"]+)"', (ROOT / "helpers" / "__init__.py").read_text()
    ).group(1)
    assert f"git+{repository_url()}@v{version}" in cmd, (
        "the notebook's own version, not main"
    )
    assert "captum" in cmd and "torchinfo" not in cmd
    assert not {"torch", "torchvision"} & set(cmd), "never reinstall Colab's torch"


def test_install_source_can_be_overridden(monkeypatch):
    calls, _ = run_setup(
        monkeypatch,
        colab=True,
        helpers_importable=False,
        spec="git+file:///tmp/resnet-book",
    )
    assert "git+file:///tmp/resnet-book" in calls[0][0]


def test_colab_with_helpers_skips_install(monkeypatch):
    calls, setups = run_setup(monkeypatch, colab=True, helpers_importable=True)
    assert calls == [] and setups == ["setup"]


def test_the_reference_box_passes_the_repository_and_version(monkeypatch):
    assert re.search(
        r'^USE_REFERENCE = False  # @param \{type:"boolean"\}$', TEXT, re.M
    ), "USE_REFERENCE is a Colab form checkbox, off by default"
    _, setups = run_setup(
        monkeypatch, colab=True, helpers_importable=True, reference=True
    )
    ref = re.search(r'^REF = "([^"]+)"$', TEXT, re.M).group(1)
    assert setups == [("reference", repository_url(), ref)]


def test_colab_detected_by_env(monkeypatch):
    calls, setups = run_setup(
        monkeypatch, colab=False, colab_by_env=True, helpers_importable=False
    )
    assert len(calls) == 1 and setups == ["setup"], (
        "COLAB_RELEASE_TAG alone counts as Colab"
    )


def test_ref_and_url_are_in_sync():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "sync_setup_cell.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_setup_cell_is_short():
    assert len(TEXT.strip().splitlines()) <= 20  # one short cell, as ruff formats it


@pytest.mark.parametrize("notebook", book_meta.toc_notebooks(), ids=lambda p: p.name)
def test_setup_cell_is_folded_on_the_website(notebook: Path):
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert "hide-input" in first["metadata"].get("tags", []), (
        f"{notebook.name}: the setup cell is not folded; run `python scripts/sync_setup_cell.py`"
    )


def repository_url() -> str:
    return book_meta.repository_url(book_meta.read_config())


def test_url_matches_config():
    urls = re.findall(r'REPO_URL = "([^"]+)"', TEXT)
    assert urls == [repository_url()], (
        "chapters/_setup_cell.py and _config.yml disagree on the repository URL"
    )


def test_there_are_chapter_notebooks():
    assert book_meta.toc_notebooks(), "no notebook of _toc.yml exists"


@pytest.mark.parametrize("notebook", book_meta.toc_notebooks(), ids=lambda p: p.name)
def test_first_code_cell_is_the_setup_cell(notebook: Path):
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{notebook.name} has no code cell"
    source = (
        "".join(code[0]["source"])
        if isinstance(code[0]["source"], list)
        else code[0]["source"]
    )
    assert source.rstrip("\n") == TEXT.rstrip("\n"), (
        f"{notebook.name}: first code cell differs from chapters/_setup_cell.py; "
        "run `python scripts/sync_setup_cell.py`"
    )


@pytest.mark.parametrize("notebook", book_meta.toc_notebooks(), ids=lambda p: p.name)
def test_notebook_committed_without_outputs(notebook: Path):
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    dirty = [
        i
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code"
        and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{notebook.name}: cells {dirty} have outputs; run `python scripts/sync_setup_cell.py`"
    )
