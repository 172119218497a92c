"""Hand a catalogue's untranslated messages to a translator as JSON, and take them back.

``make i18n-update`` leaves new and changed English messages empty or fuzzy in the catalogues
(locale/zh_CN/LC_MESSAGES/**/*.po and helpers/locale/zh_CN/LC_MESSAGES/sentences.po). This
writes them to one JSON file that a translator (or an editor) fills in, and puts the filled
file back, keeping sphinx-intl's layout:

    python scripts/i18n_po.py dump  FILE.po todo.json   # the messages left to translate
    python scripts/i18n_po.py apply FILE.po todo.json   # the filled "msgstr"s, fuzzy cleared
    python scripts/i18n_po.py check FILE.po             # what is left, and markup problems

A JSON entry is ``{"msgid": ..., "msgstr": ...}`` (dump adds the message's previous English
where it changed). ``check`` compares each translation's citations, math, code, glossary
terms, pasted values and links with its English: a translation must keep them all.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import NoReturn

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]*)`")
MATH = re.compile(r"(?<!\$)\$([^$]+)\$(?!\$)")
ROLE = re.compile(r"\{[a-z:-]+\}`[^`]*`")
CODE = re.compile(r"`([^`]+)`")
COUNTED = {
    "term": r"\{term\}`",
    "glue": r"\{glue(?::[a-z]+)?\}`",
    "link": r"\]\(",
    "placeholder": r"\{[a-z_]+(?::[^{}]*)?\}",
}


def load(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale="zh_CN")


def save(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as f:
        write_po(f, catalog, width=76)


def problems(english: str, translation: str) -> list[str]:
    """What ``translation`` lost or changed of ``english``'s markup (empty: none)."""
    out = [
        name
        for name, pattern in (("citations", CITE), ("math", MATH))
        if sorted(pattern.findall(english)) != sorted(pattern.findall(translation))
    ]
    code = [sorted(CODE.findall(ROLE.sub("", t))) for t in (english, translation)]
    if code[0] != code[1]:
        out.append("code")
    out += [
        f"{name} count"
        for name, pattern in COUNTED.items()
        if len(re.findall(pattern, english)) != len(re.findall(pattern, translation))
    ]
    return out


def todo(catalog: Catalog) -> list[dict]:
    """The messages left to translate (empty or fuzzy), as JSON entries."""
    return [
        {
            "msgid": m.id,
            "msgstr": m.string or "",
            "previous_english": m.previous_id[0] if m.previous_id else None,
        }
        for m in catalog
        if m.id and (not m.string or m.fuzzy)
    ]


def apply(catalog: Catalog, entries: list[dict]) -> tuple[int, list[str]]:
    """Put the filled entries into ``catalog``; returns how many, and the msgids it lacks."""
    applied, unknown = 0, []
    for entry in entries:
        message = catalog.get(entry["msgid"])
        if message is None:
            unknown.append(entry["msgid"])
        elif entry.get("msgstr"):
            message.string = entry["msgstr"]
            message.flags.discard("fuzzy")
            message.previous_id = []
            applied += 1
    return applied, unknown


class Parser(argparse.ArgumentParser):
    """Errors in one line, exit status 2 (as helpers.core.cli.OneLineParser, without torch)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def main(argv: list[str] | None = None) -> int:
    parser = Parser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("dump", "apply", "check"))
    parser.add_argument("catalogue", type=Path)
    parser.add_argument("json", type=Path, nargs="?")
    args = parser.parse_args(argv)
    if not args.catalogue.is_file():
        parser.error(f"no catalogue at {args.catalogue}")
    if args.command != "check" and args.json is None:
        parser.error(
            f"{args.command} needs the JSON file: i18n_po.py {args.command} FILE.po todo.json"
        )
    catalog = load(args.catalogue)
    if args.command == "dump":
        entries = todo(catalog)
        args.json.write_text(json.dumps(entries, ensure_ascii=False, indent=1), "utf-8")
        print(f"{len(entries)} messages to translate -> {args.json}")
        return 0
    if args.command == "apply":
        try:
            entries = json.loads(args.json.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            parser.error(f"cannot read {args.json}: {e}")
        applied, unknown = apply(catalog, entries)
        save(args.catalogue, catalog)
        for msgid in unknown:
            print(f"not in the catalogue (skipped): {msgid[:70]!r}")
        print(f"applied {applied} translations to {args.catalogue}")
        return 1 if unknown else 0
    left = todo(catalog)
    bad = [(m.id, problems(m.id, m.string)) for m in catalog if m.id and m.string]
    for msgid, found in bad:
        if found:
            print(f"{', '.join(found)}: {msgid[:80]!r}")
    print(
        f"{len(left)} left to translate, {sum(1 for _, f in bad if f)} with markup problems"
    )
    return 1 if left or any(f for _, f in bad) else 0


if __name__ == "__main__":
    sys.exit(main())
