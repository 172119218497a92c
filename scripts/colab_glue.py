"""Sentences with computed values, in the Colab edition: produced by code, never with holes.

Where the website pastes a glued value into prose (``{glue:text}``, ``{glue:md}``), the
Colab reader has no built page to paste from, only the notebook's own run. So the converter
(scripts/colab_myst.py) marks each pasted value, and :func:`split_cell` cuts the converted
markdown cell into

- markdown cells: every paragraph without a pasted value, unchanged;
- code cells that display the paragraphs with values as Markdown, filled from the values
  this run glued (``helpers.book.paste.show``);
- code cells that display a glued figure with its caption (``show_figure``).

So a Colab reader reads the website's sentences with their own numbers, and no markdown cell
carries a placeholder. A sentence cell tells the reader what it is in its title line, and Colab
folds its code (a form cell), so the paragraph is not shown twice.
"""

from __future__ import annotations

import re

VALUE = "\ue000"  # wraps a pasted value's placeholder, {name} or {name:format}
FIGURE = "\ue001"  # wraps the name of a glued figure, at the start of its block
SENTENCE_TAG = "colab-sentence"  # metadata tag of the generated cells
# "# @title" names a Colab form: Colab shows the title and the output and folds the code (the
# cell's metadata says so too, for Colab and JupyterLab: CELL_METADATA).
SENTENCE_COMMENT = "# @title The website's sentences, with this run's numbers"
FIGURE_COMMENT = "# @title The figure computed above, with its caption"
CELL_METADATA = {"cellView": "form", "jupyter": {"source_hidden": True}}
# What paste.PLACEHOLDER fills: a brace pair like this must not occur in the prose itself.
PLACEHOLDER = re.compile(r"\{[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?::[^{}]*)?\}")


def value_mark(key: str) -> str:
    """The converter's stand-in for a pasted value: ``key`` is ``name`` or ``name:format``."""
    return f"{VALUE}{{{key}}}{VALUE}"


def figure_mark(name: str) -> str:
    return f"{FIGURE}{name}{FIGURE}"


def blocks(text: str) -> list[str]:
    """Markdown blocks separated by blank lines, keeping fenced code, display math and
    ``<details>`` (folded solutions) whole."""
    out, current, fence, math, details = [], [], None, False, 0
    for line in text.split("\n"):
        stripped = line.strip()
        opening = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
        if fence:
            closes = stripped.startswith(fence) and not stripped.strip(fence[0])
            fence = None if closes else fence
        elif math:
            math = not stripped.endswith("$$")
        elif opening:
            fence = opening.group(1)
        elif stripped.startswith("$$"):
            math = not (len(stripped) > 2 and stripped.endswith("$$"))
        details += stripped.count("<details>") - stripped.count("</details>")
        if not stripped and not (fence or math or details):
            if current:
                out.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        out.append("\n".join(current))
    return out


def _kind(block: str) -> str:
    if block.startswith(FIGURE):
        return "figure"
    return "sentence" if VALUE in block else "markdown"


def _call(function: str, args: list[str], language: str | None) -> str:
    """``function(args...)`` as ruff formats a call of one argument per line, with a
    translated edition's ``language`` as the last argument."""
    if language:
        args = [*args, f'language="{language}"']
    return f"{function}(\n" + "".join(f"    {a},\n" for a in args) + ")"


def sentence_source(text: str, language: str | None = None) -> str:
    """A code cell that shows ``text`` (markdown with {name} placeholders) filled in (with a
    translated edition's ``language``: its twins of the values, see helpers.book.paste)."""
    if '"""' in text or text.endswith("\\"):
        raise ValueError(f"cannot quote this paragraph in a code cell: {text[:60]!r}")
    call = _call("show", [f'r"""\n{text}\n"""'], language)
    return f"{SENTENCE_COMMENT}\nfrom helpers.book.paste import show\n\n{call}"


def figure_source(block: str, language: str | None = None) -> str:
    name, _, caption = block[1:].partition(FIGURE)
    caption = caption.strip().replace(VALUE, "")
    if '"""' in caption:
        raise ValueError(f"cannot quote the caption of {name} in a code cell")
    args = [f'"{name}"'] + ([f'r"""\n{caption}\n"""'] if caption else [])
    call = _call("show_figure", args, language)
    if not caption and not language:
        call = f'show_figure("{name}")'
    return f"{FIGURE_COMMENT}\nfrom helpers.book.paste import show_figure\n\n{call}"


def _check(block: str) -> None:
    """A brace pair in the prose that looks like a placeholder would be filled by mistake."""
    bare = re.sub(f"{VALUE}.*?{VALUE}", "", block)
    clash = PLACEHOLDER.search(bare)
    if clash:
        raise ValueError(
            f"{clash.group(0)!r} in a paragraph with pasted values reads as a placeholder"
        )


def split_cell(text: str, language: str | None = None) -> list[tuple[str, str]]:
    """Converted markdown -> [("markdown" | "code", source), ...] in reading order."""
    cells: list[tuple[str, str]] = []
    run: list[str] = []
    run_kind = None

    def flush() -> None:
        if not run:
            return
        joined = "\n\n".join(run)
        if run_kind == "markdown":
            cells.append(("markdown", joined))
        else:
            cells.append(("code", sentence_source(joined.replace(VALUE, ""), language)))
        run.clear()

    for block in blocks(text):
        kind = _kind(block)
        if kind != "markdown":
            _check(block)
        if kind == "figure":
            flush()
            cells.append(("code", figure_source(block, language)))
            run_kind = None
            continue
        if kind != run_kind:
            flush()
            run_kind = kind
        run.append(block)
    flush()
    return cells
