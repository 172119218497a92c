"""The training loop: ``fit`` trains with SGD on the paper's schedule, returns a History.

Read it top-down: ``fit`` checks its inputs and runs epochs; an epoch is a sequence of
``train_step`` calls; the run's state (:class:`helpers.train.state.Run`: loader, optimizer,
precision, metrics, history) is built once per call of ``fit``, and the checkpointer and the
callbacks (progress bar, live plot) only read it. Per-step losses stay on the device and are
read back every ``log_every`` steps, which is also when a NaN is noticed.

Under ``torchrun`` the same code trains data-parallel (:mod:`helpers.train.distributed`):
each process computes its share of every global batch, DDP averages the gradients, the
per-step loss and error are averaged over the processes (so every process sees the same
numbers, NaNs included, and all stop together), and only rank 0 writes checkpoints and
shows progress.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from helpers.train.arguments import check_fit_arguments
from helpers.train.callbacks import Callback, ProgressBar
from helpers.train.checkpoint import Checkpointer
from helpers.train.config import TrainConfig
from helpers.train.distributed import agree, setup
from helpers.train.history import History
from helpers.train.inference import evaluate, evaluate_stream
from helpers.train.schedule import lr_at
from helpers.train.state import GoodWeights, Run

__all__ = ["fit", "train_step", "TrainingDiverged"]


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf; the message names the step and learning rate."""

    def __init__(self, message: str, step: int, lr: float) -> None:
        super().__init__(message)
        self.step, self.lr = step, lr


