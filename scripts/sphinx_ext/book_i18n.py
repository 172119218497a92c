"""Sphinx extension for resnet-book: the two editions (English at the root, Chinese under zh/).

* A header button on every page opens the same page in the other language, and the page
  names its counterpart with ``<link rel="alternate" hreflang=...>``. The English site is
  ``_build/html/``, the Chinese one ``_build/html/zh/`` (``make book-zh``), so the counterpart
  of ``chapters/intro`` is ``zh/chapters/intro.html`` from the English page and
  ``../chapters/intro.html`` from the Chinese one. English pages link to the Chinese ones
  only once its translation is declared complete (:func:`published`).
* Exercise titles (``{exercise} <title>``) become translatable: sphinx-exercise builds them
  without a source, and Sphinx's gettext skips such nodes; and since its post-transforms fold
  them into a new title before the gettext builder sees the page, they are put into the
  page's catalogue from the page as read.
* What a code cell printed (tables, environment facts, timings) is not page text: it changes
  with the machine and the run, so it is kept out of the catalogues (:class:`OutputsNotTranslated`),
  which therefore change only when an author changes a sentence. Figure captions and alt texts
  written in a cell's metadata are authored text and stay translatable.
* A slider's words (labels, alt texts, HTML) live in the page's stored widget state, which
  myst-nb copies from the English execution. The widgets (helpers.book.widgets) put their
  translations into their output's metadata, the renderer (helpers.book.outputs) hands them
  to the page's document, and :func:`_translate_widget_state` swaps them in.
* ``{glue:text}`` and ``{glue:md}`` work inside a translated message (msgstr), so that a Chinese
  sentence pastes a value glued by the page, ``key`` or a Chinese ``key_zh`` beside it. Sphinx
  parses each msgstr as a small document of its own, after myst-nb has finished the page, so
  myst-nb's roles find no glue data there; these read the page's glued values from the file
  myst-nb saved them to (``jupyter_execute/<page>.glue.json``), as its cross-page ``{glue:text}``
  does. The page's own (English) text still goes through myst-nb's roles unchanged. Where the
  page glued a sentence in both languages (``helpers.core.text.T``: ``key`` and ``key_zh``),
  the translation pastes its own language's twin, so the msgstr keeps the English key.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from _scripts import book_meta
from docutils import nodes
from myst_nb.core.variables import format_plain_text
from myst_nb.ext.glue.crossref import read_glue_cache
from myst_nb.ext.glue.roles import PasteMarkdownRole, PasteTextRole
from myst_nb.ext.glue.utils import glue_warning
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.i18n import docname_to_domain

from helpers.book.outputs import WIDGET_WORDS
from helpers.core.text import LANGUAGES as TWIN_SUFFIX  # "zh_CN" -> "_zh": glued twins

# language code of a build -> (folder of that edition below the English root, button text)
BUTTON_TEXT = {"en": "English", "zh_CN": "中文"}
EDITIONS = {"en": ("", BUTTON_TEXT["en"])} | {
    language: (edition["folder"], BUTTON_TEXT[language])
    for language, edition in book_meta.EDITIONS.items()
}
HREFLANG = {"en": "en", "zh_CN": "zh-Hans"}
# Theme strings that come from configuration (html_theme_options), which no catalogue holds.
SEARCH_BAR_TEXT = {"zh_CN": "搜索本书……"}
# Interface labels that the themes write into their templates (or code) as plain English,
# outside any catalogue: the tooltips and screen-reader labels of the header and sidebars.
# After a translated build, each ``attribute="English"`` in its pages becomes the translation.
UI_LABELS = {
    "zh_CN": {
        "Toggle primary sidebar": "显示或隐藏导航栏",
        "Toggle secondary sidebar": "显示或隐藏本页目录",
        "Launch interactive content": "打开可交互的版本",
        "Launch on Colab": "在 Colab 中打开",
        "Color mode": "颜色模式",
        "System Settings": "跟随系统设置",
        "Main": "主导航",
        "Page": "本页",
        "Toggle hidden content": "显示或隐藏内容",
    }
}
ATTRIBUTES = ("title", "aria-label", "data-bs-title", "alt")
# The words of myst-nb's execution statistics table ({nb-exec-table}), which myst-nb writes
# in English after the catalogues were applied: its header row and its "Method" column.
EXEC_TABLE = {
    "zh_CN": {
        "Document": "文档",
        "Modified": "执行时间",
        "Method": "方式",
        "Run Time (s)": "运行时间（秒）",
        "Status": "状态",
        "cache": "缓存",
        "auto": "执行",
        "force": "执行",
    }
}


def _translate_ui_labels(app: Any, exception: Exception | None) -> None:
    labels = UI_LABELS.get(_edition(app.config.language))
    if exception is not None or not labels or app.builder.format != "html":
        return
    swaps = [
        (f'{a}="{english}"', f'{a}="{translated}"')
        for english, translated in labels.items()
        for a in ATTRIBUTES
    ]
    for page in Path(app.outdir).rglob("*.html"):
        text = original = page.read_text(encoding="utf-8")
        for old, new in swaps:
            text = text.replace(old, new)
        if text != original:
            page.write_text(text, encoding="utf-8")


ALT = re.compile(r'alt="([^"]*)"')


def _translated(value: Any, words: dict[str, str]) -> Any:
    """``value`` (a widget state, walked) with each word, or alt text inside HTML, swapped."""
    if isinstance(value, dict):
        return {k: _translated(v, words) for k, v in value.items()}
    if isinstance(value, list):
        return [_translated(v, words) for v in value]
    if not isinstance(value, str):
        return value
    if value in words:
        return words[value]
    if 'alt="' in value:
        return ALT.sub(lambda m: f'alt="{words.get(m[1], m[1])}"', value)
    return value


def _translate_widget_state(app: Any, doctree: Any) -> None:
    """In a translated build, the page's stored widget state in the page's language, from
    the words its widgets carried (left on the document by helpers.book.outputs)."""
    words = doctree.attributes.pop(WIDGET_WORDS, None)
    docname = app.env.docname
    files = getattr(app.env, "nb_metadata", {}).get(docname, {}).get("js_files", {})
    if not words or "ipywidgets_state" not in files:
        return
    uri, attributes = files["ipywidgets_state"]
    state = _translated(json.loads(attributes["body"]), words)
    body = json.dumps(state).replace("</script>", r"<\/script>")  # as myst-nb writes it
    files["ipywidgets_state"] = (uri, {**attributes, "body": body})


def _edition(language: str | None) -> str:
    return language if language in EDITIONS else "en"


def counterpart_url(pagename: str, language: str | None, target: str) -> str:
    """Relative URL, from ``pagename`` of the ``language`` edition, of the same page in ``target``."""
    depth = pagename.count("/") + (1 if EDITIONS[_edition(language)][0] else 0)
    return "../" * depth + EDITIONS[target][0] + f"{pagename}.html"


def published(srcdir: Path, language: str) -> bool:
    """Whether the English site links to the ``language`` edition: only once its translation
    is complete (``locale/<language>/COMPLETE``, which tests/test_i18n.py holds to its word),
    since `make test` builds and checks the Chinese site only from then on."""
    return language == "en" or (srcdir / "locale" / language / "COMPLETE").exists()


def _on_page_context(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    here = _edition(app.config.language)
    if here in SEARCH_BAR_TEXT:
        context["theme_search_bar_text"] = SEARCH_BAR_TEXT[here]
    if doctree is None:  # search, genindex: no counterpart worth a button
        return
    tags = []
    for target, (_, text) in EDITIONS.items():
        if here == "en" and not published(Path(app.srcdir), target):
            continue
        url = counterpart_url(pagename, here, target)
        tags.append(
            f'<link rel="alternate" hreflang="{HREFLANG[target]}" '
            f'href="{html.escape(url)}" />'
        )
        if target == here:
            continue
        context.setdefault("header_buttons", []).append(
            {
                "type": "javascript",  # a link button would open a new tab
                "javascript": f"window.location.href='{url}'",
                "text": text,
                "tooltip": "阅读中文版" if target == "zh_CN" else "Read in English",
                "label": "language-switch",
            }
        )
    if len(tags) > 1:
        context["metatags"] = context.get("metatags", "") + "\n".join(tags) + "\n"


class TranslatableExerciseTitles(SphinxTransform):
    """Give exercise subtitles the source that Sphinx's i18n needs (before its Locale, 20)."""

    default_priority = 15

    def apply(self, **kwargs: Any) -> None:
        for node in _exercise_subtitles(self.document):
            if node.source:
                continue
            parent = node.parent
            while parent is not None and not parent.source:
                parent = parent.parent
            node.source = (
                parent.source if parent is not None else self.document["source"]
            )
            node.line = parent.line if parent is not None else None
            node.rawsource = node.astext()


