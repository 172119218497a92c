"""Sphinx extension for resnet-book: the English–Chinese terminology table (issue 20).

``{terminology}`` renders locale/zh_CN/terminology.csv, the one table the Chinese edition's
translations follow (tests/test_i18n.py holds the catalogues to it), as a table of English term,
Chinese term and note. The rows are data, not page text: they stay out of the catalogues, so
both editions show the same table.
"""

from __future__ import annotations

import csv
from typing import Any

from _scripts import book_meta
from docutils import nodes
from sphinx.util.docutils import SphinxDirective

TABLE = book_meta.ROOT / "locale" / "zh_CN" / "terminology.csv"
COLUMNS = ("english", "chinese", "note")


def _row(cells: list[str], english_first: bool = False) -> nodes.row:
    """A row of the table; ``english_first``: its first cell is an English term, marked
    ``lang="en"`` (docutils writes the class ``language-en`` so) for readers and tests."""
    row = nodes.row()
    for i, text in enumerate(cells):
        paragraph = nodes.paragraph(text, text, translatable=False)
        if english_first and i == 0:
            paragraph["classes"].append("language-en")
        row += nodes.entry("", paragraph)
    return row


class Terminology(SphinxDirective):
    """The table, with the header row given as the directive's argument ("A | B | C")."""

    required_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(TABLE))
        with TABLE.open(encoding="utf-8") as f:
            rows = [[r[c] for c in COLUMNS] for r in csv.DictReader(f)]
        header = [h.strip() for h in self.arguments[0].split("|")]
        if len(header) != len(COLUMNS):
            raise self.error(f"give {len(COLUMNS)} column titles, as 'A | B | C'")
        group = nodes.tgroup(cols=len(COLUMNS))
        group += [nodes.colspec(colwidth=w) for w in (3, 2, 5)]
        group += nodes.thead("", _row(header))
        group += nodes.tbody("", *[_row(r, english_first=True) for r in rows])
        table = nodes.table("", group, classes=["terminology"])
        return [table]


def setup(app: Any) -> dict:
    app.add_directive("terminology", Terminology)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
