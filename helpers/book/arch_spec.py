"""What a stage diagram shows: a network of the ResNet family as stem, stages and head.

A network of the ResNet family is a stem, a few stages of identical blocks (each stage halves the
feature map and widens it), global average pooling and a fully connected layer (He et al. 2016,
Table 1 and Sec. 4.2). ``ArchSpec`` describes exactly that; ``cifar_arch`` / ``imagenet_arch`` build
the paper's configurations and ``arch_from_model`` reads one off any model of ``helpers.models``.
:func:`helpers.book.diagrams.draw_arch` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "BLOCK_TYPES",
    "StageSpec",
    "ArchSpec",
    "cifar_arch",
    "imagenet_arch",
    "arch_from_model",
]

BLOCK_TYPES = ("basic", "bottleneck", "plain", "preact")


@dataclass
class StageSpec:
    """One stage: ``blocks`` blocks of one type, output ``channels`` at ``size`` x ``size``."""

    name: str
    blocks: int
    channels: int
    size: int
    block: str = "basic"  # one of BLOCK_TYPES


@dataclass
class ArchSpec:
    """A whole network: stem, stages, head."""

    name: str
    stem: str  # e.g. "3x3 conv, 16"
    stem_size: int  # feature-map side after the stem
    stages: list[StageSpec] = field(default_factory=list)
    head: str = "avg pool, fc"
    input_size: int = 32

    @property
    def residual(self) -> bool:
        return any(s.block != "plain" for s in self.stages)

    @property
    def depth(self) -> int:
        """Weighted layers: stem conv + layers in all blocks + fc (the paper's counting)."""
        per_block = {"basic": 2, "plain": 2, "preact": 2, "bottleneck": 3}
        return 1 + sum(per_block[s.block] * s.blocks for s in self.stages) + 1


def _check_block(block: str) -> None:
    if block not in BLOCK_TYPES:
        raise ValueError(
            f"unknown block type {block!r}; choose one of {', '.join(BLOCK_TYPES)}"
        )


def cifar_arch(
    depth: int = 20, block: str = "basic", width: int = 16, input_size: int = 32
) -> ArchSpec:
    """The paper's CIFAR-10 nets (Sec. 4.2): 6n+2 layers (basic/plain), 9n+2 with bottlenecks.

    Bottleneck stages output 4x their base width, as in the pre-activation ResNet-164
    (He et al. 2016, "Identity Mappings").
    """
    _check_block(block)
    layers_per_block = 3 if block == "bottleneck" else 2
    per_stage, rest = divmod(depth - 2, 3 * layers_per_block)
    if rest or per_stage < 1:
        form = (
            "9n+2 (11, 20, 29, ..., 164)"
            if block == "bottleneck"
            else "6n+2 (8, 14, 20, 32, 44, 56, 110, ...)"
        )
        raise ValueError(f"a CIFAR {block} net needs depth {form}; got {depth}")
    expansion = 4 if block == "bottleneck" else 1
    sizes = [input_size, (input_size + 1) // 2, (input_size + 3) // 4]
    stages = [
        StageSpec(
            f"stage {i + 1}", per_stage, width * 2**i * expansion, sizes[i], block
        )
        for i in range(3)
    ]
    kind = {
        "basic": "ResNet-{}",
        "plain": "plain-{}",
        "preact": "pre-act ResNet-{}",
        "bottleneck": "ResNet-{} (bottleneck)",
    }[block]
    return ArchSpec(
        kind.format(depth),
        f"3x3 conv, {width}",
        input_size,
        stages,
        "avg pool, fc",
        input_size,
    )


_IMAGENET_LAYERS = {
    18: (2, 2, 2, 2),
    34: (3, 4, 6, 3),
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
}


def imagenet_arch(depth: int = 50, plain: bool = False) -> ArchSpec:
    """The paper's ImageNet nets (Table 1): 18/34 basic, 50/101/152 bottleneck; plain-18/34."""
    if depth not in _IMAGENET_LAYERS:
        raise ValueError(
            f"ImageNet ResNet depth must be one of {sorted(_IMAGENET_LAYERS)}; got {depth}"
        )
    block = "plain" if plain else ("basic" if depth < 50 else "bottleneck")
    if plain and depth >= 50:
        raise ValueError("the paper's plain ImageNet nets are plain-18 and plain-34")
    expansion = 4 if depth >= 50 else 1
    stages = [
        StageSpec(f"conv{i + 2}_x", n, 64 * 2**i * expansion, 56 // 2**i, block)
        for i, n in enumerate(_IMAGENET_LAYERS[depth])
    ]
    name = f"{'plain' if plain else 'ResNet'}-{depth}"
    return ArchSpec(
        name,
        "7x7 conv, 64, /2\n3x3 max pool, /2",
        56,
        stages,
        "avg pool, 1000-d fc",
        224,
    )


def arch_from_model(
    model, input_size: tuple[int, ...] = (1, 3, 32, 32), name: str | None = None
) -> ArchSpec:
    """Read the stages off a ``helpers.models`` network by running one input through it.

    Blocks come from ``helpers.models.residual_blocks``; a new stage starts at every block whose
    output shape differs from its input's.
    """
    from helpers.models import residual_blocks

    blocks = residual_blocks(model)
    if not blocks:
        raise ValueError(
            "the model has no blocks (helpers.models.residual_blocks returned none)"
        )
    shapes = _block_shapes(model, blocks, input_size)
    stages: list[StageSpec] = []
    for b, (inp, out) in zip(blocks, shapes, strict=False):
        if not stages or inp[-1] != out[-1]:
            stages.append(
                StageSpec(
                    f"stage {len(stages) + 1}",
                    0,
                    int(out[1]),
                    int(out[-1]),
                    _block_kind(b),
                )
            )
        stages[-1].blocks += 1
        stages[-1].channels = int(out[1])
    stem_channels = int(shapes[0][0][1])
    return ArchSpec(
        name or type(model).__name__,
        f"stem, {stem_channels}",
        int(shapes[0][0][-1]),
        stages,
        "avg pool, fc",
        int(input_size[-1]),
    )


def _block_shapes(model, blocks: list, input_size: tuple[int, ...]) -> list:
    """(input shape, output shape) of every block, from one forward pass of zeros in eval
    mode (the model's mode is restored afterwards)."""
    import torch

    shapes: list = [None] * len(blocks)
    handles = []
    for i, b in enumerate(blocks):
        handles.append(
            b.register_forward_hook(
                lambda m, inp, out, i=i: shapes.__setitem__(
                    i, (inp[0].shape, out.shape)
                )
            )
        )
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            param = next(model.parameters())
            model(torch.zeros(input_size, device=param.device, dtype=param.dtype))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return shapes


def _block_kind(b) -> str:
    """One of BLOCK_TYPES for a block of ``helpers.models``."""
    if not getattr(b, "residual", True):
        return "plain"
    names = {n for n, _ in b.named_children()}
    if "conv3" in names:
        return "bottleneck"
    return "preact" if "preact" in type(b).__name__.lower() else "basic"
