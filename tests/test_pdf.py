"""The whole book as one PDF (`make pdf`, scripts/build_pdf.py), read back with poppler-utils.

The slow tests read _build/pdf/resnet-book.pdf, which `make test` prints after building the site;
the others check the joining of pages on small made-up HTML.
"""

from __future__ import annotations

import filecmp
import html
import json
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import build_pdf  # scripts/ is on sys.path (tests/conftest.py)
import pdf_join
import pytest
from _site import BUILD, require_site, toc_files
from book_meta import VERSION_META, read_config
from bs4 import BeautifulSoup

PDF = BUILD / "pdf" / build_pdf.PDF_NAME
WIDGET_STATE = pdf_join.WIDGET_STATE


def _poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(
            f"{tool} is missing: `apt-get install poppler-utils` (see .ci/run)",
            pytrace=False,
        )
    return subprocess.run(
        [tool, *args], capture_output=True, text=True, check=True
    ).stdout


def _require_pdf() -> Path:
    require_site()
    if not PDF.is_file():
        pytest.fail(
            f"No PDF at {PDF}: run `make pdf` (after `make book`).", pytrace=False
        )
    return PDF


@lru_cache(maxsize=1)
def pdf_pages() -> list[str]:
    """The text of every page of the PDF (pdftotext -layout)."""
    text = _poppler("pdftotext", "-layout", str(_require_pdf()), "-")
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def _words(text: str) -> str:
    return " ".join(text.split())


def _first_line(page: str) -> str:
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    return _words(lines[0]) if lines else ""


def site_titles() -> list[tuple[str, str]]:
    """(toc file, page title as the site shows it, e.g. '1. CNN basics') in book order."""
    site = require_site()
    titles = []
    for file in toc_files():
        soup = BeautifulSoup(
            (site / f"{file}.html").read_text(encoding="utf-8"), "html.parser"
        )
        h1 = soup.select_one("article.bd-article h1")
        for link in h1.select("a.headerlink"):
            link.decompose()
        titles.append((file, _words(h1.get_text(" "))))
    return titles


def chapter_start_pages() -> dict[str, int]:
    """Index (0-based) of the page each site page starts on: its title is the page's first line."""
    pages, starts, after = pdf_pages(), {}, 2  # title page and contents come first
    for file, title in site_titles():
        found = next(
            (
                i
                for i in range(after, len(pages))
                if _first_line(pages[i]).startswith(title[:40])
            ),
            None,
        )
        assert found is not None, (
            f"no page of the PDF starts with {title!r} (after page {after})"
        )
        starts[file] = after = found
    return starts


def site_version() -> str:
    intro = require_site() / f"{toc_files()[0]}.html"
    soup = BeautifulSoup(intro.read_text(encoding="utf-8"), "html.parser")
    meta = soup.find("meta", attrs={"name": VERSION_META})
    assert meta is not None, (
        "the site has no version meta tag (scripts/sphinx_ext/book_version)"
    )
    return meta["content"]


@pytest.mark.slow
def test_pdf_is_one_a4_book():
    info = _poppler("pdfinfo", str(_require_pdf()))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages >= len(toc_files()) + 2, (
        f"{pages} pages for {len(toc_files())} site pages"
    )
    assert "(A4)" in info
    assert (PDF.parent / "first-chapter-page.png").is_file(), (
        "no preview PNG of chapter 1"
    )


@pytest.mark.slow
def test_title_page_shows_title_and_version():
    config = read_config()
    first = _words(pdf_pages()[0])
    assert config["title"] in first
    version = site_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*( \(commit [0-9a-f]{7}\))?", version), version
    assert f"Version {version}" in first, (
        f"title page lacks 'Version {version}': {first[:300]}"
    )


@pytest.mark.slow
def test_chapters_in_toc_order_each_starting_a_page():
    starts = chapter_start_pages()
    order = [starts[file] for file, _ in site_titles()]
    assert order == sorted(order) and len(set(order)) == len(order), starts
    numbered = [title for _, title in site_titles() if re.match(r"\d+\. ", title)]
    assert [int(t.split(".")[0]) for t in numbered] == list(
        range(1, len(numbered) + 1)
    ), f"chapters are not numbered 1, 2, ...: {numbered}"


@pytest.mark.slow
def test_contents_page_numbers_point_at_the_chapters():
    starts = chapter_start_pages()
    contents = "\n".join(pdf_pages()[1 : min(starts.values())])
    assert "Contents" in contents
    for file, title in site_titles()[
        1:
    ]:  # the intro is the book's opening, not a toc entry
        match = re.search(re.escape(title) + r"\s+(\d+)\s*$", contents, re.M)
        assert match, f"the contents lack {title!r} with a page number"
        assert int(match.group(1)) == starts[file] + 1, (
            f"contents say {title!r} is on page {match.group(1)}, it starts on {starts[file] + 1}"
        )


@pytest.mark.slow
def test_no_raw_latex_and_no_loading_placeholders():
    text = "\n".join(pdf_pages())
    for raw in ("\\mathbf", "\\mathcal", "$$", "\\begin{"):
        assert raw not in text, f"raw LaTeX {raw!r} in the PDF: math was not typeset"
    for placeholder in ("Loading...", "Loading…"):
        assert placeholder not in text, (
            f"{placeholder!r} in the PDF: a widget did not render"
        )


