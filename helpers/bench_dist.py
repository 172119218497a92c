"""``python -m helpers.bench_dist``: data parallelism on this machine, and the JPEG loader.

    python -m helpers.bench_dist [--steps 20] [--threads 2] [--images 256]
                                 [--workers 0,1,2] [--json out.json]

Prints (1) ResNet-20's training images/s as 1 process x 1 thread, 1 process x T threads
and T processes x 1 thread under torchrun (Gloo), the processes' scaling efficiency and
the time the gradient all-reduce adds to a step; (2) the streaming loader's images/s
decoding ImageNet-sized JPEGs with the paper's augmentation, against the images/s a
ResNet-18 training step at 224 px consumes here. Arguments are checked first (one line,
exit status 2); the measuring is :mod:`helpers.experiments.bench_dist`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from helpers.core.atomic import write_text
from helpers.core.cli import OneLineParser, comma_list, new_file, whole_number
from helpers.core.versions import environment
from helpers.experiments.bench_dist import bench_loader, bench_scaling, step_demand

__all__ = ["main", "build_parser", "report"]


def _counts(text: str) -> tuple[int, ...]:
    """argparse type: "0,1,2" -> (0, 1, 2)."""
    return tuple(whole_number(0)(item) for item in comma_list(text))


def build_parser() -> OneLineParser:
    p = OneLineParser(
        prog="python -m helpers.bench_dist", description=__doc__.split("\n")[0]
    )
    p.add_argument("--steps", type=whole_number(2), default=20, help="steps per run")
    p.add_argument(
        "--threads",
        type=whole_number(2),
        default=2,
        help="T: cores to compare threads and processes on",
    )
    p.add_argument("--images", type=whole_number(8), default=256, help="JPEGs decoded")
    p.add_argument(
        "--workers", type=_counts, default=(0, 1, 2), help="loader worker counts to try"
    )
    p.add_argument("--json", type=new_file, default=None, metavar="FILE")
    return p


def report(out: dict) -> list[str]:
    """The printed lines for a result of :func:`main`'s measurements."""
    s, t = out["scaling"], out["threads"]
    ar = s["allreduce"]
    lines = [
        f"{out['environment']['cpu']} · {os.cpu_count()} cores · load {out['load'][0]:.1f}",
        f"ResNet-20, batch {s['batch']}, {s['device']}:",
        f"  1 process x 1 thread   {s['1x1']:8.1f} images/s",
        f"  1 process x {t} threads  {s[f'1x{t}']:8.1f} images/s",
        f"  {t} processes x 1 thread {s[f'{t}x1']:8.1f} images/s  (per process: "
        + ", ".join(f"{r:.1f}" for r in s["per_rank"])
        + ")",
        f"  scaling efficiency of {t} processes: {s['efficiency']:.2f} "
        f"(processes / threads: {s['processes_over_threads']:.2f}x)",
        f"  all-reduce: +{ar['allreduce_in_step_ms']:.1f} ms per step "
        f"({ar['step_ms']:.1f} vs {ar['step_no_sync_ms']:.1f} ms without sync); "
        f"bare all-reduce of {ar['gradient_mib']:.2f} MiB: {ar['bare_allreduce_ms']:.2f} ms",
    ]
    loader, demand = out["loader"], out["demand"]
    lines.append(
        f"JPEG loader ({loader['jpeg']}, {loader['mean_kib']:.0f} KiB, paper augmentation):"
    )
    for key, value in loader.items():
        if key.startswith("workers="):
            lines.append(f"  {key:10s} {value:8.1f} images/s")
    lines.append(
        f"ResNet-18 step at 224 px ({demand['device']}, {demand['precision']}): "
        f"{demand['images_per_s']:.1f} images/s demanded"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = {
        "threads": args.threads,
        "scaling": bench_scaling(args.steps, args.threads),
        "loader": bench_loader(args.images, args.workers),
        "demand": step_demand(),
        "load": os.getloadavg(),
        "environment": environment(),
    }
    print("\n".join(report(out)))
    if args.json:
        write_text(Path(args.json), json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
