"""The Colab edition (colab/, written by scripts/colab_notebooks.py): up to date, no raw MyST
when Jupyter renders it, solutions folded, code identical to the chapters, links that resolve to
the website's anchors, and a launch button that opens it (also in a fork)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from _site import ROOT

# scripts/ is on sys.path (tests/conftest.py); Sphinx puts scripts/sphinx_ext there.
sys.path.insert(0, str(ROOT / "scripts" / "sphinx_ext"))

import book_meta  # noqa: E402
import colab_convert as cc  # noqa: E402
import colab_launch  # noqa: E402
import colab_myst as myst  # noqa: E402
import colab_notebooks  # noqa: E402
from book_meta import read_config, site_url, toc_notebooks  # noqa: E402
from colab_glue import SENTENCE_TAG  # noqa: E402

CHAPTERS = toc_notebooks()
# Each edition's folder of Colab notebooks: colab/ (English), colab/zh/ (Chinese).
EDITIONS = {None: ROOT / "colab"} | {
    language: ROOT / "colab" / edition["folder"]
    for language, edition in book_meta.EDITIONS.items()
}
EDITION_CHAPTERS = [(lang, c) for lang in EDITIONS for c in CHAPTERS]


def _edition_id(param) -> str:
    return f"{param[0] or 'en'}-{param[1].stem}"


RAW_MYST = [
    "{cite",
    "{term",
    "```{",
    ":::{",
    "{glue",
    "{numref",
    "{ref}",
    "{doc}",
    "{eq}",
    "{exercise}",
    "{solution}",
]


@pytest.fixture(scope="module")
def book() -> cc.Book:
    return cc.Book.load(ROOT)


def markdown(nb) -> str:
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("language", EDITIONS, ids=lambda lang: lang or "en")
def test_colab_folder_is_up_to_date(language: str | None) -> None:
    folder = EDITIONS[language]
    wanted = colab_notebooks.render_all(language=language)
    assert sorted(wanted) == sorted(p.name for p in CHAPTERS)
    stale = [
        name
        for name, text in wanted.items()
        if not (folder / name).exists()
        or (folder / name).read_text(encoding="utf-8") != text
    ]
    assert not stale, f"{stale}: run `python scripts/colab_notebooks.py`"
    extra = {p.name for p in folder.glob("*.ipynb")} - set(wanted)
    assert not extra, f"{folder} has notebooks no chapter makes: {extra}"


@pytest.mark.parametrize("edition_chapter", EDITION_CHAPTERS, ids=_edition_id)
def test_rendered_markdown_has_no_raw_myst(edition_chapter) -> None:
    """What Jupyter shows: nbconvert's HTML of the markdown cells."""
    from nbconvert import HTMLExporter

    language, chapter = edition_chapter
    nb = nbformat.read(EDITIONS[language] / chapter.name, as_version=4)
    only_md = nbformat.v4.new_notebook(
        cells=[c for c in nb.cells if c.cell_type == "markdown"]
    )
    html, _ = HTMLExporter(template_name="basic").from_notebook_node(only_md)
    body = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    for raw in RAW_MYST:
        assert raw not in body, f"{chapter.name}: {raw!r} is shown raw"
    assert not re.search(r"^\([\w\-:.]+\)=\s*$", markdown(nb), re.M), (
        "a label is shown raw"
    )
    relative = re.findall(r'(?:href|src)="(?!https?:|mailto:|#)([^"]*)"', body)
    assert not relative, (
        f"{chapter.name}: links that do not resolve on Colab: {relative}"
    )
    source = markdown(nbformat.read(chapter, as_version=4))
    solutions = len(re.findall(r"^`{3,}\{solution\}", source, re.M))
    assert body.count("<details>") == solutions, "every solution is folded, once"
    summary = "<summary>Solution to Exercise" if language is None else "<summary>"
    assert body.count(summary) == solutions


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_solution_is_inside_details(chapter: Path) -> None:
    source = markdown(nbformat.read(chapter, as_version=4))
    converted = markdown(nbformat.read(ROOT / "colab" / chapter.name, as_version=4))
    folded = "\n".join(re.findall(r"<details>.*?</details>", converted, re.S))
    outside = re.sub(r"<details>.*?</details>", "", converted, flags=re.S)
    for body in re.findall(
        r"^`{3,}\{solution\}.*\n((?:.*\n){1,8})", source + "\n", re.M
    ):
        lines = [ln for ln in body.splitlines() if not re.match(r"^(:|`{3,}|\s*$)", ln)]
        pieces = [
            piece
            for line in lines[:3]
            for piece in re.split(r"\{\w+(?::\w+)?\}`[^`]*`|\$[^$]*\$|[`*]", line)
        ]
        probe = max((p.strip() for p in pieces), key=len)
        assert len(probe) > 8, lines
        assert probe in folded and probe not in outside, (
            f"{chapter.name}: {probe!r} not folded"
        )


