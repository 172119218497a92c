"""What the book's tools share: the repository, _config.yml, _toc.yml, the website's address.

The PDF builder (build_pdf.py), the Colab edition (colab_notebooks.py, colab_convert.py,
sync_setup_cell.py), book_config.py, vendor_assets.py and the Sphinx extensions in sphinx_ext/
(through sphinx_ext/_scripts.py) read the book's facts here and nowhere else. Plain Python and
PyYAML only, since the Sphinx build imports it too.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]  # the repository: _config.yml, _toc.yml, ...
COLAB_DIR = "colab"  # the Colab edition: colab/<chapter>.ipynb
# <meta name=...> with the version on every page (sphinx_ext/book_version.py); the PDF reads it
VERSION_META = "resnet-book-version"
GITHUB_REPOSITORY = re.compile(
    r"https?://github\.com/(?P<owner>[^/]+)/(?P<repo>[^/#?]+?)(?:\.git)?/?", re.I
)


# The translated editions (issue 20): what each changes besides Sphinx's `language` (strings
# that are configuration, not page text, so no catalogue holds them), the folder it is
# published in below the English site, and the words the printed book adds.
EDITIONS: dict[str, dict[str, Any]] = {
    "zh_CN": {
        "folder": "zh/",
        "html_lang": "zh-CN",
        "config": {"title": "深度残差网络", "author": "resnet-book 作者"},
        "sphinx_config": {
            "nb_code_prompt_show": "显示代码单元",
            "nb_code_prompt_hide": "隐藏代码单元",
            "togglebutton_hint": "点击显示",
            "togglebutton_hint_hide": "点击隐藏",
        },
        "print": {
            "contents": "目录",
            "version": "版本",
            "printed": "印制于",
            "online": "在线阅读（含交互式图表）：",
        },
    }
}
ENGLISH_PRINT = {
    "contents": "Contents",
    "version": "Version",
    "printed": "printed",
    "online": "Read it online, with its interactive figures:",
}
# The catalogue of the root page, where Sphinx's gettext puts the toctree's part captions.
ROOT_CATALOGUE = "locale/{language}/LC_MESSAGES/chapters/intro.po"


def part_captions(language: str, root: Path = ROOT) -> dict[str, str]:
    """English part caption of _toc.yml -> its translation in ``language`` (translated ones)."""
    from babel.messages.pofile import read_po

    with open(root / ROOT_CATALOGUE.format(language=language), "rb") as f:
        catalogue = read_po(f)
    captions = [part.caption for part in toc_parts(root) if part.caption]
    found = {caption: catalogue.get(caption) for caption in captions}
    return {
        caption: message.string
        for caption, message in found.items()
        if message is not None and message.string and not message.fuzzy
    }


def read_yaml(name: str, root: Path = ROOT) -> dict:
    """``root/name`` (e.g. ``_config.yml``) as a dict."""
    return yaml.safe_load((root / name).read_text(encoding="utf-8"))


def read_config(root: Path = ROOT) -> dict:
    """The book's ``_config.yml``."""
    return read_yaml("_config.yml", root)


def repository_url(config: dict) -> str:
    """``repository.url`` of a ``_config.yml`` ("" when it has none)."""
    return (config.get("repository") or {}).get("url", "")


def site_url(repository: str) -> str:
    """The website: GitHub Pages of a GitHub repository, https://<owner>.github.io/<repo>/.

    GitHub serves Pages at the owner's name in lower case, a ``.git`` clone suffix is not part
    of the name, and the repository ``<owner>.github.io`` is served at the root. "" for an
    address that is not a GitHub repository (no Pages site to point at).
    """
    match = GITHUB_REPOSITORY.fullmatch(repository.strip())
    if not match:
        return ""
    owner, repo = match.group("owner").lower(), match.group("repo")
    if repo.lower() == f"{owner}.github.io":
        return f"https://{owner}.github.io/"
    return f"https://{owner}.github.io/{repo}/"


@dataclass
class Part:
    """One part of the table of contents (the root page alone is the first, caption None)."""

    caption: str | None
    numbered: bool
    files: list[str] = field(default_factory=list)


def _files(entries: list) -> list[str]:
    """The ``file:`` of each entry and of the sections below it, in reading order."""
    files: list[str] = []
    for entry in entries or []:
        if isinstance(entry, dict):
            files.extend([entry["file"]] if "file" in entry else [])
            files.extend(_files(entry.get("sections", [])))
    return files


def toc_parts(root: Path = ROOT) -> list[Part]:
    """The book's structure from _toc.yml: the root page, then each part with its pages."""
    toc = read_yaml("_toc.yml", root)
    parts = [Part(None, False, [toc["root"]])]
    for part in toc.get("parts", []):
        files = _files(part.get("chapters", []))
        parts.append(Part(part.get("caption"), bool(part.get("numbered")), files))
    if "chapters" in toc:
        parts.append(Part(None, False, _files(toc["chapters"])))
    return parts


def toc_files(root: Path = ROOT) -> list[str]:
    """Every page of _toc.yml (root first), without suffix: ``chapters/01_cnn_basics``."""
    return [file for part in toc_parts(root) for file in part.files]


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    """The pages of _toc.yml that are notebooks (.ipynb), in book order."""
    paths = [root / f"{file}.ipynb" for file in toc_files(root)]
    return [path for path in paths if path.exists()]


def author_names(entry: Any) -> str:
    """A pybtex entry's authors (else editors) as author-year citations name them: "He et al.",
    "Ioffe and Szegedy", "Krizhevsky"; "" when it has neither.

    Last names are joined with spaces, as sphinxcontrib-bibtex's ``author_year`` style writes
    them in the text ("La Fontaine"); braces are dropped.
    """
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    last = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
    if len(last) > 2:
        return f"{last[0]} et al."
    return " and ".join(last)


def versions_module(root: Path = ROOT) -> ModuleType:
    """``root``'s helpers/core/versions.py (the book's version and commit), loaded from that
    file rather than from whatever ``helpers`` the environment has installed."""
    path = root / "helpers" / "core" / "versions.py"
    spec = importlib.util.spec_from_file_location("_book_version_source", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
