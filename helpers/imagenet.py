"""``python -m helpers.imagenet``: train a ResNet on ImageNet, Imagenette or any image
folder in the ImageNet layout, on one device or data-parallel under torchrun.

    torchrun --nproc-per-node 8 -m helpers.imagenet --data /data/imagenet \\
        --arch resnet50 --profile paper                     # one machine, 8 GPUs
    python -m helpers.imagenet --profile imagenette-t4      # one GPU: Imagenette, ResNet-18

Every argument is checked before anything is trained (bad input: one line, exit status
2); so is the launch (a batch the processes cannot share, processes started with other
arguments or code, CUDA without GPUs, NCCL with more processes than GPUs). The work is
:func:`helpers.experiments.imagenet.train_imagenet`; the README shows the multi-machine
and SLURM commands.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from helpers.core.cli import OneLineParser, device_arg, whole_number
from helpers.core.dist import BACKENDS, LaunchError, is_main
from helpers.data.formats import DatasetError
from helpers.experiments.imagenet import ImageNetJob, train_imagenet
from helpers.experiments.imagenet_profiles import ARCHS, IMAGENET_PROFILES
from helpers.train import CheckpointError

__all__ = ["main", "build_parser", "job_from_args"]


def _folder(text: str) -> Path:
    """argparse type: an image folder with train/ and val/ (checked before training)."""
    path = Path(text).expanduser()
    missing = [d for d in ("train", "val") if not (path / d).is_dir()]
    if missing:
        raise argparse.ArgumentTypeError(
            f"{text} has no {' or '.join(missing)}/ folder; expected the ImageNet layout "
            "train/<class>/*.JPEG and val/"
        )
    return path


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="python -m helpers.imagenet", description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "--data",
        type=_folder,
        help="image folder (train/, val/); "
        "default for imagenette-t4: download Imagenette",
    )
    p.add_argument("--arch", choices=ARCHS, help="network (default: the profile's)")
    p.add_argument("--profile", choices=list(IMAGENET_PROFILES), default="paper")
    p.add_argument("--epochs", type=whole_number(1))
    p.add_argument("--batch-size", type=whole_number(1), help="global, all processes")
    p.add_argument("--lr", type=_positive_float)
    p.add_argument("--crop", type=whole_number(16), help="training crop (default 224)")
    p.add_argument("--eval-crops", type=int, choices=(1, 10))
    p.add_argument("--sync-bn", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--workers", type=whole_number(0), help="decoders per process")
    p.add_argument(
        "--device", type=device_arg, help="cpu | cuda (default: cuda if any)"
    )
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        help="process group (default: NCCL on CUDA, Gloo on CPU)",
    )
    p.add_argument("--out", type=Path, default=Path("runs"), help="runs folder")
    p.add_argument("--seed", type=whole_number(0), default=0)
    p.add_argument("--no-amp", action="store_true", help="train in fp32")
    p.add_argument("--no-resume", action="store_true", help="start afresh")
    return p


def job_from_args(args: argparse.Namespace) -> ImageNetJob:
    """The checked arguments as an :class:`ImageNetJob`."""
    return ImageNetJob(
        profile=args.profile,
        data=args.data,
        arch=args.arch,
        out=args.out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        crop=args.crop,
        eval_crops=args.eval_crops,
        sync_bn=args.sync_bn,
        workers=args.workers,
        device=args.device,
        backend=args.backend,
        amp=not args.no_amp,
        seed=args.seed,
        resume=not args.no_resume,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, check, train; a bad launch or folder is one line and exit status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.data is None and IMAGENET_PROFILES[args.profile].imagenette is None:
        parser.error(f"--data is required with --profile {args.profile}")
    try:
        history = train_imagenet(job_from_args(args))
    except (LaunchError, DatasetError, CheckpointError, ValueError) as e:
        parser.error(str(e))
    if is_main():  # under torchrun: one line, from rank 0
        error, epochs = history.final("val_error"), len(history.epochs)
        print(f"val error {error:.2%} after {epochs} epochs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
