"""Run the book's experiments at a named profile; store the results as small JSON files.

    python -m helpers.reproduce --profile reference-cpu
    python -m helpers.reproduce --profile paper --only degradation --seeds 0,1,2

writes ``results/<profile>/{degradation,responses,gradients,lesion,lr_sweep}.json`` (no
weights). Each file holds a ``provenance`` block (profile and training config, dataset
and sizes, device, precision, library versions, the ``helpers`` git commit, the command)
and one entry per run with its seed, date and wall time. Every run is written as soon as
it ends, so an interrupted command keeps what it finished; run the same command again
and it skips finished runs and resumes the unfinished training run from its last epoch
checkpoint. Trained weights and checkpoints go to ``--checkpoints`` (default ``<model
cache>/reference/<profile>``), outside git, so that the analyses can be re-run on the
same nets.

Experiments (the book's chapters 3 and 4):

* ``degradation``: plain and residual CIFAR-style nets at the profile's depths (CIFAR-10
  profiles: 20, 32, 44, 56 and ResNet-110 with the paper's warm-up), training and test
  error per epoch (He et al. 2016, Fig. 6);
* ``responses``: standard deviation of every block's residual-branch output on 500 test
  images (Fig. 7);
* ``gradients``: per-block gradient norms at initialisation and after training;
* ``lesion``: test error with one block deleted (Veit et al. 2016);
* ``lr_sweep``: ResNet-8 at constant learning rates 0.01 to 100 (chapter 4), first seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from helpers.experiments.profiles import PROFILES, Profile, get_profile

__all__ = ["PARTS", "SCHEMA_VERSION", "main", "plan", "provenance", "run_profile"]

SCHEMA_VERSION = 1
PARTS = ("degradation", "responses", "gradients", "lesion", "lr_sweep")
CIFAR10_DEPTHS = (20, 32, 44, 56)  # the paper's Fig. 6 (plain and residual)
RESNET110_WARMUP = {
    "warmup_iters": 400,
    "warmup_lr": 0.01,
}  # Sec. 4.2: 0.01 until ~400 iterations
RESPONSE_IMAGES = 500
GRADIENT_IMAGES = 128
LESION_IMAGES = 500
SWEEP_IMAGES, SWEEP_ITERATIONS, SWEEP_LRS = 2000, 120, (0.01, 0.1, 1.0, 10.0, 100.0)
REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------------
# Provenance
# --------------------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def git_commit() -> dict[str, Any]:
    """The checkout's commit, and whether tracked files in ``helpers/`` are edited
    (untracked files are not imported, so they do not count)."""

    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=20
        )
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip())
        return out.stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(
            git("status", "--porcelain", "--untracked-files=no", "--", "helpers")
        )
    except (OSError, RuntimeError, subprocess.TimeoutExpired):
        return {"commit": "unknown (not a git checkout)", "dirty": None}
    return {"commit": commit, "dirty": dirty}


def versions() -> dict[str, str]:
    import numpy
    import torchvision

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": numpy.__version__,
    }


def resolve_device(name: str | None) -> torch.device:
    """The profile's device: as named, else CUDA when present, else the CPU."""
    return torch.device(name or ("cuda" if torch.cuda.is_available() else "cpu"))


def device_info(profile: Profile) -> dict[str, Any]:
    """The device the runs use, in words, and the arithmetic precision of training."""
    from helpers.core.device import cpu_model
    from helpers.core.precision import amp_dtype

    device = resolve_device(profile.device)
    dtype = amp_dtype(device, profile.amp)
    precision = "float32" if dtype is None else f"{str(dtype).split('.')[-1]} autocast"
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        threads = profile.num_threads or torch.get_num_threads()
        name = f"{cpu_model()}, {threads} thread{'s' if threads != 1 else ''}"
    return {"type": device.type, "name": name, "precision": precision}


