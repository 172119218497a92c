"""Print the whole book as one PDF (`make pdf`): _build/pdf/resnet-book.pdf.

Needs the built site (`make book`). The site's pages are joined, in _toc.yml order, into one HTML
document (_build/pdf/book.html) after a title page and a table of contents; every page keeps the
site's own stylesheets, MathJax and the ipywidgets HTML manager, so math and widgets render as
they do on the website (a widget prints its default view). Debian's chromium, the browser the
tests use, opens that document from a local HTTP server through Playwright and prints it once
MathJax has typeset and every widget view has rendered. A first print tells on which page each
chapter and section starts (`pdfinfo -dests`, poppler-utils); the table of contents is filled in
and the book printed again. The PDF is also copied to _build/html/resnet-book.pdf, where the intro
page links to it, and its first chapter page is drawn to _build/pdf/first-chapter-page.png.

Joining the pages is scripts/pdf_join.py, rendering them in Chromium scripts/pdf_render.py;
printing and the page numbers are here.

    python scripts/build_pdf.py [--build _build] [--language zh_CN]

With ``--language zh_CN`` it prints the Chinese edition (_build/html/zh/) the same way, into
_build/pdf/zh/resnet-book.pdf and _build/html/zh/resnet-book.pdf.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from book_meta import EDITIONS, ROOT
from pdf_join import Book, assemble, fill_toc
from pdf_render import CHROMIUM, Traffic, browser_page, log, render, serve

PDF_NAME = "resnet-book.pdf"

FILL_TOC_JS = """numbers => document.querySelectorAll('.book-toc a').forEach(a => {
  const n = numbers[a.getAttribute('href').slice(1)];
  if (n !== undefined) a.querySelector('.toc-page').textContent = String(n);
})"""


def print_pdf(page, out: Path, book: Book, final: bool = True) -> None:
    """Print the open book to ``out``; ``final`` adds the tagged structure and the outline."""
    footer = (
        '<div style="font-size:8px;color:#666;width:100%;margin:0 16mm;display:flex;'
        'justify-content:space-between;font-family:sans-serif">'
        f"<span>{book.title} · {book.words['version']} {book.version}</span>"
        '<span class="pageNumber"></span></div>'
    )
    page.pdf(
        path=str(out),
        format="A4",
        print_background=True,
        display_header_footer=True,
        header_template="<span></span>",
        footer_template=footer,
        margin={"top": "16mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
        outline=final,
        tagged=final,
    )
    log(f"printed {out.name}")


def destinations(pdf: Path) -> dict[str, int]:
    """Named destinations of ``pdf`` (chromium makes one per link target) -> page number."""
    out = subprocess.run(
        ["pdfinfo", "-dests", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    pages = {}
    for line in out.splitlines():
        match = re.match(r'\s*(\d+)\s+\[.*\]\s+"(.*)"\s*$', line)
        if match:
            pages.setdefault(match.group(2), int(match.group(1)))
    return pages


def page_count(pdf: Path) -> int:
    out = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def print_with_page_numbers(
    page, book: Book, pdf: Path, outdir: Path
) -> tuple[dict[str, int], int]:
    """Print once to learn where the contents' entries start, fill in their page numbers and
    print again; returns the page numbers and the first print's page count."""
    print_pdf(page, pdf, book, final=False)
    dests = destinations(pdf)
    numbers = {a: dests[a] for a in book.anchors if a in dests}
    missing = [a for a in book.anchors if a not in dests]
    if missing:
        print(
            f"warning: no page found for {len(missing)} contents entries: "
            f"{missing[:5]}",
            file=sys.stderr,
        )
    pages_first = page_count(pdf)
    # Fill in the contents' page numbers in place (no second typesetting) and reprint.
    page.evaluate(FILL_TOC_JS, numbers)
    (outdir / "book.html").write_text(fill_toc(book.html, numbers), encoding="utf-8")
    print_pdf(page, pdf, book)
    return numbers, pages_first


def require_tools() -> None:
    if not CHROMIUM.exists():
        raise SystemExit(
            "Debian chromium is missing: `apt-get install chromium` (see .ci/run)"
        )
    if shutil.which("pdfinfo") is None:
        raise SystemExit(
            "pdfinfo is missing: `apt-get install poppler-utils` (see .ci/run)"
        )


def report(pdf: Path, pages_first: int, traffic: Traffic) -> None:
    """Warn about what may have gone wrong in printing."""
    if page_count(pdf) != pages_first:
        print(
            "warning: the page count changed when the contents got their page numbers",
            file=sys.stderr,
        )
    if traffic.failed:
        print(
            f"warning: {len(traffic.failed)} files of the site failed to load: "
            f"{sorted(traffic.failed)[:5]}",
            file=sys.stderr,
        )
    if traffic.blocked:
        print(
            f"note: blocked {len(set(traffic.blocked))} requests to other hosts: "
            f"{sorted(set(traffic.blocked))[:3]}",
            file=sys.stderr,
        )


def draw_page(pdf: Path, number: int, out: Path) -> None:
    """Page ``number`` of ``pdf`` as ``out``.png (100 dpi)."""
    page = str(number)
    subprocess.run(
        ["pdftoppm", "-f", page, "-l", page, "-r", "100", "-png", "-singlefile"]
        + [str(pdf), str(out)],
        check=True,
    )


def build(build_dir: Path, language: str | None = None) -> Path:
    """Print the English site (or the ``language`` edition's) into ``build_dir``/pdf/."""
    folder = EDITIONS[language]["folder"] if language else ""
    html = build_dir / "html"
    outdir = build_dir / "pdf" / folder
    outdir.mkdir(parents=True, exist_ok=True)
    require_tools()
    pdf = outdir / PDF_NAME
    traffic = Traffic()
    with serve(build_dir) as base, browser_page(traffic) as page:
        book = assemble(html, language)
        (outdir / "book.html").write_text(book.html, encoding="utf-8")
        render(page, f"{base}/pdf/{folder}book.html")
        numbers, pages_first = print_with_page_numbers(page, book, pdf, outdir)
    report(pdf, pages_first, traffic)
    shutil.copy2(pdf, html / folder / PDF_NAME)
    first_chapter_page = numbers.get(book.first_chapter)
    if first_chapter_page:  # a look at the print without opening the PDF
        draw_page(pdf, first_chapter_page, outdir / "first-chapter-page")
    return pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--build",
        type=Path,
        default=ROOT / "_build",
        help="the build folder holding html/ (default: _build)",
    )
    parser.add_argument(
        "--language",
        default=None,
        choices=sorted(EDITIONS),
        help="print this translated edition (html/<folder>) instead of the English one",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    pdf = build(args.build, args.language)
    size = pdf.stat().st_size / 1e6
    print(
        f"Wrote {pdf} ({page_count(pdf)} pages, {size:.1f} MB) "
        f"in {time.perf_counter() - start:.0f} s; copied to its site folder"
    )


if __name__ == "__main__":
    main()