# ---------------------------------------------------------------- one step
def train_step(
    forward: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    dtype: torch.dtype | None,
    grad_clip: float | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One SGD step on a batch; returns (loss, error rate) without a host sync."""
    with torch.autocast(x.device.type, dtype=dtype, enabled=dtype is not None):
        logits = forward(x)
        loss = F.cross_entropy(logits, y)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()  # the scaler is a no-op unless fp16 autocast is on
    if grad_clip is not None:
        scaler.unscale_(optimizer)
        params = [p for group in optimizer.param_groups for p in group["params"]]
        nn.utils.clip_grad_norm_(params, grad_clip)
    scaler.step(optimizer)
    scaler.update()
    return loss.detach().float(), (logits.detach().argmax(1) != y).float().mean()


# ---------------------------------------------------------------- fit
def fit(
    model: nn.Module,
    train,
    config: TrainConfig,
    val=None,
    resume: bool = False,
    on_nan: str = "raise",
    callbacks: Sequence[Callback] = (),
) -> History:
    """Train ``model`` on ``train`` with SGD + momentum (He et al., 2016, Sec. 4.2).

    Evaluates on ``val`` every ``config.eval_every`` epochs. The model records the input
    normalisation it is trained with (``helpers.data.normalization_of(model)``), which
    ``evaluate``/``predict`` then use. With ``config.checkpoint_path`` it saves every
    ``checkpoint_every`` epochs and on KeyboardInterrupt (then re-raises);
    ``resume=True`` continues from that checkpoint (or starts fresh if the file does not
    exist yet) and on CPU ends bitwise identical to an uninterrupted run. A NaN/inf loss
    puts back the weights of the last finite check and raises :class:`TrainingDiverged`
    (``on_nan="raise"``) or returns the history so far with ``history.diverged`` set
    (``on_nan="stop"``). The caller's global RNG state is left as it was. ``callbacks``
    (e.g. :func:`helpers.book.plots.live_plot`) see each log entry and each epoch's history.

    ``train``/``val`` are :class:`helpers.data.Dataset`s (kept on the device) or image
    folders (:func:`helpers.data.imagefolder.load_image_folder`, streamed). Started by
    ``torchrun``, every process runs this same call (see the module docstring); a bad
    launch raises :class:`helpers.core.dist.LaunchError` on all of them before training.
    """
    check_fit_arguments(model, train, config, val, resume, on_nan)
    parallel = setup(config)
    agree(parallel, config, model, train)
    device = parallel.device
    cuda = [device.index or 0] if device.type == "cuda" else []
    with _threads(config.num_threads), torch.random.fork_rng(devices=cuda):
        torch.manual_seed(
            config.seed
        )  # dropout etc.; the data order has its own generator
        run = Run(model, train, config, val, parallel)
        checkpointer = Checkpointer(
            config.checkpoint_path, config.checkpoint_every, write=parallel.is_main
        )
        if resume:
            checkpointer.resume(run)
        return _train(run, checkpointer, on_nan, callbacks)


def _train(
    run: Run, checkpointer: Checkpointer, on_nan: str, extra: Sequence[Callback]
) -> History:
    main = run.parallel.is_main  # only rank 0 shows progress and calls back
    bar = ProgressBar(run.total, run.progress.step, run.config.progress and main)
    callbacks = [bar, *extra] if main else [bar]
    good = GoodWeights(run.model)
    t_start = time.perf_counter()
    run.model.train()
    try:
        while not run.finished:
            bad = _train_epoch(run, good, callbacks)
            if bad is not None:
                return _diverged(run, bad, good, checkpointer, on_nan, t_start)
            _end_epoch(run, callbacks)
            if checkpointer.due(run.progress.epoch, run.finished):
                run.history.wall_time_s = _wall(run.history, t_start)
                checkpointer.save(run)
    except KeyboardInterrupt:
        if checkpointer.path is not None and main:
            run.history.wall_time_s = _wall(run.history, t_start)
            checkpointer.save(run)
            callbacks[0].write(
                f"Interrupted at step {run.progress.step}; checkpoint saved to "
                f"{checkpointer.path} (resume with fit(..., resume=True))."
            )
        raise
    finally:
        for callback in callbacks:
            callback.close()
    _finish(run, t_start)
    if run.config.progress and main:
        print(_summary(run.history))
    return run.history


def _train_epoch(
    run: Run, good: GoodWeights, callbacks: list
) -> tuple[int, float] | None:
    """Steps until the epoch or the run ends; returns (step, loss) of a NaN loss, else
    None."""
    p, k = run.progress, run.metrics.k
    p.in_epoch, run.epoch_start = True, time.perf_counter()
    for x, y in run.loader.iter_epoch(p.batch):
        if p.step >= run.total:
            break
        lr = _lr(run, p.step)
        for group in run.optimizer.param_groups:
            group["lr"] = lr
        loss, err = train_step(
            run.forward,
            x,
            y,
            run.optimizer,
            run.scaler,
            run.dtype,
            run.config.grad_clip,
        )
        loss, err = run.parallel.mean(loss, err)  # the global batch's, on every rank
        n = y.shape[0] * run.parallel.world
        run.metrics.add(p.step, loss, err, n)
        p.seen, p.step, p.batch = p.seen + n, p.step + 1, p.batch + 1
        if p.step % k == 0 or p.step == run.total:
            bad = run.metrics.first_bad(p.step)
            if bad is not None:
                return bad
            good.update(p.step)
            loss_mean, err_mean = run.metrics.window_means(p.step)
            entry = {
                "step": p.step,
                "epoch": p.step / run.steps_per_epoch,
                "loss": loss_mean,
                "error": err_mean,
                "lr": lr,
            }
            run.history.steps.append(entry)
            for callback in callbacks:
                callback.on_log(entry)
    if p.step % k:  # the epoch ended inside a logging window: check its part
        bad = run.metrics.first_bad(p.step)
        if bad is not None:
            return bad
        good.update(p.step)
    return None


def _end_epoch(run: Run, callbacks: list) -> None:
    """Record the epoch's training metrics, evaluate on ``val`` when due, reset the
    counters."""
    p, config = run.progress, run.config
    if run.device.type == "cuda":
        torch.cuda.synchronize(run.device)
    train_time = time.perf_counter() - run.epoch_start
    run.history.meta["train_time_s"] += train_time
    epoch = p.epoch + 1
    last = epoch >= run.n_epochs or p.step >= run.total
    train_loss, train_error = run.metrics.epoch_means(p.seen)
    row = {
        "epoch": epoch,
        "train_loss": train_loss,
        "train_error": train_error,
        "val_loss": None,
        "val_error": None,
        "lr": _lr(run, p.step - 1),
        "time_s": train_time,
    }
    due = config.eval_every and epoch % config.eval_every == 0
    if run.val is not None and (due or last):
        row.update(_validate(run))
    run.history.epochs.append(row)
    run.metrics.reset_epoch()
    p.epoch, p.seen, p.batch, p.in_epoch = epoch, 0, 0, False
    for callback in callbacks:
        callback.on_epoch(run.history)


def _validate(run: Run) -> dict:
    """Validation loss and error (each process evaluates a held-in-memory set whole; a
    streamed one is split over the processes and the sums all-reduced)."""
    if run.val_loader is not None:
        result = evaluate_stream(run.model, run.val_loader, run.dtype)
        out = {"val_top5_error": result["top5_error"]}
    else:
        result = evaluate(
            run.model,
            run.val,
            run.device,
            channels_last=run.channels_last,
            amp=run.config.amp,
        )
        out = {}
    run.model.train()
    return {"val_loss": result["loss"], "val_error": result["error"], **out}


def _diverged(
    run: Run,
    bad: tuple[int, float],
    good: GoodWeights,
    checkpointer: Checkpointer,
    on_nan: str,
    t_start: float,
) -> History:
    step, value = bad
    lr = _lr(run, step - 1)
    restored = good.restore()
    _finish(run, t_start)
    run.history.diverged = {
        "step": step,
        "lr": lr,
        "loss": value,
        "weights_from_step": restored,
    }
    if on_nan == "stop":
        return run.history
    path = checkpointer.path
    kept = (
        f" The last good checkpoint {path} was kept."
        if path is not None and path.exists()
        else ""
    )
    raise TrainingDiverged(
        f"training diverged: loss became {value} at step {step} (learning rate "
        f"{lr:g}). The model holds the weights after step {restored}, the last check "
        f"with finite losses.{kept} Try a smaller lr, a warm-up (warmup_iters/warmup_lr) "
        "or grad_clip.",
        step,
        lr,
    )


# ---------------------------------------------------------------- schedule and timing
def _lr(run: Run, step: int) -> float:
    """The learning rate of 0-based ``step`` on the run's schedule (Sec. 4.2: divided by 10
    at the milestones)."""
    return lr_at(step, run.config, run.total)


@contextlib.contextmanager
def _threads(n: int | None):
    old = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _wall(history: History, t_start: float) -> float:
    """Wall time over all sessions of this run (a resumed run continues the saved
    count)."""
    return history.meta.get("wall_before_s", 0.0) + time.perf_counter() - t_start


def _finish(run: Run, t_start: float) -> None:
    """Wall time and throughput: images/s of the whole job (all processes) and of each
    process (its share of the images over its own training time)."""
    history = run.history
    history.wall_time_s = _wall(history, t_start)
    steps = history.steps[-1]["step"] if history.steps else 0
    train_time = history.meta.get("train_time_s", 0.0)
    rate = steps * run.config.batch_size / train_time if train_time > 0 else 0.0
    history.images_per_s = rate
    history.meta["images_per_s_per_rank"] = run.parallel.gather(
        rate / run.parallel.world
    )
    wait = getattr(run.loader, "wait_s", None)
    if wait is not None:
        history.meta["loader_wait_s"] = wait


def _summary(h: History) -> str:
    parts = [
        f"{len(h.epochs)} epochs",
        f"{h.wall_time_s:.1f} s",
        f"{h.images_per_s:,.0f} img/s",
    ]
    if h.final("train_error") is not None:
        parts.append(f"train error {h.final('train_error'):.2%}")
    if h.final("val_error") is not None:
        parts.append(f"val error {h.final('val_error'):.2%}")
    return "done: " + " · ".join(parts)