def dataset_info(profile: Profile, train, test) -> dict[str, Any]:
    from helpers.data import DATASETS

    return {
        "name": profile.dataset,
        "title": DATASETS[profile.dataset].title,
        "train_images": len(train),
        "test_images": len(test),
        "val_size": profile.val_size,
        "subset_seed": 0,
        "source": train.source,
        "test_split": (
            "test (the paper's Fig. 6 plots test error; nothing is tuned on it)"
        ),
    }


def provenance(
    profile: Profile, data: dict[str, Any], seeds: list[int]
) -> dict[str, Any]:
    """Everything needed to say where a results file came from and to rerun it."""
    return {
        "profile": profile.to_dict(),
        "train_config": profile.train_config().to_dict(),
        "dataset": data,
        "device": device_info(profile),
        "versions": versions(),
        "helpers": git_commit(),
        "platform": platform.platform(),
        "command": "python -m helpers.reproduce "
        + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "seeds": list(seeds),
        "updated": _now(),
    }


# --------------------------------------------------------------------------------------
# Results files
# --------------------------------------------------------------------------------------


def _jsonable(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, torch.Tensor):
        return _jsonable(x.tolist())
    return x


class ResultsFile:
    """``results/<profile>/<part>.json``: provenance and one entry per run (atomic
    writes).
    """

    def __init__(self, path: Path, part: str, prov: dict[str, Any]) -> None:
        self.path, self.part, self.prov = path, part, prov

    def load(self) -> dict[str, Any]:
        if self.path.exists():
            return json.loads(self.path.read_text())
        return {
            "schema": SCHEMA_VERSION,
            "part": self.part,
            "profile": self.prov["profile"]["name"],
            "provenance": self.prov,
            "runs": [],
        }

    def done(self, key: str) -> bool:
        return any(r["key"] == key for r in self.load()["runs"])

    def add(self, entry: dict[str, Any]) -> None:
        doc = self.load()
        doc["runs"] = [r for r in doc["runs"] if r["key"] != entry["key"]] + [
            _jsonable(entry)
        ]
        doc["runs"].sort(key=lambda r: (r.get("seed", 0), r.get("order", 0), r["key"]))
        doc["provenance"] = {
            **self.prov,
            "updated": _now(),
            "seeds": sorted({r["seed"] for r in doc["runs"]}),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(doc, indent=1) + "\n")
        os.replace(tmp, self.path)


# --------------------------------------------------------------------------------------
# The experiments
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Net:
    kind: str  # "plain" | "resnet"
    depth: int

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.depth}"


def degradation_nets(
    profile: Profile,
    depths: tuple[int, ...] | None = None,
    resnet110: bool | None = None,
) -> list[Net]:
    """The degradation experiment's nets: shallow before deep, plain before residual."""
    if depths is None:
        depths = (
            CIFAR10_DEPTHS if profile.dataset == "cifar10" else tuple(profile.depths)
        )
    if resnet110 is None:
        resnet110 = profile.dataset == "cifar10"
    nets = [Net(kind, d) for d in sorted(depths) for kind in ("plain", "resnet")]
    if resnet110 and 110 not in depths:
        nets.append(Net("resnet", 110))
    # the most telling pairs first: shallowest and deepest of each kind, then the middle
    # depths
    ends = (min(depths), max(depths))
    return sorted(
        nets,
        key=lambda n: (
            n.depth not in ends and n.depth != 110,
            n.depth == 110,
            n.kind != "plain",
            n.depth,
        ),
    )


