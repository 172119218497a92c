"""Finding the residual (or plain) blocks of a model, for hooks and lesion studies."""

from __future__ import annotations

from torch import nn


def residual_blocks(model: nn.Module) -> list[nn.Module]:
    """The model's blocks, ordered input -> output.

    A block is any sub-module with a boolean ``residual`` attribute and a ``branch_out`` hook
    point: residual blocks (``residual=True``) and the 2-conv units of plain nets
    (``residual=False``). Nested blocks are not searched inside a block.
    """
    blocks: list[nn.Module] = []

    def visit(module: nn.Module) -> None:
        for child in module.children():
            if isinstance(getattr(child, "residual", None), bool) and hasattr(
                child, "branch_out"
            ):
                blocks.append(child)
            else:
                visit(child)

    visit(model)
    return blocks