def chapter_code(nb) -> list:
    """The code cells copied from the chapter (not the generated sentence cells)."""
    return [
        c
        for c in nb.cells
        if c.cell_type == "code" and SENTENCE_TAG not in c.metadata.get("tags", [])
    ]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_code_cells_are_the_chapters(chapter: Path) -> None:
    original = nbformat.read(chapter, as_version=4)
    converted = nbformat.read(ROOT / "colab" / chapter.name, as_version=4)
    code = [c.source for c in original.cells if c.cell_type == "code"]
    assert [c.source for c in chapter_code(converted)] == code
    assert all(not c.outputs for c in converted.cells if c.cell_type == "code")
    assert converted.metadata["accelerator"] == "GPU"


@pytest.mark.parametrize("edition_chapter", EDITION_CHAPTERS, ids=_edition_id)
def test_a_translated_edition_shows_its_tables_in_its_language(edition_chapter) -> None:
    """The setup cell of colab/zh/ sets the language of what cells display (tables, notes:
    helpers.book.outputs); the English edition leaves the default. Every other code cell is
    the chapter's."""
    language, chapter = edition_chapter
    converted = nbformat.read(EDITIONS[language] / chapter.name, as_version=4)
    original = nbformat.read(chapter, as_version=4)
    code = [c.source for c in original.cells if c.cell_type == "code"]
    setup, *rest = [c.source for c in chapter_code(converted)]
    assert rest == code[1:]
    if language is None:
        assert setup == code[0]
    else:
        assert setup == code[0] + cc.SET_LANGUAGE.format(language=language)
        namespace: dict = {}
        exec(cc.SET_LANGUAGE.format(language=language), namespace)
        from helpers.core.text import current_language, set_language

        assert current_language() == language
        set_language("en")


def test_citation_term_and_admonition(book) -> None:
    page = myst.Page(book=book, docname="chapters/x")
    text = myst.convert_markdown(
        "(sec-x)=\n# Title\n\nAs {cite:t}`he2016deep` showed {cite:p}`he2016deep,he2016identity`,"
        " a {term}`Residual block` or {term}`blocks <residual block>`.\n\n"
        ":::{tip} Try it\n:class: x\nChange $n$.\n:::\n\n```{note}\nA note.\n```",
        page,
    )
    refs = f"{book.base}chapters/appendix/references.html#cite-"
    assert f"[He et al. (2016a)]({refs}he2016deep)" in text
    assert (
        f"([He et al., 2016a]({refs}he2016deep); [He et al., 2016b]({refs}he2016identity))"
        in text
    )
    gloss = f"{book.base}chapters/appendix/glossary.html#term-residual-block"
    assert f"[Residual block]({gloss})" in text and f"[blocks]({gloss})" in text
    assert (
        "> **Try it**\n>\n> Change $n$." in text and "> **Note**\n>\n> A note." in text
    )
    assert "sec-x" not in text and ":class:" not in text


def test_exercises_figures_glue_and_references(book) -> None:
    page = myst.Page(book=book, docname="chapters/03_residual_networks")
    text = myst.convert_markdown(
        "````{exercise} Count\n:label: ex-a\n\nHow many?\n```python\nx = 1\n```\n````\n\n"
        "````{solution} ex-a\n:class: dropdown\nSeven.\n````\n\n"
        "```{figure} images/residual_block.svg\n:name: fig-block\n:alt: A block\n\n"
        "The block. It adds.\n```\n\n"
        "Error {glue:text}`best_err:.1f` %, see {numref}`fig-block`, {ref}`sec-residual-networks`,"
        " {doc}`the summary <07_summary>` and [chapter 2](02_vanishing_gradients.ipynb#sec).",
        page,
    )
    assert "**Exercise 1** (Count)\n\nHow many?\n```python\nx = 1\n```" in text
    assert (
        "<details>\n<summary>Solution to Exercise 1 (click to show)</summary>\n\nSeven."
        in text
    )
    assert (
        f"![A block]({book.base}_images/residual_block.svg)\n\n**Figure.** The block. It adds."
        in text
    )
    assert "Error \ue000{best_err:.1f}\ue000 %" in text  # marked for colab_glue
    assert (
        f'[Figure "The block"]({book.base}chapters/03_residual_networks.html#fig-block)'
        in text
    )
    assert (
        f"[Deep residual networks]({book.base}chapters/03_residual_networks.html"
        "#sec-residual-networks)" in text
    )
    assert f"[the summary]({book.base}chapters/07_summary.html)" in text
    assert f"[chapter 2]({book.base}chapters/02_vanishing_gradients.html#sec)" in text


