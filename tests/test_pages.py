"""Pages a reader can trust and read (issue 10), checked on the built site and in the sources.

Source checks (fast): the learning-goals box has one form, chapters glue what they say about
their own runs, the setup-independent page furniture (logo, favicon, image overlay) is
configured. Built-site checks: the How-to-use profile table is a real table, figures on the
first pages are numbered, captioned and described, nothing of the build leaks onto the page,
and at 390 px a phone reader gets no sideways scrolling and can open any figure at full
resolution. Screenshots go to _build/screenshots/after/.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _site import BUILD, HTML, ROOT, require_site

CHAPTERS = ROOT / "chapters"
# The pages this file checks in the built site (issue 10, part 1).
PAGES = [
    "how_to_use",
    "01_cnn_basics",
    "02_vanishing_gradients",
    "03_residual_networks",
]
LEARNING_GOALS = "```{admonition} Learning goals\n:class: learning-goals\n"
AFTER = BUILD / "screenshots" / "after"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# Things a reader should never see on a page: build machinery, not results.
CLUTTER = [
    (r"executed in \d", "chapter timing line"),
    (r"\((?:cache|trained now)\)", "cache bookkeeping"),
    (r"\bdone: ", "training-loop log line"),
    (r"\d+it/s\]|\d+/\d+ \[\d\d:\d\d", "tqdm progress bar"),
    (r"/tmp/|/usr/share/|/work/|/home/", "build-machine path"),
    (r"\btest_\w+\.py\b", "test-file name"),
    (r"\{glue:|\{cite:|\{term}", "unrendered MyST role"),
]


def _notebook_markdown(name: str) -> str:
    nb = json.loads((CHAPTERS / f"{name}.ipynb").read_text(encoding="utf-8"))
    return "\n".join(
        "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
    )


def _notebook_code(name: str) -> str:
    nb = json.loads((CHAPTERS / f"{name}.ipynb").read_text(encoding="utf-8"))
    return "\n".join(
        "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"
    )


def _chapter_notebooks() -> list[str]:
    return sorted(p.stem for p in CHAPTERS.glob("0*.ipynb"))


# --- sources --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", _chapter_notebooks())
def test_learning_goals_box_has_one_form(name: str) -> None:
    text = _notebook_markdown(name)
    if name in PAGES or "Learning goals" in text:
        assert LEARNING_GOALS in text, (
            f"{name}: the learning goals must be a box of exactly this form: {LEARNING_GOALS!r}"
        )
    assert "**Learning goals.**" not in text, (
        f"{name}: learning goals as a bold paragraph"
    )


@pytest.mark.parametrize(
    "name",
    ["02_vanishing_gradients", "03_residual_networks", "04_training_and_testing"],
)
def test_what_a_run_showed_is_glued_not_typed(name: str) -> None:
    code, text = _notebook_code(name), _notebook_markdown(name)
    keys = set(re.findall(r'glue\(\s*f?"(ch0\d_[a-z0-9_{}]+)"', code))
    used = set(re.findall(r"\{glue:(?:text|md)\}`(ch0\d_\w+)", text))
    assert used, f"{name}: no pasted values in the prose"
    missing = {k for k in used if k not in keys and not any("{" in g for g in keys)}
    assert not missing, (
        f"{name}: prose pastes keys the code never glues: {sorted(missing)}"
    )
    typed = [
        "deleting one block hurts little, while the",
        "as the paper's\n  Figure 7 reports",
        "The printed verdict above",
        "all three\nruns keep a finite loss",
        "ours for a few hundred",  # the nets' iterations are computed (nets_text)
        "Our networks are small and briefly trained",
    ]
    for phrase in typed:
        assert phrase not in text, (
            f"{name}: typed-in claim about this build's run: {phrase!r}"
        )


def test_chapter3_verdicts_come_from_the_numbers() -> None:
    """The verdicts are computed by tested helpers (helpers.experiments.findings) from the
    run's lesion studies and response sizes, and glued under the names the text pastes."""
    code = _notebook_code("03_residual_networks")
    assert re.search(r"lesion_findings\(\s*studies\[", code)
    assert re.search(r"figure7_findings\(\s*mean_std", code)
    assert 'glue(f"ch03_lesion_{key}", text)' in code
    assert 'glue(f"ch03_fig7_{key}", text)' in code
    text = _notebook_markdown("03_residual_networks")
    for key in ("ch03_lesion_verdict", "ch03_fig7_verdict", "ch03_fig7_claim2"):
        assert f"{{glue:text}}`{key}`" in text


