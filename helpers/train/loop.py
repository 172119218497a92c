"""The training loop: ``fit`` trains with SGD on the paper's schedule, returns a History.

Read it top-down: ``fit`` checks its inputs and runs epochs; an epoch is a sequence of
``train_step`` calls; :class:`StepMetrics` keeps per-step losses on the device and reads
them back only every ``log_every`` steps (so CUDA runs have no per-step host syncs),
which is also when a NaN is noticed; :class:`Run` holds what one call of ``fit`` builds,
and the checkpointer and the callbacks (progress bar, live plot) only read it.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from helpers.core.device import describe_device, resolve_device
from helpers.core.precision import amp_dtype, grad_scaler
from helpers.data import Dataset, DeviceLoader, Normalization, set_normalization
from helpers.train.callbacks import Callback, ProgressBar
from helpers.train.checkpoint import Checkpointer
from helpers.train.config import TrainConfig
from helpers.train.history import History
from helpers.train.inference import check_model_fits_data, evaluate
from helpers.train.schedule import lr_at, milestone_steps

__all__ = ["fit", "train_step", "StepMetrics", "Run", "TrainingDiverged"]


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


def make_optimizer(model: nn.Module, config: TrainConfig, device: torch.device):
    """SGD with momentum and L2 weight decay on all weights (He et al. 2016, Sec. 3.4)."""
    return torch.optim.SGD(
        model.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay,
        **({"fused": True} if device.type == "cuda" else {}),
    )


# ---------------------------------------------------------------- metrics
class StepMetrics:
    """Per-step loss and error in a ring of ``k`` device slots, and the epoch's sums."""

    def __init__(self, k: int, device: torch.device) -> None:
        self.k = k
        self.acc = {
            "win_loss": torch.zeros(k, device=device),
            "win_err": torch.zeros(k, device=device),
            "ep_loss": torch.zeros((), device=device),
            "ep_err": torch.zeros((), device=device),
        }

    @torch.no_grad()
    def add(self, step: int, loss: torch.Tensor, err: torch.Tensor, n: int) -> None:
        """Record 0-based ``step`` (device ops only)."""
        self.acc["win_loss"][step % self.k] = loss
        self.acc["win_err"][step % self.k] = err
        self.acc["ep_loss"] += loss * n
        self.acc["ep_err"] += err * n

    def window(self, step: int) -> int:
        """How many of the last steps up to ``step`` (1-based count) the ring holds."""
        return (step - 1) % self.k + 1

    def first_bad(self, step: int) -> tuple[int, float] | None:
        """(step, loss) of the first NaN/inf loss in this window (one host sync)."""
        n = self.window(step)
        losses = self.acc["win_loss"][:n]
        finite = torch.isfinite(losses)
        if bool(finite.all()):
            return None
        i = int((~finite).nonzero()[0])
        return step - n + i + 1, float(losses[i])

    def window_means(self, step: int) -> tuple[float, float]:
        n = self.window(step)
        return float(self.acc["win_loss"][:n].mean()), float(
            self.acc["win_err"][:n].mean()
        )

    def epoch_means(self, seen: int) -> tuple[float, float]:
        """Mean training loss and error over the epoch's ``seen`` images."""
        n = max(seen, 1)
        return float(self.acc["ep_loss"]) / n, float(self.acc["ep_err"]) / n

    def reset_epoch(self) -> None:
        self.acc["ep_loss"].zero_()
        self.acc["ep_err"].zero_()

    def state_dict(self) -> dict:
        return {key: v.detach().cpu().clone() for key, v in self.acc.items()}

    def load_state_dict(self, state: dict) -> None:
        for key, value in self.acc.items():
            value.copy_(state[key])


