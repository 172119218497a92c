"""Turn a chapter notebook (MyST markdown, read by Jupyter Book) into a Colab/Jupyter notebook.

Jupyter and Colab render plain CommonMark, so the MyST in markdown cells is rewritten
(scripts/colab_myst.py says how), with links to the website, whose address is GitHub Pages of
``repository.url`` (book_meta.site_url). Code cells are copied unchanged; a banner cell and
Colab's metadata (GPU runtime) are added. A translated edition's setup cell also sets the
language the cells' tables and notes are shown in (``helpers.core.text.set_language``).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from book_meta import EDITIONS, author_names, read_config, site_url
from colab_glue import (
    CELL_METADATA,
    FIGURE_COMMENT,
    SENTENCE_COMMENT,
    SENTENCE_TAG,
    split_cell,
)
from colab_myst import Page, convert_markdown, labels_in
from colab_translate import Translator, catalogue_lookup, catalogue_table

# The words the converter itself adds, per edition (None: English).
WORDS = {
    None: {
        "banner": "*Colab edition of [{title}]({page}) from the book [Deep Residual Networks]"
        "({base}). Run the first code cell to install the book's `helpers` package; "
        "**Runtime > Run all** runs the chapter.*",
        SENTENCE_COMMENT: SENTENCE_COMMENT,
        FIGURE_COMMENT: FIGURE_COMMENT,
    },
    "zh_CN": {
        "banner": "*这是《深度残差网络》一书中[{title}]({page})一章的 Colab 版（[全书]({base})）。"
        "先运行第一个代码单元来安装本书的 `helpers` 包；**代码执行程序 > 全部运行**"
        "（Runtime > Run all）会运行整章。*",
        SENTENCE_COMMENT: "# @title 网站上的句子，填入本次运行的数字",
        FIGURE_COMMENT: "# @title 上面计算出的图及其图注",
    },
}

# ---------------------------------------------------------------------------------------------
# What the converter needs to know about the book
# ---------------------------------------------------------------------------------------------


@dataclass
class Book:
    """Facts about the whole book: website address, bibliography, glossary, labels."""

    root: Path
    base: str  # website address, ending in "/" (the edition's: .../zh/ for Chinese)
    repository: str
    branch: str
    # A translated edition (book_meta.EDITIONS; None: English) and its pages' catalogues.
    language: str | None = None
    translations: dict[str, str] = field(default_factory=dict)
    citations: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # key -> (names, year)
    terms: dict[str, str] = field(
        default_factory=dict
    )  # lower-case term -> term as defined
    labels: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # label -> (docname, title)

    def translate(self, text: str) -> str:
        """``text`` (a heading or caption a link shows) in the edition's language."""
        return self.translations.get(" ".join(text.split()), text)

    @classmethod
    def load(cls, root: Path, language: str | None = None) -> Book:
        config = read_config(root)
        repo = config["repository"]
        base = site_url(repo["url"])
        if not base:
            raise ValueError(
                f"repository.url must be https://github.com/<owner>/<repo>; got "
                f"{repo['url']!r}"
            )
        book = cls(
            root=root,
            base=base + (EDITIONS[language]["folder"] if language else ""),
            repository=repo["url"],
            branch=repo.get("branch", "main"),
            language=language,
        )
        if language:
            for po in sorted(
                (root / "locale" / language / "LC_MESSAGES").rglob("*.po")
            ):
                book.translations.update(catalogue_table(po))
        for bib in config.get("bibtex_bibfiles", []):
            book.citations.update(parse_bib(root / bib))
        for path in sorted((root / "chapters").rglob("*.md")):
            book.terms.update(parse_glossary(path.read_text(encoding="utf-8")))
        for path in sorted((root / "chapters").rglob("*")):
            if path.suffix in (".md", ".ipynb") and not path.name.startswith("_"):
                book.labels.update(collect_labels(path, root))
        return book

    def page(self, docname: str, anchor: str = "") -> str:
        return f"{self.base}{docname}.html" + (f"#{anchor}" if anchor else "")

    def image(self, src: str) -> str:
        """Sphinx copies every image to _images/<file name>."""
        if re.match(r"^[a-z]+://", src):
            return src
        return f"{self.base}_images/{Path(src).name}"


def parse_bib(path: Path) -> dict[str, tuple[str, str]]:
    """key -> (author text as sphinxcontrib-bibtex's author_year style shows it, year); the
    references page labels entries the same way (sphinx_ext/author_year_labels.py)."""
    from pybtex.database import parse_file

    out = {}
    for key, entry in parse_file(str(path)).entries.items():
        names = author_names(entry) or entry.fields.get("title", key)
        out[key] = (names, entry.fields.get("year", "n.d."))
    return out


