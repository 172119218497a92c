"""Pages a reader can trust and read: checks on the built HTML of every chapter (issue 10).

Per page: every computed figure is numbered, with a caption and alt text that is not a file path;
no math is left unrendered; no markdown table fell apart into a paragraph; no build clutter
(progress bars, cache bookkeeping, timing lines, object reprs, machine paths, raw BibTeX keys,
test-file names). On the summary page, every statement about this book's own runs is pasted from
a computed value (myst-nb's glue, which wraps pasted text in ``span.pasted-text``).
"""

from __future__ import annotations

import re
from pathlib import Path

import bs4  # installed with sphinx-book-theme
import pytest
from _site import require_site, toc_files

pytestmark = pytest.mark.slow


CHAPTERS = [
    f for f in toc_files() if f.startswith("chapters/") and "/appendix/" not in f
]

# (regex on visible text, what it is). Outputs are for readers.
CLUTTER = [
    (r"\d+%\|[█▉▊▋▌▍▎▏ #]*\|", "a tqdm progress bar"),
    (r"\[\d+:\d+<\d+:\d+", "a tqdm timing field"),
    (r"\d(it|step|steps)/s\]", "a tqdm rate field"),
    (r"(?m)^\s*done:", "a 'done: ...' log line"),
    (r"\(trained now\)|\(cache\)|from the cache\)", "cache bookkeeping"),
    (r"executed in \d", "an 'executed in N s' line"),
    (r"ready in \d+(\.\d+)? s", "a timing log line"),
    (r"<(Axes|Figure|matplotlib)[ .:]", "a matplotlib object repr"),
    (r"\bSequential\(", "a module repr"),
    (r"/tmp/|/usr/share/|/home/\w+/|/work/", "a build-machine path"),
    (r"tests/test_\w+\.py", "a test-file name in page text"),
]
PATH_ALT = re.compile(
    r"(^|/)[\w.-]+\.(png|jpe?g|svg|gif)$|^_images/|/_images/|^\.\./|^/"
)
BIBTEX_KEY = re.compile(r"^[a-z]+\d{4}[a-z]+$")


def _soup(path: Path):
    return bs4.BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _article(soup):
    article = soup.find("article") or soup.find("main")
    assert article is not None, "no <article>/<main> in the page: did the theme change?"
    return article


def _CODE_OR_MATH(cls: str | None) -> bool:
    """Sphinx's math spans/divs, highlighted code and notebook cell sources (exact classes:
    myst-nb marks whole notebook sections ``mathjax_ignore``, which must not match)."""
    return cls in ("math", "cell_input") or (cls or "").startswith("highlight")


def _visible_text(article) -> str:
    """The article's prose: no code, outputs, math or scripts (which may hold $ or \\)."""
    article = bs4.BeautifulSoup(str(article), "html.parser")
    for tag in article.find_all(["script", "style", "pre", "code", "mjx-container"]):
        tag.decompose()
    for tag in article.find_all(class_=_CODE_OR_MATH):
        tag.decompose()
    return article.get_text(" ")


def _reader_text(article) -> str:
    """Everything a reader sees without unfolding code: prose, inline code and cell outputs."""
    article = bs4.BeautifulSoup(str(article), "html.parser")
    for tag in article.find_all(["script", "style"]):
        tag.decompose()
    for tag in article.find_all(class_="cell_input"):
        tag.decompose()
    return article.get_text(" ")


@pytest.fixture(scope="module")
def site() -> Path:
    return require_site()


@pytest.fixture(scope="module", params=CHAPTERS)
def page(request, site):
    path = site / f"{request.param}.html"
    assert path.is_file(), f"{request.param}: no built page"
    return request.param, _article(_soup(path))


def test_figures_are_numbered_captioned_and_described(page):
    name, article = page
    problems = []
    for img in article.find_all("img"):
        alt = (img.get("alt") or "").strip()
        where = img.get("src", "?")
        if not alt or PATH_ALT.search(alt):
            problems.append(f"{where}: alt text {alt!r} is empty or a file path")
        computed = (
            img.find_parent(class_="cell_output") is not None or "_images/" in where
        )
        figure = img.find_parent("figure")
        if not computed:
            continue
        if figure is None or figure.find("figcaption") is None:
            problems.append(f"{where}: a computed image outside a captioned figure")
        elif not figure.figcaption.find(class_="caption-number"):
            problems.append(f"{where}: a figure without a number")
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_no_unrendered_math_or_broken_tables(page):
    name, article = page
    text = _visible_text(article)
    raw = re.findall(
        r".{0,30}(?:\$|\\(?:mathbf|mathcal|frac|times|ln|approx)\b).{0,30}", text
    )
    assert not raw, f"{name}: unrendered math in the text: {raw[:5]}"
    broken = [
        p.get_text()[:80]
        for p in article.find_all("p")
        if re.search(r"\|\s*:?-{3}", p.get_text())
    ]
    assert not broken, f"{name}: a markdown table rendered as a paragraph: {broken[:3]}"


def test_no_clutter(page):
    name, article = page
    text = _reader_text(article)
    found = []
    for pattern, what in CLUTTER:
        for match in re.finditer(pattern, text):
            found.append(
                f"{what}: ...{text[max(0, match.start() - 40) : match.end() + 40]!r}"
            )
    for cell in article.find_all("td"):
        if BIBTEX_KEY.match(cell.get_text(strip=True)):
            found.append(f"a raw BibTeX key in a table: {cell.get_text(strip=True)!r}")
    assert not found, f"{name}:\n" + "\n".join(found[:10])


RAW_ROLES = re.compile(
    r"\{(?:glue|term\}|cite|numref)"
)  # MyST a reader should never see


