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

    python scripts/build_pdf.py [--build _build]
"""

from __future__ import annotations

import argparse
import copy
import datetime
import functools
import http.server
import posixpath
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import yaml
from bs4 import BeautifulSoup, Tag

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PDF_NAME = "resnet-book.pdf"
VERSION_META = "resnet-book-version"  # written by scripts/sphinx_ext/book_version.py
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The site's scripts that the printed book needs: MathJax and the widget manager (in site order).
KEEP_SCRIPTS = re.compile(
    r"mathjax/|require\.js|widgets_config\.js|html-manager/|mathjax_v2_shim"
)
RENDER_TIMEOUT_MS = 120_000
PRINT_CSS = Path(__file__).with_suffix(".css")  # scripts/build_pdf.css


@dataclass
class Part:
    caption: str | None
    numbered: bool
    files: list[str] = field(default_factory=list)


@dataclass
class Page:
    file: str  # toc entry, e.g. "chapters/01_cnn_basics"
    soup: BeautifulSoup
    article: Tag

    @property
    def rel(self) -> str:
        return f"{self.file}.html"

    @property
    def slug(self) -> str:
        return "p-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.file)


@dataclass
class Book:
    """The joined document and what printing it needs."""

    html: str
    anchors: list[str]  # the table of contents' targets, which need page numbers
    title: str
    version: str
    first_chapter: str  # the anchor of chapter 1's title


def read_parts(root: Path = ROOT) -> list[Part]:
    """The book's structure from _toc.yml: the root page, then each part with its chapters."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    parts = [Part(None, False, [toc["root"]])]
    for part in toc.get("parts", []):
        files = [chapter["file"] for chapter in part.get("chapters", [])]
        parts.append(Part(part.get("caption"), bool(part.get("numbered")), files))
    if "chapters" in toc:
        parts.append(
            Part(None, False, [chapter["file"] for chapter in toc["chapters"]])
        )
    return parts


def site_url(config: dict) -> str:
    """The GitHub Pages address of the repository in _config.yml (where the deploy job puts it)."""
    url = urlparse(config.get("repository", {}).get("url", ""))
    owner, _, repo = url.path.strip("/").partition("/")
    if url.hostname != "github.com" or not owner or not repo:
        return ""
    return f"https://{owner}.github.io/{repo}/"


def load_page(html: Path, file: str) -> Page:
    path = html / f"{file}.html"
    if not path.is_file():
        raise SystemExit(f"{path} is missing: build the site first (`make book`).")
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article")
    if article is None:
        raise SystemExit(f"{path}: no <article class='bd-article'> (theme changed?)")
    return Page(file, soup, article)


def relocate(page: Page, slugs: dict[str, str], public: str) -> None:
    """Make ``page.article`` work inside the one joined document.

    Ids get the page's prefix (pages reuse ids such as "summary"); links to pages of the book
    become links inside the PDF; images and other files point at the site (served as /html/);
    links to site files that are not in the book (the notebooks, the index) go to the website.
    """
    article, here = page.article, posixpath.dirname(page.rel)
    for tag in article.find_all(True, id=True):
        tag["id"] = f"{page.slug}--{tag['id']}"
    for tag in article.find_all(True, attrs={"name": True}):
        if tag.name == "a":
            tag["name"] = f"{page.slug}--{tag['name']}"

    def site_path(ref: str) -> str | None:
        url = urlparse(ref)
        if url.scheme or ref.startswith(("//", "#")):
            return None
        return (
            posixpath.normpath(posixpath.join(here, url.path)) if url.path else page.rel
        )

    for a in article.find_all("a", href=True):
        href = a["href"]
        url = urlparse(href)
        target = site_path(href) if not href.startswith("#") else page.rel
        if target is None:
            continue  # external link
        if target in slugs:
            slug = slugs[target]
            a["href"] = f"#{slug}--{url.fragment}" if url.fragment else f"#{slug}"
        elif public:
            a["href"] = public + target + (f"#{url.fragment}" if url.fragment else "")
    for tag in article.find_all(src=True):
        target = site_path(tag["src"])
        if target is not None:
            tag["src"] = "/html/" + target
        if tag.has_attr("loading"):
            del tag[
                "loading"
            ]  # print every image, not only the ones scrolled into view
    for tag in article.find_all(srcset=True):
        del tag["srcset"]
    # Web-only furniture: heading permalinks, copy buttons, thebe/kernel configuration.
    for tag in article.select("a.headerlink, button.copybtn, #searchbox"):
        tag.decompose()
    for script in article.find_all("script"):
        if script.get("type") != WIDGET_VIEW:
            script.decompose()


