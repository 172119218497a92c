"""Tidy the Chinese catalogues after ``sphinx-intl update`` (run by ``make i18n-update``).

* Obsolete messages (``#~``, English text that no longer exists) are dropped: git keeps the
  history, and a catalogue then holds exactly the current English text.
* A message with nothing to translate (no letters, such as ``4,000`` or ``21.80``, or only
  inline code, math and citation roles) is filled with its own text, so what is left
  untranslated is only what needs a translator.

    python scripts/i18n_tidy.py [locale/zh_CN/LC_MESSAGES]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "locale" / "zh_CN" / "LC_MESSAGES"
# Markup that stays as it is in every language: citations, pasted values and cross-references,
# inline code, math. (A {term} role shows a word, which is translated.)
VERBATIM = re.compile(r"\{(?!term\})[a-z:-]+\}`[^`]*`|`[^`]*`|\$[^$]*\$")


def nothing_to_translate(msgid: str) -> bool:
    """True when ``msgid`` has no word outside code, math and roles."""
    return not re.search(r"[A-Za-z]", VERBATIM.sub("", msgid))


def tidy(path: Path) -> tuple[int, int]:
    """Drop obsolete messages and fill those with nothing to translate; (dropped, filled)."""
    with path.open("rb") as f:
        catalogue = read_po(f)
    dropped = len(catalogue.obsolete)
    catalogue.obsolete.clear()
    filled = 0
    for message in catalogue:
        if message.id and not message.string and nothing_to_translate(message.id):
            message.string = message.id
            filled += 1
    with path.open("wb") as f:
        write_po(f, catalogue, width=76)
    return dropped, filled


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    folder = Path(argv[0]) if argv else DEFAULT
    if not folder.is_dir():
        print(f"i18n_tidy: no catalogue folder {folder}", file=sys.stderr)
        return 2
    for path in sorted(folder.rglob("*.po")):
        dropped, filled = tidy(path)
        if dropped or filled:
            print(
                f"{path.relative_to(folder)}: {dropped} obsolete dropped, {filled} filled"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
