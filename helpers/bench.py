"""``python -m helpers.bench``: training throughput of ``helpers.train.fit`` against the
textbook PyTorch pipeline (torchvision + DataLoader) and the pure-compute ceiling.

    python -m helpers.bench [--steps 20] [--repeats 3] [--device cpu|cuda|cuda:N]
                            [--workers N] [--threads N] [--no-amp] [--json out.json]

Every argument is checked before anything is measured; bad input gets one line and exit
status 2. The measuring is :mod:`helpers.experiments.bench`.
"""

from __future__ import annotations

import argparse
import json
import sys

import torch

from helpers.core.atomic import write_text
from helpers.core.cli import OneLineParser, device_arg, new_file, whole_number
from helpers.experiments.bench import run_bench
from helpers.experiments.bench_cpu import cpu_option_rows

__all__ = ["main", "build_parser", "report"]

DESCRIPTION = (
    "Training throughput (images/s) of helpers.train.fit against the textbook PyTorch "
    "pipeline (torchvision + DataLoader) and the pure-compute ceiling, on ResNet-20."
)


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m helpers.bench``."""
    p = OneLineParser(prog="python -m helpers.bench", description=DESCRIPTION)
    p.add_argument(
        "--steps",
        metavar="N",
        type=whole_number(1),
        default=20,
        help="optimizer steps per timed run (batch 128)",
    )
    p.add_argument(
        "--repeats",
        metavar="N",
        type=whole_number(1),
        default=3,
        help="interleaved runs per pipeline; the median counts",
    )
    p.add_argument(
        "--device",
        type=device_arg,
        default=None,
        help="cpu | cuda | cuda:N (default: cuda if available)",
    )
    p.add_argument(
        "--workers",
        metavar="N",
        type=whole_number(0),
        default=None,
        help="DataLoader workers of the textbook pipeline (default 2 on CPU, 4 on CUDA)",
    )
    p.add_argument(
        "--no-amp", action="store_true", help="engine in fp32 (no bf16/fp16 autocast)"
    )
    p.add_argument(
        "--threads",
        metavar="N",
        type=whole_number(1),
        default=None,
        help="torch CPU threads",
    )
    p.add_argument(
        "--cpu-options",
        action="store_true",
        help="instead: images/s of ResNet-20/56 at widths 8 and 16 in fp32, bf16, "
        "channels_last and torch.compile on this CPU (--threads, default 1)",
    )
    p.add_argument(
        "--json",
        metavar="FILE",
        type=new_file,
        default=None,
        help="also write the results to this JSON file",
    )
    return p


def report(out: dict) -> list[str]:
    """The lines ``python -m helpers.bench`` prints for a :func:`run_bench` result."""
    med = out["median_images_per_s"]
    lines = [
        f"device {out['device']} · {out['environment']['cpu']} · "
        f"{out['environment']['threads']} threads · "
        f"load average {out['load_average'][0]:.1f}",
        f"textbook (torchvision + DataLoader, {out['textbook_workers']} workers, fp32): "
        f"{med['textbook']:.1f} images/s",
        f"engine   (helpers.train.fit, {out['engine_precision']}):  "
        f"{med['engine']:.1f} images/s",
        f"ceiling  (train_step on an in-memory batch):  {med['ceiling']:.1f} images/s",
        f"ratio engine/textbook: {out['ratio']:.2f}x  (median of {out['repeats']} "
        f"interleaved runs, {out['steps']} steps each)",
        "engine throughput as a fraction of the compute ceiling: "
        f"{out['fraction_of_ceiling']:.2f}",
        f"peak memory MiB: {out['peak_memory_mib']}  ({out['memory_kind']})",
    ]
    if out["textbook_worker_peak_rss_mib"] is not None:
        lines.append(
            "  textbook DataLoader worker peak RSS: "
            f"{out['textbook_worker_peak_rss_mib']:.0f} MiB each"
        )
    if out["synthetic_data"]:
        lines.append(
            "data: SYNTHETIC CIFAR-10 (random pixels) in torchvision's format — "
            "throughput only, no accuracy"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Parse and check every argument, measure, print the report, write the JSON."""
    args = build_parser().parse_args(argv)
    if args.cpu_options:
        return _cpu_options(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    out = run_bench(
        args.steps, args.repeats, args.device, args.workers, amp=not args.no_amp
    )
    print("\n".join(report(out)))
    if args.json:
        write_text(args.json, json.dumps(out, indent=1, default=str))
    return 0


def _cpu_options(args) -> int:
    rows = []
    for row in cpu_option_rows(steps=args.steps, threads=args.threads or 1):
        rows.append(row)
        print(
            f"{row['net']:>9} width {row['width']:>2} · {row['option']:<32} "
            f"{row['images_per_s']:7.0f} images/s  ({row['threads']} thread(s); "
            f"first epoch {row['first_epoch_s']:.1f} s)",
            flush=True,
        )
    if args.json:
        write_text(args.json, json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
