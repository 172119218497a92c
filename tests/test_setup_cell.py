"""The shared setup cell: its Colab logic (mocked offline) and that every chapter uses it verbatim."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml

from _site import ROOT, toc_files

SETUP = ROOT / "chapters" / "_setup_cell.py"
TEXT = SETUP.read_text(encoding="utf-8")


def run_setup(monkeypatch, *, colab: bool, gpu: bool, helpers_importable: bool,
              env_profile: str | None = None) -> tuple[list, dict]:
    """Exec the cell with Colab, CUDA, `helpers` and pip simulated; return (pip calls, environ)."""
    calls: list = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append((cmd, kw)))
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delenv("RESNET_BOOK_PROFILE", raising=False)
    if env_profile:
        monkeypatch.setenv("RESNET_BOOK_PROFILE", env_profile)
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    fake_torch = types.SimpleNamespace(cuda=types.SimpleNamespace(is_available=lambda: gpu))
    monkeypatch.setitem(sys.modules, "torch", fake_torch)
    # None in sys.modules makes `import helpers` raise ImportError.
    monkeypatch.setitem(sys.modules, "helpers", types.ModuleType("helpers") if helpers_importable else None)
    import os

    exec(compile(TEXT, str(SETUP), "exec"), {"__name__": "__main__"})
    return calls, dict(os.environ)


def test_outside_colab_does_nothing(monkeypatch):
    calls, env = run_setup(monkeypatch, colab=False, gpu=True, helpers_importable=False)
    assert calls == []
    assert "RESNET_BOOK_PROFILE" not in env


@pytest.mark.parametrize("gpu", [True, False])
def test_colab_without_helpers_installs_from_repository(monkeypatch, gpu):
    calls, env = run_setup(monkeypatch, colab=True, gpu=gpu, helpers_importable=False)
    assert len(calls) == 1
    cmd, kwargs = calls[0]
    assert cmd[:4] == [sys.executable, "-m", "pip", "install"]
    assert "--no-deps" in cmd and kwargs.get("check") is True
    assert f"git+{repository_url()}" in cmd
    assert not {"torch", "torchvision"} & set(cmd), "never reinstall Colab's torch"
    assert env.get("RESNET_BOOK_PROFILE") == ("gpu" if gpu else None)


def test_colab_with_helpers_skips_install(monkeypatch):
    calls, env = run_setup(monkeypatch, colab=True, gpu=True, helpers_importable=True)
    assert calls == []
    assert env["RESNET_BOOK_PROFILE"] == "gpu"


def test_colab_detected_by_env_and_user_profile_kept(monkeypatch):
    calls, env = run_setup_env_colab(monkeypatch)
    assert env["RESNET_BOOK_PROFILE"] == "paper", "a profile the user set must not be overridden"


def run_setup_env_colab(monkeypatch):
    """Colab detected only through COLAB_RELEASE_TAG, with a user-chosen profile."""
    calls: list = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append((cmd, kw)))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")
    monkeypatch.setenv("RESNET_BOOK_PROFILE", "paper")
    monkeypatch.setitem(sys.modules, "torch",
                        types.SimpleNamespace(cuda=types.SimpleNamespace(is_available=lambda: True)))
    monkeypatch.setitem(sys.modules, "helpers", None)
    import os

    exec(compile(TEXT, str(SETUP), "exec"), {"__name__": "__main__"})
    assert len(calls) == 1, "COLAB_RELEASE_TAG alone must count as Colab"
    return calls, dict(os.environ)


def test_setup_cell_is_short():
    assert len(TEXT.strip().splitlines()) <= 16


def repository_url() -> str:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]


def test_url_matches_config():
    urls = re.findall(r'REPO_URL = "([^"]+)"', TEXT)
    assert urls == [repository_url()], "chapters/_setup_cell.py and _config.yml disagree on the repository URL"


def chapter_notebooks() -> list[Path]:
    return [ROOT / f"{f}.ipynb" for f in toc_files() if (ROOT / f"{f}.ipynb").exists()]


def test_there_are_chapter_notebooks():
    assert chapter_notebooks(), "no notebook of _toc.yml exists"


@pytest.mark.parametrize("notebook", chapter_notebooks(), ids=lambda p: p.name)
def test_first_code_cell_is_the_setup_cell(notebook: Path):
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{notebook.name} has no code cell"
    source = "".join(code[0]["source"]) if isinstance(code[0]["source"], list) else code[0]["source"]
    assert source.rstrip("\n") == TEXT.rstrip("\n"), (
        f"{notebook.name}: first code cell differs from chapters/_setup_cell.py; "
        "run `python scripts/sync_setup_cell.py`")


@pytest.mark.parametrize("notebook", chapter_notebooks(), ids=lambda p: p.name)
def test_notebook_committed_without_outputs(notebook: Path):
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{notebook.name}: cells {dirty} have outputs; run `python scripts/sync_setup_cell.py`"
