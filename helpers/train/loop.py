"""The training loop: ``fit`` trains with SGD on the paper's schedule, returns a History.

Read it top-down: ``fit`` checks its inputs and runs epochs; an epoch is a sequence of
``train_step`` calls; the run's state (:class:`helpers.train.state.Run`: loader, optimizer,
precision, metrics, history) is built once per call of ``fit``, and the checkpointer and the
callbacks (progress bar, live plot) only read it. Per-step losses stay on the device and are
read back every ``log_every`` steps, which is also when a NaN is noticed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from helpers.core.device import resolve_device
from helpers.data import Dataset
from helpers.train.callbacks import Callback, ProgressBar
from helpers.train.checkpoint import Checkpointer
from helpers.train.config import TrainConfig
from helpers.train.history import History
from helpers.train.inference import evaluate
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
    train: Dataset,
    config: TrainConfig,
    val: Dataset | None = None,
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
    """
    _check_call(model, train, config, val, resume, on_nan)
    device = resolve_device(config.device)
    cuda = [device.index or 0] if device.type == "cuda" else []
    with _threads(config.num_threads), torch.random.fork_rng(devices=cuda):
        torch.manual_seed(
            config.seed
        )  # dropout etc.; the data order has its own generator
        run = Run(model, train, config, val)
        checkpointer = Checkpointer(config.checkpoint_path, config.checkpoint_every)
        if resume:
            checkpointer.resume(run)
        return _train(run, checkpointer, on_nan, callbacks)


def _check_call(model, train, config, val, resume, on_nan) -> None:
    """Every argument error, raised before anything is trained."""
    if on_nan not in ("raise", "stop"):
        raise ValueError(f"on_nan must be 'raise' or 'stop', got {on_nan!r}")
    if not isinstance(config, TrainConfig):
        raise TypeError(
            f"config must be a helpers.train.TrainConfig, got {type(config).__name__}"
        )
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    for name, data in (("train", train), ("val", val)):
        if data is not None and not isinstance(data, Dataset):
            raise TypeError(
                f"{name} must be a helpers.data.Dataset (uint8 images kept on the device and "
                f"augmented in batches), got {type(data).__name__}; load one with "
                "helpers.data.load_dataset(...) or wrap uint8 tensors in helpers.data.Dataset(...)"
            )
    if val is not None and (
        val.num_classes != train.num_classes
        or val.images.shape[1:] != train.images.shape[1:]
    ):
        raise ValueError(
            f"val ({val.name}) does not match train ({train.name}): other classes or image shape"
        )
    if len(train) < config.batch_size:
        raise ValueError(
            f"batch_size {config.batch_size} is larger than the training set ({len(train)} images)"
        )
    if resume and config.checkpoint_path is None:
        raise ValueError(
            "resume=True needs config.checkpoint_path (the file to continue from)"
        )


def _train(
    run: Run, checkpointer: Checkpointer, on_nan: str, extra: Sequence[Callback]
) -> History:
    bar = ProgressBar(run.total, run.progress.step, run.config.progress)
    callbacks = [bar, *extra]
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
        if checkpointer.path is not None:
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
    _finish(run.history, t_start, run.config)
    if run.config.progress:
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
        run.metrics.add(p.step, loss, err, y.shape[0])
        p.seen, p.step, p.batch = p.seen + y.shape[0], p.step + 1, p.batch + 1
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
        result = evaluate(
            run.model,
            run.val,
            run.device,
            channels_last=run.channels_last,
            amp=config.amp,
        )
        run.model.train()
        row["val_loss"], row["val_error"] = result["loss"], result["error"]
    run.history.epochs.append(row)
    run.metrics.reset_epoch()
    p.epoch, p.seen, p.batch, p.in_epoch = epoch, 0, 0, False
    for callback in callbacks:
        callback.on_epoch(run.history)


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
    _finish(run.history, t_start, run.config)
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


def _finish(history: History, t_start: float, config: TrainConfig) -> None:
    history.wall_time_s = _wall(history, t_start)
    steps = history.steps[-1]["step"] if history.steps else 0
    train_time = history.meta.get("train_time_s", 0.0)
    history.images_per_s = (
        steps * config.batch_size / train_time if train_time > 0 else 0.0
    )


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
