"""Write the Colab edition of every chapter notebook to colab/ (see scripts/colab_convert.py).

Usage: ``python scripts/colab_notebooks.py`` syncs the chapters' setup cells
(scripts/sync_setup_cell.py) and regenerates colab/ and, translated by the catalogues in
locale/ (scripts/colab_translate.py), colab/zh/; ``--check`` only reports
notebooks that are out of date (exit 1), as tests/test_colab_notebooks.py does. Run it after
changing a chapter, the bibliography, the glossary or _config.yml's repository.url.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from book_meta import COLAB_DIR, EDITIONS, ROOT, toc_notebooks
from colab_convert import Book, convert_notebook

OUT = ROOT / COLAB_DIR


def render_all(root: Path = ROOT, language: str | None = None) -> dict[str, str]:
    """File name in colab/ (colab/zh/ for Chinese) -> notebook text, for every notebook in
    _toc.yml."""
    book = Book.load(root, language)
    return {
        path.name: nbformat.writes(convert_notebook(path, book)) + "\n"
        for path in toc_notebooks(root)
    }


def edition_folder(language: str | None) -> Path:
    return OUT / EDITIONS[language]["folder"] if language else OUT


def sync(language: str | None, check: bool) -> int:
    """Write (or with ``check`` only list) the edition's stale and extra notebooks."""
    out, wanted = edition_folder(language), render_all(language=language)
    where = out.relative_to(ROOT).as_posix()
    stale = [
        name
        for name, text in wanted.items()
        if not (out / name).exists() or (out / name).read_text(encoding="utf-8") != text
    ]
    extra = sorted(p.name for p in out.glob("*.ipynb") if p.name not in wanted)
    if check:
        for name in stale + extra:
            print(
                f"{where}/{name} is out of date; run `python scripts/colab_notebooks.py`"
            )
        return 1 if stale or extra else 0
    out.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (out / name).write_text(wanted[name], encoding="utf-8")
        print(f"wrote {where}/{name}")
    for name in extra:
        (out / name).unlink()
        print(f"removed {where}/{name}")
    return 0


def main(argv: list[str]) -> int:
    check = "--check" in argv
    if not check:  # first cells and REPO_URL/REF first, so that colab/ copies them
        import sync_setup_cell

        sync_setup_cell.main([])
    return max(sync(language, check) for language in (None, *EDITIONS))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
