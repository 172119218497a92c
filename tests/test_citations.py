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