def head_assets(pages: list[Page]) -> tuple[list[str], list[str], list[str]]:
    """Stylesheets, scripts (MathJax, widget manager) and saved widget states of all pages."""
    styles: list[str] = []
    scripts: list[str] = []
    states: list[str] = []
    seen: set[str] = set()

    def absolute(page: Page, ref: str) -> str:
        return "/html/" + posixpath.normpath(
            posixpath.join(posixpath.dirname(page.rel), ref)
        )

    for page in pages:
        for link in page.soup.select('head link[rel~="stylesheet"]'):
            href = absolute(page, link["href"])
            if href not in seen:
                seen.add(href)
                styles.append(f'<link rel="stylesheet" href="{href}">')
        for script in page.soup.find_all("script"):
            kind = script.get("type")
            if kind == WIDGET_STATE:
                states.append(str(script))
            elif script.get("src") and KEEP_SCRIPTS.search(script["src"]):
                src = absolute(page, script["src"])
                if src not in seen:
                    seen.add(src)
                    defer = " defer" if script.has_attr("defer") else ""
                    scripts.append(f'<script{defer} src="{src}"></script>')
            elif not script.get("src") and "window.MathJax" in script.get_text():
                if "mathjax-config" not in seen:
                    seen.add("mathjax-config")
                    scripts.insert(0, f"<script>{script.get_text()}</script>")
    return styles, scripts, states


def heading(page: Page, level: str) -> list[Tag]:
    return [
        h for h in page.article.find_all(level) if h.find_parent("section") is not None
    ]


def heading_text(h: Tag) -> str:
    h = copy.copy(h)
    for link in h.select("a.headerlink"):
        link.decompose()
    return " ".join(h.get_text(" ").split())


def anchor_of(h: Tag) -> str:
    """The id a link to heading ``h`` uses (Sphinx puts it on the enclosing section)."""
    section = h.find_parent("section")
    return (
        section["id"]
        if section is not None and section.has_attr("id")
        else h.get("id", "")
    )


def toc_html(parts: list[Part], pages: dict[str, Page], numbers: dict[str, int]) -> str:
    """The table of contents: parts, chapters and (in numbered parts) their sections."""

    def entry(css: str, anchor: str, text: str) -> str:
        page_no = numbers.get(anchor, "")
        return (
            f'<li class="{css}"><a href="#{anchor}"><span class="toc-text">{text}</span>'
            f'<span class="toc-page">{page_no}</span></a></li>'
        )

    out = ['<section class="book-toc" id="book-toc"><h1>Contents</h1>']
    for part in parts[1:]:
        if part.caption:
            out.append(f'<p class="toc-part">{part.caption}</p>')
        out.append("<ul>")
        for file in part.files:
            page = pages[file]
            h1 = heading(page, "h1")
            title = heading_text(h1[0]) if h1 else file
            out.append(
                entry("toc-chapter", anchor_of(h1[0]) if h1 else page.slug, title)
            )
            if part.numbered:
                out.append('<li class="toc-sections"><ul>')
                for h2 in heading(page, "h2"):
                    out.append(entry("toc-section", anchor_of(h2), heading_text(h2)))
                out.append("</ul></li>")
        out.append("</ul>")
    out.append("</section>")
    return "\n".join(out)


def title_page(config: dict, intro: Page, version: str, public: str) -> str:
    subtitle = intro.article.find("em")
    subtitle_text = " ".join(subtitle.get_text().split()) if subtitle else ""
    date = datetime.date.today().isoformat()
    lines = [
        '<section class="book-title-page">',
        f'<h1 class="book-title">{config.get("title", "")}</h1>',
        f'<p class="book-subtitle">{subtitle_text}</p>',
        f'<p class="book-author">{config.get("author", "")}</p>',
        f'<p class="book-version">Version {version}<br>printed {date}</p>',
    ]
    if public:
        lines.append(
            f'<p class="book-url">Read it online, with its interactive figures: '
            f'<a href="{public}">{public}</a></p>'
        )
    lines.append("</section>")
    return "\n".join(lines)


