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

Experiments (the book's chapters 3 and 4; :mod:`helpers.experiments.tasks`):

* ``degradation``: plain and residual CIFAR-style nets at the profile's depths (CIFAR-10
  profiles: 20, 32, 44, 56 and ResNet-110 with the paper's warm-up), training and test
  error per epoch (He et al. 2016, Fig. 6);
* ``responses``: standard deviation of every block's residual-branch output on 500 test
  images (Fig. 7);
* ``gradients``: per-block gradient norms at initialisation and after training;
* ``lesion``: test error with one block deleted (Veit et al. 2016);
* ``lr_sweep``: ResNet-8 at constant learning rates 0.01 to 100 (chapter 4), first seed.

This module plans the tasks and runs them; the command line is :mod:`helpers.reproduce`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from helpers.core.precision import cpu_float32
from helpers.experiments import tasks
from helpers.experiments.context import Context, Net, degradation_nets
from helpers.experiments.profiles import Profile
from helpers.experiments.results import PrecisionMismatch, command_line

__all__ = ["Task", "plan", "run_profile", "check_precision", "default_checkpoints"]

# the analyses of the trained nets, and how many images each forward pass sees (ETA)
_ANALYSES = (
    ("responses", tasks.RESPONSE_IMAGES),
    ("gradients", 12 * tasks.GRADIENT_IMAGES),
    ("lesion", tasks.LESION_IMAGES),
)


@dataclass
class Task:
    """One run of one part: ``run()`` returns its results entry (None: nothing to add)."""

    part: str
    key: str
    seed: int
    cost: float  # estimated multiply-accumulates (for the ETA)
    run: Callable[[], dict[str, Any] | None]


def default_checkpoints(profile: Profile) -> Path:
    """Where weights and checkpoints go unless ``--checkpoints`` says: outside git."""
    from helpers.core.paths import cache_root

    return cache_root() / "reference" / profile.name


# --------------------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------------------


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


def _train(ctx: Context, net: Net, seed: int, order: int) -> None:
    """The degradation task: train ``net`` unless its weights exist (``trained``
    records its entry, so the task returns none)."""
    tasks.trained(ctx, net, seed, order)


def _train_all(ctx: Context, seed: int, nets: list[Net], macs: dict) -> list[Task]:
    """The degradation runs of one seed (cost: 3 passes per step, one test pass per
    epoch)."""
    p = ctx.profile
    steps_per_epoch = max(1, len(ctx.train) // p.batch_size)
    total_steps = p.iterations or p.epochs * steps_per_epoch
    epochs = math.ceil(total_steps / steps_per_epoch)
    return [
        Task(
            "degradation",
            f"{n.name}/s{seed}",
            seed,
            macs[n] * (3 * total_steps * p.batch_size + epochs * len(ctx.test)),
            functools.partial(_train, ctx, n, seed, i),
        )
        for i, n in enumerate(nets)
    ]


def _analyse_all(
    ctx: Context, parts: tuple[str, ...], seed: int, nets: list[Net], macs: dict
) -> list[Task]:
    """The analyses of one seed's trained nets, part by part."""
    out = []
    for part, images in _ANALYSES:
        if part not in parts:
            continue
        for i, n in enumerate(nets):
            cost = macs[n] * images * (1 if part != "lesion" else 1 + n.depth // 2)
            run = functools.partial(getattr(tasks, part), ctx, n, seed, i)
            out.append(Task(part, f"{n.name}/s{seed}", seed, cost, run))
    return out


def plan(
    ctx: Context, parts: tuple[str, ...], seeds: list[int], nets: list[Net]
) -> list[Task]:
    """Tasks in the order that makes the most important results exist first: per seed,
    the degradation runs, then the analyses of those nets, then the learning-rate sweep.
    """
    p, train = ctx.profile, ctx.train
    hw = tuple(train.images.shape[-2:])
    macs = {n: _macs(p, n, train.in_channels, hw) for n in nets}
    out: list[Task] = []
    for seed in seeds:
        if "degradation" in parts:
            out += _train_all(ctx, seed, nets, macs)
        out += _analyse_all(ctx, parts, seed, nets, macs)
        if (
            "lr_sweep" in parts and seed == seeds[0]
        ):  # cheap, seed-insensitive: one seed
            sweep_macs = _macs(p, Net("resnet", 8), train.in_channels, hw)
            n_lrs, n_steps = len(tasks.SWEEP_LRS), tasks.SWEEP_ITERATIONS
            cost = sweep_macs * 3 * n_lrs * n_steps * p.batch_size
            run = functools.partial(tasks.lr_sweep, ctx, seed)
            out.append(Task("lr_sweep", f"resnet-8/s{seed}", seed, cost, run))
    return out


# --------------------------------------------------------------------------------------
# Run
# --------------------------------------------------------------------------------------


def _clock(seconds: float) -> str:
    end = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    return end.strftime("%H:%M UTC")


@contextlib.contextmanager
def _claim(path: Path) -> Iterator[bool]:
    """Claim a task for this process (a file holding its pid, created exclusively), so
    that two workers started with the same command share the tasks instead of both
    training the same net; a claim whose process is gone is taken over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if _alive(path):
                yield False
                return
            path.unlink(missing_ok=True)  # its worker died: take it over
            continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        try:
            yield True
        finally:
            path.unlink(missing_ok=True)
        return
    yield False


def _alive(claim: Path) -> bool:
    """Whether the process named in ``claim`` still runs (on this machine)."""
    try:
        pid = int(claim.read_text())
        if pid <= 0:
            return False
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError, FileNotFoundError):
        return False
    except PermissionError:  # a live process of another user
        return True
    return True


def _run_tasks(
    ctx: Context,
    todo: list[Task],
    max_tasks: int | None,
    log: Callable[[str], None],
) -> int:
    """Run ``todo`` in order, recording each entry as it finishes, with an ETA measured
    as it goes; return the number of tasks run."""
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
        with _claim(
            ctx.ckdir / f"{task.part}-{task.key.replace('/', '-')}.claim"
        ) as mine:
            if not mine:
                log("    another worker has it; next task")
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
    return spent


def check_precision(ctx: Context) -> None:
    """The runs of one profile are compared with each other (plain against ResNet, seed
    against seed), so they share one training precision: bf16 autocast on a CPU with
    AVX512-BF16 changes the numbers against float32 elsewhere."""
    here, machine = ctx.prov["device"]["precision"], ctx.prov["device"]["name"]
    wanted = ctx.profile.precision
    if wanted is not None and wanted != here:
        raise PrecisionMismatch(
            f"profile {ctx.profile.name} trains in {wanted}, and this machine ({machine}) "
            f"trains in {here}; run it where training uses {wanted} (float32: any CPU; "
            "bf16: a CPU with AVX512-BF16 or AMX, or an A100-class GPU), or pass "
            "--other-precision"
        )
    stored = ctx.files["degradation"].precisions() - {here}
    if stored:
        raise PrecisionMismatch(
            f"{ctx.out} holds runs trained in {', '.join(sorted(stored))}, and this "
            f"machine ({machine}) trains in {here}; finish the profile "
            "on a machine like the one that started it, or pass --other-precision to "
            "record runs of both precisions (each run says its own)"
        )


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
    command: str | None = None,
    other_precision: bool = False,
) -> dict[str, Any]:
    """Run (or resume) every task of the plan; return counts of tasks run, skipped.

    ``command`` is recorded in the provenance (default: this process's arguments).
    A float32 profile trains in float32 on a CPU with bf16 instructions too. Unless
    ``other_precision`` (train in this machine's own precision), a profile that names a
    precision (``Profile.precision``) or whose stored runs used one, other than this
    machine's, raises :class:`PrecisionMismatch` before any work.
    """
    if profile.num_threads:
        torch.set_num_threads(profile.num_threads)
    command = command or command_line(sys.argv[1:])
    own = other_precision or profile.precision != "float32"
    with contextlib.nullcontext() if own else cpu_float32():
        ctx = Context(profile, out, checkpoints, seeds, command)
        if not other_precision:
            check_precision(ctx)
        return _run_plan(ctx, parts, seeds, depths, resnet110, max_tasks, log)


def _run_plan(
    ctx: Context,
    parts: tuple[str, ...],
    seeds: list[int],
    depths: tuple[int, ...] | None,
    resnet110: bool | None,
    max_tasks: int | None,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Plan the profile's tasks, run those not done yet, and count them."""
    profile, out, checkpoints = ctx.profile, ctx.out, ctx.ckdir
    tasks_ = plan(ctx, parts, seeds, degradation_nets(profile, depths, resnet110))
    todo = [t for t in tasks_ if not ctx.files[t.part].done(t.key)]
    log(
        f"profile {profile.name}: {len(tasks_)} tasks, "
        f"{len(tasks_) - len(todo)} already done; "
        f"results -> {out}, weights and checkpoints -> {checkpoints}"
    )
    log(
        f"{ctx.prov['dataset']['title']}: {len(ctx.train):,} training / "
        f"{len(ctx.test):,} test "
        f"images · {ctx.prov['device']['name']} · {ctx.prov['device']['precision']}"
    )
    t_all = time.perf_counter()
    spent = _run_tasks(ctx, todo, max_tasks, log)
    log(
        f"finished: {spent} tasks run in {(time.perf_counter() - t_all) / 60:.1f} min; "
        f"results in {out}"
    )
    return {"tasks": len(tasks_), "ran": spent, "skipped": len(tasks_) - len(todo)}
