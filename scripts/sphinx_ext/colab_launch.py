"""Sphinx extension for resnet-book: the Colab launch button opens the chapter's Colab edition.

sphinx-book-theme links the button to the page's source notebook
(``.../blob/<branch>/chapters/<name>.ipynb``), whose MyST markup Colab shows raw. This rewrites
it to ``.../blob/<branch>/colab/<name>.ipynb`` (written by scripts/colab_notebooks.py), keeping
the repository and branch the theme derived from _config.yml, so a fork's buttons open the
fork. Pages without a Colab edition lose the button.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from _scripts import book_meta


def colab_url(
    url: str, pagename: str, root: Path, language: str | None = None
) -> str | None:
    """The Colab edition's launch URL for ``pagename`` (in the ``language`` edition's folder,
    colab/zh/ for Chinese), or None if it has none."""
    name = Path(pagename).name
    edition = book_meta.EDITIONS.get(language or "", {})
    folder = f"{book_meta.COLAB_DIR}/{edition.get('folder', '')}"
    if not (root / folder / f"{name}.ipynb").exists():
        return None
    m = re.match(r"^(?P<head>.+?/github/[^/]+/[^/]+/blob/[^/]+)/", url)
    return f"{m.group('head')}/{folder}{name}.ipynb" if m else None


def _on_page_context(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        kept = []
        for button in group.get("buttons", []):
            if button.get("text") == "Colab":
                url = colab_url(
                    button["url"],
                    pagename,
                    Path(app.srcdir),
                    app.config.language,
                )
                if url is None:
                    continue
                button["url"] = url
            kept.append(button)
        group["buttons"] = kept
    context["header_buttons"] = [
        g
        for g in context.get("header_buttons", [])
        if g.get("label") != "launch-buttons" or g["buttons"]
    ]


def setup(app: Any) -> dict:
    # After sphinx-book-theme adds the launch buttons (priority 501).
    app.connect("html-page-context", _on_page_context, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
