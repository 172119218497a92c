"""The experiments of the reference runs, one task function per results part; each returns
the run entry its results file records.

* :func:`degradation`: train a plain or residual net, training and test error per epoch
  (He et al. 2016, Fig. 6); ResNet-110 gets the paper's warm-up (Sec. 4.2);
* :func:`responses`: std of every block's residual-branch output on test images (Fig. 7);
* :func:`gradients`: per-block gradient norms at initialisation and after training;
* :func:`lesion`: test error with one block deleted (Veit et al. 2016);
* :func:`lr_sweep`: ResNet-8 at constant learning rates 0.01 to 100 (chapter 4).

The analyses need trained nets; :func:`trained` reloads them, or trains and records them.
"""

from __future__ import annotations

import time
from typing import Any

import torch

from helpers.core import dist
from helpers.core.atomic import atomic_path
from helpers.experiments.context import Context, Net
from helpers.experiments.results import now
from helpers.experiments.weights import load_weights, store_weights

__all__ = [
    "RESNET110_WARMUP",
    "RESPONSE_IMAGES",
    "GRADIENT_IMAGES",
    "LESION_IMAGES",
    "SWEEP_IMAGES",
    "SWEEP_ITERATIONS",
    "SWEEP_LRS",
    "degradation",
    "trained",
    "responses",
    "gradients",
    "lesion",
    "lr_sweep",
]

RESNET110_WARMUP = {
    "warmup_iters": 400,
    "warmup_lr": 0.01,
}  # Sec. 4.2: 0.01 until ~400 iterations
RESPONSE_IMAGES = 500
GRADIENT_IMAGES = 128
LESION_IMAGES = 500
SWEEP_IMAGES, SWEEP_ITERATIONS, SWEEP_LRS = 2000, 120, (0.01, 0.1, 1.0, 10.0, 100.0)


def _net_fields(net: Net, seed: int, order: int) -> dict[str, Any]:
    return {
        "key": f"{net.name}/s{seed}",
        "order": order,
        "name": net.name,
        "kind": net.kind,
        "depth": net.depth,
    }


# --------------------------------------------------------------------------------------
# Degradation: training
# --------------------------------------------------------------------------------------


def _curves(history) -> tuple[list[dict], list[dict]]:
    """The per-epoch rows (the build's val split is the test set here) and per-step rows."""
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
    return epochs, steps


def _normalization(model: torch.nn.Module) -> dict[str, Any] | None:
    """How the net's inputs were normalised: the kind, and the per-channel mean and std
    (a per-pixel mean, the paper's, is recomputed from the training set instead)."""
    from helpers.data import normalization_of

    norm = normalization_of(model)
    if norm is None:
        return None
    per_channel = norm.mean.numel() == norm.channels
    return {
        "kind": norm.kind,
        "mean": norm.mean.flatten().tolist() if per_channel else None,
        "std": norm.std.flatten().tolist(),
    }


