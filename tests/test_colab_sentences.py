"""The Colab edition says the website's computed sentences with the reader's own numbers.

Where a page pastes a glued value into prose, colab/ has a code cell that displays the
paragraph filled from the notebook's own run (scripts/colab_glue.py, helpers.book.paste.show),
and no markdown cell carries a placeholder. With a built site, every value a sentence cell
needs is glued by a code cell above it (read from the executed notebooks), so *Run all*
never reaches a sentence before its numbers.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from _site import BUILD, ROOT

sys.path.insert(0, str(ROOT / "scripts"))

import colab_glue  # noqa: E402
from book_meta import toc_notebooks  # noqa: E402

from helpers.book import paste  # noqa: E402

CHAPTERS = toc_notebooks()
# What an unfilled value looked like, or could look like, in a markdown cell.
HOLES = [
    (re.compile(r"computed by the code above"), "a placeholder sentence"),
    (re.compile(r"drawn by the code above"), "a placeholder figure"),
    (re.compile(r"\{glue"), "a raw glue role"),
    (re.compile("[\ue000\ue001]"), "a converter mark"),
]


def colab(chapter: Path) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "colab" / chapter.name, as_version=4)


def is_sentence(cell) -> bool:
    return colab_glue.SENTENCE_TAG in cell.metadata.get("tags", [])


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_placeholder_left_in_colab(chapter: Path) -> None:
    for i, cell in enumerate(colab(chapter).cells):
        if cell.cell_type != "markdown":
            continue
        for pattern, what in HOLES:
            found = pattern.search(cell.source)
            assert not found, (
                f"colab/{chapter.name} cell {i}: {what}: {found.group(0)!r}"
            )


def test_sentence_cells_are_colab_forms() -> None:
    """Colab shows a sentence cell's title and output, not its code (the paragraph once)."""
    cells = [c for chapter in CHAPTERS for c in colab(chapter).cells if is_sentence(c)]
    assert cells
    for cell in cells:
        assert cell.source.startswith("# @title ")
        assert cell.metadata["cellView"] == "form"
        assert cell.metadata["jupyter"]["source_hidden"] is True


def test_every_pasted_value_becomes_a_sentence_cell() -> None:
    chapter_pastes = sum(
        len(re.findall(r"\{glue:(?:text|md)\}`", c.source))
        for chapter in CHAPTERS
        for c in nbformat.read(chapter, as_version=4).cells
        if c.cell_type == "markdown"
    )
    filled = sum(
        len(paste.PLACEHOLDER.findall(c.source))
        for chapter in CHAPTERS
        for c in colab(chapter).cells
        if is_sentence(c)
    )
    assert chapter_pastes and filled == chapter_pastes


def test_split_cell_keeps_prose_and_computes_the_sentences() -> None:
    mark = colab_glue.value_mark
    text = (
        "## A heading\n\nPlain prose $\\mathcal{L}$.\n\n"
        f"The error is {mark('err')} and *the run {mark('verdict')}*.\n\n"
        f"{colab_glue.figure_mark('fig_x')}\nA caption with {mark('prov')}.\n\n"
        "```python\nx = {1: 2}\n\ny = 3\n```"
    )
    cells = colab_glue.split_cell(text)
    kinds = [k for k, _ in cells]
    assert kinds == ["markdown", "code", "code", "markdown"]
    assert cells[0][1] == "## A heading\n\nPlain prose $\\mathcal{L}$."
    assert "{err} and *the run {verdict}*." in cells[1][1]
    assert 'show_figure(\n    "fig_x",' in cells[2][1] and "{prov}" in cells[2][1]
    assert cells[3][1].startswith("```python") and cells[3][1].endswith("```")
    for _, source in cells[1:3]:
        compile(source, "<cell>", "exec")  # valid Python


def test_a_brace_pair_that_reads_as_a_value_is_refused() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        colab_glue.split_cell(f"With {colab_glue.value_mark('a_b')} and {{x_y}}.")


def test_fill_pastes_as_the_website_does() -> None:
    from IPython.display import Markdown

    values = {
        "ch_n": 12,
        "ch_err": "3.5%",
        "ch_md": Markdown("**bold**"),
        "ch_f": 0.1234,
    }
    text = "n={ch_n}, err {ch_err}, {ch_md}, {ch_f:.2f}, $\\frac{a}{b}$, {h_l}x"
    with pytest.raises(KeyError, match="run the cells above"):
        paste.fill(text, values)
    values["h_l"] = "?"
    assert (
        paste.fill(text, values) == "n=12, err 3.5%, **bold**, 0.12, $\\frac{a}{b}$, ?x"
    )


def test_glue_keeps_every_value_for_the_sentences(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # as on Colab
    paste.glue("test_value", 42)
    assert paste.GLUED["test_value"] == 42
    assert paste.fill("{test_value} images") == "42 images"


# --- with a built site: the values exist before the sentences --------------------------------


def _code(nb: dict) -> list[str]:
    return [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in nb["cells"]
        if c["cell_type"] == "code"
    ]


def glued_by_code_cell(chapter: Path) -> list[set[str]]:
    """For each code cell of the chapter, the names it glued in this build: read from the
    build's execution cache (_build/.jupyter_cache/<book key>, which keeps every output;
    the pages' copies in _build/jupyter_execute drop the hidden glue outputs)."""
    from helpers.core.fingerprint import book_key

    source = [
        c.source
        for c in nbformat.read(chapter, as_version=4).cells
        if c.cell_type == "code"
    ]
    executed = BUILD / ".jupyter_cache" / book_key() / "executed"
    if not executed.is_dir():
        pytest.skip(f"no execution cache at {executed}: build the book first")
    for path in sorted(executed.glob("*/base.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        if _code(nb) == source:
            return [
                {
                    o["metadata"]["scrapbook"]["name"]
                    for o in c.get("outputs", [])
                    if "scrapbook" in o.get("metadata", {})
                }
                for c in nb["cells"]
                if c["cell_type"] == "code"
            ]
    pytest.fail(
        f"{chapter.name} was not executed by the build in {BUILD}: build the book again"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_sentences_come_after_their_values(chapter: Path) -> None:
    glued = glued_by_code_cell(chapter)
    known: set[str] = set()
    code_index = 0
    for i, cell in enumerate(colab(chapter).cells):
        if cell.cell_type != "code":
            continue
        if is_sentence(cell):
            names = {m.group(1) for m in paste.PLACEHOLDER.finditer(cell.source)}
            figure = re.search(r'show_figure\(\s*"(\w+)"', cell.source)
            names |= {figure.group(1)} if figure else set()
            missing = names - known
            assert not missing, (
                f"colab/{chapter.name} cell {i} says {sorted(missing)} before any code "
                "cell above it computes them"
            )
        else:
            known |= glued[code_index]
            code_index += 1
    assert code_index == len(glued), "the executed notebook has other code cells"
