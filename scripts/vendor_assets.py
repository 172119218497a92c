"""Copy the front-end assets the site needs from node_modules/ into _vendor/.

Sphinx copies _vendor/ into _build/html/_static/ (``html_static_path`` in _config.yml), so the
built site loads MathJax, require.js and the ipywidgets HTML manager from its own host only.
Run ``npm ci`` first (``make vendor`` does both). Only the files the pages load are copied.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from book_meta import ROOT

NODE = ROOT / "node_modules"
VENDOR = ROOT / "_vendor"

MATHJAX = NODE / "mathjax" / "es5"
# tex-chtml.js bundles the TeX input, CommonHTML output and the menu; the rest is loaded on
# demand (fonts, \require'd/autoloaded TeX extensions, menu accessibility tools).
MATHJAX_ITEMS = [
    "tex-chtml.js",
    "output/chtml/fonts/woff-v2",
    "input/tex/extensions",
    "ui",
    "a11y",
]
HTML_MANAGER = NODE / "@jupyter-widgets" / "html-manager" / "dist"
# embed-amd.js defines @jupyter-widgets/base, controls and html-manager itself; its CSS refers
# to Font Awesome fonts next to it (browsers pick woff2, falling back to woff).
HTML_MANAGER_SUFFIXES = (".woff2", ".woff")


def _copy(src: Path, dst: Path) -> None:
    if not src.exists():
        sys.exit(f"vendor_assets: missing {src.relative_to(ROOT)}; run `npm ci` first")
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True)
    else:
        shutil.copy2(src, dst)


def main() -> None:
    """Rebuild _vendor/ from node_modules/ and scripts/assets/."""
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for item in MATHJAX_ITEMS:
        _copy(MATHJAX / item, VENDOR / "mathjax" / item)
    _copy(NODE / "requirejs" / "require.js", VENDOR / "require.js")
    _copy(HTML_MANAGER / "embed-amd.js", VENDOR / "html-manager" / "embed-amd.js")
    for font in sorted(HTML_MANAGER.iterdir()):
        if font.suffix in HTML_MANAGER_SUFFIXES:
            _copy(font, VENDOR / "html-manager" / font.name)
    assets = ("widgets_config.js", "mathjax_v2_shim.js", "book_figures.js", "book.css")
    for asset in assets:
        _copy(ROOT / "scripts" / "assets" / asset, VENDOR / asset)
    size = sum(p.stat().st_size for p in VENDOR.rglob("*") if p.is_file())
    print(f"vendor_assets: wrote {VENDOR.relative_to(ROOT)}/ ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