def degradation(ctx: Context, net: Net, seed: int, order: int) -> dict[str, Any]:
    """Train ``net`` (resuming from its checkpoint), keep its weights and the model in
    ``ctx``, and return its degradation entry."""
    from helpers.analysis.complexity import count_macs, count_parameters
    from helpers.train import fit

    started, t0 = now(), time.perf_counter()
    model = ctx.new_model(net, seed)
    overrides = RESNET110_WARMUP if net.depth == 110 and net.kind == "resnet" else {}
    ctx.ckdir.mkdir(parents=True, exist_ok=True)
    config = ctx.profile.train_config(
        seed=seed,
        checkpoint_path=str(ctx.checkpoint(net, seed)),
        progress=True,
        **overrides,
    )
    history = fit(model, ctx.train, config, val=ctx.test, resume=True, on_nan="stop")
    if dist.is_main():  # rank 0 writes; all wait, so all see the file
        with atomic_path(ctx.weights(net, seed)) as tmp:
            torch.save(
                {k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp
            )
    dist.barrier()
    ctx.models[(net.name, seed)] = model.eval()
    shape = (1, ctx.train.in_channels, *ctx.train.images.shape[-2:])
    epochs, steps = _curves(history)
    stored = {}
    if ctx.profile.store_weights:  # fp16 copies committed with the results
        stored["weights"] = store_weights(model, ctx.out, f"{net.name}-s{seed}")
    return {
        **_net_fields(net, seed, order),
        # what rebuilds the net around its stored weights (reference_nets.py)
        "model": ctx.model_args(net),
        "normalization": _normalization(model),
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
        **ctx.run_meta(seed, t0, started),
        # fit's own count covers all sessions of a resumed run
        "wall_time_s": round(history.wall_time_s, 2),
        **stored,
    }


def trained(ctx: Context, net: Net, seed: int, order: int) -> torch.nn.Module:
    """The trained net: from memory, from its weights file, or trained now (and its
    degradation entry recorded)."""
    key = (net.name, seed)
    if key in ctx.models:
        return ctx.models[key]
    path = ctx.weights(net, seed)
    entry = ctx.files["degradation"].entry(f"{net.name}/s{seed}")
    record = (entry or {}).get("weights")
    if entry is None or not (path.exists() or record):
        ctx.files["degradation"].add(degradation(ctx, net, seed, order))
        return ctx.models[key]
    model = ctx.new_model(net, seed)
    if path.exists():  # this machine's full-precision copy
        state = torch.load(path, map_location="cpu", weights_only=True)
    else:  # the fp16 copy committed with the results, checksum-checked
        state = load_weights(ctx.out, record)
    model.load_state_dict(state)
    ctx.models[key] = model.eval()
    return model.eval()


# --------------------------------------------------------------------------------------
# Analyses of the trained nets
# --------------------------------------------------------------------------------------


def responses(ctx: Context, net: Net, seed: int, order: int) -> dict[str, Any]:
    """Std of each block's residual-branch output on the first test images (Fig. 7)."""
    from helpers.analysis.responses import branch_response_std

    started, t0 = now(), time.perf_counter()
    model = trained(ctx, net, seed, order)
    x, _ = ctx.batch(ctx.test, RESPONSE_IMAGES)
    return {
        **_net_fields(net, seed, order),
        "images": int(x.shape[0]),
        "split": "test",
        "stds": branch_response_std(model, x),
        **ctx.run_meta(seed, t0, started),
    }


def gradients(ctx: Context, net: Net, seed: int, order: int) -> dict[str, Any]:
    """Per-block gradient norms (w.r.t. block outputs and weights) on one training batch,
    at initialisation and after training."""
    from helpers.analysis.gradients import gradient_norms
    from helpers.models import residual_blocks

    started, t0 = now(), time.perf_counter()
    x, y = ctx.batch(ctx.train, GRADIENT_IMAGES)
    out: dict[str, Any] = {}
    for when, model in (
        ("init", ctx.new_model(net, seed)),
        ("trained", trained(ctx, net, seed, order)),
    ):
        probes = residual_blocks(model)
        for mode in ("output", "weight"):
            g = gradient_norms(model, x, y, probes=probes, mode=mode)
            out[f"{when}_{mode}"] = g.norms
        out[f"{when}_loss"] = g.loss
    return {
        **_net_fields(net, seed, order),
        "images": int(x.shape[0]),
        "split": "train",
        "bn_mode": "training (batch statistics)",
        **out,
        **ctx.run_meta(seed, t0, started),
    }


def lesion(ctx: Context, net: Net, seed: int, order: int) -> dict[str, Any]:
    """Test error of the trained net with each block deleted in turn (Veit et al. 2016)."""
    from helpers.analysis.lesion import lesion_study
    from helpers.data import load_dataset
    from helpers.train import evaluate

    started, t0 = now(), time.perf_counter()
    model = trained(ctx, net, seed, order)
    data = load_dataset(
        ctx.profile.dataset,
        "test",
        subset=min(LESION_IMAGES, len(ctx.test)),
        val_size=ctx.profile.val_size,
    )

    def error(m: torch.nn.Module) -> float:
        kw = {"normalize": ctx.profile.normalize, "reference": ctx.train}
        return float(evaluate(m, data, ctx.device, **kw)["error"])

    study = lesion_study(model, evaluate=error)
    fields = ("index", "stage", "residual", "downsampling", "deletable", "error")
    return {
        **_net_fields(net, seed, order),
        "images": len(data),
        "split": "test",
        "baseline_error": study.baseline_error,
        "rows": [{f: getattr(r, f) for f in fields} for r in study.rows],
        "summary": study.summary(),
        **ctx.run_meta(seed, t0, started),
    }


# --------------------------------------------------------------------------------------
# Learning-rate sweep
# --------------------------------------------------------------------------------------


def _sweep_one(ctx: Context, data, lr: float, seed: int):
    """Train ResNet-8 at the constant learning rate ``lr``; return (run, config)."""
    from helpers.train import fit

    model = ctx.new_model(Net("resnet", 8), seed)
    cfg = ctx.profile.train_config(
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
    run = {
        "lr": lr,
        "steps": [
            {"step": r["step"], "loss": r["loss"], "error": r["error"]} for r in h.steps
        ],
        "diverged": h.diverged,
        "final_loss": h.steps[-1]["loss"] if h.steps else None,
    }
    return run, cfg


def lr_sweep(ctx: Context, seed: int) -> dict[str, Any]:
    """ResNet-8 on a training subset at each constant learning rate of :data:`SWEEP_LRS`:
    the loss curve, and where it diverged."""
    from helpers.data import load_dataset

    started, t0 = now(), time.perf_counter()
    data = load_dataset(
        ctx.profile.dataset,
        "train",
        subset=SWEEP_IMAGES,
        val_size=ctx.profile.val_size,
    )
    runs = []
    for lr in SWEEP_LRS:
        run, cfg = _sweep_one(ctx, data, lr, seed)
        runs.append(run)
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
        **ctx.run_meta(seed, t0, started),
    }
