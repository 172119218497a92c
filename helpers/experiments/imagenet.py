"""Training the paper's ImageNet ResNets, or any ResNet on any image folder, with ``fit``.

    torchrun --nproc-per-node 8 -m helpers.imagenet --data /data/imagenet --arch resnet50 \\
        --profile paper

The command line is :mod:`helpers.imagenet`; it fills an :class:`ImageNetJob` and calls
:func:`train_imagenet`, which every process of a torchrun job runs alike: it lists the
folder (or, for an Imagenette profile without ``--data``, downloads Imagenette on rank 0),
builds the network, turns the profile's epochs into the iterations ``fit`` counts, and
trains with checkpoints every epoch, resuming from the last one when run again. Rank 0
writes ``history.json`` and ``model.pt`` into the run's folder. The profiles are
:mod:`helpers.experiments.imagenet_profiles`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from helpers.core import dist
from helpers.core.atomic import atomic_path, write_text
from helpers.data.download import locate_imagenette
from helpers.data.imagefolder import ImageFolderData, load_image_folder
from helpers.experiments.imagenet_profiles import IMAGENET_PROFILES, ImageNetProfile
from helpers.models import create_model
from helpers.train import History, TrainConfig, fit

__all__ = ["ImageNetJob", "train_imagenet", "job_config", "load_folders"]


@dataclass(frozen=True)
class ImageNetJob:
    """One training job; ``None`` fields take the profile's value."""

    profile: str = "paper"  # a key of IMAGENET_PROFILES
    data: Path | None = None  # ImageNet-layout folder; None: the profile's Imagenette
    arch: str | None = None  # resnet18 | resnet34 | resnet50 | resnet101 | resnet152
    out: Path = Path("runs")  # the run's folder is out/<arch>-<profile>
    epochs: int | None = None
    batch_size: int | None = None  # global: over all processes
    lr: float | None = None
    crop: int | None = None  # a smaller training crop (quick tries, tests)
    eval_crops: int | None = None  # 1 | 10
    sync_bn: bool | None = None
    workers: int | None = None  # decoding processes per training process
    device: str | None = None
    backend: str | None = None  # process group: None = NCCL on CUDA, Gloo on CPU
    amp: bool = True
    seed: int = 0
    resume: bool = True  # continue from out/<run>/checkpoint.pt when it exists
    progress: bool = True

    @property
    def spec(self) -> ImageNetProfile:
        return IMAGENET_PROFILES[self.profile]

    @property
    def run_dir(self) -> Path:
        return self.out / f"{self.arch or self.spec.arch}-{self.profile}"


def load_folders(job: ImageNetJob) -> tuple[ImageFolderData, ImageFolderData]:
    """The job's training and validation splits, with the profile's recipe (and the
    job's crop); downloads Imagenette when the profile names it and no folder is given."""
    spec = job.spec
    root = job.data
    if root is None:
        if spec.imagenette is None:
            raise ValueError(f"profile {job.profile!r} needs --data (an image folder)")
        root = locate_imagenette(spec.imagenette)
    recipe = spec.recipe
    if job.crop is not None:
        ratio = job.crop / recipe.crop
        recipe = replace(
            recipe,
            crop=job.crop,
            scale=tuple(round(s * ratio) for s in recipe.scale),
            resize=round(recipe.resize * ratio),
        )
    if job.eval_crops is not None:
        recipe = replace(recipe, eval_crops=job.eval_crops)
    return load_image_folder(root, "train", recipe), load_image_folder(
        root, "val", recipe
    )


def job_config(job: ImageNetJob, train_images: int) -> TrainConfig:
    """The profile's recipe as a TrainConfig, epochs turned into iterations."""
    spec = job.spec
    batch = job.batch_size or spec.batch_size
    steps = max(1, train_images // batch)  # per epoch
    epochs = job.epochs or spec.epochs
    milestones = tuple(m * steps for m in spec.milestones if m < epochs) or (1.0,)
    return TrainConfig(
        epochs=epochs,
        batch_size=batch,
        lr=job.lr or spec.lr,
        lr_scaling=spec.lr_scaling,
        momentum=spec.momentum,
        weight_decay=spec.weight_decay,
        schedule=spec.schedule,
        milestones=milestones,
        warmup_iters=spec.warmup_epochs * steps,
        normalize=spec.normalize,
        sync_bn=spec.sync_bn if job.sync_bn is None else job.sync_bn,
        device=job.device,
        dist_backend=job.backend,
        workers=job.workers,
        amp=job.amp,
        seed=job.seed,
        log_every=min(50, steps),
        checkpoint_path=str(job.run_dir / "checkpoint.pt"),
        progress=job.progress,
    )


def train_imagenet(job: ImageNetJob) -> History:
    """Train (or resume) ``job`` on this process; every process of a torchrun job calls
    it alike. Rank 0 writes ``history.json`` and ``model.pt`` into ``job.run_dir``."""
    arch = job.arch or job.spec.arch
    train, val = load_folders(job)
    config = job_config(job, len(train))
    torch.manual_seed(job.seed)  # the initial weights; DDP copies rank 0's to all
    model = create_model(
        arch,
        num_classes=train.num_classes,
        zero_init_residual=job.spec.zero_init_residual,
    )
    history = fit(model, train, config, val=val, resume=job.resume)
    history.meta.update(
        {"arch": arch, "profile": job.profile, "classes": train.classes}
    )
    if dist.is_main():
        write_text(
            job.run_dir / "history.json", json.dumps(history.to_dict(), indent=1)
        )
        with atomic_path(job.run_dir / "model.pt") as tmp:
            torch.save({k: v.cpu() for k, v in model.state_dict().items()}, tmp)
    dist.barrier()
    return history
