"""The book's version: the package version and the git commit it was built from.

One place for everything that shows or pins a version: the intro page and the PDF (through
``scripts/sphinx_ext/book_version.py``) and the Colab setup cell, which installs
``git+REPO_URL@<commit>`` so that a notebook runs the code it was published with.
"""
from __future__ import annotations

import json
import re
import subprocess
from importlib import metadata
from pathlib import Path

DIST_NAME = "resnet-book-helpers"
# A source checkout: helpers/ sits next to pyproject.toml and .git.
SOURCE_ROOT = Path(__file__).resolve().parents[1]


def package_version(root: Path = SOURCE_ROOT) -> str:
    """The installed distribution's version, else the one in ``root/pyproject.toml``."""
    try:
        return metadata.version(DIST_NAME)
    except metadata.PackageNotFoundError:
        return pyproject_version(root)


def pyproject_version(root: Path = SOURCE_ROOT) -> str:
    """The ``[project] version`` of ``root/pyproject.toml``."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    # tomllib is 3.11+; the [project] table's version line is all we need.
    match = re.search(r'^\[project\][^\[]*?^version\s*=\s*"([^"]+)"', text, re.M | re.S)
    if not match:
        raise ValueError(f"no [project] version in {root / 'pyproject.toml'}")
    return match.group(1)


def git_commit(root: Path = SOURCE_ROOT) -> str | None:
    """The full commit hash of ``root``'s git checkout, or None outside one."""
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if re.fullmatch(r"[0-9a-f]{40}", commit) else None


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
    version = version or package_version()
    sha = sha if sha is not None else commit()
    return f"{version} (commit {sha[:7]})" if sha else version
