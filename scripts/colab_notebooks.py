"""Write the Colab edition of every chapter notebook to colab/ (see scripts/colab_convert.py).

Usage: ``python scripts/colab_notebooks.py`` syncs the chapters' setup cells
(scripts/sync_setup_cell.py) and regenerates colab/; ``--check`` only reports
notebooks that are out of date (exit 1), as tests/test_colab_notebooks.py does. Run it after
changing a chapter, the bibliography, the glossary or _config.yml's repository.url.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from book_meta import COLAB_DIR, ROOT, toc_notebooks
from colab_convert import Book, convert_notebook

OUT = ROOT / COLAB_DIR


def render_all(root: Path = ROOT) -> dict[str, str]:
    """File name in colab/ -> notebook text, for every notebook in _toc.yml."""
    book = Book.load(root)
    return {
        path.name: nbformat.writes(convert_notebook(path, book)) + "\n"
        for path in toc_notebooks(root)
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    if not check:  # first cells and REPO_URL/REF first, so that colab/ copies them
        import sync_setup_cell

        sync_setup_cell.main([])
    wanted = render_all()
    stale = [
        name
        for name, text in wanted.items()
        if not (OUT / name).exists() or (OUT / name).read_text(encoding="utf-8") != text
    ]
    extra = (
        sorted(p.name for p in OUT.glob("*.ipynb") if p.name not in wanted)
        if OUT.exists()
        else []
    )
    if check:
        for name in stale + extra:
            print(
                f"colab/{name} is out of date; run `python scripts/colab_notebooks.py`"
            )
        return 1 if stale or extra else 0
    OUT.mkdir(exist_ok=True)
    for name in stale:
        (OUT / name).write_text(wanted[name], encoding="utf-8")
        print(f"wrote colab/{name}")
    for name in extra:
        (OUT / name).unlink()
        print(f"removed colab/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
