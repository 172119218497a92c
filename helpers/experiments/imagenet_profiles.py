"""ImageNet training recipes as data: the paper's, the large-batch one, and one for a T4.

``paper``        He et al. (2016), Sec. 3.4 (ResNet-18/34/50/101/152): batch 256, SGD with
                 momentum 0.9 and weight decay 1e-4, lr 0.1 divided by 10 at epochs 30
                 and 60, 90 epochs (the schedule of torchvision's reference scripts; the
                 paper divides "when the error plateaus", for up to 60e4 iterations =
                 120 epochs), scale augmentation [256, 480] + 224 crop + flip, per-pixel
                 mean subtracted, 10-crop testing (Table 3). Batch norm per GPU, as the
                 paper's 8 GPUs x 32 images had it.
``large-batch``  Goyal et al. (2017), "Accurate, Large Minibatch SGD": batch 8192 (256 GPUs
                 x 32), lr 0.1 x 8192/256 = 3.2 by the linear scaling rule, reached by a
                 gradual warm-up over 5 epochs, divided by 10 at epochs 30, 60 and 80, the
                 last batch-norm scale of every residual block initialised to zero,
                 RandomResizedCrop augmentation, per-channel normalisation.
``imagenette-t4`` ResNet-18 on Imagenette (10 ImageNet classes, 9,469 training photos,
                 160 px) in one Colab sitting on a T4: the paper's augmentation scaled to
                 a 128-pixel crop, batch 128, 5 epochs on a cosine schedule.

Batches are global (over all processes); ``--batch-size`` changes the batch, and the
learning rate only where the profile uses the linear scaling rule.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from helpers.data.transforms import Recipe

__all__ = ["ImageNetProfile", "IMAGENET_PROFILES", "ARCHS", "imagenet_profile_table"]

ARCHS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")


@dataclass(frozen=True)
class ImageNetProfile:
    """One recipe; epochs count passes over the training folder."""

    name: str
    arch: str  # the default network (``--arch`` picks another)
    epochs: int
    batch_size: int  # global, over all processes
    lr: float  # at batch lr_base_batch=256 when lr_scaling="linear"
    milestones: tuple[int, ...] = (30, 60)  # epochs at which lr is divided by 10
    schedule: str = "step"  # "step" | "cosine"
    lr_scaling: str = "none"  # "linear": Goyal et al.'s rule
    warmup_epochs: int = 0
    weight_decay: float = 1e-4
    momentum: float = 0.9
    recipe: Recipe = field(default_factory=Recipe)
    normalize: str = "pixel"  # "pixel": the paper's per-pixel mean; "channel"
    zero_init_residual: bool = False  # last BN scale of each block = 0 (Goyal et al.)
    sync_bn: bool = False
    imagenette: str | None = None  # Imagenette size used when no --data is given
    source: str = ""  # where the recipe comes from

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


IMAGENET_PROFILES: dict[str, ImageNetProfile] = {
    "paper": ImageNetProfile(
        name="paper",
        arch="resnet50",
        epochs=90,
        batch_size=256,
        lr=0.1,
        recipe=Recipe(train="paper", eval_crops=10),
        source="He et al. 2016, Sec. 3.4; schedule of torchvision's reference scripts",
    ),
    "large-batch": ImageNetProfile(
        name="large-batch",
        arch="resnet50",
        epochs=90,
        batch_size=8192,
        lr=0.1,
        milestones=(30, 60, 80),
        lr_scaling="linear",
        warmup_epochs=5,
        recipe=Recipe(train="rrc"),
        normalize="channel",
        zero_init_residual=True,
        source="Goyal et al. 2017, Sec. 2 and 5",
    ),
    "imagenette-t4": ImageNetProfile(
        name="imagenette-t4",
        arch="resnet18",
        epochs=5,
        batch_size=128,
        lr=0.1,
        schedule="cosine",
        recipe=Recipe(train="paper", scale=(146, 274), crop=128, resize=146),
        imagenette="160px",
        source="this book: the paper's recipe scaled to a 128-pixel crop and 5 epochs",
    ),
}


def imagenet_profile_table() -> list[dict[str, Any]]:
    """One row per profile, for the chapter's table."""
    rows = []
    for p in IMAGENET_PROFILES.values():
        rows.append(
            {
                "profile": p.name,
                "network": p.arch,
                "epochs": p.epochs,
                "batch": p.batch_size,
                "lr": p.lr * (p.batch_size / 256 if p.lr_scaling == "linear" else 1),
                "augmentation": p.recipe.train,
                "crop": p.recipe.crop,
                "source": p.source,
            }
        )
    return rows
