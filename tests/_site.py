"""Shared helpers for the built-site tests (test_book, test_links, test_browser)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# RESNET_BOOK_BUILD (a _build folder) lets a developer point the tests at another build (e.g. a partial dev build).
BUILD = Path(os.environ.get("RESNET_BOOK_BUILD", ROOT / "_build"))
HTML = BUILD / "html"


def require_site() -> Path:
    """Return the built site's folder, failing with an actionable message if it is absent."""
    if not (HTML / "index.html").is_file():
        pytest.fail(f"No built book at {HTML}: run `make book` first.", pytrace=False)
    return HTML


def html_pages(site: Path) -> list[Path]:
    """Every HTML page of one edition's site (not the copied sources or static assets, and not
    the Chinese edition in ``zh/``, which is a site of its own: ``html_pages(site / "zh")``)."""
    skip = {"_static", "_sources", "_images", "_downloads", "zh"}
    return sorted(
        p
        for p in site.rglob("*.html")
        if not skip.intersection(p.relative_to(site).parts[:1])
    )


def toc_files(toc: Path | None = None) -> list[str]:
    """Every ``file:`` entry of _toc.yml (root first), without suffix."""
    import yaml

    toc = toc or Path(
        os.environ.get("RESNET_BOOK_TOC", ROOT / "_toc.yml")
    )  # env: dev builds
    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    files = [data["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data.get("parts", data.get("chapters", [])))
    return files


def site_pages(site: Path) -> list[str]:
    """The pages the browser and link tests visit: every toc page plus Sphinx's own pages."""
    pages = [f"{f}.html" for f in toc_files()] + [
        "index.html",
        "genindex.html",
        "search.html",
    ]
    return [p for p in pages if (site / p).exists() or p.startswith("chapters/")]