def parse_glossary(text: str) -> dict[str, str]:
    """Terms defined in ```{glossary} blocks: lower case -> as written."""
    terms = {}
    for block in re.findall(
        r"^(`{3,}|:{3,})\{glossary\}.*?\n(.*?)^\1\s*$", text, re.S | re.M
    ):
        for line in block[1].splitlines():
            if line.strip() and not line[0].isspace() and not line.startswith(":"):
                terms[line.strip().lower()] = line.strip()
    return terms


def collect_labels(path: Path, root: Path) -> dict[str, tuple[str, str]]:
    """Labels defined on a page -> (docname, title): ``(label)=`` before a heading, and the
    ``:label:`` / ``:name:`` of directives (figures, exercises) with their title or caption."""
    docname = path.relative_to(root).with_suffix("").as_posix()
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        text = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    return labels_in(text, docname)


# ---------------------------------------------------------------------------------------------
# Whole notebooks
# ---------------------------------------------------------------------------------------------


def notebook_title(nb: nbformat.NotebookNode) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip()
    return "this chapter"


def split_markdown(
    cell, converted: str, words: dict = WORDS[None], language: str | None = None
) -> list[nbformat.NotebookNode]:
    """The converted cell, cut where it pastes computed values (scripts/colab_glue.py):
    markdown cells without holes, and code cells that say the sentences with this run's
    numbers. The pieces keep the cell's id, suffixed, so regenerating changes nothing."""
    pieces = []
    for k, (kind, source) in enumerate(split_cell(converted, language)):
        if kind == "markdown":
            piece = nbformat.v4.new_markdown_cell(source)
        else:
            for english in (SENTENCE_COMMENT, FIGURE_COMMENT):
                source = source.replace(english, words[english])
            piece = nbformat.v4.new_code_cell(source)
            piece.metadata = {"tags": [SENTENCE_TAG], **copy.deepcopy(CELL_METADATA)}
        if "id" in cell:
            piece.id = cell.id if k == 0 else f"{cell.id}-{k}"
        else:
            piece.pop("id", None)
        pieces.append(piece)
    return pieces


def translator(path: Path, book: Book) -> Translator | None:
    """The page's catalogue in the book's language (None for the English edition)."""
    if book.language is None:
        return None
    docname = path.relative_to(book.root).with_suffix("").as_posix()
    catalogue = book.root / "locale" / book.language / "LC_MESSAGES" / f"{docname}.po"
    return Translator(catalogue_lookup(catalogue))


# appended to a translated edition's setup cell (the first code cell)
SET_LANGUAGE = """

from helpers.core.text import set_language

set_language("{language}")  # the tables and notes that cells show, in this language"""


def convert_notebook(path: Path, book: Book) -> nbformat.NotebookNode:
    """The Colab edition of the chapter notebook at ``path`` (in ``book.language``)."""
    nb = copy.deepcopy(nbformat.read(path, as_version=4))
    docname = path.relative_to(book.root).with_suffix("").as_posix()
    page, words, translate = (
        Page(book=book, docname=docname),
        WORDS[book.language],
        translator(path, book),
    )
    cells, setup = [], bool(book.language)
    for cell in nb.cells:
        if cell.cell_type == "code" and setup:
            cell.source += SET_LANGUAGE.format(language=book.language)
            setup = False
        if cell.cell_type == "markdown":
            source = translate.markdown(cell.source) if translate else cell.source
            converted = convert_markdown(source, page)
            cells += split_markdown(cell, converted, words, book.language)
            continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    if translate and translate.missing:
        raise ValueError(
            f"{docname}: {len(translate.missing)} messages have no translation, e.g. "
            f"{translate.missing[0][:60]!r}: run `make i18n-update` and translate them"
        )
    nb.cells = cells
    banner = nbformat.v4.new_markdown_cell(
        words["banner"].format(
            title=notebook_title(nb), page=book.page(docname), base=book.base
        )
    )
    if nb.nbformat_minor >= 5:
        banner.id = "colab-edition"  # fixed, so regenerating changes nothing
    else:
        banner.pop("id", None)
    nb.cells.insert(0, banner)
    nb.metadata = {
        "kernelspec": {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        },
        "language_info": {"name": "python"},
        "accelerator": "GPU",  # Colab opens it on a GPU runtime
        "colab": {"provenance": [], "gpuType": "T4"},
    }
    return nb