@pytest.mark.parametrize(
    "url, site",
    [
        (
            "https://github.com/resnet-book/resnet-book",
            "https://resnet-book.github.io/resnet-book/",
        ),
        ("https://github.com/Alice/my-fork.git", "https://alice.github.io/my-fork/"),
        ("https://github.com/alice/alice.github.io", "https://alice.github.io/"),
        ("https://gitlab.com/o/r", ""),  # no GitHub Pages: the PDF prints no address
    ],
)
def test_site_url_follows_the_repository(url, site) -> None:
    assert site_url(url) == site


def test_the_colab_edition_needs_a_github_repository(tmp_path: Path) -> None:
    (tmp_path / "_config.yml").write_text(
        "repository:\n  url: https://gitlab.com/o/r\n"
    )
    with pytest.raises(ValueError, match="github.com/<owner>/<repo>"):
        cc.Book.load(tmp_path)


def test_anchors_match_what_sphinx_writes(tmp_path: Path, book) -> None:
    """Build a one-page Sphinx site with the book's glossary and bibliography settings and check
    that the anchors the converter links to exist."""
    (tmp_path / "conf.py").write_text(
        "extensions = ['myst_parser', 'sphinxcontrib.bibtex']\n"
        f"bibtex_bibfiles = [{str(ROOT / 'references.bib')!r}]\n"
        "bibtex_reference_style = 'author_year'\nbibtex_cite_id = 'cite-{key}'\n"
    )
    terms = ["He initialisation", "ILSVRC", "top-1 error"]
    glossary = "".join(f"{book.terms[t.lower()]}\n  Defined.\n\n" for t in terms)
    (tmp_path / "index.md").write_text(
        f"# T\n\n```{{glossary}}\n{glossary}```\n\n```{{bibliography}}\n:all:\n```\n"
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-q",
            "-b",
            "html",
            str(tmp_path),
            str(tmp_path / "out"),
        ],
        check=True,
        capture_output=True,
    )
    ids = set(
        re.findall(r'id="([^"]+)"', (tmp_path / "out" / "index.html").read_text())
    )
    for term in terms:
        assert myst.term_id(book.terms[term.lower()]) in ids
    for key in ("he2016deep", "he2016identity"):
        assert f"cite-{myst.make_id(key)}" in ids


def test_every_term_and_citation_is_defined(book) -> None:
    for chapter in CHAPTERS:
        text = markdown(nbformat.read(chapter, as_version=4))
        for m in re.finditer(r"\{term\}`([^`]*)`", text):
            term = myst.EXPLICIT.match(m.group(1))
            term = term.group("target") if term else m.group(1)
            assert term.lower() in book.terms, (
                f"{chapter.name}: no glossary entry {term!r}"
            )
        for m in re.finditer(r"\{cite(?::\w+)?\}`([^`]*)`", text):
            for key in m.group(1).split(","):
                assert key.strip() in book.citations, (
                    f"{chapter.name}: unknown key {key!r}"
                )


def test_launch_button_opens_the_colab_edition(tmp_path: Path) -> None:
    theme = "https://colab.research.google.com/github/alice/fork/blob/main/chapters/01_cnn_basics.ipynb"
    assert colab_launch.colab_url(theme, "chapters/01_cnn_basics", ROOT) == (
        "https://colab.research.google.com/github/alice/fork/blob/main/colab/01_cnn_basics.ipynb"
    )
    assert (
        colab_launch.colab_url(
            theme.replace("01_cnn_basics", "intro"), "chapters/intro", ROOT
        )
        is None
    )
    context = {
        "header_buttons": [
            {"label": "launch-buttons", "buttons": [{"text": "Colab", "url": theme}]}
        ]
    }
    app = type(
        "App",
        (),
        {"srcdir": str(ROOT), "config": type("Config", (), {"language": None})},
    )()
    colab_launch._on_page_context(
        app, "chapters/01_cnn_basics", "page.html", context, None
    )
    assert context["header_buttons"][0]["buttons"][0]["url"].endswith(
        "/colab/01_cnn_basics.ipynb"
    )


def test_no_binder() -> None:
    config = read_config()
    assert "binderhub_url" not in config["launch_buttons"]
    assert "binder" not in (ROOT / "README.md").read_text(encoding="utf-8").lower()
    assert json.loads((ROOT / "colab" / CHAPTERS[0].name).read_text())["metadata"][
        "colab"
    ]
