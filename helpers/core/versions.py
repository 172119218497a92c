"""The book's version: ``helpers.__version__`` and the git commit the code comes from.

The version is written once, in helpers/__init__.py (pyproject.toml reads it from there). The
intro page and the PDF print ``book_version()`` (through scripts/sphinx_ext/book_version.py);
the Colab setup cell installs the tag ``v<__version__>`` (scripts/sync_setup_cell.py).
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from helpers.core.paths import REPO_ROOT as SOURCE_ROOT

DIST_NAME = "resnet-book-helpers"
ENGINE_LIBRARIES = ("torch", "torchvision", "numpy")


def source_version(root: Path = SOURCE_ROOT) -> str:
    """The ``__version__`` written in ``root/helpers/__init__.py``, read without importing it."""
    path = root / "helpers" / "__init__.py"
    match = re.search(
        r'^__version__ = "([^"]+)"', path.read_text(encoding="utf-8"), re.M
    )
    if not match:
        raise ValueError(f'no `__version__ = "..."` line in {path}')
    return match.group(1)


def git(*args: str, root: Path = SOURCE_ROOT) -> str | None:
    """``git -C root ARGS``'s output, or None outside a checkout or when git fails."""
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout


def git_commit(root: Path = SOURCE_ROOT) -> str | None:
    """The full commit hash of ``root``'s git checkout, or None outside one."""
    commit = (git("rev-parse", "HEAD", root=root) or "").strip()
    return commit if re.fullmatch(r"[0-9a-f]{40}", commit) else None


def helpers_edited(root: Path = SOURCE_ROOT) -> bool | None:
    """Whether tracked files in ``helpers/`` differ from the commit (untracked files are
    not imported, so they do not count); None when git cannot tell."""
    out = git(
        "status", "--porcelain", "--untracked-files=no", "--", "helpers", root=root
    )
    return None if out is None else bool(out.strip())


def installed_commit() -> str | None:
    """The commit pip installed from (``pip install git+URL@REF``), from PEP 610 metadata."""
    try:
        raw = metadata.distribution(DIST_NAME).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not raw:
        return None
    return json.loads(raw).get("vcs_info", {}).get("commit_id")


def commit() -> str | None:
    """The commit of this source checkout, else the commit pip installed, else None."""
    return git_commit() or installed_commit()


def book_version(version: str | None = None, sha: str | None = None) -> str:
    """How pages print the version: ``0.1.0 (commit 1548d62)``."""
    if version is None:
        from helpers import __version__ as version
    sha = sha if sha is not None else commit()
    return f"{version} (commit {sha[:7]})" if sha else version


def library_versions(
    names: tuple[str, ...] = ENGINE_LIBRARIES,
) -> dict[str, str | None]:
    """Installed versions (None where a package is absent), without importing them."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment() -> dict[str, Any]:
    """Versions and hardware of the running process."""
    import torch
    import torchvision

    from helpers.core.device import cpu_model, device_label

    env = {
        "python": platform.python_version(),
        "torch": torch.__version__.split("+")[0],
        "torchvision": torchvision.__version__.split("+")[0],
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
        "cuda_device": torch.cuda.get_device_name(0)
        if torch.cuda.is_available()
        else None,
        "device": device_label(),
    }
    if "google.colab" in sys.modules:
        env["host"] = "Colab"
    return env
