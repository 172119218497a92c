"""The training loop: ``fit`` (SGD with the paper's schedule), ``evaluate`` and ``predict``.

One small explicit function that returns a :class:`History`. Metrics are accumulated on the
device and read back only every ``log_every`` steps, so CUDA runs have no per-step host syncs.
"""

from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..data import Dataset, DeviceLoader
from .checkpoint import check_compatible, load_checkpoint, model_signature, save_checkpoint
from .config import TrainConfig
from .history import History
from .schedule import lr_at

__all__ = ["fit", "evaluate", "predict", "TrainingDiverged", "resolve_device", "describe_device"]


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf; the message names the step and learning rate."""

    def __init__(self, message: str, step: int, lr: float) -> None:
        super().__init__(message)
        self.step, self.lr = step, lr


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def describe_device(device: torch.device, amp_dtype: torch.dtype | None = None) -> str:
    precision = {torch.bfloat16: ", bf16 autocast", torch.float16: ", fp16 autocast"}.get(amp_dtype, "")
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)}{precision})"
    return f"cpu ({torch.get_num_threads()} threads{precision})"


def cpu_has_fast_bf16() -> bool:
    """True on CPUs with AMX tiles (e.g. Xeon Sapphire Rapids), where bf16 convolutions are
    markedly faster than fp32; elsewhere bf16 is emulated and slower, so CPU stays fp32."""
    try:
        return bool(torch.cpu._is_amx_tile_supported() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _amp_dtype(device: torch.device, amp: bool) -> torch.dtype | None:
    """Autocast dtype: bf16 where the GPU supports it, else fp16 (T4 has no bf16);
    bf16 on CPUs with AMX; None (fp32) otherwise."""
    if not amp:
        return None
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu" and cpu_has_fast_bf16():
        return torch.bfloat16
    return None


@contextlib.contextmanager
def _threads(n: int | None):
    old = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def fit(
    model: nn.Module,
    train: Dataset,
    config: TrainConfig,
    val: Dataset | None = None,
    resume: bool = False,
    on_nan: str = "raise",
) -> History:
    """Train ``model`` on ``train`` with SGD + momentum (He et al., 2016, Sec. 3.4 / 4.2).

    Evaluates on ``val`` every ``config.eval_every`` epochs. With ``config.checkpoint_path`` it
    saves every ``checkpoint_every`` epochs and on KeyboardInterrupt (then re-raises);
    ``resume=True`` continues from that checkpoint (or starts fresh if there is none) and on CPU
    ends bitwise identical to an uninterrupted run. A NaN/inf loss raises
    :class:`TrainingDiverged` (``on_nan="raise"``) or returns the history so far with
    ``history.diverged`` set (``on_nan="stop"``).
    """
    if on_nan not in ("raise", "stop"):
        raise ValueError(f"on_nan must be 'raise' or 'stop', got {on_nan!r}")
    with _threads(config.num_threads):
        return _fit(model, train, config, val, resume, on_nan)


def _fit(model, train, config, val, resume, on_nan) -> History:
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    memory_format = torch.channels_last if config.channels_last else torch.preserve_format
    model.to(device=device, memory_format=memory_format)
    loader = DeviceLoader(
        train, config.batch_size, train=True, augment=config.augment, device=device,
        seed=config.seed, normalize=config.normalize, channels_last=config.channels_last,
    )
    steps_per_epoch = len(loader)
    if steps_per_epoch == 0:
        raise ValueError(f"batch_size {config.batch_size} is larger than the training set ({len(train)} images)")
    total = config.iterations or config.epochs * steps_per_epoch
    n_epochs = math.ceil(total / steps_per_epoch)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=config.momentum, nesterov=config.nesterov,
        weight_decay=config.weight_decay, **({"fused": True} if device.type == "cuda" else {}),
    )
    amp_dtype = _amp_dtype(device, config.amp)
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    forward = torch.compile(model) if config.compile else model

    k = max(1, config.log_every)
    acc = {  # device-side accumulators: per-step window buffers and epoch sums
        "win_loss": torch.zeros(k, device=device), "win_err": torch.zeros(k, device=device),
        "ep_loss": torch.zeros((), device=device), "ep_err": torch.zeros((), device=device),
    }
    history = History(device=describe_device(device, amp_dtype), config=config.to_dict(),
                      meta={"dataset": train.name, "train_images": len(train), "steps_per_epoch": steps_per_epoch,
                            "total_steps": total, "train_time_s": 0.0})
    step, epoch, start_batch, ep_seen = 0, 0, 0, 0
    ckpt_path = Path(config.checkpoint_path) if config.checkpoint_path else None

    if resume and ckpt_path is not None and ckpt_path.exists():
        state = load_checkpoint(ckpt_path)
        check_compatible(ckpt_path, state, model, config)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        loader.load_state_dict(state["loader"])
        torch.set_rng_state(state["torch_rng"])
        for key in acc:
            acc[key] = state["acc"][key].to(device)
        step, epoch, start_batch, ep_seen = state["step"], state["epoch"], state["batch"], state["ep_seen"]
        history = History.from_dict(state["history"])
        history.meta["wall_before_s"] = history.wall_time_s

    def snapshot(mid_epoch: bool, batch: int, ep: int, seen: int) -> dict:
        return {
            "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scaler": scaler.state_dict() if scaler.is_enabled() else {},
            "loader": loader.state_dict(restart_epoch=mid_epoch), "torch_rng": torch.get_rng_state(),
            "acc": {key: v.detach().cpu().clone() for key, v in acc.items()},
            "step": step, "epoch": ep, "batch": batch, "ep_seen": seen,
            "history": history.to_dict(), "config": config.to_dict(), "model_signature": model_signature(model),
        }

    def check_window(upto: int) -> tuple[int, float] | None:
        """Return (bad step, loss) if a loss in the current window is NaN/inf (one host sync)."""
        n = (step - 1) % k + 1 if upto else 0
        losses = acc["win_loss"][:n]
        finite = torch.isfinite(losses)
        if bool(finite.all()):
            return None
        i = int((~finite).nonzero()[0])
        return step - n + i + 1, float(losses[i])

    from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=step, disable=not config.progress, leave=True, unit="step",
               miniters=max(1, total // 20), mininterval=2.0, dynamic_ncols=True)
    live = _LivePlot() if config.live_plot else None
    t_start = time.perf_counter()
    model.train()
    batch = start_batch
    epoch_done = False
    try:
        while epoch < n_epochs and step < total:
            t_epoch = time.perf_counter()
            epoch_done = False
            batch = start_batch
            for x, y in loader.iter_epoch(start_batch):
                if step >= total:
                    break
                lr = lr_at(step, config, total)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                    logits = forward(x)
                    loss = F.cross_entropy(logits, y)
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                if config.grad_clip is not None:
                    scaler.unscale_(optimizer)
                    nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                scaler.step(optimizer)
                scaler.update()
                with torch.no_grad():
                    loss_d = loss.detach().float()
                    err_d = (logits.argmax(1) != y).float().mean()
                    acc["win_loss"][step % k] = loss_d
                    acc["win_err"][step % k] = err_d
                    acc["ep_loss"] += loss_d * y.shape[0]
                    acc["ep_err"] += err_d * y.shape[0]
                ep_seen += y.shape[0]
                step += 1
                batch += 1
                if step % k == 0 or step == total:
                    bad = check_window(1)
                    if bad is not None:
                        return _diverged(history, bad, config, ckpt_path, on_nan, bar, t_start, lr)
                    n = (step - 1) % k + 1
                    entry = {"step": step, "epoch": step / steps_per_epoch,
                             "loss": float(acc["win_loss"][:n].mean()), "error": float(acc["win_err"][:n].mean()), "lr": lr}
                    history.steps.append(entry)
                    bar.set_postfix(loss=f"{entry['loss']:.3f}", err=f"{entry['error']:.1%}", lr=f"{lr:.3g}", refresh=False)
                    bar.update(step - bar.n)
            # ---- end of epoch: check, evaluate, record, checkpoint
            bad = check_window(step % k)
            if bad is not None:
                return _diverged(history, bad, config, ckpt_path, on_nan, bar, t_start, lr_at(bad[0] - 1, config, total))
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            train_time = time.perf_counter() - t_epoch
            history.meta["train_time_s"] += train_time
            epoch += 1
            row = {"epoch": epoch, "train_loss": float(acc["ep_loss"]) / max(ep_seen, 1),
                   "train_error": float(acc["ep_err"]) / max(ep_seen, 1), "val_loss": None, "val_error": None,
                   "lr": lr_at(step - 1, config, total), "time_s": train_time}
            last = epoch == n_epochs or step >= total
            if val is not None and ((config.eval_every and epoch % config.eval_every == 0) or last):
                result = evaluate(model, val, device, normalize=config.normalize, channels_last=config.channels_last,
                                  amp=config.amp, reference=train)
                model.train()
                row["val_loss"], row["val_error"] = result["loss"], result["error"]
            history.epochs.append(row)
            acc["ep_loss"].zero_()
            acc["ep_err"].zero_()
            ep_seen, start_batch = 0, 0
            epoch_done = True
            if live is not None:
                live.update(history)
            if ckpt_path is not None and (epoch % max(1, config.checkpoint_every) == 0 or last):
                history.wall_time_s = _wall(history, t_start)
                save_checkpoint(ckpt_path, snapshot(False, 0, epoch, 0))
    except KeyboardInterrupt:
        if ckpt_path is not None:
            history.wall_time_s = _wall(history, t_start)
            if epoch_done:
                save_checkpoint(ckpt_path, snapshot(False, 0, epoch, 0))
            else:
                save_checkpoint(ckpt_path, snapshot(True, batch, epoch, ep_seen))
            bar.write(f"Interrupted at step {step}; checkpoint saved to {ckpt_path} (resume with fit(..., resume=True)).")
        bar.close()
        raise
    bar.close()
    _finish(history, t_start, config)
    if config.progress:
        print(_summary(history))
    return history


def _wall(history: History, t_start: float) -> float:
    """Wall time over all sessions of this run (a resumed run continues the saved count)."""
    return history.meta.get("wall_before_s", 0.0) + time.perf_counter() - t_start


def _finish(history: History, t_start: float, config: TrainConfig) -> None:
    history.wall_time_s = _wall(history, t_start)
    steps = history.steps[-1]["step"] if history.steps else 0
    train_time = history.meta.get("train_time_s", 0.0)
    history.images_per_s = steps * config.batch_size / train_time if train_time > 0 else 0.0


def _summary(h: History) -> str:
    parts = [f"{len(h.epochs)} epochs", f"{h.wall_time_s:.1f} s", f"{h.images_per_s:,.0f} img/s"]
    if h.final("train_error") is not None:
        parts.append(f"train error {h.final('train_error'):.2%}")
    if h.final("val_error") is not None:
        parts.append(f"val error {h.final('val_error'):.2%}")
    return "done: " + " · ".join(parts)


def _diverged(history, bad, config, ckpt_path, on_nan, bar, t_start, lr) -> History:
    step, value = bad
    lr = lr_at(step - 1, config, history.meta["total_steps"])
    bar.close()
    _finish(history, t_start, config)
    history.diverged = {"step": step, "lr": lr, "loss": value}
    if on_nan == "stop":
        return history
    kept = f" The last good checkpoint {ckpt_path} was kept." if ckpt_path is not None and ckpt_path.exists() else ""
    raise TrainingDiverged(
        f"training diverged: loss became {value} at step {step} (learning rate {lr:g}).{kept} "
        "Try a smaller lr, a warm-up (warmup_iters/warmup_lr) or grad_clip.",
        step, lr,
    )


class _LivePlot:
    """Redraws an error plot in place in a notebook (IPython display handle)."""

    def __init__(self) -> None:
        try:
            from IPython.display import display

            self.handle = display(display_id=True)
        except Exception:
            self.handle = None

    def update(self, history: History) -> None:
        if self.handle is None:
            return
        import matplotlib.pyplot as plt

        from ..plots import plot_history

        ax = plot_history({"training": history}, metric="train_error")
        if any(r.get("val_error") is not None for r in history.epochs):
            plot_history({"test/val": history}, metric="val_error", ax=ax)
        ax.set_ylabel("error (%)")
        ax.legend(frameon=False, fontsize=8)
        self.handle.update(ax.figure)
        plt.close(ax.figure)


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


def _model_device(model: nn.Module) -> torch.device:
    p = next(iter(model.parameters()), None)
    return p.device if p is not None else torch.device("cpu")


@torch.no_grad()
def predict(
    model: nn.Module,
    data: Dataset,
    device: str | torch.device | None = None,
    *,
    probs: bool = False,
    batch_size: int = 1000,
    normalize: str = "channel",
    channels_last: bool = False,
    amp: bool = False,
    reference: Dataset | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (logits or softmax probabilities, labels) for every image of ``data``, on the CPU.

    ``reference`` supplies normalisation statistics (for normalize="pixel": the training set's)."""
    device = torch.device(device) if device is not None else _model_device(model)
    was_training = model.training
    model.eval().to(device)
    src = data if reference is None or reference.pixel_mean is None else _with_pixel_mean(data, reference)
    loader = DeviceLoader(src, batch_size, train=False, device=device, normalize=normalize,
                          channels_last=channels_last, drop_last=False)
    amp_dtype = _amp_dtype(device, amp)
    outs = []
    for x, _ in loader:
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            out = model(x).float()
        outs.append(out.softmax(1) if probs else out)
    model.train(was_training)
    return torch.cat(outs).cpu(), data.labels.cpu()


def _with_pixel_mean(data: Dataset, reference: Dataset) -> Dataset:
    from dataclasses import replace

    return replace(data, pixel_mean=reference.pixel_mean)


def evaluate(model: nn.Module, data: Dataset, device: str | torch.device | None = None, **kwargs) -> dict:
    """Loss, error, per-class error and confusion matrix (rows: true class, columns: predicted)."""
    logits, labels = predict(model, data, device, **kwargs)
    c = data.num_classes
    pred = logits.argmax(1)
    confusion = torch.bincount(labels * c + pred, minlength=c * c).reshape(c, c)
    per_class_total = confusion.sum(1).clamp(min=1)
    per_class_error = 1.0 - confusion.diag().float() / per_class_total.float()
    return {
        "loss": float(F.cross_entropy(logits, labels)),
        "error": float((pred != labels).float().mean()),
        "per_class_error": per_class_error.tolist(),
        "confusion": confusion,
        "n": int(labels.shape[0]),
    }
