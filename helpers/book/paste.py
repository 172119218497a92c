"""Numbers and verdicts for the prose: what a page says about its own run is pasted from the run.

``glue(name, value)`` stores ``value`` for the website (myst-nb's ``glue``; the prose pastes it
with ``{glue:text}`name``` and figures show it in their captions). Where myst-nb is not
installed (Colab), the value is printed instead, so a live notebook still shows it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue"]


def glue(name: str, value: Any, *, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the page's prose; print it where myst-nb is absent."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        print(f"{name}: {value}")
        return
    myst_glue(name, value, display=display)
