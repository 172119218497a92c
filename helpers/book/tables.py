"""Tables for the pages: one tested helper instead of string arithmetic in every chapter.

``markdown_table(rows)`` returns a Markdown output that myst-nb renders as a real HTML table
(``nb_render_markdown_format: myst``); ``to_markdown`` gives the text itself. Headers and cells
may be :class:`~helpers.core.text.Text` (``T("learning rate")``): the table is then made in
both languages, and the Chinese page shows the Chinese one (:mod:`helpers.book.outputs`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from helpers.book.outputs import Shown, markdown
from helpers.core.text import Text, join

__all__ = ["to_markdown", "markdown_table"]


def _cell(value: Any, fmt: Callable[[Any], str] | str | None) -> str | Text:
    if isinstance(value, Text) and fmt is None:
        return Text(_cell(value.en, None), _cell(value.zh, None))
    if value is None:
        text = "–"
    elif callable(fmt):
        text = fmt(value)
    elif isinstance(fmt, str):
        text = format(value, fmt)
    elif isinstance(value, (tuple, list)):
        if any(isinstance(v, Text) for v in value):
            return _cell(join(", ", value), None)
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    if isinstance(text, Text):  # a format that translates
        return _cell(text, None)
    # a pipe or a newline would break the row
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(
    rows: Sequence[Mapping[str, Any]],
    columns: Mapping[str, str] | Sequence[str] | None = None,
    formats: Mapping[str, Callable[[Any], str] | str] | None = None,
    align: Mapping[str, str] | None = None,
) -> str | Text:
    """A GitHub/MyST pipe table of ``rows`` (one dict per row); a :class:`Text` when a header
    or a cell is one.

    ``columns`` picks and orders the keys, optionally as {key: header}. ``formats`` maps a key to a
    format spec (".1%") or a function. ``align`` maps a key to "left" | "right" | "center".
    """
    if not rows:
        raise ValueError("markdown table needs at least one row")
    if columns is None:
        columns = list(rows[0])
    headers = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    missing = [k for k in headers if not any(k in r for r in rows)]
    if missing:
        raise KeyError(
            f"columns {missing} appear in no row; row keys: {sorted(rows[0])}"
        )
    formats, align = dict(formats or {}), dict(align or {})
    marks = {"left": ":--", "right": "--:", "center": ":-:"}
    bad = {k: v for k, v in align.items() if v not in marks}
    if bad:
        raise ValueError(f"align must be left, right or center; got {bad}")
    lines = [
        "| " + join(" | ", (_cell(h, None) for h in headers.values())) + " |",
        "|" + "|".join(marks.get(align.get(k, ""), "---") for k in headers) + "|",
    ]
    for row in rows:
        cells = (_cell(row.get(k), formats.get(k)) for k in headers)
        lines.append("| " + join(" | ", cells) + " |")
    table = join("\n", lines)
    return table if table.en != table.zh else table.en


def markdown_table(rows: Sequence[Mapping[str, Any]], **kwargs: Any) -> Shown:
    """``to_markdown`` as a notebook output (in both languages when it has a translation)."""
    return markdown(to_markdown(rows, **kwargs))
