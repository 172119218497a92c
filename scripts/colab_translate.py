"""Translate a chapter's MyST markdown with its gettext catalogue, for a translated Colab edition.

The website's translated edition is made by Sphinx, which swaps each paragraph, heading, list
item, table cell, caption and directive title for its translation (locale/<lang>/LC_MESSAGES/
chapters/<page>.po). Colab shows the notebooks' markdown without Sphinx, so this does the same
swap on the MyST source, block by block, with the same catalogue: a block's text, its lines
joined by spaces as Sphinx writes a message, is looked up and replaced (on one line). The result
is still MyST, and scripts/colab_convert.py turns it into CommonMark as for the English edition.
Display math, code, labels and directive options other than ``:alt:`` are kept as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from colab_myst import FENCE, split_directive

HEADING = re.compile(r"^(?P<mark>#{1,6}\s+)(?P<text>.+?)\s*$")
ITEM = re.compile(r"^(?P<mark>\s*(?:[-*+]|\d+[.)])\s+)(?P<text>.*)$")
# Directives whose argument is a path, a label or a key, not words.
NOT_TEXT = (
    "figure",
    "image",
    "include",
    "solution",
    "glue:figure",
    "glue:math",
    "glue",
)
LETTERS = re.compile(r"[A-Za-z]{2,}")


@dataclass
class Translator:
    """Looks messages up in one catalogue; remembers what it could not find."""

    lookup: Callable[[str], str | None]
    missing: list[str] = field(default_factory=list)

    def text(self, english: str) -> str:
        """``english`` (one message, lines joined) in translation, else unchanged."""
        key = " ".join(english.split())
        found = self.lookup(key)
        if found:
            return found
        if LETTERS.search(re.sub(r"\$[^$]*\$|`[^`]*`", "", key)):
            self.missing.append(key)
        return english

    def markdown(self, source: str) -> str:
        """A markdown cell's MyST source, translated block by block."""
        lines, out, i = source.split("\n"), [], 0
        while i < len(lines):
            i = self._block(lines, i, out)
        return "\n".join(out)

    def _block(self, lines: list[str], i: int, out: list[str]) -> int:
        """Translate the block starting at line ``i`` into ``out``; the next block's line."""
        line = lines[i]
        if FENCE.match(line):
            return self._directive(lines, i, out)
        if line.strip().startswith("$$") or line.startswith(("```", "~~~", "(")):
            return self._verbatim(lines, i, out)
        if not line.strip() or line.lstrip().startswith("<"):
            out.append(line)
            return i + 1
        if m := HEADING.match(line):
            out.append(m.group("mark") + self.text(m.group("text")))
            return i + 1
        if line.lstrip().startswith("|"):
            out.append(self._table_row(line))
            return i + 1
        if m := ITEM.match(line):
            return self._item(lines, i, m, out)
        end = i + 1
        while end < len(lines) and _continues(lines[end]):
            end += 1
        out.append(self.text(" ".join(lines[i:end])))
        return end

    def _directive(self, lines: list[str], i: int, out: list[str]) -> int:
        m = FENCE.match(lines[i])
        options, body, end = split_directive(lines, i)
        arg = m.group("arg").strip()
        if arg and m.group("name") not in NOT_TEXT:
            arg = self.text(arg)
        out.append(
            f"{m.group('indent')}{m.group('fence')}{{{m.group('name')}}} {arg}".rstrip()
        )
        for key, value in options.items():
            out.append(
                f":{key}: {self.text(value) if key == 'alt' else value}".rstrip()
            )
        out.append(self.markdown("\n".join(body)))
        fence = m.group("fence")
        closing = rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*"
        if end - 1 > i and re.fullmatch(closing, lines[end - 1]):
            out.append(lines[end - 1])
        return end

    def _verbatim(self, lines: list[str], i: int, out: list[str]) -> int:
        """Display math, a code fence or a label line: copied as it is."""
        line = lines[i]
        if line.startswith("("):
            out.append(line)
            return i + 1
        fence = "$$" if line.strip().startswith("$$") else line[:3]
        end = i + 1
        if not (
            fence == "$$" and line.strip().endswith("$$") and len(line.strip()) > 2
        ):
            while end < len(lines) and not lines[end].strip().startswith(fence):
                end += 1
            end += 1
        out.extend(lines[i:end])
        return end

    def _table_row(self, line: str) -> str:
        cells = line.strip().strip("|").split("|")
        if all(re.fullmatch(r"\s*:?-+:?\s*", c) for c in cells):
            return line
        return "| " + " | ".join(self.text(c.strip()) for c in cells) + " |"

    def _item(self, lines: list[str], i: int, m: re.Match, out: list[str]) -> int:
        end, text = i + 1, [m.group("text")]
        while end < len(lines) and _continues(lines[end]):  # indented or lazy lines
            text.append(lines[end].strip())
            end += 1
        out.append(m.group("mark") + self.text(" ".join(text)))
        return end


def _continues(line: str) -> bool:
    """Whether ``line`` goes on the paragraph above it."""
    return bool(line.strip()) and not (
        FENCE.match(line)
        or HEADING.match(line)
        or ITEM.match(line)
        or line.lstrip().startswith(("|", "$$", "```"))
    )


def catalogue_table(path: Path) -> dict[str, str]:
    """The translations of a page's catalogue (translated, not fuzzy), by message."""
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        catalogue = read_po(f)
    return {
        " ".join(m.id.split()): m.string
        for m in catalogue
        if m.id and m.string and not m.fuzzy
    }


def catalogue_lookup(path: Path) -> Callable[[str], str | None]:
    return catalogue_table(path).get
