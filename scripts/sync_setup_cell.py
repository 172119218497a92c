"""Make the first code cell of every notebook in _toc.yml equal chapters/_setup_cell.py.

First chapters/_setup_cell.py itself is brought up to date: REPO_URL from _config.yml
(repository.url, the one thing a fork changes) and REF = "v<helpers.__version__>".

The setup cell is tagged ``hide-input``: the website folds it (it does nothing there), Colab
runs it as it is.

A notebook whose first code cell is the placeholder ``# SETUP-CELL`` (or an older setup cell,
recognised by ``REPO_URL =``) gets it replaced; one without either gets the setup cell inserted
before its first code cell. Outputs and execution counts are stripped everywhere.
Usage: ``python scripts/sync_setup_cell.py [--check]``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
from book_meta import ROOT, read_config, repository_url, toc_notebooks, versions_module

SETUP_FILE = ROOT / "chapters" / "_setup_cell.py"


def pinned_setup_cell() -> str:
    """chapters/_setup_cell.py with REPO_URL from _config.yml (repository.url) and REF the tag
    ``v<helpers.__version__>``, so that a notebook installs the helpers of its own version."""
    version = versions_module(ROOT).source_version(ROOT)
    text = SETUP_FILE.read_text(encoding="utf-8")
    text = re.sub(
        r'^REPO_URL = ".*"$',
        f'REPO_URL = "{repository_url(read_config())}"',
        text,
        flags=re.M,
    )
    return re.sub(r'^REF = ".*"$', f'REF = "v{version}"', text, flags=re.M)


SETUP = pinned_setup_cell().rstrip("\n")
FOLD = "hide-input"  # the website folds the setup cell's code


def sync(path: Path) -> bool:
    """Rewrite ``path`` if needed; return whether it changed."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = code[0] if code else None
    if first is not None and (
        first.source.strip() == "# SETUP-CELL" or "REPO_URL =" in first.source
    ):
        first.source = SETUP
    elif first is None or first.source != SETUP:
        first = nbformat.v4.new_code_cell(SETUP)
        index = nb.cells.index(code[0]) if code else len(nb.cells)
        nb.cells.insert(index, first)
    tags = first.metadata.setdefault("tags", [])
    if FOLD not in tags:
        tags.append(FOLD)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    after = nbformat.writes(nb)
    if after != before:
        path.write_text(after + "\n", encoding="utf-8")
    return after != before


def main(argv: list[str]) -> int:
    check = "--check" in argv
    changed = []
    if SETUP_FILE.read_text(encoding="utf-8").rstrip("\n") != SETUP:
        changed.append(SETUP_FILE)
        if not check:
            SETUP_FILE.write_text(SETUP + "\n", encoding="utf-8")
    for path in toc_notebooks():
        if check:
            text = path.read_text(encoding="utf-8")
            tmp = path.with_suffix(".sync-check.ipynb")
            tmp.write_text(text, encoding="utf-8")
            try:
                if sync(tmp):
                    changed.append(path)
            finally:
                tmp.unlink()
        elif sync(path):
            changed.append(path)
    for path in changed:
        print(("needs sync: " if check else "synced: ") + str(path.relative_to(ROOT)))
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
