"""Tables for the pages: one tested helper instead of string arithmetic in every chapter.

``markdown_table(rows)`` returns an IPython Markdown object that myst-nb renders as a real HTML
table (``nb_render_markdown_format: myst``); ``to_markdown`` gives the text itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["to_markdown", "markdown_table"]


def _cell(value: Any, fmt: Callable[[Any], str] | str | None) -> str:
    if value is None:
        text = "–"
    elif callable(fmt):
        text = fmt(value)
    elif isinstance(fmt, str):
        text = format(value, fmt)
    elif isinstance(value, (tuple, list)):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    # a pipe or a newline would break the row
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(
    rows: Sequence[Mapping[str, Any]],
    columns: Mapping[str, str] | Sequence[str] | None = None,
    formats: Mapping[str, Callable[[Any], str] | str] | None = None,
    align: Mapping[str, str] | None = None,
) -> str:
    """A GitHub/MyST pipe table of ``rows`` (one dict per row).

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
        "| " + " | ".join(_cell(h, None) for h in headers.values()) + " |",
        "|" + "|".join(marks.get(align.get(k, ""), "---") for k in headers) + "|",
    ]
    for row in rows:
        cells = (_cell(row.get(k), formats.get(k)) for k in headers)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown_table(rows: Sequence[Mapping[str, Any]], **kwargs: Any):
    """``to_markdown`` wrapped in ``IPython.display.Markdown`` for display in a notebook."""
    from IPython.display import Markdown

    return Markdown(to_markdown(rows, **kwargs))
