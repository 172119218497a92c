"""Numbers and verdicts for the prose: what a page says about its own run is pasted from the run.

``glue(name, value)`` stores ``value`` for the page's prose. On the website it is myst-nb's
``glue`` (the prose pastes it with ``{glue:text}`name```, figures with ``{glue:figure}``).
A sentence made with :func:`helpers.core.text.T` (a :class:`~helpers.core.text.Text`) is glued
in both languages: ``name`` in English and ``name_zh`` in Chinese, which the Chinese edition
pastes in place of ``name`` (scripts/sphinx_ext/book_i18n.py).
Every glued value is also kept in :data:`GLUED`, so that a live notebook can say the same
sentences with its own numbers: the Colab edition (scripts/colab_glue.py) turns each paragraph
that pastes a value into a cell calling :func:`show`, and each glued figure into a call of
:func:`show_figure`.
"""

from __future__ import annotations

import re
from typing import Any

from helpers.core.text import LANGUAGES, Text

__all__ = ["glue", "show", "show_figure", "fill", "GLUED"]

GLUED: dict[str, Any] = {}  # every value glued in this kernel, by name
# A pasted value in a sentence: {name} or {name:format}; names are snake_case with a "_".
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?::([^{}]*))?\}")


def glue(
    name: str, value: Any, *, display: bool = False, markdown: bool = False
) -> None:
    """Store ``value`` under ``name`` for the page's prose (and in :data:`GLUED`); a
    :class:`Text` also under ``name_zh``. ``markdown``: paste it with ``{glue:md}``."""
    if isinstance(value, Text):
        for language, suffix in LANGUAGES.items():
            glue(name + suffix, getattr(value, language[:2]), markdown=markdown)
        value = value.en
    if markdown:
        from IPython.display import Markdown

        value = Markdown(value)
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


def fill(
    template: str, values: dict[str, Any] | None = None, language: str | None = None
) -> str:
    """``template`` with every ``{name}`` replaced by the glued value ``name`` (in a translated
    edition's ``language``, by ``name_zh`` where the run glued one).

    Raises a KeyError naming the first value that has not been computed yet."""
    values = GLUED if values is None else values
    suffix = LANGUAGES.get(language or "", "")

    def one(m: re.Match) -> str:
        name, spec = m.group(1), m.group(2) or ""
        if suffix and name + suffix in values:
            name += suffix
        if name not in values:
            raise KeyError(
                f"{name!r} has not been computed yet: run the cells above this one first "
                "(Runtime > Run before)"
            )
        return _text(values[name], spec)

    return PLACEHOLDER.sub(one, template)


def show(template: str, language: str | None = None) -> None:
    """Display the website's sentences, ``template``, with this run's numbers, as Markdown
    (``language``: the translated edition's sentences, see :func:`fill`)."""
    from IPython.display import Markdown, display

    display(Markdown(fill(template, language=language).strip()))


FIGURE_LABEL = {None: "Figure", "zh_CN": "图"}


def show_figure(name: str, caption: str = "", language: str | None = None) -> None:
    """Display the glued figure ``name`` and its caption (filled like :func:`show`)."""
    from IPython.display import display

    if name not in GLUED:
        fill(f"{{{name}}}")  # raises the same actionable KeyError
    display(GLUED[name])
    if caption.strip():
        show(f"**{FIGURE_LABEL[language]}.** {caption.strip()}", language)
