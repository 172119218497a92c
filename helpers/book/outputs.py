"""What a cell shows the reader (tables, notes, a line under a table) in both languages.

The Chinese website is built from the English execution (issue 20: no second run), so a
computed output has to carry its translation. :func:`markdown` and :func:`html` wrap a
:class:`~helpers.core.text.Text` (made with :func:`~helpers.core.text.T`) in an object whose
notebook output is the English, with the Chinese beside it in the output's metadata
(``{"text/markdown": {"zh_CN": "..."}}``). :class:`TranslatedOutput`, a myst-nb mime
renderer (registered in ``pyproject.toml``), renders the Chinese in the Chinese build. A live
notebook shows the language set with :func:`helpers.core.text.set_language` (the Chinese
Colab notebooks set ``zh_CN``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from helpers.core.text import LANGUAGES, Text, in_language

__all__ = ["Shown", "markdown", "html", "TranslatedOutput", "WIDGET_WORDS"]

# Where the renderer leaves a page's widget words (see TranslatedOutput) for
# scripts/sphinx_ext/book_i18n.py, which translates the page's stored widget state with them.
WIDGET_WORDS = "book_widget_words"


class Shown:
    """A text of one mime type (``text/markdown`` or ``text/html``) in every language."""

    def __init__(self, text: Text | str, mime: str = "text/markdown") -> None:
        if mime not in ("text/markdown", "text/html"):
            raise ValueError(f"mime must be text/markdown or text/html; got {mime!r}")
        self.text, self.mime = text, mime

    @property
    def data(self) -> str:
        """The text in the notebook's language (as ``IPython.display.Markdown.data``)."""
        return in_language(self.text)

    def _shown(self) -> tuple[str, dict[str, str]] | str:
        if not isinstance(self.text, Text):
            return str(self.text)
        twins = {language: in_language(self.text, language) for language in LANGUAGES}
        return in_language(self.text), twins

    def _repr_markdown_(self) -> tuple[str, dict[str, str]] | str | None:
        return self._shown() if self.mime == "text/markdown" else None

    def _repr_html_(self) -> tuple[str, dict[str, str]] | str | None:
        return self._shown() if self.mime == "text/html" else None

    def __repr__(self) -> str:  # the text/plain fallback
        return in_language(self.text)


def markdown(text: Text | str) -> Shown:
    """``text`` shown as Markdown (like ``IPython.display.Markdown``), in both languages."""
    return Shown(text, "text/markdown")


def html(text: Text | str) -> Shown:
    """``text`` shown as HTML (like ``IPython.display.HTML``), in both languages."""
    return Shown(text, "text/html")


class TranslatedOutput:
    """myst-nb mime renderer: in a translated build, an output that carries its translation
    (see :class:`Shown`) is rendered from the translation; a widget's words
    (:class:`helpers.book.widgets.Interactive`) are kept on the page's document under
    :data:`WIDGET_WORDS`; anything else is left to myst-nb."""

    @staticmethod
    def handle_mime(renderer: Any, data: Any, inline: bool) -> list | None:
        language = _build_language(renderer)
        twins = data.output_metadata.get(data.mime_type)
        if language not in LANGUAGES or not isinstance(twins, dict):
            return None
        twin = twins.get(language)
        if isinstance(twin, dict):  # a widget's words: myst-nb still renders the widget
            renderer.renderer.document.setdefault(WIDGET_WORDS, {}).update(twin)
            return None
        if not isinstance(twin, str):
            return None
        translated = dataclasses.replace(data, content=twin, output_metadata={})
        if inline:
            return renderer.render_mime_type_inline(translated)
        return renderer.render_mime_type(translated)


def _build_language(renderer: Any) -> str | None:
    """The ``language`` of the Sphinx build that ``renderer`` renders for (None: no Sphinx)."""
    env = getattr(renderer.renderer.document.settings, "env", None)
    return getattr(getattr(env, "config", None), "language", None)