class GoodWeights:
    """A copy of the model's weights from the last check at which losses and weights
    were finite, so that a run that diverges can hand back a usable model."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.copy = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.step = 0

    def update(self, step: int) -> None:
        params = [p.detach() for p in self.model.parameters()]
        if params and not bool(
            torch.stack([torch.isfinite(p).all() for p in params]).all()
        ):
            return
        for key, value in self.model.state_dict().items():
            self.copy[key].copy_(value)
        self.step = step

    def restore(self) -> int:
        """Put the saved weights back into the model; returns the step they are from."""
        self.model.load_state_dict(self.copy)
        return self.step


# ---------------------------------------------------------------- the run
@dataclass
class Progress:
    """Where a run is: what a checkpoint saves and a resume restores."""

    step: int = 0  # optimizer steps done
    epoch: int = 0  # epochs completed
    batch: int = 0  # batches done in the current epoch
    seen: int = 0  # images seen in the current epoch
    in_epoch: bool = (
        False  # inside an epoch (an interrupt there saves a mid-epoch checkpoint)
    )


class Run:
    """What one call of ``fit`` builds: loader, optimizer, precision, metrics, history."""

    def __init__(
        self, model: nn.Module, train: Dataset, config: TrainConfig, val: Dataset | None
    ) -> None:
        self.config, self.model, self.train_data, self.val = config, model, train, val
        self.device = device = resolve_device(config.device)
        fmt = torch.channels_last if config.channels_last else torch.preserve_format
        model.to(device=device, memory_format=fmt)
        check_model_fits_data(model, train, device)
        self.normalization = Normalization.of(config.normalize, train)
        set_normalization(model, self.normalization)
        self.loader = DeviceLoader(
            train,
            config.batch_size,
            train=True,
            augment=config.augment,
            device=device,
            seed=config.seed,
            normalize=self.normalization,
            channels_last=config.channels_last,
        )
        self.steps_per_epoch = len(self.loader)
        self.total = config.iterations or config.epochs * self.steps_per_epoch
        self.n_epochs = math.ceil(self.total / self.steps_per_epoch)
        if config.schedule == "step":
            milestone_steps(config, self.total)  # a milestone past the end raises here
        self.optimizer = make_optimizer(model, config, device)
        self.dtype = amp_dtype(device, config.amp)
        self.scaler = grad_scaler(device, self.dtype)
        self.forward = torch.compile(model) if config.compile else model
        self.metrics = StepMetrics(config.log_every, device)
        self.progress = Progress()
        self.history = History(
            device=describe_device(device, self.dtype),
            config=config.to_dict(),
            meta={
                "dataset": train.name,
                "train_images": len(train),
                "steps_per_epoch": self.steps_per_epoch,
                "total_steps": self.total,
                "train_time_s": 0.0,
            },
        )

    @property
    def finished(self) -> bool:
        return self.progress.epoch >= self.n_epochs or self.progress.step >= self.total

    def lr(self, step: int) -> float:
        return lr_at(step, self.config, self.total)

    def state_dict(self) -> dict:
        """Everything a bitwise-identical resume needs (tensors, plain containers)."""
        p = self.progress
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler.is_enabled() else {},
            "loader": self.loader.state_dict(restart_epoch=p.in_epoch),
            "torch_rng": torch.get_rng_state(),
            "acc": self.metrics.state_dict(),
            "step": p.step,
            "epoch": p.epoch,
            "batch": p.batch if p.in_epoch else 0,
            "ep_seen": p.seen if p.in_epoch else 0,
            "history": self.history.to_dict(),
            "normalization": self.normalization.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.loader.load_state_dict(state["loader"])
        torch.set_rng_state(state["torch_rng"])
        self.metrics.load_state_dict(state["acc"])
        self.progress = Progress(
            state["step"], state["epoch"], state["batch"], state["ep_seen"]
        )
        self.history = History.from_dict(state["history"])
        self.history.meta["wall_before_s"] = self.history.wall_time_s


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
        lr = run.lr(p.step)
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
        "lr": run.lr(p.step - 1),
        "time_s": train_time,
    }
    due = config.eval_every and epoch % config.eval_every == 0
    if run.val is not None and (due or last):
        result = evaluate(
            run.model,
            run.val,
            run.device,
            channels_last=config.channels_last,
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
    lr = run.lr(step - 1)
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


# ---------------------------------------------------------------- timing
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