def test_config_declares_logo_favicon_and_page_assets() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    for key, value in (
        ("logo", config["logo"]),
        ("favicon", config["html"]["favicon"]),
    ):
        assert value and (ROOT / value).is_file(), (
            f"_config.yml {key} {value!r} is not a file"
        )
    sphinx = config["sphinx"]["config"]
    assert "book_figures.js" in sphinx["html_js_files"]
    assert "book.css" in sphinx["html_css_files"]
    for asset in ("book_figures.js", "book.css"):
        assert (ROOT / "scripts" / "assets" / asset).is_file()


# --- built site -------------------------------------------------------------------------------


class _Figures(HTMLParser):
    """Collect every <img> in the article with its alt text and whether a <figure> holds it."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.images: list[dict] = []
        self.captions = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(
                {
                    "src": attrs.get("src", ""),
                    "alt": attrs.get("alt"),
                    "in_figure": any(e.split(" ")[0] == "figure" for e in self.stack),
                    "in_output": "cell_output" in " ".join(self.stack),
                }
            )
            return
        if tag == "figcaption":
            self.captions += 1
        self.stack.append(f"{tag} {attrs.get('class', '')}")

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].split(" ")[0] == tag:
                del self.stack[i:]
                break


def _page(name: str) -> str:
    site = require_site()
    return (site / "chapters" / f"{name}.html").read_text(encoding="utf-8")


def _article(html: str) -> str:
    start = html.find('<article class="bd-article"')
    end = html.find("</article>", start)
    return html[start:end] if start >= 0 else html


def _visible_text(html: str) -> str:
    html = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_profile_table_is_a_real_table() -> None:
    article = _article(_page("how_to_use"))
    tables = re.findall(r"<table.*?</table>", article, flags=re.S)
    profile_tables = [t for t in tables if "training images" in t]
    assert len(profile_tables) == 1, (
        "the profile table is missing or not rendered as a table"
    )
    rows = re.findall(r"<tr.*?</tr>", profile_tables[0], flags=re.S)
    from helpers.experiments.profiles import PROFILES

    assert len(rows) == 1 + len(PROFILES), (
        f"header + one row per profile, got {len(rows)}"
    )
    for name in PROFILES:
        assert f">{name}<" in profile_tables[0]
    assert "|---" not in _visible_text(article) and "| profile |" not in _visible_text(
        article
    )


@pytest.mark.parametrize("name", PAGES)
def test_computed_figures_are_numbered_captioned_and_described(name: str) -> None:
    parser = _Figures()
    parser.feed(_article(_page(name)))
    outputs = [
        im
        for im in parser.images
        if im["in_output"] and not im["src"].startswith("data:")
    ]
    for im in outputs:
        assert im["in_figure"], (
            f"{name}: a computed figure without caption: {im['src']}"
        )
        alt = (im["alt"] or "").strip()
        assert len(alt) > 20, (
            f"{name}: {im['src']} has no descriptive alt text ({alt!r})"
        )
        assert not re.search(r"\.(png|svg|jpe?g)$|/|_images", alt), (
            f"{name}: path as alt: {alt}"
        )
    if name != "how_to_use":
        assert len(outputs) >= 4, (
            f"{name}: expected the chapter's figures, found {len(outputs)}"
        )


@pytest.mark.parametrize("name", PAGES)
def test_widget_images_have_alt_text(name: str) -> None:
    html = _page(name)
    states = re.findall(
        rf'<script type="{re.escape(WIDGET_STATE)}">(.*?)</script>', html, flags=re.S
    )
    for state in states:
        models = json.loads(state)["state"]
        assert not [m for m in models.values() if m["model_name"] == "ImageModel"], (
            f"{name}: an ipywidgets Image cannot carry alt text; use helpers.book.widgets.png_html"
        )
        for model in models.values():
            value = str(model.get("state", {}).get("value", ""))
            for tag in re.findall(r"<img[^>]*>", value):
                alt = re.search(r'alt="([^"]*)"', tag)
                assert alt and len(alt.group(1)) > 20, (
                    f"{name}: widget image without alt text"
                )


@pytest.mark.parametrize("name", PAGES)
def test_no_clutter_on_the_page(name: str) -> None:
    text = _visible_text(_article(_page(name)))
    for pattern, what in CLUTTER:
        hit = re.search(pattern, text)
        assert not hit, (
            f"{name}: {what} on the page: {text[max(0, hit.start() - 60) : hit.end() + 60]!r}"
        )


def test_favicon_and_logo_are_served() -> None:
    html = _page("how_to_use")
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert icon, "no favicon link: browsers request /favicon.ico and get a 404"
    assert (HTML / "chapters" / icon.group(1)).resolve().is_file()
    assert re.search(r'<img src="[^"]*logo\.svg"[^>]*alt="[^"]+"', html), (
        "no logo in the header"
    )


# --- a phone in a real browser ------------------------------------------------------------


@pytest.fixture(scope="module")
def phone():
    site = require_site()
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.fail(
            "Debian chromium is missing: `apt-get install chromium`", pytrace=False
        )
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium),
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        yield context, f"http://127.0.0.1:{httpd.server_address[1]}"
        context.close()
        browser.close()
    httpd.shutdown()


# Images shown at another aspect ratio than their pixels (more than 2% off), as [src, ratio].
SQUASHED_IMAGES_JS = """() => [...document.querySelectorAll('article img')]
  .filter(i => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 0)
  .map(i => { const r = i.getBoundingClientRect();
              return [i.getAttribute('src'),
                      (r.width / r.height) / (i.naturalWidth / i.naturalHeight)]; })
  .filter(([src, q]) => Math.abs(q - 1) > 0.02)"""


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_phone_reader_can_read_the_page_and_open_figures(phone, name: str) -> None:
    context, base = phone
    page = context.new_page()
    try:
        page.goto(f"{base}/chapters/{name}.html", wait_until="load")
        page.wait_for_timeout(1500)
        AFTER.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(AFTER / f"{name}_phone_top.png"))
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 391, (
            f"{name}: the page scrolls sideways at 390 px ({overflow} px)"
        )
        page.evaluate(
            "() => document.querySelectorAll('img').forEach(i => i.loading = 'eager')"
        )
        page.wait_for_timeout(500)
        squashed = page.evaluate(SQUASHED_IMAGES_JS)
        assert not squashed, (
            f"{name}: figures drawn out of proportion at 390 px "
            f"(shown / natural aspect ratio): {squashed[:3]}"
        )
        figure = page.locator("figure img.book-zoomable:visible").first
        if figure.count() == 0:
            figure = page.locator("img.book-zoomable:visible").first
        assert figure.count() == 1, f"{name}: no figure image can be opened"
        figure.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(AFTER / f"{name}_phone_figure.png"))
        shown = figure.evaluate("e => e.getBoundingClientRect().width")
        figure.tap()
        overlay = page.locator(".book-zoom img")
        overlay.wait_for(timeout=5000)
        page.screenshot(path=str(AFTER / f"{name}_phone_figure_open.png"))
        natural = overlay.evaluate("e => e.naturalWidth")
        opened = overlay.evaluate("e => e.getBoundingClientRect().width")
        assert opened >= natural * 0.99 and opened > shown * 1.5, (
            f"{name}: the tapped figure is not shown at full resolution "
            f"({opened:.0f} px wide, image {natural} px, in the page {shown:.0f} px)"
        )
        page.keyboard.press("Escape")
        assert page.locator(".book-zoom").count() == 0
    finally:
        page.close()


@pytest.mark.slow
def test_profile_table_screenshots(phone) -> None:
    """Screenshots of the How-to-use profile table at 390 px (and the table fits or scrolls)."""
    context, base = phone
    page = context.new_page()
    try:
        page.goto(f"{base}/chapters/how_to_use.html", wait_until="load")
        table = page.locator("table:has-text('training images')").first
        table.scroll_into_view_if_needed()
        AFTER.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(AFTER / "how_to_use_profile_table_phone.png"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 391, f"the profile table widens the page to {width} px"
    finally:
        page.close()


@pytest.mark.slow
def test_slider_handles_have_accessible_names(phone) -> None:
    context, base = phone
    page = context.new_page()
    try:
        page.goto(f"{base}/chapters/how_to_use.html", wait_until="load")
        handle = page.locator(".widget-slider [role=slider]").first
        handle.wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        assert handle.get_attribute("aria-label") == "depth"
    finally:
        page.close()