class TranslatedExercisesInRegistry(SphinxTransform):
    """After Sphinx's Locale (20): sphinx-exercise titles a solution from its registry's copy of
    the exercise, taken when the page was parsed, so give the registry the translated one."""

    default_priority = 21

    def apply(self, **kwargs: Any) -> None:
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in self.document.findall(nodes.Element):
            if type(node).__name__ not in ("exercise_node", "exercise_enumerable_node"):
                continue
            entry = registry.get(node.get("label"))
            if entry is not None and entry["docname"] == self.env.docname:
                entry["node"] = node.deepcopy()


class OutputsNotTranslated(SphinxTransform):
    """Mark the text that code cells printed untranslatable (before Sphinx's Locale, 20)."""

    default_priority = 15

    def apply(self, **kwargs: Any) -> None:
        for output in self.document.findall(nodes.container):
            if output.get("nb_element") != "cell_code_output":
                continue
            for node in output.findall(nodes.TextElement):
                if not isinstance(node, (nodes.caption, nodes.legend)) and not any(
                    isinstance(a, (nodes.caption, nodes.legend))
                    for a in _ancestors(node)
                ):
                    node["translatable"] = False


class TranslatedExecTable(SphinxPostTransform):
    """In a translated build, the words of the {nb-exec-table} table, once myst-nb has made
    it (its post-transform has priority 8)."""

    default_priority = 9

    def run(self, **kwargs: Any) -> None:
        words = EXEC_TABLE.get(_edition(self.config.language))
        if not words:
            return
        for table in self.document.findall(nodes.table):
            header = [e.astext() for e in table.findall(nodes.entry)][:2]
            if header != ["Document", "Modified"]:
                continue
            for text in list(table.findall(nodes.Text)):
                if str(text) in words:
                    text.parent.replace(text, nodes.Text(words[str(text)]))


