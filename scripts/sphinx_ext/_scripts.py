"""The extensions' way to scripts/book_meta.py: ``from _scripts import book_meta``.

Sphinx puts only scripts/sphinx_ext on ``sys.path`` (``sphinx.local_extensions`` in
_config.yml); this adds scripts/ once, for every extension.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SCRIPTS = str(Path(__file__).resolve().parents[1])
if _SCRIPTS not in sys.path:
    sys.path.insert(0, _SCRIPTS)

import book_meta  # noqa: E402

__all__ = ["book_meta"]
