"""The Chinese edition's catalogues (issue 20): complete, current, and faithful to the markup.

A sketch from the issue-20 spike. What always runs: the catalogues parse, and every translated
message keeps the markup that must not change in translation (citations, math, code, the
number of glossary links and pasted values). What runs once the translation is declared
complete (the file locale/zh_CN/COMPLETE exists): no message untranslated, fuzzy or obsolete,
and the catalogues hold exactly the messages that the current English text has (needs the
gettext build, ``make i18n-update``, to have written _build/pot/).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale" / "zh_CN" / "LC_MESSAGES"
POT = ROOT / "_build" / "pot" / "_build" / "gettext"
COMPLETE = (ROOT / "locale" / "zh_CN" / "COMPLETE").exists()
sys.path.insert(0, str(ROOT / "scripts" / "sphinx_ext"))

CATALOGUES = sorted(LOCALE.rglob("*.po"))

# Markup that a translation keeps exactly: citations, inline math, code.
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]*)`")
MATH = re.compile(r"(?<!\$)\$([^$]+)\$(?!\$)")
CODE = re.compile(r"`([^`]+)`")  # after the roles are taken out
ROLE = re.compile(r"\{[a-z:-]+\}`[^`]*`")
# Markup whose target may change but whose number may not: a glossary link may show the
# Chinese term (`{term}`残差块 <residual block>``), a pasted value may be a Chinese one
# glued beside the English (`{glue:text}`key_zh``).
COUNTED = {
    "term": re.compile(r"\{term\}`"),
    "glue": re.compile(r"\{glue(?::[a-z]+)?\}`"),
}


def _catalogue(path: Path):
    with path.open("rb") as f:
        return read_po(f, locale="zh_CN")


def _name(path: Path) -> str:
    return path.relative_to(LOCALE).as_posix()


def markup_mismatches(msgid: str, msgstr: str) -> list[str]:
    """What ``msgstr`` changed of the markup that a translation must keep."""
    problems = []
    for what, pattern in (("citations", CITE), ("math", MATH), ("code", CODE)):
        if pattern is CODE:
            found = [sorted(CODE.findall(ROLE.sub("", t))) for t in (msgid, msgstr)]
        else:
            found = [sorted(pattern.findall(t)) for t in (msgid, msgstr)]
        if found[0] != found[1]:
            problems.append(what)
    for what, pattern in COUNTED.items():
        if len(pattern.findall(msgid)) != len(pattern.findall(msgstr)):
            problems.append(f"number of {what} roles")
    return problems


def test_markup_check_on_examples() -> None:
    msgid = (
        "A {term}`profile` fixes $n$ in `quick` {cite:p}`he2016deep`: {glue:text}`t4`."
    )
    good = "{term}`配置档 <profile>` 规定 `quick` 中的 $n$ {cite:p}`he2016deep`：{glue:text}`t4_zh`。"
    assert markup_mismatches(msgid, good) == []
    bad = "配置档规定 `quick` 中的 $m$ {cite:p}`he2015delving`。"
    assert markup_mismatches(msgid, bad) == [
        "citations",
        "math",
        "number of term roles",
        "number of glue roles",
    ]


def test_counterpart_urls() -> None:
    from book_i18n import counterpart_url

    assert (
        counterpart_url("chapters/intro", "en", "zh_CN") == "../zh/chapters/intro.html"
    )
    assert (
        counterpart_url("chapters/intro", "zh_CN", "en") == "../../chapters/intro.html"
    )
    assert (
        counterpart_url("chapters/appendix/glossary", "zh_CN", "en")
        == "../../../chapters/appendix/glossary.html"
    )


@pytest.mark.skipif(not CATALOGUES, reason="no catalogue under locale/zh_CN yet")
@pytest.mark.parametrize("path", CATALOGUES, ids=_name)
def test_translations_keep_markup(path: Path) -> None:
    wrong = {
        m.id[:60]: markup_mismatches(m.id, m.string)
        for m in _catalogue(path)
        if m.id and m.string
    }
    assert not {k: v for k, v in wrong.items() if v}


@pytest.mark.skipif(
    not COMPLETE, reason="locale/zh_CN/COMPLETE not there: translation open"
)
@pytest.mark.parametrize("path", CATALOGUES, ids=_name)
def test_catalogue_is_complete(path: Path) -> None:
    catalogue = _catalogue(path)
    untranslated = [m.id[:60] for m in catalogue if m.id and not m.string]
    fuzzy = [m.id[:60] for m in catalogue if m.id and m.fuzzy]
    obsolete = [m.id[:60] for m in catalogue.obsolete.values()]
    assert (untranslated, fuzzy, obsolete) == ([], [], [])


@pytest.mark.skipif(
    not (COMPLETE and POT.is_dir()), reason="needs COMPLETE and the gettext build"
)
def test_catalogues_hold_the_current_english() -> None:
    templates = {
        p.relative_to(POT).with_suffix(".po").as_posix(): p for p in POT.rglob("*.pot")
    }
    assert sorted(templates) == sorted(_name(p) for p in CATALOGUES)
    for name, template in templates.items():
        with template.open("rb") as f:
            english = {m.id for m in read_po(f) if m.id}
        translated = {m.id for m in _catalogue(LOCALE / name) if m.id}
        assert english == translated, name


# --- Terminology (locale/zh_CN/terminology.csv): one Chinese term per English term, and the
# English in parentheses where a page first uses it in running text.
TERMS = ROOT / "locale" / "zh_CN" / "terminology.csv"
MARKUP = re.compile(r"\{(?!term\})[a-z:-]+\}`[^`]*`|`[^`]*`|\$[^$]*\$|\]\([^)]*\)")
LINK_TEXT = re.compile(r"\[[^\]]*\]\([^)]*\)")
RUNNING_TEXT = re.compile("[，。：；]")  # headings, table cells and labels have none


def terminology() -> list[dict]:
    """The checked rows of the table, longest English term first."""
    import csv

    with TERMS.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["checked"] == "yes"]
    return sorted(rows, key=lambda r: -len(r["english"]))


def _used_terms(text: str, rows: list[dict]) -> list[dict]:
    """The rows whose English term ``text`` uses (a longer term hides the shorter in it)."""
    found = []
    for row in rows:
        word = re.compile(
            rf"(?<![\w-]){re.escape(row['english'])}(s|es)?(?![\w-])", re.IGNORECASE
        )
        if word.search(text):
            found.append(row)
            text = word.sub("#", text)
    return found


def term_problems(messages: list[tuple[str, str]], rows: list[dict]) -> list[str]:
    """What a page's (msgid, msgstr) pairs, in page order, do against the terminology."""
    problems, glossed, first_done = [], set(), set()
    for msgid, msgstr in messages:
        for row in _used_terms(MARKUP.sub("", msgid), rows):
            if row["chinese"] not in msgstr.replace("**", ""):
                problems.append(f"{row['english']} not {row['chinese']}: {msgid[:50]}")
        glosses = " ".join(re.findall(r"（([^（）]*)）", msgstr)).lower()
        glossed |= {r["english"] for r in rows if r["english"].lower() in glosses}
        if not RUNNING_TEXT.search(msgstr):
            continue
        for row in _used_terms(MARKUP.sub("", LINK_TEXT.sub("", msgid)), rows):
            english = row["english"]
            if english in first_done or english.lower() in row["chinese"].lower():
                continue
            first_done.add(english)
            if english not in glossed:
                problems.append(
                    f"first use of {english} without （{english}）: {msgid[:50]}"
                )
    return problems


