"""helpers.book.widgets: precomputed variants, jslinks to the Stack, and the render conversions."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import base64
import re

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest

from helpers.book.widgets import (
    figure_to_png,
    png_html,
    precomputed_grid,
    precomputed_slider,
    to_widget,
    variant_count,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def line_figure(v: int) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, v])
    ax.set_title(f"v={v}")
    return fig


def linked(link: widgets.Widget) -> tuple:
    (src, src_attr), (dst, dst_attr) = link.source, link.target
    return src, src_attr, dst, dst_attr


def test_slider_precomputes_every_value_and_jslinks_index():
    calls = []
    box = precomputed_slider(
        [4, 8, 16], lambda v: calls.append(v) or f"<b>{v}</b>", description="width"
    )
    assert calls == [4, 8, 16]
    assert [c.value for c in box.stack.children] == [
        "<b>4</b>",
        "<b>8</b>",
        "<b>16</b>",
    ]
    assert isinstance(box.slider, widgets.SelectionSlider)
    assert box.slider.options == ("4", "8", "16"), (
        "the readout must show values, not indices"
    )
    assert box.slider.description == "width"
    src, src_attr, dst, dst_attr = linked(box.links[0])
    assert (src, src_attr, dst, dst_attr) == (
        box.slider,
        "index",
        box.stack,
        "selected_index",
    )
    assert type(box.links[0]).__name__ == "Link", "a two-way jslink, not jsdlink"


def test_slider_initial_value_and_errors():
    box = precomputed_slider([1, 2, 3], str, value=3)
    assert box.slider.index == 2 and box.stack.selected_index == 2
    with pytest.raises(ValueError, match="not one of the values"):
        precomputed_slider([1, 2, 3], str, value=5)
    with pytest.raises(ValueError, match="at least one value"):
        precomputed_slider([], str)


def _png_of(img_html: str) -> bytes:
    data = re.search(r'src="data:image/png;base64,([^"]+)"', img_html).group(1)
    return base64.b64decode(data)


def test_figures_become_small_retina_pngs_with_alt_text_and_are_closed():
    before = len(plt.get_fignums())
    box = precomputed_slider([1, 2], line_figure, alt=lambda v: f"A line rising to {v}")
    assert len(plt.get_fignums()) == before, "render figures must be closed"
    images = box.stack.children
    assert all(isinstance(i, widgets.HTML) for i in images)
    pngs = [_png_of(i.value) for i in images]
    assert all(p.startswith(PNG_MAGIC) for p in pngs) and pngs[0] != pngs[1]
    assert all(len(p) < 30_000 for p in pngs), (
        "variants are stored in the page: keep them small"
    )
    assert 'alt="A line rising to 2"' in images[1].value
    # stored at 2x: the <img> is shown at half the PNG's pixel width (a 3 in figure at 100 dpi)
    shown = int(re.search(r'width="(\d+)"', images[0].value).group(1))
    assert shown == int.from_bytes(pngs[0][16:20], "big") // 2 and 250 < shown < 320


def test_a_figure_without_alt_text_is_refused():
    before = len(plt.get_fignums())
    with pytest.raises(ValueError, match="alt text"):
        precomputed_slider([1], line_figure)
    assert len(plt.get_fignums()) == before
    with pytest.raises(ValueError, match="alt text"):
        png_html(figure_to_png(line_figure(1)), "  ")


def test_categorical_axes_get_labelled_toggle_buttons_numeric_ones_sliders():
    box = precomputed_grid(
        {"depth": [5, 10], "batch norm": ["off", "on"]},
        lambda **kw: str(kw),
        value={"batch norm": "on"},
    )
    bn, depth = box.sliders["batch norm"], box.sliders["depth"]
    assert isinstance(bn, widgets.ToggleButtons) and bn.options == ("off", "on")
    assert bn.description == "batch norm" and bn.index == 1
    assert isinstance(depth, widgets.SelectionSlider)
    widths = {c.style.description_width for c in box.sliders.values()}
    assert len(widths) == 1 and widths != {"initial"}, (
        "labels share one width so tracks align"
    )


def test_figure_to_png_quantised_is_smaller_than_rgba():
    small = figure_to_png(line_figure(3))
    full = figure_to_png(line_figure(3), colors=None)
    assert small.startswith(PNG_MAGIC) and len(small) < len(full)


def test_to_widget_conversions():
    assert isinstance(to_widget(b"\x89PNG..."), widgets.Image)
    assert isinstance(to_widget("<i>x</i>"), widgets.HTML)
    label = widgets.Label("x")
    assert to_widget(label) is label
    with pytest.raises(TypeError, match="matplotlib Figure, PNG bytes, an HTML string"):
        to_widget(42)


def test_live_recomputes_on_change_in_a_kernel():
    box = precomputed_slider(
        [1, 2, 3], lambda v: f"pre {v}", live=lambda v: f"live {v}"
    )
    assert [c.value for c in box.stack.children] == ["pre 1", "pre 2", "pre 3"]
    box.slider.index = 2  # what the kernel sees when the reader moves the slider
    assert box.stack.children[2].value == "live 3"
    assert box.stack.selected_index == 2
    assert box.stack.children[0].value == "pre 1"


def test_grid_nested_stacks_and_links():
    calls = []
    box = precomputed_grid(
        {"depth": [20, 56], "width": [8, 16, 32]},
        lambda depth, width: calls.append((depth, width)) or f"{depth}x{width}",
        value={"width": 16},
    )
    assert len(calls) == variant_count({"depth": [20, 56], "width": [8, 16, 32]}) == 6
    outer = box.stack
    assert len(outer.children) == 2 and all(
        len(c.children) == 3 for c in outer.children
    )
    assert outer.children[1].children[2].value == "56x32"
    assert box.sliders["width"].index == 1
    assert all(inner.selected_index == 1 for inner in outer.children)
    targets = {(linked(l)[0].description, id(linked(l)[2])) for l in box.links}
    expected = {("depth", id(outer))} | {
        ("width", id(inner)) for inner in outer.children
    }
    assert targets == expected, "each slider must be linked to every Stack at its level"


def test_grid_errors():
    with pytest.raises(ValueError, match="at least one axis"):
        precomputed_grid({}, str)
    with pytest.raises(ValueError, match="unknown axes"):
        precomputed_grid({"a": [1]}, lambda a: str(a), value={"b": 1})


def test_widget_state_is_serialisable_for_the_static_page():
    box = precomputed_slider([1, 2], line_figure, alt="a line")
    state = widgets.Widget.get_manager_state(drop_defaults=True)["state"]
    ids = {box.slider.model_id, box.stack.model_id, box.links[0].model_id}
    assert ids <= set(state), (
        "slider, stack and link must all be in the saved widget state"
    )
    assert state[box.links[0].model_id]["model_name"] == "LinkModel"


# ---------------------------------------------------------------------- both languages
def _chinese_grid():
    from helpers.core.text import Text

    return precomputed_grid(
        {Text("batch norm", "批量规范化"): [Text("off", "关"), Text("on", "开")]},
        lambda **kw: plt.figure(figsize=(1, 1)),
        alt=lambda **kw: Text(
            f'norm "{kw["batch norm"]}"', f"规范化 {kw['batch norm'].zh}"
        ),
    )


def test_a_widget_carries_the_translation_of_its_words():
    from IPython.core.formatters import format_display_data

    from helpers.book.widgets import WIDGET_VIEW

    box = _chinese_grid()
    toggle = next(iter(box.sliders.values()))
    assert toggle.description == "batch norm" and toggle.options == ("off", "on")
    assert toggle.tooltips == ("batch norm: off", "batch norm: on")
    data, metadata = format_display_data(box)
    assert WIDGET_VIEW in data
    words = metadata[WIDGET_VIEW]["zh_CN"]
    assert words["batch norm"] == "批量规范化" and words["on"] == "开"
    assert words["batch norm: on"] == "批量规范化: 开"
    assert words["norm &quot;off&quot;"] == "规范化 关"  # as the alt attribute holds it
    html_values = [c.value for c in box.stack.children]
    assert 'alt="norm &quot;off&quot;"' in html_values[0]


def test_a_widget_in_a_chinese_notebook_is_chinese():
    from helpers.core.text import set_language

    set_language("zh_CN")
    try:
        box = _chinese_grid()
    finally:
        set_language("en")
    toggle = next(iter(box.sliders.values()))
    assert toggle.description == "批量规范化" and toggle.options == ("关", "开")
    assert 'alt="规范化 关"' in box.stack.children[0].value


def test_the_chinese_site_translates_the_stored_widget_state():
    import sys

    from _site import ROOT

    sys.path.insert(0, str(ROOT / "scripts" / "sphinx_ext"))
    from book_i18n import _translated

    words = {"depth": "深度", "a &quot;plot&quot;": "一幅图"}
    state = {
        "a": {"description": "depth", "options": ["depth", "20"]},
        "b": {"value": '<img src="x" alt="a &quot;plot&quot;" width="3">'},
        "c": {"value": '<img alt="unknown">', "n": 3},
    }
    assert _translated(state, words) == {
        "a": {"description": "深度", "options": ["深度", "20"]},
        "b": {"value": '<img src="x" alt="一幅图" width="3">'},
        "c": {"value": '<img alt="unknown">', "n": 3},
    }
