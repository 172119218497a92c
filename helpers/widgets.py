"""Sliders over precomputed results that keep working on the static website.

A static page has no Python kernel, so a slider cannot call Python when it moves. Instead every
variant is rendered while the notebook executes and stored in the page: an ``ipywidgets.Stack``
holds one output per value, and the slider's ``index`` is ``jslink``-ed to the Stack's
``selected_index``. The link runs in the browser (the ipywidgets HTML manager), so moving the
slider switches the visible variant with no kernel at all. The same widget works in Jupyter
or Colab; there, an optional ``live`` callable can recompute a variant on demand.

Typical use::

    from helpers.widgets import precomputed_slider
    precomputed_slider([1, 2, 3], lambda n: plot_something(n), description="n")
"""
from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets

__all__ = ["precomputed_slider", "precomputed_grid", "to_widget", "figure_to_png"]

DEFAULT_DPI = 80  # every variant is stored in the page: keep PNGs small


def figure_to_png(fig: Any, *, dpi: int = DEFAULT_DPI, colors: int | None = 256) -> bytes:
    """Render a matplotlib Figure to compact PNG bytes and close the figure.

    ``colors`` quantises to a palette (much smaller for line plots and diagrams); ``None``
    keeps full RGBA.
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    if colors is None:
        return buf.getvalue()
    from PIL import Image

    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGBA")
    palette = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    palette.save(out, format="png", optimize=True)
    return out.getvalue()


def to_widget(result: Any) -> widgets.Widget:
    """Turn what a ``render`` function returned into a widget.

    Accepts a matplotlib Figure (-> PNG ``Image``), PNG bytes (-> ``Image``), an HTML string
    (-> ``HTML``) or an existing widget (returned as is).
    """
    if isinstance(result, widgets.Widget):
        return result
    if isinstance(result, (bytes, bytearray)):
        return widgets.Image(value=bytes(result), format="png")
    if isinstance(result, str):
        return widgets.HTML(value=result)
    if hasattr(result, "savefig"):  # matplotlib Figure, without importing matplotlib here
        return widgets.Image(value=figure_to_png(result), format="png")
    raise TypeError(
        "render(v) must return a matplotlib Figure, PNG bytes, an HTML string or a widget; "
        f"got {type(result).__name__}"
    )


def _index_of(values: Sequence[Any], value: Any, what: str) -> int:
    if value is None:
        return 0
    try:
        return list(values).index(value)
    except ValueError:
        raise ValueError(f"{what}={value!r} is not one of the values {list(values)!r}") from None


def _selector(values: Sequence[Any], description: str, index: int) -> widgets.SelectionSlider:
    """A slider over ``values`` whose readout shows the value itself (not the index)."""
    labels = [str(v) for v in values]
    if len(set(labels)) != len(labels):
        raise ValueError(f"slider values must have distinct str() labels; got {labels!r}")
    return widgets.SelectionSlider(
        options=labels,
        index=index,
        description=description,
        continuous_update=True,
        style={"description_width": "initial"},
        layout=widgets.Layout(width="min(100%, 480px)"),
    )


def precomputed_slider(
    values: Sequence[Any],
    render: Callable[[Any], Any],
    *,
    description: str = "depth",
    value: Any = None,
    live: Callable[[Any], Any] | None = None,
) -> widgets.VBox:
    """A slider that switches between ``render(v)`` for every ``v`` in ``values``.

    All variants are rendered now and stored in an ``ipywidgets.Stack``; the slider's index is
    ``jslink``-ed to the Stack, so the static website needs no kernel. ``value`` picks the
    initially shown variant (default: the first). ``live``, if given, is called as ``live(v)``
    when the reader moves the slider in a running kernel (Jupyter, Colab) and its result
    replaces the shown variant; on the static site it is never called, so the precomputed
    variants must stand on their own.

    The returned ``VBox`` exposes ``.slider`` and ``.stack`` for tests and further linking.
    """
    values = list(values)
    if not values:
        raise ValueError("precomputed_slider needs at least one value")
    index = _index_of(values, value, "value")
    slider = _selector(values, description, index)
    stack = widgets.Stack([to_widget(render(v)) for v in values], selected_index=index)
    link = widgets.jslink((slider, "index"), (stack, "selected_index"))
    if live is not None:
        _attach_live(slider, stack, values, live)
    box = widgets.VBox([slider, stack])
    box.slider, box.stack, box.links = slider, stack, [link]
    return box


def _attach_live(slider: widgets.SelectionSlider, stack: widgets.Stack,
                 values: list[Any], live: Callable[[Any], Any]) -> None:
    """Recompute the selected variant with ``live`` when the slider moves in a kernel."""

    def on_change(change: dict) -> None:
        i = change["new"]
        children = list(stack.children)
        children[i] = to_widget(live(values[i]))
        stack.children = children
        stack.selected_index = i

    slider.observe(on_change, names="index")


def precomputed_grid(
    axes: Mapping[str, Sequence[Any]],
    render: Callable[..., Any],
    *,
    value: Mapping[str, Any] | None = None,
) -> widgets.VBox:
    """Like :func:`precomputed_slider`, with one slider per axis (cartesian product).

    ``render(**combo)`` is called for every combination, with keyword arguments named after the
    axes. Outputs sit in nested Stacks: the outer Stack is indexed by the first axis, each of its
    children is a Stack indexed by the second axis, and so on. Each slider is ``jslink``-ed to
    every Stack at its level, so all combinations switch in the browser without custom
    JavaScript. Mind the page weight: the number of variants is the product of the axis lengths.

    The returned ``VBox`` exposes ``.sliders`` (dict by axis name) and ``.stack`` (outer Stack).
    """
    names = list(axes)
    if not names:
        raise ValueError("precomputed_grid needs at least one axis, e.g. {'depth': [20, 56]}")
    grid = {name: list(vals) for name, vals in axes.items()}
    for name, vals in grid.items():
        if not vals:
            raise ValueError(f"axis {name!r} has no values")
    value = dict(value or {})
    unknown = set(value) - set(names)
    if unknown:
        raise ValueError(f"value has unknown axes {sorted(unknown)}; axes are {names}")
    start = {n: _index_of(grid[n], value.get(n), f"value[{n!r}]") for n in names}
    sliders = {n: _selector(grid[n], n, start[n]) for n in names}
    stacks_by_level: list[list[widgets.Stack]] = [[] for _ in names]

    def build(level: int, chosen: dict[str, Any]) -> widgets.Widget:
        name = names[level]
        children = []
        for v in grid[name]:
            combo = {**chosen, name: v}
            if level + 1 == len(names):
                children.append(to_widget(render(**combo)))
            else:
                children.append(build(level + 1, combo))
        stack = widgets.Stack(children, selected_index=start[name])
        stacks_by_level[level].append(stack)
        return stack

    outer = build(0, {})
    links = [
        widgets.jslink((sliders[name], "index"), (stack, "selected_index"))
        for name, level_stacks in zip(names, stacks_by_level)
        for stack in level_stacks
    ]
    box = widgets.VBox([*sliders.values(), outer])
    box.sliders, box.stack, box.links = sliders, outer, links
    return box


def variant_count(axes: Mapping[str, Sequence[Any]]) -> int:
    """Number of variants a :func:`precomputed_grid` over ``axes`` stores in the page."""
    return len(list(itertools.product(*axes.values())))
