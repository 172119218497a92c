"""The joined book in Chromium (scripts/build_pdf.py): served, opened, math and widgets rendered.

Debian's chromium, the browser the tests use, opens the document through Playwright from a local
HTTP server that serves the build folder; requests to other hosts are blocked, so the book
prints from the site's own files only. :func:`render` waits until MathJax has typeset and every
widget view with a saved widget state has rendered.
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pdf_join import WIDGET_STATE, WIDGET_VIEW

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RENDER_TIMEOUT_MS = 120_000

# Views whose model is in a saved widget state must have rendered; a view without saved state
# (a notebook executed without it) renders nowhere, on the website neither: reported, not awaited.
WIDGET_VIEWS_JS = f"""() => {{
  const models = new Set();
  document.querySelectorAll('script[type="{WIDGET_STATE}"]').forEach(
    s => Object.keys(JSON.parse(s.textContent).state || {{}}).forEach(id => models.add(id)));
  const views = [...document.querySelectorAll('script[type="{WIDGET_VIEW}"]')];
  const pending = views.filter(v => models.has(JSON.parse(v.textContent).model_id)).filter(v => {{
    const area = v.previousElementSibling;
    return !(area && area.classList.contains('widget-subarea') && area.childElementCount > 0);
  }});
  const orphans = views.filter(v => !models.has(JSON.parse(v.textContent).model_id))
    .map(v => v.closest('.book-page').id);
  return {{pending: pending.length, orphans}};
}}"""
WIDGETS_RENDERED_JS = f"() => ({WIDGET_VIEWS_JS})().pending === 0"

IMAGES_LOADED_JS = "() => [...document.images].every(i => i.complete)"

_START = time.perf_counter()


def log(message: str) -> None:
    """A progress line on stderr, with the seconds since the start."""
    print(
        f"[{time.perf_counter() - _START:5.0f} s] {message}",
        file=sys.stderr,
        flush=True,
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on this machine; yields the server's base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass
class Traffic:
    """What the browser was not given: requests to other hosts, files that failed to load."""

    blocked: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)


@contextmanager
def browser_page(traffic: Traffic) -> Iterator[Any]:
    """A Chromium page (Playwright) that loads from this machine only, noting in ``traffic``
    what it blocked and what failed to load."""
    from playwright.sync_api import sync_playwright

    def route(r) -> None:
        host = urlparse(r.request.url).hostname
        if (
            urlparse(r.request.url).scheme in ("data", "blob", "about")
            or host == "127.0.0.1"
        ):
            r.continue_()
        else:  # the book prints from the site's own files only
            traffic.blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 900, "height": 1200})
        page.route("**/*", route)
        page.on(
            "response",
            lambda r: r.status >= 400 and traffic.failed.add(f"{r.status} {r.url}"),
        )
        yield page
        browser.close()


def render(page, url: str) -> None:
    """Open the joined book and wait until its math and widgets are rendered."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(url, wait_until="load", timeout=RENDER_TIMEOUT_MS)
    log("loaded")
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
        timeout=RENDER_TIMEOUT_MS,
    )
    page.evaluate("() => MathJax.startup.promise")
    log("math typeset")
    orphans = page.evaluate(WIDGET_VIEWS_JS)["orphans"]
    if orphans:
        print(
            f"warning: widget views without saved widget state (they render nowhere): "
            f"{sorted(set(orphans))}",
            file=sys.stderr,
        )
    try:
        page.wait_for_function(WIDGETS_RENDERED_JS, timeout=RENDER_TIMEOUT_MS)
    except PlaywrightTimeout:
        pending = page.evaluate(WIDGET_VIEWS_JS)["pending"]
        raise SystemExit(
            f"{pending} widget views did not render in "
            f"{RENDER_TIMEOUT_MS // 1000} s (see the browser console)"
        ) from None
    page.wait_for_function(IMAGES_LOADED_JS, timeout=RENDER_TIMEOUT_MS)
    # Widget labels may hold math: typeset once more now that the views are in the page.
    page.evaluate("() => MathJax.typesetPromise()")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    log("widgets rendered")
