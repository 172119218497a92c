"""Numbers and verdicts for the prose: what a page says about its own run is pasted from the run.

``glue(name, value)`` stores ``value`` for the website (myst-nb's ``glue``; the prose pastes it
with ``{glue:text}`name``` and figures show it in their captions). Where myst-nb is not
installed (Colab), the value is printed instead, so a live notebook still shows it.

``show_progress()`` says whether training should draw progress bars: yes in a live notebook, no
in the website build (``RESNET_BOOK_QUIET=1``), whose pages show results, not log lines.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["glue", "show_progress", "QUIET_ENV"]

QUIET_ENV = "RESNET_BOOK_QUIET"


def glue(name: str, value: Any, *, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the page's prose; print it where myst-nb is absent."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        print(f"{name}: {value}")
        return
    myst_glue(name, value, display=display)


def show_progress() -> bool:
    """False in the book build (``$RESNET_BOOK_QUIET=1`` or ``$RESNET_BOOK_PROGRESS=0``, see
    :func:`helpers.runtime.show_progress`), True in a live notebook."""
    from .runtime import show_progress as progress_wanted

    quiet = os.environ.get(QUIET_ENV, "").strip().lower() in ("1", "true", "yes")
    return progress_wanted() and not quiet
