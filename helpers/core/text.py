"""Sentences in both of the book's languages, from one template and one set of values.

A page that reports its own run says each computed sentence once, with :func:`T`::

    T("plain-56 ends {gap:.1f} points above plain-20", gap=gap)

fills the English template and its Chinese translation (the catalogue
``helpers/locale/zh_CN/LC_MESSAGES/sentences.po``) with the same values, and returns a
:class:`Text`. The logic that chooses a sentence runs once, so the two editions can only differ
in wording, never in what they report. ``helpers.book.paste.glue(name, text)`` glues both: the
English page pastes ``name``, the Chinese page ``name_zh``. A Text is the English string.

``scripts/i18n_sentences.py`` (``make i18n-update``) collects every template into the
catalogue; ``tests/test_i18n.py`` fails while one is untranslated or its placeholders differ.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "Text",
    "T",
    "join",
    "LANGUAGES",
    "read_catalogue",
    "set_language",
    "current_language",
    "in_language",
]

LANGUAGES = {"zh_CN": "_zh"}  # translated language -> suffix of its glued twin
_SHOWN = {"language": "en"}  # the language a live notebook shows its outputs in
CATALOGUE = (
    Path(__file__).resolve().parents[1] / "locale" / "{language}" / "LC_MESSAGES"
)


class Text(str):
    """One sentence (or phrase): the English string itself, and its Chinese as ``.zh``.

    A ``str``, so that code and tests that read the English are unchanged; ``+`` and
    :func:`join` keep both languages, other string methods give English only."""

    zh: str

    def __new__(cls, en: str, zh: str) -> Text:
        text = super().__new__(cls, en)
        text.zh = zh
        return text

    @property
    def en(self) -> str:
        return str.__str__(self)

    def __add__(self, other: Any) -> Text:
        return Text(self.en + _en(other), self.zh + _zh(other))

    def __radd__(self, other: Any) -> Text:
        return Text(_en(other) + self.en, _zh(other) + self.zh)

    def __reduce__(self) -> tuple:  # pickles (and copies) keep the translation
        return (Text, (self.en, self.zh))


def _en(value: Any) -> Any:
    return value.en if isinstance(value, Text) else value


def _zh(value: Any) -> Any:
    return value.zh if isinstance(value, Text) else value


def T(template: str, /, **values: Any) -> Text:  # noqa: N802 (the gettext convention)
    """``template`` filled with ``values`` in English and, translated, in Chinese.

    A value that is a :class:`Text` is put in in its own language; numbers keep their format
    spec (``{gap:.1f}``) in both. An untranslated template gives its English in both."""
    english = template.format(**{k: _en(v) for k, v in values.items()})
    chinese = translation(template, "zh_CN").format(
        **{k: _zh(v) for k, v in values.items()}
    )
    return Text(english, chinese)


def join(separator: str | Text, items: Iterable[Any]) -> Text:
    """``separator.join(items)`` in each language (items may be Text or str)."""
    items = list(items)
    return Text(
        _en(separator).join(str(_en(i)) for i in items),
        _zh(separator).join(str(_zh(i)) for i in items),
    )


def set_language(language: str) -> None:
    """Show computed outputs (tables, notes) in ``language`` from now on: ``"en"`` or a
    translated one (the Chinese Colab notebooks call ``set_language("zh_CN")``)."""
    if language != "en" and language not in LANGUAGES:
        raise ValueError(
            f"language must be 'en' or one of {sorted(LANGUAGES)}; got {language!r}"
        )
    _SHOWN["language"] = language


def current_language() -> str:
    """The language outputs are shown in (see :func:`set_language`)."""
    return _SHOWN["language"]


def in_language(text: Any, language: str | None = None) -> str:
    """``text`` as a plain string in ``language`` (default :func:`current_language`)."""
    language = language or current_language()
    if isinstance(text, Text) and language in LANGUAGES:
        return getattr(text, language[:2])
    return str(_en(text))


def translation(template: str, language: str) -> str:
    """The ``language`` catalogue's translation of ``template`` (itself if it has none)."""
    return read_catalogue(language).get(template) or template


@cache
def read_catalogue(language: str) -> dict[str, str]:
    """msgid -> msgstr of the sentences catalogue (translated, not fuzzy entries)."""
    path = Path(str(CATALOGUE).format(language=language)) / "sentences.po"
    if not path.is_file():
        return {}
    return _parse_po(path.read_text(encoding="utf-8"))


def _parse_po(text: str) -> dict[str, str]:
    """A gettext catalogue's translated messages (a small reader: no runtime dependency)."""
    out: dict[str, str] = {}
    for entry in text.split("\n\n"):
        lines = [ln for ln in entry.strip().splitlines() if ln]
        if any(ln.startswith("#, ") and "fuzzy" in ln for ln in lines):
            continue
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            if line.startswith(("msgid ", "msgstr ")):
                key, _, line = line.partition(" ")
                fields[key] = ""
            if key and line.startswith('"'):
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid") and fields.get("msgstr"):
            out[fields["msgid"]] = fields["msgstr"]
    return out
