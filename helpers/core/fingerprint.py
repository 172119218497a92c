"""Cache keys that change when what produced a result changes: no stale results.

Two caches depend on more than their own inputs:

* the trained-model cache (:mod:`helpers.experiments.cache`): its key adds
  :func:`engine_fingerprint`, a hash of the source that determines training results
  (data, models, the loop, profiles) and the versions of torch, torchvision and numpy;
* myst-nb's execution cache, which hashes only a notebook's code cells: ``make book``
  runs ``python scripts/book_config.py --write-config _build/_config.yml`` and builds with
  that config, whose ``execute.cache`` is ``_build/.jupyter_cache/<key>``; the key
  covers all of ``helpers/`` (plots included: they draw the pages), the profile, the
  library versions, the stored runs under ``results/`` and the reference run named by
  ``$RESNET_BOOK_REFERENCE`` (the pages show both). A changed engine, profile or stored
  run executes the notebooks again; an unchanged rebuild finds its cache and executes
  nothing.

    python scripts/book_config.py                 # the book key for $RESNET_BOOK_PROFILE
    python scripts/book_config.py --write-config _build/_config.yml
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from helpers.core.paths import PACKAGE_ROOT as PACKAGE
from helpers.core.paths import REFERENCE_ENV, REPO_ROOT
from helpers.core.versions import ENGINE_LIBRARIES, library_versions

__all__ = [
    "engine_fingerprint",
    "book_key",
    "source_hash",
    "results_hash",
    "ENGINE_SOURCES",
]

# What determines a trained model: not the plots, widgets or page helpers.
ENGINE_SOURCES = (
    "train",
    "data",
    "models",
    "core/device.py",
    "core/precision.py",
    "experiments/cache.py",
    "experiments/profiles.py",
)
BOOK_LIBRARIES = ENGINE_LIBRARIES + ("matplotlib", "captum")


def _files_hash(files: list[Path], base: Path) -> str:
    """sha256 over each file's path relative to ``base`` and its bytes, in order."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(base).as_posix().encode() + b"\0")
        digest.update(f.read_bytes() + b"\0")
    return digest.hexdigest()


def source_hash(parts: tuple[str, ...] | None = None) -> str:
    """sha256 over the ``.py`` files of ``helpers/`` (or of the listed parts)."""
    roots = [PACKAGE / p for p in parts] if parts is not None else [PACKAGE]
    files = sorted(
        {f for r in roots for f in ([r] if r.is_file() else r.rglob("*.py"))}
    )
    return _files_hash(files, PACKAGE)


def results_hash(root: Path | None = None) -> str:
    """sha256 over the files under ``results/`` (the stored runs the pages show)."""
    root = root or REPO_ROOT / "results"
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
    return _files_hash(files, root)


def engine_fingerprint() -> dict[str, object]:
    """What a trained model depends on beyond its config: engine source, libraries."""
    return {"source": source_hash(ENGINE_SOURCES), "libraries": library_versions()}


def book_key(profile: str | None = None) -> str:
    """Key of one executed book: all of helpers/, the profile, the library versions, the
    stored runs and the reference run the pages load."""
    profile = profile or os.environ.get("RESNET_BOOK_PROFILE") or "default"
    payload = {
        "source": source_hash(),
        "profile": profile,
        "libraries": library_versions(BOOK_LIBRARIES),
        "results": results_hash(),
        "reference": os.environ.get(REFERENCE_ENV, ""),
    }
    blob = json.dumps(payload, sort_keys=True).encode()
    return f"{profile}-{hashlib.sha256(blob).hexdigest()[:16]}"
