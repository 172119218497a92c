"""Sphinx extension for resnet-book: the book's version, computed when the book is built.

Provides the MyST substitution ``{{ book_version }}`` (e.g. ``0.1.0 (commit 1548d62)``: the
``helpers.__version__`` and the checkout's git commit, see helpers/core/versions.py) and
writes it into every page as ``<meta name="resnet-book-version">``, where scripts/build_pdf.py
reads it for the PDF's title page.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from _scripts import book_meta

META_NAME = book_meta.VERSION_META


def _on_config_inited(app: Any, config: Any) -> None:
    # helpers/core/versions.py of the book being built, not whatever `helpers` the environment
    # has installed (a worktree build would otherwise report another checkout).
    srcdir = Path(app.srcdir)
    version = book_meta.versions_module(srcdir)
    text = version.book_version(
        version.source_version(srcdir), version.git_commit(srcdir) or ""
    )
    app.resnet_book_version = text
    substitutions = dict(config.myst_substitutions or {})
    substitutions.setdefault("book_version", text)
    config.myst_substitutions = substitutions


def _on_page_context(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    tag = f'<meta name="{META_NAME}" content="{html.escape(app.resnet_book_version)}" />\n'
    context["metatags"] = context.get("metatags", "") + tag


def setup(app: Any) -> dict:
    app.connect("config-inited", _on_config_inited)
    app.connect("html-page-context", _on_page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
