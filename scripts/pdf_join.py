"""Join the built site's pages into one HTML document for printing (scripts/build_pdf.py).

After a title page and a table of contents, every page of _toc.yml follows in order, as its
``<article>``: ids get the page's prefix, links between pages become links inside the document,
images are served from the site (as /html/) and links to the rest of the site go to the website.
The document keeps the site's stylesheets, MathJax and the ipywidgets HTML manager with every
page's saved widget state, so that math and widgets render as they do on the website.
"""

from __future__ import annotations

import copy
import datetime
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from book_meta import (
    EDITIONS,
    ENGLISH_PRINT,
    VERSION_META,
    Part,
    part_captions,
    read_config,
    repository_url,
    site_url,
    toc_parts,
)
from bs4 import BeautifulSoup, Tag

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The site's scripts that the printed book needs: MathJax and the widget manager (in site order).
KEEP_SCRIPTS = re.compile(
    r"mathjax/|require\.js|widgets_config\.js|html-manager/|mathjax_v2_shim"
)
PRINT_CSS = Path(__file__).with_name("build_pdf.css")


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
    words: dict = field(
        default_factory=lambda: dict(ENGLISH_PRINT)
    )  # the print's own words


def load_page(html: Path, file: str) -> Page:
    path = html / f"{file}.html"
    if not path.is_file():
        raise SystemExit(f"{path} is missing: build the site first (`make book`).")
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article")
    if article is None:
        raise SystemExit(f"{path}: no <article class='bd-article'> (theme changed?)")
    return Page(file, soup, article)


def relocate(
    page: Page, slugs: dict[str, str], public: str, served: str = "/html/"
) -> None:
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
            tag["src"] = served + target
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


def head_assets(
    pages: list[Page], served: str = "/html/"
) -> tuple[list[str], list[str], list[str]]:
    """Stylesheets, scripts (MathJax, widget manager) and saved widget states of all pages."""
    styles: list[str] = []
    scripts: list[str] = []
    states: list[str] = []
    seen: set[str] = set()

    def absolute(page: Page, ref: str) -> str:
        return served + posixpath.normpath(
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


def toc_html(
    parts: list[Part],
    pages: dict[str, Page],
    numbers: dict[str, int],
    words: dict = ENGLISH_PRINT,
) -> str:
    """The table of contents: parts, chapters and (in numbered parts) their sections."""

    def entry(css: str, anchor: str, text: str) -> str:
        page_no = numbers.get(anchor, "")
        return (
            f'<li class="{css}"><a href="#{anchor}"><span class="toc-text">{text}</span>'
            f'<span class="toc-page">{page_no}</span></a></li>'
        )

    out = [f'<section class="book-toc" id="book-toc"><h1>{words["contents"]}</h1>']
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


def title_page(
    config: dict, intro: Page, version: str, public: str, words: dict = ENGLISH_PRINT
) -> str:
    subtitle = intro.article.find("em")
    subtitle_text = " ".join(subtitle.get_text().split()) if subtitle else ""
    date = datetime.date.today().isoformat()
    lines = [
        '<section class="book-title-page">',
        f'<h1 class="book-title">{config.get("title", "")}</h1>',
        f'<p class="book-subtitle">{subtitle_text}</p>',
        f'<p class="book-author">{config.get("author", "")}</p>',
        f'<p class="book-version">{words["version"]} {version}<br>{words["printed"]} {date}</p>',
    ]
    if public:
        lines.append(
            f'<p class="book-url">{words["online"]} <a href="{public}">{public}</a></p>'
        )
    lines.append("</section>")
    return "\n".join(lines)


def translate_captions(parts: list[Part], language: str) -> None:
    """Give ``parts`` the part captions of the ``language`` edition."""
    captions = part_captions(language)
    for part in parts:
        part.caption = captions.get(part.caption, part.caption)


def assemble(html: Path, language: str | None = None) -> Book:
    """Join the built site's pages into one document, with a title page and contents.

    ``language``: a translated edition (book_meta.EDITIONS), whose site is ``html/<folder>``.
    """
    config = read_config()
    public = site_url(repository_url(config))
    parts = toc_parts()
    words, served, html_lang = ENGLISH_PRINT, "/html/", "en"
    if language is not None:
        edition = EDITIONS[language]
        config.update(edition["config"])
        words, html_lang = edition["print"], edition["html_lang"]
        served += edition["folder"]
        public += edition["folder"] if public else ""
        html = html / edition["folder"]
        translate_captions(parts, language)
    files = [file for part in parts for file in part.files]
    pages = {file: load_page(html, file) for file in files}
    slugs = {page.rel: page.slug for page in pages.values()}
    slugs["index.html"] = pages[files[0]].slug
    styles, scripts, states = head_assets(list(pages.values()), served)
    intro = pages[files[0]]
    meta = intro.soup.find("meta", attrs={"name": VERSION_META})
    version = meta["content"] if meta else "unknown"
    for page in pages.values():
        relocate(page, slugs, public, served)
    toc = toc_html(parts, pages, {}, words)
    anchors = re.findall(r'href="#([^"]+)"', toc)
    numbered = [file for part in parts if part.numbered for file in part.files]
    first = pages[numbered[0] if numbered else files[0]]
    first_chapter = (
        anchor_of(heading(first, "h1")[0]) if heading(first, "h1") else first.slug
    )
    body = [title_page(config, intro, version, public, words), toc]
    for file in files:
        page = pages[file]
        body.append(
            f'<div class="book-page" id="{page.slug}">'
            f'<article class="bd-article">{page.article.decode_contents()}</article></div>'
        )
    title = config.get("title", "")
    document = document_html(title, html_lang, styles, scripts + states, body)
    return Book(
        document, anchors, config.get("title", ""), version, first_chapter, words
    )


def document_html(
    title: str, html_lang: str, styles: list[str], scripts: list[str], body: list[str]
) -> str:
    """The joined book as one HTML document, with the print stylesheet."""
    css = PRINT_CSS.read_text(encoding="utf-8")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{html_lang}" data-theme="light" data-mode="light">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{title}</title>",
            *styles,
            f"<style>\n{css}\n</style>",
            *scripts,
            "</head>",
            '<body class="book-print">',
            *body,
            "</body>",
            "</html>",
        ]
    )


def fill_toc(document: str, numbers: dict[str, int]) -> str:
    """``document`` with the page numbers written into its table of contents."""

    def one(match: re.Match) -> str:
        return match.group(1) + str(numbers.get(match.group(2), "")) + match.group(3)

    pattern = r'(<a href="#([^"]+)"><span class="toc-text">.*?</span><span class="toc-page">)(</span>)'
    return re.sub(pattern, one, document)
