"""Sphinx extension for resnet-book: every build starts from a clean ``reports`` folder.

myst-nb writes the traceback of a failed notebook to ``<outdir>/reports/<page>.err.log``, and
nothing removes it when a later build succeeds: the old traceback would be published with the
site and fail tests/test_book.py. This extension deletes the folder when the builder starts,
before any notebook runs, so the folder holds only the current build's failures.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

REPORTS = "reports"


def clean_reports(outdir: str | Path) -> bool:
    """Remove ``outdir/reports``; return whether there was one."""
    folder = Path(outdir) / REPORTS
    existed = folder.exists()
    shutil.rmtree(folder, ignore_errors=True)
    return existed


def _on_builder_inited(app: Any) -> None:
    clean_reports(app.outdir)


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _on_builder_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
