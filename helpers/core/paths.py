"""Where things live: the repository root and the one cache for everything a run makes.

One cache holds what a run produces or downloads (datasets, trained models, checkpoints)::

    $RESNET_BOOK_CACHE                     if set (the one variable to override it)
    <checkout>/_build/model_cache          when helpers is imported from a source checkout
    ~/.cache/resnet-book                   otherwise (Colab, a pip-installed helpers)

Layout: trained models directly under the root (one folder per run, see
:mod:`helpers.experiments.cache`), ``data/`` for datasets, ``checkpoints/`` for runs in
progress. On Colab, :func:`helpers.book.setup.use_drive` points it at Google Drive.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "CACHE_ENV",
    "REFERENCE_ENV",
    "PACKAGE_ROOT",
    "REPO_ROOT",
    "in_checkout",
    "cache_root",
    "data_dir",
    "checkpoint_dir",
]

CACHE_ENV = "RESNET_BOOK_CACHE"
REFERENCE_ENV = "RESNET_BOOK_REFERENCE"  # names the stored reference run the pages load
PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # helpers/
# A source checkout: helpers/ sits next to pyproject.toml, _toc.yml and .git.
REPO_ROOT = PACKAGE_ROOT.parent


def in_checkout() -> bool:
    """True when helpers is imported from the book's source tree (not a pip install)."""
    return (REPO_ROOT / "_toc.yml").exists()


def cache_root() -> Path:
    """The cache directory (see the module docstring for the rule)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    if in_checkout():
        return REPO_ROOT / "_build" / "model_cache"
    return Path.home() / ".cache" / "resnet-book"


def data_dir() -> Path:
    """Where datasets are downloaded to: ``<cache>/data``."""
    return cache_root() / "data"


def checkpoint_dir() -> Path:
    """Where unfinished training runs keep their checkpoints: ``<cache>/checkpoints``."""
    return cache_root() / "checkpoints"