class Context:
    """Data, nets and files shared by the tasks of one command."""

    def __init__(
        self, profile: Profile, out: Path, checkpoints: Path, seeds: list[int]
    ) -> None:
        self.profile, self.out, self.ckdir = profile, out, checkpoints
        self.train = profile.load("train")
        self.test = profile.load("test")
        self.prov = provenance(
            profile, dataset_info(profile, self.train, self.test), seeds
        )
        self.files = {p: ResultsFile(out / f"{p}.json", p, self.prov) for p in PARTS}
        self.device = resolve_device(profile.device)  # analyses run where training ran
        self._models: dict[tuple[str, int], torch.nn.Module] = {}

    def new_model(
        self, net: Net, seed: int, width: int | None = None
    ) -> torch.nn.Module:
        from helpers.models import create_model

        torch.manual_seed(seed)
        model = create_model(
            f"{net.kind}_cifar",
            depth=net.depth,
            width=width or self.profile.width,
            in_channels=self.train.in_channels,
            num_classes=self.train.num_classes,
        )
        return model.to(self.device)

    def weights(self, net: Net, seed: int) -> Path:
        return self.ckdir / f"{net.name}-s{seed}.pt"

    def run_meta(self, seed: int, t0: float, started: str) -> dict[str, Any]:
        return {
            "seed": seed,
            "started": started,
            "date": _now(),
            "wall_time_s": round(time.perf_counter() - t0, 2),
            "helpers_commit": self.prov["helpers"]["commit"],
            "device": self.prov["device"]["name"],
        }

    # -- degradation -------------------------------------------------------------------
    def train_net(self, net: Net, seed: int, order: int) -> dict[str, Any]:
        from helpers.analysis.complexity import count_macs, count_parameters
        from helpers.train import fit

        started, t0 = _now(), time.perf_counter()
        model = self.new_model(net, seed)
        overrides = (
            RESNET110_WARMUP if net.depth == 110 and net.kind == "resnet" else {}
        )
        self.ckdir.mkdir(parents=True, exist_ok=True)
        ckpt = self.ckdir / f"{net.name}-s{seed}.ckpt"
        config = self.profile.train_config(
            seed=seed, checkpoint_path=str(ckpt), progress=True, **overrides
        )
        history = fit(
            model, self.train, config, val=self.test, resume=True, on_nan="stop"
        )
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        tmp = self.weights(net, seed).with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.weights(net, seed))
        self._models[(net.name, seed)] = model.eval()
        shape = (1, self.train.in_channels, *self.train.images.shape[-2:])
        epochs = [
            {
                "epoch": r["epoch"],
                "train_error": r["train_error"],
                "train_loss": r["train_loss"],
                "test_error": r["val_error"],
                "test_loss": r["val_loss"],
                "lr": r["lr"],
                "time_s": r["time_s"],
            }
            for r in history.epochs
        ]
        steps = [
            {k: r[k] for k in ("step", "epoch", "loss", "error", "lr")}
            for r in history.steps
        ]
        entry = {
            "key": f"{net.name}/s{seed}",
            "order": order,
            "name": net.name,
            "kind": net.kind,
            "depth": net.depth,
            "params": count_parameters(model),
            "macs": count_macs(model, shape),
            "config": config.to_dict(),
            "epochs": epochs,
            "steps": steps,
            "final_train_error": history.final("train_error"),
            "final_test_error": history.final("val_error"),
            "diverged": history.diverged,
            "train_time_s": history.meta.get("train_time_s"),
            "images_per_s": history.images_per_s,
            "fit_device": history.device,
            **self.run_meta(seed, t0, started),
        }
        # fit's own count covers all sessions of a resumed run
        entry["wall_time_s"] = round(history.wall_time_s, 2)
        return entry

    def trained(self, net: Net, seed: int, order: int) -> torch.nn.Module:
        """The trained net: from memory, from its weights file, or trained now
        (recorded).
        """
        key = (net.name, seed)
        if key in self._models:
            return self._models[key]
        path = self.weights(net, seed)
        done = self.files["degradation"].done(f"{net.name}/s{seed}")
        if not (done and path.exists()):
            self.files["degradation"].add(self.train_net(net, seed, order))
            return self._models[key]
        model = self.new_model(net, seed)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        self._models[key] = model.eval()
        return model.eval()

    def _batch(self, data, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        from helpers.data import DeviceLoader

        loader = DeviceLoader(
            data,
            batch_size=min(n, len(data)),
            train=False,
            augment=False,
            device=self.device,
            normalize=self.profile.normalize,
        )
        return next(iter(loader))

    # -- analyses ----------------------------------------------------------------------
    def responses(self, net: Net, seed: int, order: int) -> dict[str, Any]:
        from helpers.analysis.responses import branch_response_std

        started, t0 = _now(), time.perf_counter()
        model = self.trained(net, seed, order)
        x, _ = self._batch(self.test, RESPONSE_IMAGES)
        stds = branch_response_std(model, x)
        return {
            "key": f"{net.name}/s{seed}",
            "order": order,
            "name": net.name,
            "kind": net.kind,
            "depth": net.depth,
            "images": int(x.shape[0]),
            "split": "test",
            "stds": stds,
            **self.run_meta(seed, t0, started),
        }

    def gradients(self, net: Net, seed: int, order: int) -> dict[str, Any]:
        from helpers.analysis.gradients import gradient_norms
        from helpers.models import residual_blocks

        started, t0 = _now(), time.perf_counter()
        x, y = self._batch(self.train, GRADIENT_IMAGES)
        out: dict[str, Any] = {}
        for when, model in (
            ("init", self.new_model(net, seed)),
            ("trained", self.trained(net, seed, order)),
        ):
            probes = residual_blocks(model)
            for mode in ("output", "weight"):
                g = gradient_norms(model, x, y, probes=probes, mode=mode)
                out[f"{when}_{mode}"] = g.norms
            out[f"{when}_loss"] = g.loss
        return {
            "key": f"{net.name}/s{seed}",
            "order": order,
            "name": net.name,
            "kind": net.kind,
            "depth": net.depth,
            "images": int(x.shape[0]),
            "split": "train",
            "bn_mode": "training (batch statistics)",
            **out,
            **self.run_meta(seed, t0, started),
        }

    def lesion(self, net: Net, seed: int, order: int) -> dict[str, Any]:
        from helpers.analysis.lesion import lesion_study
        from helpers.data import load_dataset
        from helpers.train import evaluate

        started, t0 = _now(), time.perf_counter()
        model = self.trained(net, seed, order)
        data = load_dataset(
            self.profile.dataset,
            "test",
            subset=min(LESION_IMAGES, len(self.test)),
            val_size=self.profile.val_size,
        )

        def error(m: torch.nn.Module) -> float:
            return float(
                evaluate(
                    m,
                    data,
                    self.device,
                    normalize=self.profile.normalize,
                    reference=self.train,
                )["error"]
            )

        study = lesion_study(model, evaluate=error)
        rows = [
            {
                "index": r.index,
                "stage": r.stage,
                "residual": r.residual,
                "downsampling": r.downsampling,
                "deletable": r.deletable,
                "error": r.error,
            }
            for r in study.rows
        ]
        return {
            "key": f"{net.name}/s{seed}",
            "order": order,
            "name": net.name,
            "kind": net.kind,
            "depth": net.depth,
            "images": len(data),
            "split": "test",
            "baseline_error": study.baseline_error,
            "rows": rows,
            "summary": study.summary(),
            **self.run_meta(seed, t0, started),
        }

    def lr_sweep(self, seed: int) -> dict[str, Any]:
        from helpers.data import load_dataset
        from helpers.train import fit

        started, t0 = _now(), time.perf_counter()
        data = load_dataset(
            self.profile.dataset,
            "train",
            subset=SWEEP_IMAGES,
            val_size=self.profile.val_size,
        )
        runs = []
        for lr in SWEEP_LRS:
            model = self.new_model(Net("resnet", 8), seed)
            cfg = self.profile.train_config(
                lr=lr,
                epochs=None,
                iterations=SWEEP_ITERATIONS,
                schedule="constant",
                warmup_iters=0,
                log_every=5,
                eval_every=0,
                progress=False,
                seed=seed,
            )
            h = fit(model, data, cfg, on_nan="stop")
            runs.append(
                {
                    "lr": lr,
                    "steps": [
                        {"step": r["step"], "loss": r["loss"], "error": r["error"]}
                        for r in h.steps
                    ],
                    "diverged": h.diverged,
                    "final_loss": h.steps[-1]["loss"] if h.steps else None,
                }
            )
        return {
            "key": f"resnet-8/s{seed}",
            "order": 0,
            "name": "resnet-8",
            "depth": 8,
            "images": len(data),
            "iterations": SWEEP_ITERATIONS,
            "schedule": "constant",
            "config": cfg.to_dict(),
            "runs": runs,
            **self.run_meta(seed, t0, started),
        }


# --------------------------------------------------------------------------------------
# Plan, progress, command line
# --------------------------------------------------------------------------------------


@dataclass
class Task:
    part: str
    key: str
    seed: int
    cost: float  # estimated multiply-accumulates (for the ETA)
    run: Callable[[], dict[str, Any] | None]


def _macs(profile: Profile, net: Net, in_channels: int, hw: tuple[int, int]) -> int:
    from helpers.analysis.complexity import count_macs
    from helpers.models import create_model

    model = create_model(
        f"{net.kind}_cifar",
        depth=net.depth,
        width=profile.width,
        in_channels=in_channels,
        num_classes=10,
    )
    return count_macs(model, (1, in_channels, *hw))


def plan(
    ctx: Context, parts: tuple[str, ...], seeds: list[int], nets: list[Net]
) -> list[Task]:
    """Tasks in the order that makes the most important results exist first: per seed,
    the degradation runs, then the analyses of those nets, then the learning-rate sweep.
    """
    p, train, test = ctx.profile, ctx.train, ctx.test
    hw = tuple(train.images.shape[-2:])
    macs = {n: _macs(p, n, train.in_channels, hw) for n in nets}
    steps_per_epoch = max(1, len(train) // p.batch_size)
    total_steps = p.iterations or p.epochs * steps_per_epoch
    epochs = math.ceil(total_steps / steps_per_epoch)
    tasks: list[Task] = []
    for seed in seeds:
        for i, n in enumerate(nets):
            if "degradation" in parts:
                cost = macs[n] * (3 * total_steps * p.batch_size + epochs * len(test))
                tasks.append(
                    Task(
                        "degradation",
                        f"{n.name}/s{seed}",
                        seed,
                        cost,
                        lambda n=n, s=seed, i=i: ctx.trained(n, s, i) and None,
                    )
                )
        for part, images in (
            ("responses", RESPONSE_IMAGES),
            ("gradients", 12 * GRADIENT_IMAGES),
            ("lesion", LESION_IMAGES),
        ):
            if part not in parts:
                continue
            for i, n in enumerate(nets):
                cost = macs[n] * images * (1 if part != "lesion" else 1 + n.depth // 2)
                tasks.append(
                    Task(
                        part,
                        f"{n.name}/s{seed}",
                        seed,
                        cost,
                        functools.partial(getattr(ctx, part), n, seed, i),
                    )
                )
        if (
            "lr_sweep" in parts and seed == seeds[0]
        ):  # cheap and seed-insensitive: one seed
            cost = (
                _macs(p, Net("resnet", 8), train.in_channels, hw)
                * 3
                * len(SWEEP_LRS)
                * SWEEP_ITERATIONS
                * p.batch_size
            )
            tasks.append(
                Task(
                    "lr_sweep",
                    f"resnet-8/s{seed}",
                    seed,
                    cost,
                    lambda s=seed: ctx.lr_sweep(s),
                )
            )
    return tasks


def _clock(seconds: float) -> str:
    end = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    return end.strftime("%H:%M UTC")


def _raise_interrupt(
    signum, frame
):  # SIGTERM -> KeyboardInterrupt: fit saves a checkpoint
    raise KeyboardInterrupt


def run_profile(
    profile: Profile,
    *,
    out: Path,
    checkpoints: Path,
    parts: tuple[str, ...],
    seeds: list[int],
    depths: tuple[int, ...] | None = None,
    resnet110: bool | None = None,
    max_tasks: int | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run (or resume) every task of the plan; return counts of tasks run, skipped."""
    threads = profile.num_threads
    if threads:
        torch.set_num_threads(threads)
    ctx = Context(profile, out, checkpoints, seeds)
    nets = degradation_nets(profile, depths, resnet110)
    tasks = plan(ctx, parts, seeds, nets)
    todo = [t for t in tasks if not ctx.files[t.part].done(t.key)]
    log(
        f"profile {profile.name}: {len(tasks)} tasks, "
        f"{len(tasks) - len(todo)} already done; "
        f"results -> {out}, weights and checkpoints -> {checkpoints}"
    )
    log(
        f"{ctx.prov['dataset']['title']}: {len(ctx.train):,} training / "
        f"{len(ctx.test):,} test "
        f"images · {ctx.prov['device']['name']} · {ctx.prov['device']['precision']}"
    )
    total_cost = sum(t.cost for t in todo)
    spent, done_cost, t_all = 0, 0.0, time.perf_counter()
    rate = None  # seconds per MAC, measured as we go
    for i, task in enumerate(todo):
        if max_tasks is not None and i >= max_tasks:
            log(f"stopped after {max_tasks} tasks (--max-tasks); run again to continue")
            break
        remaining = total_cost - done_cost
        eta = (
            f" · about {remaining * rate / 60:.0f} min left, "
            f"ETA {_clock(remaining * rate)}"
            if rate
            else ""
        )
        log(f"[{i + 1}/{len(todo)}] {task.part} {task.key}{eta}")
        t0 = time.perf_counter()
        if ctx.files[task.part].done(task.key):  # an analysis trained this net already
            continue
        entry = task.run()
        if entry is not None:
            ctx.files[task.part].add(entry)
        took = time.perf_counter() - t0
        done_cost += task.cost
        spent += 1
        elapsed = time.perf_counter() - t_all
        rate = elapsed / done_cost if done_cost else None
        pct = 100 * done_cost / total_cost if total_cost else 100.0
        log(
            f"    done in {took:.0f} s · {pct:.0f}% of the estimated work · "
            f"{elapsed / 60:.1f} min so far"
        )
    log(
        f"finished: {spent} tasks run in {(time.perf_counter() - t_all) / 60:.1f} min; "
        f"results in {out}"
    )
    return {"tasks": len(tasks), "ran": spent, "skipped": len(tasks) - len(todo)}


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m helpers.reproduce", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--profile", required=True, choices=sorted(PROFILES))
    ap.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts (default: all of {','.join(PARTS)})",
    )
    ap.add_argument(
        "--seeds", default=None, help="comma-separated seeds (default: the profile's)"
    )
    ap.add_argument("--out", default="results", help="results root (default: results/)")
    ap.add_argument(
        "--checkpoints",
        default=None,
        help="weights and checkpoints (default: <model cache>/reference/<profile>)",
    )
    ap.add_argument(
        "--depths",
        default=None,
        help="comma-separated depths (default: profile's; "
        "CIFAR-10 profiles: 20,32,44,56 and ResNet-110)",
    )
    ap.add_argument(
        "--resnet110",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="add ResNet-110 with the paper's warm-up (default: on for CIFAR-10)",
    )
    ap.add_argument(
        "--max-tasks", type=int, default=None, help="stop after this many tasks"
    )
    ap.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="override the profile's schedule length (recorded in the provenance)",
    )
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    profile = get_profile(args.profile)
    if args.epochs:
        profile = profile.replace(epochs=args.epochs, iterations=None)
    parts = tuple(p.strip() for p in args.only.split(",") if p.strip())
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise SystemExit(f"unknown part(s) {unknown}; valid: {','.join(PARTS)}")
    seeds = (
        [int(s) for s in args.seeds.split(",")] if args.seeds else list(profile.seeds)
    )
    depths = tuple(int(d) for d in args.depths.split(",")) if args.depths else None
    if args.checkpoints:
        ckdir = Path(args.checkpoints)
    else:
        from helpers.experiments.cache import cache_dir

        ckdir = cache_dir() / "reference" / profile.name
    out = Path(args.out) / profile.name
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        run_profile(
            profile,
            out=out,
            checkpoints=ckdir,
            parts=parts,
            seeds=seeds,
            depths=depths,
            resnet110=args.resnet110,
            max_tasks=args.max_tasks,
            log=lambda s: print(s, flush=True),
        )
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
