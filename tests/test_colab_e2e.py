"""A new reader on Colab, simulated: a fresh venv with only Colab's preinstalled packages (torch,
torchvision, numpy, matplotlib, ipywidgets, tqdm; no captum, no helpers), `google.colab` mocked,
the setup cell installing `helpers` from git+file:// of this checkout, and two Colab-edition
chapters run end to end with nbclient in the `smoke` profile from a directory outside the repo.

Slow: the first run builds the venv under _build/ (minutes); later runs reuse it.
``COLAB_VENV_TORCH`` overrides the torch pins (e.g. a local CPU wheel).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _site import ROOT

pytestmark = pytest.mark.slow

TORCH = os.environ.get("COLAB_VENV_TORCH", "torch==2.14.1 torchvision==0.29.1").split()
PREINSTALLED = [
    *TORCH,
    "numpy",
    "matplotlib",
    "ipywidgets",
    "tqdm",
    "ipykernel",
    "nbclient",
]
CHAPTERS = ["how_to_use.ipynb", "01_cnn_basics.ipynb"]  # the two cheapest

RUNNER = r"""
import json, sys, time
import nbformat
from nbclient import NotebookClient
path, cwd, out = sys.argv[1:4]
nb = nbformat.read(path, as_version=4)
t0 = time.perf_counter()
NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": cwd}}).execute()
seconds = time.perf_counter() - t0
nbformat.write(nb, out)
print(json.dumps({"seconds": seconds}))
"""

FAKE_COLAB = '''"""A stand-in for Colab's google.colab (tests only)."""
class drive:
    @staticmethod
    def mount(path):
        raise RuntimeError("no Google Drive in tests")
'''


def colab_venv() -> Path:
    """A venv with Colab's preinstalled set, cached in _build/ by the package list."""
    key = hashlib.sha256(" ".join(PREINSTALLED).encode()).hexdigest()[:10]
    venv = ROOT / "_build" / f"colab-venv-{key}"
    python = venv / "bin" / "python"
    if not (venv / ".ready").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *PREINSTALLED], check=True
        )
        subprocess.run(
            [str(python), "-m", "ipykernel", "install", "--sys-prefix"],
            check=True,
            capture_output=True,
        )
        (venv / ".ready").touch()
    return venv


def _fake_colab(tmp_path: Path) -> Path:
    """A ``google.colab`` package that the interpreter imports at start, as on Colab."""
    fake = tmp_path / "fake"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "__init__.py").write_text(FAKE_COLAB)
    (fake / "sitecustomize.py").write_text("import google.colab  # as on Colab\n")
    return fake


def _colab_env(tmp_path: Path, fake: Path) -> dict[str, str]:
    """The environment of a Colab runtime: no book variables, helpers from this commit."""
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RESNET_BOOK_", "JUPYTER", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        {
            "PYTHONPATH": str(fake),
            "PYTHONNOUSERSITE": "1",
            "RESNET_BOOK_HELPERS": f"git+file://{ROOT}@{head}",
            "RESNET_BOOK_PROFILE": "smoke",
            "RESNET_BOOK_CACHE": str(tmp_path / "cache"),
            "HOME": str(tmp_path / "home"),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        }
    )
    return env


def _run_chapter(python: str, name: str, tmp_path: Path, outside: Path, env) -> float:
    """Run one Colab notebook from a reader's folder; check its setup cell; the seconds."""
    result = subprocess.run(
        [
            python,
            str(tmp_path / "runner.py"),
            str(ROOT / "colab" / name),
            str(outside),
            str(tmp_path / f"out-{name}"),
        ],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stderr[-4000:]}"
    nb = json.loads((tmp_path / f"out-{name}").read_text())
    setup = next(c for c in nb["cells"] if c["cell_type"] == "code")
    shown = "".join(t for o in setup["outputs"] for t in o.get("text", ""))
    assert "profile: smoke" in shown and "precision:" in shown, shown
    return json.loads(result.stdout.strip().splitlines()[-1])["seconds"]


def test_colab_edition_runs_in_a_fresh_colab_like_venv(tmp_path: Path) -> None:
    venv = colab_venv()
    python = str(venv / "bin" / "python")
    env = _colab_env(tmp_path, _fake_colab(tmp_path))
    for missing in ("captum", "helpers"):  # what the setup cell must bring in
        probe = subprocess.run(
            [python, "-c", f"import {missing}"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
        )
        assert probe.returncode != 0, f"{missing} is already in the venv; rebuild it"
    outside = tmp_path / "reader"
    outside.mkdir()
    (tmp_path / "runner.py").write_text(RUNNER)
    try:
        timings = {
            name: _run_chapter(python, name, tmp_path, outside, env)
            for name in CHAPTERS
        }
        print(f"\nColab-like run times (s): {timings}")
        assert list(outside.iterdir()) == [], (
            "nothing is written to the working directory"
        )
    finally:
        # helpers and captum were installed into the cached venv: remove them for the next run
        subprocess.run(
            [
                python,
                "-m",
                "pip",
                "uninstall",
                "-q",
                "-y",
                "resnet-book-helpers",
                "captum",
            ],
            capture_output=True,
        )
