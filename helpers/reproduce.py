"""``python -m helpers.reproduce``: the book's reference runs (the work is done by
:func:`helpers.experiments.reproduce.run_profile`; its docstring says what is written).

Every argument is checked before anything is loaded or trained: a bad value is answered
with one line naming it, and exit status 2.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from helpers.core import dist
from helpers.core.cli import OneLineParser, comma_list, whole_number
from helpers.experiments.profiles import PROFILES, get_profile
from helpers.experiments.reproduce import default_checkpoints, run_profile
from helpers.experiments.results import PARTS, PrecisionMismatch, command_line

__all__ = ["main"]

PROG = "python -m helpers.reproduce"


def parts_arg(text: str) -> tuple[str, ...]:
    """``--only``: comma-separated experiment parts."""
    parts = comma_list(text)
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown part(s) {', '.join(unknown)}; valid: {','.join(PARTS)}"
        )
    return tuple(parts)


def seeds_arg(text: str) -> list[int]:
    """``--seeds``: comma-separated whole numbers >= 0."""
    return [whole_number(0)(s) for s in comma_list(text)]


def depths_arg(text: str) -> tuple[int, ...]:
    """``--depths``: comma-separated CIFAR ResNet depths, each 6n+2 (He et al. 2016,
    Sec. 4.2)."""
    from helpers.models.resnet_cifar import check_depth

    depths = tuple(whole_number(1)(d) for d in comma_list(text))
    for d in depths:
        try:
            check_depth(d)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return depths


def folder_arg(text: str) -> Path:
    """``--out``, ``--checkpoints``: a folder (made when missing), not a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    return path


def _parser() -> argparse.ArgumentParser:
    ap = OneLineParser(
        prog=PROG,
        description="Run the book's experiments at a named profile; store the results "
        "as small JSON files.",
    )
    ap.add_argument("--profile", required=True, choices=sorted(PROFILES))
    all_parts = ",".join(PARTS)
    ap.add_argument(
        "--only",
        type=parts_arg,
        default=PARTS,
        help=f"comma-separated parts (default: all of {all_parts})",
    )
    ap.add_argument(
        "--seeds", type=seeds_arg, help="comma-separated seeds (default: the profile's)"
    )
    ap.add_argument(
        "--out",
        type=folder_arg,
        default=Path("results"),
        help="results root (default: results/)",
    )
    ap.add_argument(
        "--checkpoints",
        type=folder_arg,
        help="weights and checkpoints (default: <model cache>/reference/<profile>)",
    )
    ap.add_argument(
        "--depths",
        type=depths_arg,
        help="comma-separated depths, each 6n+2 (default: profile's; "
        "CIFAR-10 profiles: 20,32,44,56 and ResNet-110)",
    )
    ap.add_argument(
        "--resnet110",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="add ResNet-110 with the paper's warm-up (default: on for CIFAR-10)",
    )
    ap.add_argument(
        "--max-tasks",
        type=whole_number(0),
        help="stop after this many tasks",
    )
    ap.add_argument(
        "--epochs",
        type=whole_number(1),
        help="override the profile's schedule length (recorded in the provenance)",
    )
    ap.add_argument(
        "--other-precision",
        action="store_true",
        help="train in this machine's own precision although the profile or its "
        "stored runs use another (bf16 vs float32; each run records its own); without "
        "it, a float32 profile trains in float32 on a CPU with bf16 instructions too",
    )
    return ap


def _log(line: str) -> None:
    """Progress lines, from rank 0 only under torchrun."""
    if dist.is_main():
        print(line, flush=True)


def _raise_interrupt(
    signum, frame
):  # SIGTERM -> KeyboardInterrupt: fit saves a checkpoint
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Parse and check the arguments, then run the profile; 130 when interrupted."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args = parser.parse_args(argv)
    profile = get_profile(args.profile)
    if args.epochs is not None:
        profile = profile.replace(epochs=args.epochs, iterations=None)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        run_profile(
            profile,
            out=args.out / profile.name,
            checkpoints=args.checkpoints or default_checkpoints(profile),
            parts=args.only,
            seeds=args.seeds or list(profile.seeds),
            depths=args.depths,
            resnet110=args.resnet110,
            max_tasks=args.max_tasks,
            log=_log,
            command=command_line(argv),
            other_precision=args.other_precision,
        )
    except PrecisionMismatch as e:
        parser.error(str(e))
    except KeyboardInterrupt:
        print(
            "interrupted: finished runs are in the results files; run the same command "
            "again to resume",
            flush=True,
        )
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
