"""Checks on the built book (`make book` writes _build/html and _build/build.log)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _site import BUILD, html_pages, require_site, site_pages, toc_files

pytestmark = pytest.mark.slow

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MAX_PAGE_BYTES = 6_000_000  # one HTML page, widget variants included
MAX_SITE_BYTES = 80_000_000


@pytest.fixture(scope="module")
def site() -> Path:
    return require_site()


def test_build_log_has_no_warnings(site):
    log = BUILD / "build.log"
    assert log.is_file(), (
        "no _build/build.log: build with `make book` (it keeps the log)"
    )
    text = re.sub(
        r"\x1b\[[0-9;]*m", "", log.read_text(encoding="utf-8", errors="replace")
    )
    problems = [
        line
        for line in text.splitlines()
        if re.search(r"(^|: )(WARNING|ERROR|CRITICAL):", line)
    ]
    assert not problems, (
        "the build printed warnings (-W makes them errors):\n"
        + "\n".join(problems[:20])
    )
    assert "build succeeded" in text, (
        "the log does not record a successful Sphinx build (empty or failed)"
    )
    assert "Finished generating HTML" in text, (
        "jupyter-book did not finish writing the HTML"
    )


def test_a_build_starts_from_a_clean_reports_folder(tmp_path):
    """A failed build's tracebacks do not survive into the next build (issue 22)."""
    import sys

    from _site import ROOT

    sys.path.insert(0, str(ROOT / "scripts" / "sphinx_ext"))
    import yaml
    from clean_reports import clean_reports

    old = tmp_path / "reports" / "chapters" / "03_residual_networks.err.log"
    old.parent.mkdir(parents=True)
    old.write_text("Traceback (most recent call last): ...")
    assert clean_reports(tmp_path) and not (tmp_path / "reports").exists()
    assert not clean_reports(tmp_path)  # nothing to clean: fine
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert "clean_reports" in config["sphinx"]["local_extensions"]
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\nbook:")[1]
    assert recipe.index("rm -rf _build/html/reports") < recipe.index("build .")


def test_no_notebook_execution_failed(site):
    reports = (
        sorted((site / "reports").glob("*")) if (site / "reports").is_dir() else []
    )
    assert not reports, f"notebook execution failed, see {[str(r) for r in reports]}"
    from helpers.core.fingerprint import book_key

    cache = (
        BUILD / ".jupyter_cache" / book_key()
    )  # the folder `make book` keyed for this profile
    assert cache.is_dir(), (
        f"no jupyter-cache at {cache}: the notebooks were not executed by this build"
    )
    from jupyter_cache import get_cache

    failed = [
        (r.uri, (r.traceback or "")[-500:])
        for r in get_cache(str(cache)).list_project_records()
        if r.traceback
    ]
    assert not failed, f"cells raised during execution: {failed}"


def test_every_toc_entry_has_a_page(site):
    missing = [f for f in toc_files() if not (site / f"{f}.html").is_file()]
    assert not missing, f"toc entries without an HTML page: {missing}"


def test_toc_lists_exactly_the_pages_that_exist():
    from _site import ROOT

    for f in toc_files():
        assert list(ROOT.glob(f"{f}.*")), f"_toc.yml lists {f}, which does not exist"


def test_widget_state_saved_in_demo_page(site):
    html = (site / "chapters" / "how_to_use.html").read_text(encoding="utf-8")
    assert WIDGET_STATE in html, (
        "widget state missing: was the notebook executed with widget state?"
    )
    # images are HTML widgets with alt text (an ImageModel cannot carry alt text)
    for model in ("SelectionSliderModel", "StackModel", "LinkModel", "HTMLModel"):
        assert model in html, f"saved widget state lacks a {model}"
    for script in ("require.js", "widgets_config.js", "html-manager/embed-amd.js"):
        assert f'src="../_static/{script}' in html, (
            f"{script} is not loaded from the site"
        )


def test_no_third_party_assets_in_html(site):
    pattern = re.compile(
        r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="(?:https?:)?//', re.I
    )
    offenders = {}
    for page in html_pages(site):
        for tag in pattern.findall(page.read_text(encoding="utf-8")):
            if 'rel="preconnect"' in tag or 'rel="dns-prefetch"' in tag:
                offenders.setdefault(page.name, []).append(tag)
            elif (
                tag.startswith(("<script", "<img", "<iframe"))
                or 'rel="stylesheet"' in tag
            ):
                offenders.setdefault(page.name, []).append(tag)
    assert not offenders, f"pages load assets from other hosts: {offenders}"


def test_site_size_budget(site, capsys):
    files = [p for p in site.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    pages = {
        p: p.stat().st_size
        for p in (site / rel for rel in site_pages(site))
        if p.exists()
    }
    heaviest = max(pages, key=pages.get)
    with capsys.disabled():
        print(
            f"\nsite: {total / 1e6:.1f} MB in {len(files)} files; heaviest page "
            f"{heaviest.relative_to(site)} {pages[heaviest] / 1e6:.2f} MB"
        )
    assert pages[heaviest] < MAX_PAGE_BYTES
    assert total < MAX_SITE_BYTES
