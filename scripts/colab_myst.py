"""MyST markdown (read by Jupyter Book) rewritten as the CommonMark that Jupyter and Colab render.

- ``{cite:p}`key``` / ``{cite:t}`key``` become author-year text linked to the website's
  bibliography (anchors ``#cite-<key>``: ``bibtex_cite_id`` in _config.yml);
- ``{term}`text``` links to the glossary entry; ``{ref}``, ``{numref}``, ``{doc}`` and links to
  other chapters go to the website;
- ``{exercise}`` / ``{solution}`` become "Exercise N" with the solution folded in ``<details>``;
- admonitions (``{note}``, ``{tip}``, ``{admonition}`` ...) become blockquotes with a bold title;
- ``{figure}`` / ``{image}`` become markdown images with their caption, served by the website;
- glued values (``{glue:text}`` ...) and glued figures are marked for scripts/colab_glue.py,
  which turns the paragraphs that paste them into code that says them with the reader's run;
- labels ``(name)=`` are dropped.

What a page links to (addresses, citations, glossary terms, labels) comes from the
:class:`colab_convert.Book`; scripts/colab_convert.py assembles the notebooks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from colab_glue import figure_mark, value_mark

if TYPE_CHECKING:
    from colab_convert import Book

ADMONITIONS = (
    "note",
    "tip",
    "hint",
    "important",
    "warning",
    "caution",
    "attention",
    "danger",
    "error",
    "seealso",
    "admonition",
    "margin",
    "sidebar",
    "topic",
    "dropdown",
)
# The words the converter writes itself, per edition (None: English).
WORDS = {
    None: {
        "exercise": "Exercise {n}",
        "solution": "Solution to {what} (click to show)",
        "the exercise": "the exercise above",
        "figure": "Figure",
        "table": "Table",
        "section": "Section",
        "equation": "the equation",
        "see": "*(See [{name}]({url}) on the website.)*",
        "and": " and ",
    },
    "zh_CN": {
        "exercise": "练习 {n}",
        "solution": "{what}的解答（点击展开）",
        "the exercise": "上面练习",
        "figure": "图",
        "table": "表",
        "section": "节",
        "equation": "该公式",
        "see": "*（见网站上的[{name}]({url})。）*",
        "and": "、",
    },
}
ADMONITION_TITLES = {
    "zh_CN": {
        "note": "注意",
        "tip": "提示",
        "hint": "提示",
        "important": "重要",
        "warning": "警告",
        "caution": "小心",
        "attention": "注意",
        "danger": "危险",
        "error": "错误",
        "seealso": "另见",
    }
}


def words(page: Page) -> dict[str, str]:
    return WORDS[getattr(page.book, "language", None)]


ROLE = re.compile(r"\{(?P<role>[a-z][\w:-]*)\}`(?P<text>[^`]*)`")
EXPLICIT = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
LABEL_LINE = re.compile(r"^\((?P<label>[\w\-:.]+)\)=\s*$", re.M)
FENCE = re.compile(
    r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:\-]+)\}(?P<arg>.*)$"
)


def make_id(text: str) -> str:
    """docutils' id of a label or bibliography key (lower case, runs of non-alnum -> '-')."""
    from docutils.nodes import make_id as docutils_make_id

    return docutils_make_id(text)


def term_id(term: str) -> str:
    """Sphinx's anchor of a glossary term (``term-`` + the term, case kept)."""
    from sphinx.util.nodes import _make_id

    return _make_id(f"term-{term}")


def labels_in(text: str, docname: str) -> dict[str, tuple[str, str]]:
    """Labels defined in ``text`` (of page ``docname``) -> (docname, title)."""
    labels = {}
    for m in re.finditer(r"^\(([\w\-:.]+)\)=\s*\n+#+\s+(.+)$", text, re.M):
        labels[m.group(1)] = (docname, m.group(2).strip())
    for m in re.finditer(
        r"^(`{3,}|:{3,})\{(\w[\w:-]*)\}(.*)\n((?::[\w-]+:.*\n)*)\n?(.*)$", text, re.M
    ):
        name = re.search(r"^:(?:label|name): *(\S+)", m.group(4), re.M)
        if name:
            caption = m.group(5).strip()
            is_figure = m.group(2) in ("figure", "glue:figure", "table", "list-table")
            title = (
                caption if is_figure else m.group(3).strip() or caption
            ) or m.group(2)
            labels[name.group(1)] = (docname, title)
    return labels


# ---------------------------------------------------------------------------------------------
# Markdown conversion
# ---------------------------------------------------------------------------------------------


