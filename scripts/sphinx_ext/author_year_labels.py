"""One citation style: the references page labels entries "He et al. 2016a", as the text cites them.

sphinxcontrib-bibtex's ``author_year`` reference style writes citations in the text as
"He et al. (2016a)", but its bibliography styles label entries with numbers ("[1]"). This
extension registers a pybtex formatting style ``author_year_plain``: pybtex's ``plain`` style
with labels built from the same authors and year, selected in ``_config.yml``
(``bibtex_default_style``).
"""

from __future__ import annotations

from _scripts import book_meta
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


def author_year_label(entry) -> str:
    """ "He et al. 2016a", "Ioffe and Szegedy 2015", "Krizhevsky 2009"."""
    names = book_meta.author_names(entry) or entry.fields.get("title", entry.key)[:20]
    return f"{names} {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            yield author_year_label(entry)


class AuthorYearStyle(PlainStyle):
    default_label_style = "author_year"


register_plugin("pybtex.style.labels", "author_year", AuthorYearLabelStyle)
register_plugin("pybtex.style.formatting", "author_year_plain", AuthorYearStyle)


def setup(app):
    return {"parallel_read_safe": True, "parallel_write_safe": True}
