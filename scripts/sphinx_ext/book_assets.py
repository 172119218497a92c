"""Sphinx extension for resnet-book: drop duplicated script tags.

sphinx-thebe and sphinx-togglebutton register some inline scripts twice under Sphinx 7 (their
handlers add them after the HTML builder has collected the registry's scripts, so they end up in
both). A duplicated ``const THEBE_JS_URL = ...`` is a JavaScript error on every page, so exact
duplicates are removed from each page's script list just before it is rendered.
"""

from __future__ import annotations

from typing import Any


def _key(js: Any) -> tuple:
    attributes = getattr(js, "attributes", {}) or {}
    # Inline scripts have filename None or "" depending on who added them.
    return getattr(js, "filename", None) or "", tuple(
        sorted((k, str(v)) for k, v in attributes.items())
    )


def dedupe(scripts: list) -> None:
    """Remove repeated scripts from ``scripts`` in place, keeping the first of each."""
    seen: set[tuple] = set()
    unique = []
    for js in scripts:
        if _key(js) not in seen:
            seen.add(_key(js))
            unique.append(js)
    scripts[:] = unique


def _on_page_context(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        dedupe(scripts)


def setup(app: Any) -> dict:
    # Late (priority 900), after the handlers that add page scripts (default priority 500).
    app.connect("html-page-context", _on_page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