@dataclass
class Page:
    """Per-notebook state: its docname and the exercise numbers given so far."""

    book: Book
    docname: str
    exercises: dict[str, int] = field(default_factory=dict)
    count: int = 0


def convert_markdown(text: str, page: Page) -> str:
    """Rewrite one markdown cell's MyST as CommonMark + a little HTML (see module docstring)."""
    page.book.labels = {**labels_in(text, page.docname), **page.book.labels}
    text = LABEL_LINE.sub("", text)
    text = re.sub(
        r"^(\$\$)\s*\([\w\-:.]+\)\s*$", r"\1", text, flags=re.M
    )  # $$ (eq-label)
    text = convert_blocks(text, page)
    text = convert_roles(text, page)
    text = convert_links(text, page)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def split_directive(
    lines: list[str], start: int
) -> tuple[dict[str, str], list[str], int]:
    """Options, body lines and the index after the closing fence of the directive at start."""
    m = FENCE.match(lines[start])
    fence = m.group("fence")
    closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    i, options, body = start + 1, {}, []
    while i < len(lines) and re.match(r"^:[\w-]+:", lines[i]):
        key, _, value = lines[i][1:].partition(":")
        options[key.strip()] = value.strip()
        i += 1
    while i < len(
        lines
    ):  # a nested directive uses a shorter fence, so it cannot close ours
        if closing.match(lines[i]):
            return options, body, i + 1
        body.append(lines[i])
        i += 1
    return options, body, i  # unclosed: MyST ends it at the end of the cell


def convert_blocks(text: str, page: Page) -> str:
    lines, out, i = text.split("\n"), [], 0
    plain_fence = None
    while i < len(lines):
        line = lines[i]
        if plain_fence:  # inside ```python ... ```: copy as is
            out.append(line)
            if (
                line.strip().startswith(plain_fence)
                and line.strip().strip(plain_fence[0]) == ""
            ):
                plain_fence = None
            i += 1
            continue
        m = FENCE.match(line)
        if not m:
            bare = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
            if bare:
                plain_fence = bare.group(1)
            out.append(line)
            i += 1
            continue
        options, body, i = split_directive(lines, i)
        out.append(
            render_directive(
                m.group("name"), m.group("arg").strip(), options, "\n".join(body), page
            )
        )
    return "\n".join(out)


def quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.split("\n"))


def render_directive(
    name: str, arg: str, options: dict[str, str], body: str, page: Page
) -> str:
    inner = convert_blocks(body, page).strip("\n")
    if name == "exercise":
        page.count += 1
        if "label" in options:
            page.exercises[options["label"]] = page.count
        title = f"**{words(page)['exercise'].format(n=page.count)}**" + (
            f" ({arg})" if arg else ""
        )
        return f"\n{title}\n\n{inner}\n"
    if name == "solution":
        number = page.exercises.get(arg)
        what = (
            words(page)["exercise"].format(n=number)
            if number
            else words(page)["the exercise"]
        )
        summary = words(page)["solution"].format(what=what)
        return f"\n<details>\n<summary>{summary}</summary>\n\n{inner}\n\n</details>\n"
    if name == "glue:figure":  # one block: the figure's name, then its caption
        return f"\n{figure_mark(arg)}\n{inner.strip()}\n"
    if name in ("figure", "image"):
        image = f"![{options.get('alt', '')}]({page.book.image(arg)})"
        caption = inner.strip()
        # "**Figure.**", not italics: a caption's own *emphasis* would end them.
        label = words(page)["figure"]
        return f"\n{image}\n\n**{label}.** {caption}\n" if caption else f"\n{image}\n"
    if name in ("bibliography", "glossary", "include", "tableofcontents", "toctree"):
        see = words(page)["see"].format(name=name, url=page.book.page(page.docname))
        return f"\n{see}\n"
    if name in ("math",):
        return f"\n$$\n{body.strip()}\n$$\n"
    if name in ("code-block", "code"):
        return f"\n```{arg}\n{body}\n```\n"
    if name in ADMONITIONS:
        title = (
            arg
            if name in ("admonition", "dropdown", "topic", "sidebar") and arg
            else (
                arg
                or ADMONITION_TITLES.get(getattr(page.book, "language", None), {}).get(
                    name
                )
                or name.capitalize().replace("Seealso", "See also")
            )
        )
        return "\n" + quote(f"**{title}**\n\n{inner}") + "\n"
    # Any other directive: keep its content readable.
    return "\n" + quote((f"**{arg}**\n\n" if arg else "") + inner) + "\n"


