"""One citation style: the references page labels entries the way the text cites them."""

from __future__ import annotations

import re
import sys

import pytest
from _site import ROOT, require_site

sys.path.insert(0, str(ROOT / "scripts" / "sphinx_ext"))
from author_year_labels import author_year_label  # noqa: E402


def _entries():
    from pybtex.database import parse_file

    return parse_file(ROOT / "references.bib").entries


def test_labels_follow_the_author_year_rule():
    entries = _entries()
    assert author_year_label(entries["he2016deep"]) == "He et al. 2016a"
    assert author_year_label(entries["he2016identity"]) == "He et al. 2016b"
    assert (
        author_year_label(entries["simonyan2015very"]) == "Simonyan and Zisserman 2015"
    )
    assert author_year_label(entries["krizhevsky2009learning"]) == "Krizhevsky 2009"


def test_labels_are_unique():
    labels = [author_year_label(e) for e in _entries().values()]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    assert not twice, (
        f"two entries would share a label (add a/b to their year): {twice}"
    )


def test_colab_citations_name_entries_as_the_references_page():
    """The Colab edition's "He et al. (2016a)" and the label "He et al. 2016a" agree."""
    from colab_convert import parse_bib

    cited = parse_bib(ROOT / "references.bib")
    for key, entry in _entries().items():
        if entry.persons.get("author") or entry.persons.get("editor"):
            names, year = cited[key]
            assert author_year_label(entry) == f"{names} {year}", key


def test_last_names_of_several_words_keep_their_spaces():
    """As sphinxcontrib-bibtex's author_year style writes them in the text."""
    from pybtex.database import Entry, Person

    entry = Entry("book", fields={"year": "1668", "title": "Fables"})
    entry.add_person(Person("La Fontaine, Jean de"), "author")
    assert author_year_label(entry) == "La Fontaine 1668"
    entry.add_person(Person("Perrault, Charles"), "author")
    assert author_year_label(entry) == "La Fontaine and Perrault 1668"


@pytest.mark.slow
def test_references_page_uses_author_year_labels():
    site = require_site()
    html = (site / "chapters" / "appendix" / "references.html").read_text()
    labels = re.findall(
        r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<', html
    )
    labels = labels or re.findall(r'class="label"[^>]*>\[?([^<\]]+)', html)
    assert labels, "no bibliography labels found on the references page"
    assert "He et al. 2016a" in labels and "He et al. 2016b" in labels, labels[:5]
    assert not any(label.strip().isdigit() for label in labels), labels[:5]
