"""The Chinese edition as built (`make book`, `make pdf`): the same pages, figures and pasted
values as the English site, a language switch between the two, Chinese search, a Chinese PDF.

Reads _build/html/zh/ and _build/pdf/zh/resnet-book.pdf, which `make test` builds.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _site import BUILD, html_pages, require_site, toc_files
from bs4 import BeautifulSoup

ZH_PDF = BUILD / "pdf" / "zh" / "resnet-book.pdf"
CJK = re.compile(r"[\u4e00-\u9fff]")


NUMBER = re.compile(r"([+-]?\d[\d,]*(?:\.\d+)?)\s*(million|billion|万|亿)?")
SCALE = {"million": 1e6, "billion": 1e9, "万": 1e4, "亿": 1e8}


def numbers(text: str) -> list[float]:
    """The numbers a pasted text says, in either language's wording ("117 million" and
    "1.17 亿" are the same number), as floats."""
    return [
        float(value.replace(",", "")) * SCALE.get(unit, 1)
        for value, unit in NUMBER.findall(text)
    ]


def same_numbers(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        math.isclose(x, y, rel_tol=1e-9)
        for x, y in zip(sorted(a), sorted(b), strict=True)
    )


def test_numbers_read_the_same_in_both_wordings():
    assert same_numbers(
        numbers("117 million; 4,000 images"), numbers("1.17 亿；4,000 张图像")
    )
    assert same_numbers(numbers("60.1 million"), numbers("6,010 万"))
    assert not same_numbers(numbers("60.1 million"), numbers("6,100 万"))


def _zh_site() -> Path:
    site = require_site() / "zh"
    if not (site / "index.html").is_file():
        pytest.fail(f"No Chinese site at {site}: run `make book`.", pytrace=False)
    return site


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _article(path: Path):
    return _soup(path).select_one("article.bd-article")


def test_both_sites_have_the_same_pages():
    site, zh = require_site(), _zh_site()
    english = {p.relative_to(site).as_posix() for p in html_pages(site)}
    chinese = {p.relative_to(zh).as_posix() for p in html_pages(zh)}
    assert english == chinese


@pytest.mark.parametrize("file", toc_files())
def test_page_is_chinese_with_the_same_figures_and_values(file: str):
    """Same images (by file), the same numbers in the pasted values (a sentence the page
    computes is pasted in each edition's language), and no heading left in English."""
    en, zh = (
        _article(require_site() / f"{file}.html"),
        _article(_zh_site() / f"{file}.html"),
    )
    images = [sorted(Path(i["src"]).name for i in a.find_all("img")) for a in (en, zh)]
    assert images[0] == images[1]
    pasted = [
        numbers(" ".join(s.get_text() for s in a.select(".pasted-text")))
        for a in (en, zh)
    ]
    assert same_numbers(*pasted), (sorted(pasted[0]), sorted(pasted[1]))
    headings = [
        [h.get_text() for h in a.find_all(["h1", "h2", "h3"])] for a in (en, zh)
    ]
    assert len(headings[0]) == len(headings[1])
    untranslated = [
        z for e, z in zip(*headings, strict=True) if z == e and not CJK.search(z)
    ]
    assert not untranslated


@pytest.mark.parametrize("file", toc_files())
def test_figures_have_chinese_captions_and_alt_text(file: str):
    zh = _article(_zh_site() / f"{file}.html")
    for figure in zh.select("figure"):
        caption = figure.find("figcaption")
        if caption is not None and caption.get_text(strip=True):
            assert CJK.search(caption.get_text()), caption.get_text()[:80]
    for img in zh.find_all("img"):
        alt = img.get("alt", "")
        if len(alt) > 12:  # a description, not a file name or a label
            assert CJK.search(alt), alt[:80]


# Text a Chinese page may show in English: code, math, citations and the bibliography, and
# what the page marks as English on purpose (lang="en": the terminology table's terms).
NOT_PROSE = (
    "pre, code, kbd, samp, script, style, .math, mjx-container, .citation, .bibliography, "
    '[lang="en"], a[href*="references.html#"], .cell_input, .headerlink'
)
LEAF_BLOCKS = ("p", "li", "th", "td", "dt", "dd", "figcaption", "caption")
WORD = re.compile(r"\b[a-z]{2,}\b")  # an English word (names and identifiers excluded)
RUN = re.compile(r"\b[a-z]{2,}(?:[ ,;:'’()-]+[a-z]{2,}\b){3}")  # four words in a row


# Also allowed: a term's English in parentheses after its Chinese, "et al." of a citation.
ALLOWED = re.compile(r"（[^（）]*）|\bet al\.")


def english_prose(article) -> list[str]:
    """The text of each block of a Chinese page that is still English: a block with no
    Chinese and three or more English words, or four English words in a row anywhere."""
    for node in article.select(NOT_PROSE):
        node.decompose()
    found = []
    for block in article.find_all(LEAF_BLOCKS):
        if block.find(LEAF_BLOCKS):  # judged by its inner blocks
            continue
        text = " ".join(block.get_text(" ").split())
        words = ALLOWED.sub(" ", text)
        english_only = not CJK.search(text) and len(WORD.findall(words)) >= 3
        if english_only or RUN.search(words):
            found.append(text)
    return found


def test_english_prose_is_found():
    page = BeautifulSoup(
        "<article><p>残差网络（residual network）<code>a plain python call here</code></p>"
        "<p>检验（sanity check for saliency）由 Adebayo et al. 提出</p>"
        "<table><tr><td>ResNet-50</td><td>Bag of Tricks</td></tr>"
        "<tr><td>not tabulated (Fig. 6 only)</td></tr></table>"
        "<ul><li>这是 <span>the sentence that was not translated</span></li></ul>"
        '<p lang="en">top five test error</p></article>',
        "html.parser",
    )
    assert english_prose(page) == [
        "not tabulated (Fig. 6 only)",
        "这是 the sentence that was not translated",
    ]


@pytest.mark.parametrize("file", toc_files())
def test_chinese_page_has_no_english_prose(file: str):
    """Every paragraph, list item, table cell and caption the reader reads is in Chinese:
    the page's text from the catalogues, and what its code cells computed (tables, notes)
    from helpers.core.text's translations (helpers.book.outputs)."""
    left = english_prose(_article(_zh_site() / f"{file}.html"))
    assert not left, f"{len(left)} English blocks, e.g. {left[:3]}"


def test_language_switch_opens_the_same_page():
    site, zh = require_site(), _zh_site()
    for page, other in (
        (
            site / "chapters/03_residual_networks.html",
            "zh/chapters/03_residual_networks.html",
        ),
        (
            zh / "chapters/03_residual_networks.html",
            "chapters/03_residual_networks.html",
        ),
    ):
        text = page.read_text(encoding="utf-8")
        targets = re.findall(r"window\.location\.href='([^']+)'", text)
        assert targets, f"no language switch on {page}"
        assert (page.parent / targets[0]).resolve() == (site / other).resolve()


def test_chinese_search_index_has_chinese_words():
    index = (_zh_site() / "searchindex.js").read_text(encoding="utf-8")
    terms = json.loads(index[index.index("(") + 1 : index.rindex(")")])["terms"]
    for word in ("残差", "梯度", "退化"):
        assert word in terms, f"{word} not in the Chinese search index"


def test_chinese_pdf_is_printed_with_chinese_text():
    if not ZH_PDF.is_file():
        pytest.fail(f"No Chinese PDF at {ZH_PDF}: run `make pdf`.", pytrace=False)
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing (poppler-utils, see .ci/run)", pytrace=False)
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "3", str(ZH_PDF), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "深度残差网络" in first and "目录" in first
    # Chromium prints with whatever CJK font fontconfig offers (it embeds the glyphs as Type 3
    # fonts, so the PDF does not name it); without one, every character is a box.
    fonts = subprocess.run(
        ["fc-list", ":lang=zh"], capture_output=True, text=True, check=False
    ).stdout
    assert fonts.strip(), "no Chinese font: install fonts-noto-cjk (see .ci/run)"
    assert (_zh_site() / "resnet-book.pdf").is_file()
