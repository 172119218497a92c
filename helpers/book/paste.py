"""Numbers and verdicts for the prose: what a page says about its own run is pasted from the run.

``glue(name, value)`` stores ``value`` for the page's prose. On the website it is myst-nb's
``glue`` (the prose pastes it with ``{glue:text}`name```, figures with ``{glue:figure}``).
Every glued value is also kept in :data:`GLUED`, so that a live notebook can say the same
sentences with its own numbers: the Colab edition (scripts/colab_glue.py) turns each paragraph
that pastes a value into a cell calling :func:`show`, and each glued figure into a call of
:func:`show_figure`.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["glue", "show", "show_figure", "fill", "GLUED"]

GLUED: dict[str, Any] = {}  # every value glued in this kernel, by name
# A pasted value in a sentence: {name} or {name:format}; names are snake_case with a "_".
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?::([^{}]*))?\}")


def glue(name: str, value: Any, *, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the page's prose (and in :data:`GLUED`)."""
    GLUED[name] = value
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab: the sentences show the value (see show)
        return
    myst_glue(name, value, display=display)


def _text(value: Any, spec: str) -> str:
    """The value as myst-nb's ``{glue:text}`` and ``{glue:md}`` paste it."""
    if hasattr(value, "data") and isinstance(value.data, str):  # IPython Markdown
        value = value.data
    return format(value, spec) if spec else str(value)


def fill(template: str, values: dict[str, Any] | None = None) -> str:
    """``template`` with every ``{name}`` replaced by the glued value ``name``.

    Raises a KeyError naming the first value that has not been computed yet."""
    values = GLUED if values is None else values

    def one(m: re.Match) -> str:
        name, spec = m.group(1), m.group(2) or ""
        if name not in values:
            raise KeyError(
                f"{name!r} has not been computed yet: run the cells above this one first "
                "(Runtime > Run before)"
            )
        return _text(values[name], spec)

    return PLACEHOLDER.sub(one, template)


def show(template: str) -> None:
    """Display the website's sentences, ``template``, with this run's numbers, as Markdown."""
    from IPython.display import Markdown, display

    display(Markdown(fill(template).strip()))


def show_figure(name: str, caption: str = "") -> None:
    """Display the glued figure ``name`` and its caption (filled like :func:`show`)."""
    from IPython.display import display

    if name not in GLUED:
        fill(f"{{{name}}}")  # raises the same actionable KeyError
    display(GLUED[name])
    if caption.strip():
        show(f"**Figure.** {caption.strip()}")