@pytest.mark.slow
def test_widgets_print_their_default_view():
    site, starts = require_site(), chapter_start_pages()
    files, pages = [f for f, _ in site_titles()], pdf_pages()
    checked = 0
    for i, file in enumerate(files):
        source = (site / f"{file}.html").read_text(encoding="utf-8")
        match = re.search(
            f'<script type="{re.escape(WIDGET_STATE)}">(.*?)</script>', source, re.S
        )
        if not match:
            continue
        end = starts[files[i + 1]] if i + 1 < len(files) else len(pages)
        text = "\n".join(pages[starts[file] : end])
        for model in json.loads(html.unescape(match.group(1)))["state"].values():
            if model["model_name"] != "SelectionSliderModel":
                continue
            state = model["state"]
            label = state["_options_labels"][state["index"]]
            line = rf"{re.escape(state['description'])}\s.*\b{re.escape(label)}\b"
            assert re.search(line, text), (
                f"{file}: the slider '{state['description']} = {label}' is not in the PDF"
            )
            checked += 1
    assert checked, "no page with a saved slider widget: the widget demo is gone?"


@pytest.mark.slow
def test_figures_and_bibliography_are_printed():
    site = require_site()
    raster = set()
    for file in toc_files():
        source = (site / f"{file}.html").read_text(encoding="utf-8")
        raster |= set(re.findall(r'src="[^"]*_images/([^"]+\.(?:png|jpe?g))"', source))
    listed = _poppler("pdfimages", "-list", str(_require_pdf())).splitlines()[2:]
    assert len(listed) >= len(raster), (
        f"{len(listed)} images in the PDF, {len(raster)} figures"
    )
    text = _words("\n".join(pdf_pages())).lower()
    assert "deep residual learning for image recognition" in text, (
        "bibliography missing"
    )


@pytest.mark.slow
def test_intro_page_links_the_pdf():
    site = require_site()
    intro = site / f"{toc_files()[0]}.html"
    soup = BeautifulSoup(intro.read_text(encoding="utf-8"), "html.parser")
    link = soup.select_one("a.book-pdf-link")
    assert link is not None, "the intro page has no link to the PDF"
    target = (intro.parent / link["href"]).resolve()
    assert target == (site / build_pdf.PDF_NAME).resolve()
    assert target.is_file() and filecmp.cmp(target, _require_pdf(), shallow=False), (
        "the site's PDF is missing or not the one `make pdf` printed"
    )
    assert site_version() in _words(soup.select_one(".book-edition").get_text(" "))


# --- joining pages, on made-up HTML ---------------------------------------------------------

PAGE = """<html><head>
<link rel="stylesheet" href="../_static/a.css">
<script>window.MathJax = {}</script>
<script defer src="../_static/mathjax/tex-chtml.js"></script>
<script src="../_static/theme.js"></script>
</head><body><article class="bd-article">
<section id="intro"><h1>Title<a class="headerlink" href="#intro">#</a></h1>
<a href="#intro">self</a> <a href="other.html#sec">other</a> <a href="other.html">page</a>
<a href="https://example.org/x">out</a> <a href="../_sources/x.ipynb">source</a>
<img src="../_images/fig.png" loading="lazy"><script>kernelName = 'python3'</script>
</section></article></body></html>"""


def _page(file: str = "chapters/one") -> object:
    soup = BeautifulSoup(PAGE, "html.parser")
    return pdf_join.Page(file, soup, soup.select_one("article.bd-article"))


def test_relocate_prefixes_ids_and_points_links_inside_the_book():
    page = _page()
    slugs = {"chapters/one.html": "p-one", "chapters/other.html": "p-other"}
    page = pdf_join.Page("chapters/one", page.soup, page.article)
    pdf_join.relocate(
        page, {**slugs, "chapters/one.html": page.slug}, "https://o.github.io/r/"
    )
    hrefs = [a["href"] for a in page.article.find_all("a")]
    slug = page.slug
    assert hrefs == [
        f"#{slug}--intro",
        "#p-other--sec",
        "#p-other",
        "https://example.org/x",
        "https://o.github.io/r/_sources/x.ipynb",
    ]
    assert page.article.find("section")["id"] == f"{slug}--intro"
    img = page.article.find("img")
    assert img["src"] == "/html/_images/fig.png" and not img.has_attr("loading")
    assert page.article.find("script") is None, (
        "kernel/thebe scripts must not be printed"
    )


def test_head_assets_keep_math_and_styles_but_not_theme_scripts():
    styles, scripts, states = pdf_join.head_assets([_page()])
    assert styles == ['<link rel="stylesheet" href="/html/_static/a.css">']
    assert scripts[0].startswith("<script>window.MathJax")
    assert any(
        "/html/_static/mathjax/tex-chtml.js" in s and " defer" in s for s in scripts
    )
    assert not any("theme.js" in s for s in scripts) and states == []


def test_contents_page_numbers_are_filled_in():
    toc = (
        '<a href="#a"><span class="toc-text">A</span><span class="toc-page"></span></a>'
        '<a href="#b"><span class="toc-text">B</span><span class="toc-page"></span></a>'
    )
    filled = pdf_join.fill_toc(toc, {"a": 7})
    assert '<span class="toc-page">7</span></a><a href="#b">' in filled
    assert filled.endswith('<span class="toc-page"></span></a>')