def test_terminology_check_on_examples() -> None:
    rows = [
        {"english": "residual block", "chinese": "残差块"},
        {"english": "block", "chinese": "块"},
    ]
    good = [
        ("Residual blocks", "残差块"),
        ("A residual block adds.", "残差块（residual block）做加法。"),
        ("Each residual block.", "每个残差块。"),
    ]
    assert term_problems(good, rows) == []
    bad = [
        ("A residual block adds.", "残差单元做加法。"),
        ("A residual block.", "一个残差块。"),
    ]
    assert term_problems(bad, rows) == [
        "residual block not 残差块: A residual block adds.",
        "first use of residual block without （residual block）: A residual block adds.",
    ]


@pytest.mark.parametrize("path", CATALOGUES, ids=_name)
def test_terms_translated_one_way_and_introduced(path: Path) -> None:
    messages = [(m.id, m.string) for m in _catalogue(path) if m.id and m.string]
    assert term_problems(messages, terminology()) == []


# --- The computed sentences (helpers.core.text): one template, both languages.
SENTENCES = ROOT / "helpers" / "locale" / "zh_CN" / "LC_MESSAGES" / "sentences.po"


def _fields(template: str) -> set[str]:
    import string

    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_sentences_catalogue_holds_the_code_templates_all_translated() -> None:
    import i18n_sentences

    catalogue = _catalogue(SENTENCES)
    in_code = set(i18n_sentences.templates())
    in_catalogue = {m.id for m in catalogue if m.id}
    assert in_code == in_catalogue, "run `make i18n-update` and translate"
    for m in catalogue:
        if m.id:
            assert m.string and not m.fuzzy, f"untranslated: {m.id[:60]}"
            assert _fields(m.id) == _fields(m.string), m.id[:60]


def test_sentence_in_both_languages_and_glued_twice() -> None:
    from helpers.book.paste import GLUED, glue
    from helpers.core.text import T, Text, join

    text = T("{title}, {n:,} training images", title="Fashion-MNIST", n=4000)
    assert text == "Fashion-MNIST, 4,000 training images"
    assert text.zh == "Fashion-MNIST，4,000 张训练图像"
    both = join(" · ", [text, T("seed {seed}", seed=0)]) + "; x"
    assert (
        isinstance(both, Text)
        and both.zh == "Fashion-MNIST，4,000 张训练图像 · 随机种子 0; x"
    )
    glue("test_i18n_sentence", both)
    assert (
        GLUED["test_i18n_sentence"] == both.en
        and GLUED["test_i18n_sentence_zh"] == both.zh
    )
