"""Reference runs (helpers.experiments.reference, .results, .verdicts and
helpers.book.reference_panels): schema checks, computed verdicts, and a new results folder
that reaches the chapters' calls without code changes (fake results in a temp folder)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from helpers.book.reference_panels import reference_panel  # noqa: E402
from helpers.core import figstyle  # noqa: E402
from helpers.core.text import in_language  # noqa: E402
from helpers.experiments import reference  # noqa: E402
from helpers.experiments.profiles import get_profile  # noqa: E402
from helpers.experiments.results import PARTS, SchemaError, validate  # noqa: E402
from helpers.experiments.verdicts import figure7_verdict  # noqa: E402

# final (train, test) errors per seed; plain-56 trains worse, ResNet-56 tests better
FINAL = {
    "plain-20": ((0.10, 0.12), (0.12, 0.13)),
    "plain-56": ((0.20, 0.15), (0.25, 0.16)),
    "resnet-20": ((0.08, 0.110), (0.09, 0.112)),
    "resnet-56": ((0.07, 0.105), (0.08, 0.109)),
}
# mean response std per block: ResNets below plain nets, ResNet-56 below ResNet-20
STDS = {"plain-20": 1.0, "plain-56": 1.2, "resnet-20": 0.5, "resnet-56": 0.3}


def _provenance(profile: str, dataset: str, title: str) -> dict:
    return {
        "profile": {"name": profile, "width": 8, "batch_size": 128},
        "train_config": {"epochs": 2, "iterations": None, "batch_size": 128},
        "dataset": {
            "name": dataset,
            "title": title,
            "train_images": 1000,
            "test_images": 500,
        },
        "device": {"type": "cpu", "name": "Test CPU, 1 thread", "precision": "float32"},
        "versions": {"python": "3.11", "torch": "2.0"},
        "helpers": {
            "commit": "0123456789abcdef0123456789abcdef01234567",
            "dirty": False,
        },
        "platform": "Linux",
        "command": f"python -m helpers.reproduce --profile {profile}",
        "seeds": [0, 1],
        "updated": "2026-01-01T00:00:00+00:00",
    }


def _run_meta(name: str, seed: int) -> dict:
    kind, depth = name.split("-")
    return {
        "key": f"{name}/s{seed}",
        "name": name,
        "kind": kind,
        "depth": int(depth),
        "seed": seed,
        "started": "2026-01-01T00:00:00+00:00",
        "date": "2026-01-01T00:10:00+00:00",
        "wall_time_s": 60.0,
        "helpers_commit": "0123456789abcdef0123456789abcdef01234567",
        "device": "Test CPU, 1 thread",
    }


def _degradation_run(meta: dict, train: float, test: float) -> dict:
    epochs = [
        {
            "epoch": e,
            "train_error": train + 0.1 * (2 - e),
            "lr": 0.1,
            "test_error": test + 0.1 * (2 - e),
            "train_loss": 1.0,
            "test_loss": 1.0,
        }
        for e in (1, 2)
    ]
    steps = [
        {
            "step": s,
            "epoch": s / 10,
            "loss": 1.0,
            "error": train + 0.01 * (20 - s),
            "lr": 0.1,
        }
        for s in (5, 10, 15, 20)
    ]
    return {
        **meta,
        "params": 1000,
        "config": {},
        "epochs": epochs,
        "steps": steps,
        "final_train_error": train,
        "final_test_error": test,
    }


def _analysis_runs(meta: dict, test: float, std: float) -> dict[str, dict]:
    """The responses, gradients and lesion entries of one net and seed."""
    blocks = (meta["depth"] - 2) // 2
    rows = [
        {
            "index": i,
            "stage": i // 3,
            "residual": meta["kind"] == "resnet",
            "downsampling": i in (3, 6),
            "deletable": True,
            "error": test + 0.05,
        }
        for i in range(blocks)
    ]
    return {
        "responses": {**meta, "images": 500, "stds": [std] * blocks},
        "gradients": {
            **meta,
            "images": 128,
            "init_output": [1.0] * blocks,
            "init_weight": [1.0] * blocks,
            "trained_output": [0.5] * blocks,
            "trained_weight": [0.5] * blocks,
        },
        "lesion": {**meta, "images": 500, "baseline_error": test, "rows": rows},
    }


def _sweep_run() -> dict:
    sweep = [
        {
            "lr": lr,
            "steps": [{"step": 5, "loss": 2.0, "error": 0.9}],
            "diverged": {"step": 5} if lr > 1 else None,
            "final_loss": 2.0 if lr < 1 else None,
        }
        for lr in (0.1, 10.0)
    ]
    return {**_run_meta("resnet-8", 0), "images": 100, "iterations": 5, "runs": sweep}


def write_results(
    root: Path,
    profile: str = "reference-cpu",
    dataset: str = "fashion-mnist",
    title: str = "Fashion-MNIST",
    final: dict = FINAL,
    stds: dict = STDS,
) -> Path:
    """A complete fake results folder ``root/profile`` (every part, two seeds)."""
    prov = _provenance(profile, dataset, title)
    runs: dict[str, list] = {p: [] for p in PARTS}
    for name, per_seed in final.items():
        for seed, (train, test) in enumerate(per_seed):
            meta = _run_meta(name, seed)
            runs["degradation"].append(_degradation_run(meta, train, test))
            for part, run in _analysis_runs(
                meta, test, stds[name] + 0.01 * seed
            ).items():
                runs[part].append(run)
    runs["lr_sweep"].append(_sweep_run())
    out = root / profile
    out.mkdir(parents=True)
    for part, part_runs in runs.items():
        doc = {
            "schema": 1,
            "part": part,
            "profile": profile,
            "provenance": prov,
            "runs": part_runs,
        }
        (out / f"{part}.json").write_text(json.dumps(doc))
    return out


def test_fake_results_are_valid_and_complete(tmp_path) -> None:
    results = reference.load_results(write_results(tmp_path))
    assert sorted(results) == sorted(PARTS)


@pytest.mark.parametrize(
    "field",
    [
        "provenance.helpers.commit",
        "provenance.device.precision",
        "provenance.dataset.train_images",
        "runs.0.wall_time_s",
        "runs.0.seed",
        "runs.0.epochs.0.test_error",
    ],
)
def test_a_missing_field_is_named(tmp_path, field) -> None:
    out = write_results(tmp_path)
    doc = json.loads((out / "degradation.json").read_text())
    broken = copy.deepcopy(doc)
    *path, last = field.split(".")
    node = broken
    for key in path:
        node = node[int(key)] if key.isdigit() else node[key]
    del node[last]
    with pytest.raises(SchemaError, match=last):
        validate(broken)


def test_verdicts_are_computed_from_the_files(tmp_path) -> None:
    write_results(tmp_path)
    v = reference.verdicts(results_dir=tmp_path)
    # plain-56 - plain-20 training error: +10 and +13 points -> 11.5 ± 2.1
    assert v["ref_plain_train_gap"].startswith("plain-56 ends 11.5 ± 2.1 points")
    assert (
        "above plain-20 in training error (22.5% vs 11.0%)" in v["ref_plain_train_gap"]
    )
    # ResNet-56 - ResNet-20 test error: -0.5 and -0.3 points -> lower by 0.4 ± 0.1
    assert v["ref_resnet_test_gap"].startswith(
        "ResNet-56's test error is 0.4 ± 0.1 points"
    )
    assert "lower than ResNet-20's" in v["ref_resnet_test_gap"]
    assert v["ref_resnet_vs_paper"].startswith(
        "He et al. (2016, Table 6) report ResNet-56 1.78 points below ResNet-20"
    )
    assert v["ref_resnet_vs_paper"].endswith("so the paper's direction is reproduced")
    assert v["ref_figure7"].startswith("Figure 7's ordering holds")
    assert v["ref_lr_sweep"] == "lr 0.1 ends at loss 2; lr 10 diverged at iteration 5"
    assert "Fashion-MNIST, 1,000 training / 500 test images" in v["ref_caption"]
    assert "Test CPU, 1 thread, float32" in v["ref_caption"]
    assert "Test CPU，1 个线程，float32" in in_language(v["ref_caption"], "zh_CN")
    # ResNet-56 - ResNet-20 training error: -1.0 and -1.0 points, plain +10 and +13
    assert v["ref_resnet_train_gap"].startswith(
        "ResNet-56's training error is 1.0 ± 0.0 points"
    )
    assert v["ref_figure6"] == (
        "reproduced both halves of the paper's Figure 6 in training error, in each "
        "of its 2 seeds"
    )
    assert v["ref_lesion"].endswith("(test errors on 500 test images)")


def test_verdicts_say_when_the_paper_is_not_reproduced(tmp_path) -> None:
    worse = {**FINAL, "resnet-56": ((0.09, 0.12), (0.10, 0.125))}
    flipped = {**STDS, "resnet-56": 0.7}  # deeper ResNet with larger responses
    write_results(tmp_path, final=worse, stds=flipped)
    v = reference.verdicts(results_dir=tmp_path)
    assert "higher than ResNet-20's" in v["ref_resnet_test_gap"]
    assert v["ref_resnet_vs_paper"].endswith("direction is not reproduced")
    assert "disagree" not in v["ref_resnet_test_gap"]
    verdict = figure7_verdict(
        reference.load_results(tmp_path / "reference-cpu")["responses"]
    )
    assert verdict["holds"] is False
    assert "does not fully hold" in verdict["text"]
    assert (
        "ResNet-56's responses are not smaller than ResNet-20's (0." in verdict["text"]
    )
    assert "ResNet-20's responses are smaller than plain-20's" in verdict["text"]
    assert "in both seeds)" in verdict["text"]


def test_verdicts_say_when_the_seeds_disagree(tmp_path) -> None:
    split = {**FINAL, "resnet-56": ((0.08, 0.13), (0.08, 0.09))}  # +2.0 and -2.2 points
    write_results(tmp_path, final=split)
    v = reference.verdicts(results_dir=tmp_path)
    assert v["ref_resnet_test_gap"].endswith(
        "; the seeds disagree on the sign (+2.0 and -2.2 points)"
    )
    assert v["ref_resnet_vs_paper"].endswith(
        "these seeds do not settle the paper's direction"
    )


def test_a_new_results_folder_is_picked_up_without_code_changes(tmp_path) -> None:
    """What a chapter calls (no profile named) switches to a CIFAR-10 run once its
    folder appears, e.g. results/paper/ from `python -m helpers.reproduce --profile
    paper`.
    """
    write_results(tmp_path)

    def chapter_cell() -> tuple[dict, str]:
        fig, caption = reference_panel("degradation", results_dir=tmp_path)
        plt.close(fig)
        return reference.verdicts(results_dir=tmp_path), caption

    before, caption = chapter_cell()
    assert before["ref_profile"] == "reference-cpu" and "Fashion-MNIST" in caption
    paper = {**FINAL, "plain-56": ((0.30, 0.35), (0.31, 0.36))}
    write_results(
        tmp_path, profile="paper", dataset="cifar10", title="CIFAR-10", final=paper
    )
    after, caption = chapter_cell()
    assert after["ref_profile"] == "paper" and "CIFAR-10" in caption
    assert after["ref_plain_train_gap"].startswith("plain-56 ends 19.5 ± 0.7 points")
    assert reference.available_profiles(tmp_path) == ["paper", "reference-cpu"]


def test_panels_fit_the_column_with_readable_fonts(tmp_path) -> None:
    from helpers.train import History

    write_results(tmp_path)
    figstyle.apply(retina=False)
    build = {
        name: History(
            steps=[{"step": 10, "epoch": 1.0, "error": 0.2, "loss": 1.0}],
            epochs=[{"epoch": 1, "val_error": 0.3}],
            meta={"steps_per_epoch": 10},
        )
        for name in FINAL
    }
    responses = {"plain-20": [1.0] * 9, "ResNet-20": [0.5] * 9}
    for kind, b in (
        ("degradation", build),
        ("responses", responses),
        ("lesion", None),
        ("gradients", None),
        ("lr_sweep", None),
    ):
        fig, caption = reference_panel(kind, b, results_dir=tmp_path)
        assert fig.get_size_inches()[0] == pytest.approx(figstyle.CONTENT_WIDTH_IN)
        fig.canvas.draw()
        sizes = [
            t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text()
        ]
        assert min(sizes) >= figstyle.MIN_FONT_PT, kind
        assert caption.startswith("Reference run `reference-cpu`")
        if b is not None:
            assert fig.axes[0].get_title().endswith("this build")
        plt.close(fig)


def test_missing_results_say_how_to_make_them(tmp_path) -> None:
    with pytest.raises(
        FileNotFoundError, match="helpers.reproduce --profile reference-cpu"
    ):
        reference.pick_profile(tmp_path)


def test_the_committed_reference_run_is_valid() -> None:
    """results/reference-cpu is committed; it must pass the schema and match its
    profile.
    """
    assert "reference-cpu" in reference.available_profiles()
    results = reference.load_results(reference.results_root() / "reference-cpu")
    profile = get_profile("reference-cpu")
    prov = results["degradation"]["provenance"]
    assert prov["profile"]["train_subset"] == profile.train_subset
    assert prov["dataset"]["train_images"] == profile.train_subset
    v = reference.verdicts("reference-cpu")
    assert v["ref_plain_train_gap"].startswith("plain-56 ends")


def test_a_panel_names_what_it_cannot_draw(tmp_path) -> None:
    write_results(tmp_path)
    with pytest.raises(ValueError, match="unknown kind 'figure9'"):
        reference_panel("figure9", results_dir=tmp_path)
    with pytest.raises(ValueError, match="'lesion' has no build side"):
        reference_panel("lesion", {"plain-20": [1.0]}, results_dir=tmp_path)
    (tmp_path / "reference-cpu" / "gradients.json").unlink()
    with pytest.raises(KeyError, match="--only gradients"):
        reference_panel("gradients", results_dir=tmp_path)


def test_a_run_in_progress_is_not_preferred_to_a_complete_one(tmp_path: Path) -> None:
    """A bigger profile with one seed of three done must not replace the complete run."""
    import json

    from helpers.experiments.reference import is_complete, pick_profile

    for name, images, seeds, done in (
        ("small", 1000, [0], [0]),
        ("big", 60000, [0, 1, 2], [0]),
    ):
        runs = [
            {"key": f"{k}-{d}/s{s}", "steps": [{"step": images}]}
            for k in ("plain", "resnet")
            for d in (20, 56)
            for s in done
        ]
        prov = {
            "profile": {
                "name": name,
                "batch_size": 128,
                "depths": [20, 56],
                "seeds": seeds,
            },
            "dataset": {"name": "fashion-mnist"},
        }
        (tmp_path / name).mkdir()
        doc = {"provenance": prov, "runs": runs}
        (tmp_path / name / "degradation.json").write_text(json.dumps(doc))
        assert is_complete(doc) == (done == seeds)
    assert pick_profile(tmp_path) == "small"