def _all_reader_text(soup) -> str:
    """What a reader sees: the article's text (captions and outputs included, unfolded code
    not) and every image's alt text and every element's title."""
    # index.html is a redirect without an article: then the whole body
    article = soup.find("article") or soup.find("main") or soup.body or soup
    extras = [
        el.get(attr, "") for attr in ("alt", "title") for el in soup.find_all(True)
    ]
    return _reader_text(article) + "\n" + "\n".join(extras)


def test_no_raw_myst_in_the_built_text(site):
    """A caption, an output or a paragraph that shows {glue:..., {term}, {cite or {numref
    raw (as Figure 4.1's caption once did) fails, on every page of the site."""
    from _site import html_pages

    found = []
    for path in html_pages(site):
        text = _all_reader_text(_soup(path))
        for match in RAW_ROLES.finditer(text):
            where = text[max(0, match.start() - 50) : match.end() + 40]
            found.append(f"{path.relative_to(site)}: ...{where!r}")
    assert not found, "raw MyST in the built site:\n" + "\n".join(found[:10])


def test_the_raw_myst_check_catches_a_caption():
    soup = bs4.BeautifulSoup(
        "<article><figure><img alt='a plot'><figcaption>this page's profile "
        "{glue:text}`ch04_profile`, scaled</figcaption></figure></article>",
        "html.parser",
    )
    assert RAW_ROLES.search(_all_reader_text(soup))


def test_summary_verdicts_are_pasted_from_computed_values(site):
    article = _article(_soup(site / "chapters" / "07_summary.html"))
    pasted = article.find_all("span", class_="pasted-text")
    assert len(pasted) >= 5, f"summary: only {len(pasted)} pasted (glued) values"
    for span in pasted:
        assert span.get_text(strip=True), "an empty pasted value"
    claims = [
        el
        for el in article.find_all(["p", "li"])
        if "Our runs" in el.get_text() and not el.find(["p", "li"])
    ]
    assert len(claims) >= 3, "summary: the statements about this book's runs are gone"
    typed = [
        el.get_text()[:100]
        for el in claims
        if not el.find("span", class_="pasted-text")
    ]
    assert not typed, (
        f"summary statements about our runs without a computed value: {typed}"
    )
    text = article.get_text(" ")
    for phrase in (
        "plain networks got worse with depth while ResNets",
        "measured how small the residual functions are",
        "made 1001-layer networks trainable",
    ):
        assert phrase not in text, f"summary: typed-in-advance verdict {phrase!r}"


def test_measurements_catch_what_they_should():
    article = bs4.BeautifulSoup(
        "<article><section class='mathjax_ignore'><p>y = F(x)</p><p>+ \\mathbf{x}$ rest</p><p>| a |\n|---|</p>"
        "<pre>$HOME</pre><span class='math'>\\(\\mathbf{x}\\)</span>"
        "<div class='cell_output'><pre>100%|████| 3/3 [00:01&lt;00:00, 2.0it/s]</pre>"
        "<p>executed in 12 s</p></div><table><tr><td>he2016deep</td></tr></table>"
        "</section></article>",
        "html.parser",
    ).article
    text = _visible_text(article)
    assert "\\mathbf{x}$" in text and "$HOME" not in text
    shown = _reader_text(article)
    hits = [what for pattern, what in CLUTTER if re.search(pattern, shown)]
    assert hits == [
        "a tqdm progress bar",
        "a tqdm timing field",
        "a tqdm rate field",
        "an 'executed in N s' line",
    ]
    assert BIBTEX_KEY.match(article.td.get_text())


def test_summary_and_chapter3_report_the_same_numbers(site):
    """The summary's lesion and Figure 7 numbers are chapter 3's (same nets, same test
    images, same helpers): the two pages once disagreed (a mean vs a median)."""
    ch03 = _article(_soup(site / "chapters" / "03_residual_networks.html")).get_text(
        " "
    )
    summary = _article(_soup(site / "chapters" / "07_summary.html")).get_text(" ")
    ch03, summary = (" ".join(t.split()) for t in (ch03, summary))
    means = re.search(r"mean standard deviations: ((?:[\w-]+ [\d.]+(?:, )?)+)", ch03)
    assert means, "chapter 3: the Figure 7 means are gone"
    assert f"mean standard deviations: {means.group(1)}" in summary
    pct = r"([\d.]+%)"
    intact = re.search(rf"The intact ResNet has a test error of {pct}", ch03)
    average = re.search(rf"it averages {pct} and reaches {pct} at worst", ch03)
    plain = re.search(rf"The plain network goes from {pct} to {pct} on average", ch03)
    assert intact and average and plain, "chapter 3: the lesion sentence changed"
    said = re.search(
        rf"from {pct} to {pct} on average \({pct} at worst\) and plain-\d+[’']s "
        rf"from {pct} to {pct}",
        summary,
    )
    assert said, "summary: the lesion sentence changed"
    assert said.groups() == (*intact.groups(), *average.groups(), *plain.groups())


def test_computed_sentences_are_tinted_not_bold(site):
    """Every pasted sentence, {glue:text} or {glue:md}, is a span.pasted-text, which book.css
    sets on a light tint in the text's own weight (myst-nb's bold made walls of bold)."""
    css = (site / "_static" / "book.css").read_text(encoding="utf-8")
    assert re.search(r"span\.pasted-text\s*\{[^}]*font-weight:\s*inherit", css)
    article = _article(_soup(site / "chapters" / "04_training_and_testing.html"))
    verdicts = next(
        p
        for p in article.find_all("p")
        if p.get_text().startswith("In the reference run, ")
    )
    pasted = verdicts.find_all("span", class_="pasted-text")
    assert len(pasted) >= 4, (
        f"{{glue:md}} verdicts not marked: {verdicts.get_text()[:120]}"
    )