def cite(keys: str, mode: str, page: Page) -> str:
    parts = []
    for key in [k.strip() for k in keys.split(",") if k.strip()]:
        names, year = page.book.citations.get(key, (key, ""))
        url = page.book.page("chapters/appendix/references", f"cite-{make_id(key)}")
        if mode == "t":
            parts.append(f"[{names} ({year})]({url})")
        elif mode == "year":
            parts.append(f"[{year}]({url})")
        else:
            parts.append(f"[{names}, {year}]({url})")
    if mode == "t":
        joint = words(page)["and"] if len(parts) > 1 else ""
        return ", ".join(parts[:-1]) + joint + parts[-1]
    if mode == "year":
        return ", ".join(parts)
    return "(" + "; ".join(parts) + ")"


def reference(role: str, text: str, page: Page) -> str:
    m = EXPLICIT.match(text)
    title, target = (m.group("title"), m.group("target")) if m else ("", text)
    if role == "doc":
        docname = (
            (Path(page.docname).parent / target).as_posix()
            if not target.startswith("/")
            else target.lstrip("/")
        )
        docname = re.sub(r"\.(md|ipynb)$", "", docname)
        return f"[{title or Path(docname).name}]({page.book.page(docname)})"
    docname, label_title = page.book.labels.get(target, (page.docname, target))
    label_title = page.book.translate(label_title)
    w = words(page)
    if role == "numref":
        kind = (
            w["figure"]
            if target.startswith("fig")
            else (w["table"] if target.startswith("tab") else w["section"])
        )
        title = re.sub(r"\s*%s|\{number\}", "", title) or kind
        shown = (
            f'{title} "{short(label_title)}"'
            if kind == w["figure"]
            else (f'{title} "{label_title}"' if kind == w["section"] else title)
        )
        return f"[{shown}]({page.book.page(docname, make_id(target))})"
    if role == "eq":
        return f"[{w['equation']}]({page.book.page(docname, make_id(target))})"
    return f"[{title or label_title}]({page.book.page(docname, make_id(target))})"


def short(text: str, limit: int = 60) -> str:
    text = re.sub(r"[*_`]", "", text.split(". ")[0]).strip()
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def convert_roles(text: str, page: Page) -> str:
    def one(m: re.Match) -> str:
        role, body = m.group("role"), m.group("text")
        if role.startswith("cite"):
            mode = role.partition(":")[2].rstrip("s") or "p"
            return cite(body, {"p": "p", "t": "t", "year": "year"}.get(mode, "p"), page)
        if role == "term":
            explicit = EXPLICIT.match(body)
            shown, term = (
                (explicit.group("title"), explicit.group("target"))
                if explicit
                else (body, body)
            )
            defined = page.book.terms.get(term.lower(), term)
            url = page.book.page("chapters/appendix/glossary", term_id(defined))
            return f"[{shown}]({url})"
        if role in ("ref", "numref", "doc", "eq"):
            return reference(role, body, page)
        if role.startswith("glue"):
            return value_mark(body)  # "name" or "name:format", as paste.fill reads it
        if role in ("math",):
            return f"${body}$"
        if role in ("sub", "sup"):
            return f"<{role}>{body}</{role}>"
        if role in ("abbr",):
            explicit = re.match(r"^(.*?)\s*\((.*)\)$", body)
            return explicit.group(1) if explicit else body
        if role in ("download",):
            return f"`{EXPLICIT.match(body).group('title') if EXPLICIT.match(body) else body}`"
        return body

    return ROLE.sub(one, text)


def convert_links(text: str, page: Page) -> str:
    """Relative links to other pages go to the website; relative images to its _images/."""

    def link(m: re.Match) -> str:
        bang, text, target = m.group(1), m.group(2), m.group(3)
        label = target.lstrip("#")
        if (
            label in page.book.labels and not bang
        ):  # MyST [text](label): a cross-reference
            docname, _ = page.book.labels[label]
            return f"[{m.group(2)}]({page.book.page(docname, make_id(label))})"
        if re.match(r"^([a-z]+:|#)", target):
            return m.group(0)
        if bang:
            return f"![{text}]({page.book.image(target)})"
        path, _, anchor = target.partition("#")
        if not re.search(r"\.(md|ipynb)$", path):
            return m.group(0)
        docname = (
            Path(page.docname).parent / re.sub(r"\.(md|ipynb)$", "", path)
        ).as_posix()
        return f"[{text}]({page.book.page(docname, anchor)})"

    text = re.sub(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)", link, text)
    return re.sub(
        r'(<img\b[^>]*\bsrc=")(?![a-z]+:)([^"]+)"',
        lambda m: f'{m.group(1)}{page.book.image(m.group(2))}"',
        text,
    )