def _ancestors(node: nodes.Node):
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _exercise_subtitles(doctree: nodes.Node) -> list[nodes.Element]:
    return [
        n
        for n in doctree.findall(nodes.subtitle)
        if type(n).__name__ == "exercise_subtitle"
    ]


def _on_doctree_resolved(app: Any, doctree: Any, docname: str) -> None:
    if app.builder.name != "gettext":
        return
    catalog = app.builder.catalogs[
        docname_to_domain(docname, app.config.gettext_compact)
    ]
    for node in _exercise_subtitles(app.env.get_doctree(docname)):
        if node.rawsource and hasattr(node, "uid"):
            catalog.add(node.rawsource, node)


def _page_glue(role: Any, key: str) -> dict | None:
    """The value ``key`` glued by the page being read, as myst-nb saved it (None: missing),
    or its twin in the build's language when the page glued one."""
    env = role.document.settings.env
    glued = read_glue_cache(env.mystnb_config.output_folder, env.docname)
    suffix = TWIN_SUFFIX.get(env.config.language or "")
    if suffix and key + suffix in glued:
        return glued[key + suffix]
    return glued.get(key)


def _in_translation(role: Any) -> bool:
    # myst-nb keeps its renderer on the page's document while it parses the page; a msgstr is
    # parsed later, into a document of its own.
    return "nb_renderer" not in role.document and "::" not in role.text


class TranslatedPasteText(PasteTextRole):
    """``{glue:text}`key[:format]``` that also works in a msgstr."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        if not _in_translation(self):
            return super().run()
        key, _, spec = self.text.partition(":")
        output = _page_glue(self, key)
        if output is None or "text/plain" not in output["data"]:
            msg = f"No key {key!r} with text/plain in the glue data of this page."
            return [], [glue_warning(msg, self.document, self.line)]
        text = format_plain_text(output["data"]["text/plain"], spec or "s")
        node = nodes.inline(text, text, classes=["pasted-text"])
        self.set_source_info(node)
        return [node], []


class TranslatedPasteMarkdown(PasteMarkdownRole):
    """``{glue:md}`key``` that also works in a msgstr (parsed as MyST, like the book's), set
    in a ``pasted-text`` span as ``{glue:text}`` is, so that a computed sentence looks the same
    whichever role pasted it (book.css)."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        found, messages = self._paste()
        if not found:
            return found, messages
        return [nodes.inline("", "", *found, classes=["pasted-text"])], messages

    def _paste(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        if not _in_translation(self):
            return super().run()
        key = self.text.rsplit(":", 1)[0] if ":" in self.text else self.text
        output = _page_glue(self, key)
        if output is None or "text/markdown" not in output["data"]:
            msg = f"No key {key!r} with text/markdown in the glue data of this page."
            return [], [glue_warning(msg, self.document, self.line)]
        parsed, messages = self.inliner.parse(
            output["data"]["text/markdown"], self.line or 0, None, nodes.Element()
        )
        for node in parsed:
            self.set_source_info(node)
        return parsed, messages


def setup(app: Any) -> dict:
    app.setup_extension("myst_nb")  # its glue domain first
    app.add_role_to_domain("glue", "text", TranslatedPasteText(), override=True)
    app.add_role_to_domain("glue", "md", TranslatedPasteMarkdown(), override=True)
    app.add_transform(TranslatableExerciseTitles)
    app.add_transform(OutputsNotTranslated)
    app.add_transform(TranslatedExercisesInRegistry)
    app.add_post_transform(TranslatedExecTable)
    app.connect("doctree-resolved", _on_doctree_resolved)
    app.connect("doctree-read", _translate_widget_state)
    app.connect("build-finished", _translate_ui_labels)
    # after sphinx-book-theme fills header_buttons (priority 501)
    app.connect("html-page-context", _on_page_context, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
