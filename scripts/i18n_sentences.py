"""Collect the templates of the book's computed sentences into their catalogue (issue 20).

Every ``T("English template", ...)`` call (helpers.core.text) in ``helpers/`` and in the
chapters' code cells is a message of ``helpers/locale/<language>/LC_MESSAGES/sentences.po``:
new templates are added untranslated, templates no longer in the code are dropped, and a
changed one is a new message. Run by ``make i18n-update``; tests/test_i18n.py checks that the
catalogue holds exactly the templates in the code, all translated, with the same placeholders.

    python scripts/i18n_sentences.py
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from book_meta import ROOT

LANGUAGES = ("zh_CN",)
CATALOGUE = "helpers/locale/{language}/LC_MESSAGES/sentences.po"


def _calls(source: str) -> list[str]:
    """The literal first arguments of ``T(...)`` calls in Python ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "T"
        ):
            continue
        first = node.args[0] if node.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            raise ValueError(
                f"T(...) at line {node.lineno} needs a literal template (a string, not an "
                "expression), so that its translation can be found"
            )
        found.append(first.value)
    return found


def _code_cells(path: Path) -> list[str]:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    text = path.read_text(encoding="utf-8")  # MyST notebook: ```{code-cell} blocks
    cells = []
    for block in text.split("```{code-cell}")[1:]:
        lines = block.split("```")[0].splitlines()[1:]
        while lines and lines[0].startswith(":"):  # the cell's options (:tags: ...)
            lines.pop(0)
        cells.append("\n".join(lines))
    return cells


def templates(root: Path = ROOT) -> list[str]:
    """Every template, in the order the code has them (first occurrence)."""
    sources = [
        p.read_text(encoding="utf-8") for p in sorted(root.glob("helpers/**/*.py"))
    ]
    for path in sorted((root / "chapters").rglob("*.*")):
        if path.suffix in (".ipynb", ".md"):
            sources += [
                cell
                for cell in _code_cells(path)
                if "T(" in cell and "%" not in cell[:1]
            ]
    seen: dict[str, None] = {}
    for source in sources:
        for template in _calls(source):
            seen.setdefault(template, None)
    return list(seen)


def update(language: str, root: Path = ROOT) -> tuple[int, int]:
    """Bring the catalogue in line with the code; (added, dropped)."""
    path = root / CATALOGUE.format(language=language)
    old = Catalog(locale=language)
    if path.is_file():
        with path.open("rb") as f:
            old = read_po(f, locale=language)
    wanted = templates(root)
    new = Catalog(locale=language, project="resnet-book sentences")
    for template in wanted:
        message = old.get(template)
        new.add(
            template, message.string if message else "", flags=("python-brace-format",)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, new, width=76, omit_header=True)
    kept = {m.id for m in old if m.id}
    return len(set(wanted) - kept), len(kept - set(wanted))


def main(argv: list[str]) -> int:
    for language in LANGUAGES:
        added, dropped = update(language)
        print(f"{CATALOGUE.format(language=language)}: {added} new, {dropped} dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