def assemble(html: Path) -> Book:
    """Join the built site's pages into one document, with a title page and contents."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    public = site_url(config)
    parts = read_parts()
    files = [file for part in parts for file in part.files]
    pages = {file: load_page(html, file) for file in files}
    slugs = {page.rel: page.slug for page in pages.values()}
    slugs["index.html"] = pages[files[0]].slug
    styles, scripts, states = head_assets(list(pages.values()))
    intro = pages[files[0]]
    meta = intro.soup.find("meta", attrs={"name": VERSION_META})
    version = meta["content"] if meta else "unknown"
    for page in pages.values():
        relocate(page, slugs, public)
    toc = toc_html(parts, pages, {})
    anchors = re.findall(r'href="#([^"]+)"', toc)
    numbered = [file for part in parts if part.numbered for file in part.files]
    first = pages[numbered[0] if numbered else files[0]]
    first_chapter = (
        anchor_of(heading(first, "h1")[0]) if heading(first, "h1") else first.slug
    )
    body = [title_page(config, intro, version, public), toc]
    for file in files:
        page = pages[file]
        body.append(
            f'<div class="book-page" id="{page.slug}">'
            f'<article class="bd-article">{page.article.decode_contents()}</article></div>'
        )
    css = PRINT_CSS.read_text(encoding="utf-8")
    document = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en" data-theme="light" data-mode="light">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{config.get('title', '')}</title>",
            *styles,
            f"<style>\n{css}\n</style>",
            *scripts,
            *states,
            "</head>",
            '<body class="book-print">',
            *body,
            "</body>",
            "</html>",
        ]
    )
    return Book(document, anchors, config.get("title", ""), version, first_chapter)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


# Views whose model is in a saved widget state must have rendered; a view without saved state
# (a notebook executed without it) renders nowhere, on the website neither: reported, not awaited.
WIDGET_VIEWS_JS = f"""() => {{
  const models = new Set();
  document.querySelectorAll('script[type="{WIDGET_STATE}"]').forEach(
    s => Object.keys(JSON.parse(s.textContent).state || {{}}).forEach(id => models.add(id)));
  const views = [...document.querySelectorAll('script[type="{WIDGET_VIEW}"]')];
  const pending = views.filter(v => models.has(JSON.parse(v.textContent).model_id)).filter(v => {{
    const area = v.previousElementSibling;
    return !(area && area.classList.contains('widget-subarea') && area.childElementCount > 0);
  }});
  const orphans = views.filter(v => !models.has(JSON.parse(v.textContent).model_id))
    .map(v => v.closest('.book-page').id);
  return {{pending: pending.length, orphans}};
}}"""
WIDGETS_RENDERED_JS = f"() => ({WIDGET_VIEWS_JS})().pending === 0"

IMAGES_LOADED_JS = "() => [...document.images].every(i => i.complete)"


FILL_TOC_JS = """numbers => document.querySelectorAll('.book-toc a').forEach(a => {
  const n = numbers[a.getAttribute('href').slice(1)];
  if (n !== undefined) a.querySelector('.toc-page').textContent = String(n);
})"""


def fill_toc(document: str, numbers: dict[str, int]) -> str:
    """``document`` with the page numbers written into its table of contents."""

    def one(match: re.Match) -> str:
        return match.group(1) + str(numbers.get(match.group(2), "")) + match.group(3)

    pattern = r'(<a href="#([^"]+)"><span class="toc-text">.*?</span><span class="toc-page">)(</span>)'
    return re.sub(pattern, one, document)


_START = time.perf_counter()


def _log(message: str) -> None:
    print(
        f"[{time.perf_counter() - _START:5.0f} s] {message}",
        file=sys.stderr,
        flush=True,
    )


def render(page, url: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    """Open the joined book and wait until its math and widgets are rendered."""
    page.goto(url, wait_until="load", timeout=RENDER_TIMEOUT_MS)
    _log("loaded")
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
        timeout=RENDER_TIMEOUT_MS,
    )
    page.evaluate("() => MathJax.startup.promise")
    _log("math typeset")
    orphans = page.evaluate(WIDGET_VIEWS_JS)["orphans"]
    if orphans:
        print(
            f"warning: widget views without saved widget state (they render nowhere): "
            f"{sorted(set(orphans))}",
            file=sys.stderr,
        )
    try:
        page.wait_for_function(WIDGETS_RENDERED_JS, timeout=RENDER_TIMEOUT_MS)
    except PlaywrightTimeout:
        pending = page.evaluate(WIDGET_VIEWS_JS)["pending"]
        raise SystemExit(
            f"{pending} widget views did not render in "
            f"{RENDER_TIMEOUT_MS // 1000} s (see the browser console)"
        ) from None
    page.wait_for_function(IMAGES_LOADED_JS, timeout=RENDER_TIMEOUT_MS)
    # Widget labels may hold math: typeset once more now that the views are in the page.
    page.evaluate("() => MathJax.typesetPromise()")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    _log("widgets rendered")


def print_pdf(page, out: Path, book: Book, final: bool = True) -> None:
    """Print the open book to ``out``; ``final`` adds the tagged structure and the outline."""
    footer = (
        '<div style="font-size:8px;color:#666;width:100%;margin:0 16mm;display:flex;'
        'justify-content:space-between;font-family:sans-serif">'
        f"<span>{book.title} · version {book.version}</span>"
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
    _log(f"printed {out.name}")


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


def build(build_dir: Path) -> Path:
    html = build_dir / "html"
    outdir = build_dir / "pdf"
    outdir.mkdir(parents=True, exist_ok=True)
    if not CHROMIUM.exists():
        raise SystemExit(
            "Debian chromium is missing: `apt-get install chromium` (see .ci/run)"
        )
    if shutil.which("pdfinfo") is None:
        raise SystemExit(
            "pdfinfo is missing: `apt-get install poppler-utils` (see .ci/run)"
        )
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_QuietHandler, directory=str(build_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    pdf = outdir / PDF_NAME
    blocked: list[str] = []
    failed: set[str] = set()

    def route(r) -> None:
        host = urlparse(r.request.url).hostname
        if (
            urlparse(r.request.url).scheme in ("data", "blob", "about")
            or host == "127.0.0.1"
        ):
            r.continue_()
        else:  # the book prints from the site's own files only
            blocked.append(r.request.url)
            r.abort()

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 900, "height": 1200})
            page.route("**/*", route)
            page.on(
                "response",
                lambda r: r.status >= 400 and failed.add(f"{r.status} {r.url}"),
            )
            book = assemble(html)
            (outdir / "book.html").write_text(book.html, encoding="utf-8")
            render(page, f"{base}/pdf/book.html")
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
            (outdir / "book.html").write_text(
                fill_toc(book.html, numbers), encoding="utf-8"
            )
            print_pdf(page, pdf, book)
            first_chapter_page = numbers.get(book.first_chapter)
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    if page_count(pdf) != pages_first:
        print(
            "warning: the page count changed when the contents got their page numbers",
            file=sys.stderr,
        )
    if failed:
        print(
            f"warning: {len(failed)} files of the site failed to load: {sorted(failed)[:5]}",
            file=sys.stderr,
        )
    if blocked:
        print(
            f"note: blocked {len(set(blocked))} requests to other hosts: "
            f"{sorted(set(blocked))[:3]}",
            file=sys.stderr,
        )
    shutil.copy2(pdf, html / PDF_NAME)
    if first_chapter_page:  # a look at the print without opening the PDF
        subprocess.run(
            [
                "pdftoppm",
                "-f",
                str(first_chapter_page),
                "-l",
                str(first_chapter_page),
                "-r",
                "100",
                "-png",
                "-singlefile",
                str(pdf),
                str(outdir / "first-chapter-page"),
            ],
            check=True,
        )
    return pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--build",
        type=Path,
        default=ROOT / "_build",
        help="the build folder holding html/ (default: _build)",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    pdf = build(args.build)
    size = pdf.stat().st_size / 1e6
    print(
        f"Wrote {pdf} ({page_count(pdf)} pages, {size:.1f} MB) "
        f"in {time.perf_counter() - start:.0f} s; copied to {args.build / 'html' / PDF_NAME}"
    )


if __name__ == "__main__":
    main()
