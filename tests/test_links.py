"""Every internal link and asset reference in the built site resolves (files and #anchors)."""

from __future__ import annotations

from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from _site import html_pages, require_site

pytestmark = pytest.mark.slow


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        for key in ("id", "name") if tag != "meta" else ():
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key):
                self.refs.append(attrs[key])


@cache
def parse(path: Path) -> _Refs:
    refs = _Refs()
    refs.feed(path.read_text(encoding="utf-8", errors="replace"))
    return refs


def broken_links(site: Path) -> list[str]:
    broken = []
    editions = [site] + [site / "zh"] * (site / "zh" / "index.html").exists()
    for page in (p for edition in editions for p in html_pages(edition)):
        for ref in parse(page).refs:
            url = urlparse(ref)
            if (
                url.scheme
                or ref.startswith("//")
                or ref.startswith(("javascript:", "data:"))
            ):
                continue  # external links (launch buttons, repository) are not fetched here
            target = (
                page if not url.path else (page.parent / unquote(url.path)).resolve()
            )
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {ref} (missing file)")
            elif (
                url.fragment
                and target.suffix == ".html"
                and unquote(url.fragment) not in parse(target).ids
            ):
                broken.append(f"{page.relative_to(site)}: {ref} (missing anchor)")
    return broken


def test_internal_links_resolve():
    site = require_site()
    broken = broken_links(site)
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(
        broken[:40]
    )
