"""python -m helpers.reproduce: the real command at the smoke profile, resume, --only,
--seeds, and one-line answers to bad arguments."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers import reproduce
from helpers.experiments.context import degradation_nets
from helpers.experiments.profiles import get_profile
from helpers.experiments.reference import load_results
from helpers.experiments.reproduce import run_profile
from helpers.experiments.results import PARTS, validate
from helpers.experiments.tasks import SWEEP_LRS

REPO = Path(__file__).resolve().parent.parent


def _command(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "RESNET_BOOK_CACHE": str(tmp / "cache"),
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers.reproduce",
            "--profile",
            "smoke",
            "--out",
            str(tmp / "results"),
            "--checkpoints",
            str(tmp / "ck"),
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=900,
    )


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    tmp = tmp_path_factory.mktemp("reproduce")
    done = _command(tmp)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return tmp, done


def test_command_writes_every_part_with_provenance(smoke_run) -> None:
    tmp, done = smoke_run
    out = tmp / "results" / "smoke"
    assert sorted(
        p.name for p in out.iterdir() if not p.name.startswith(".")
    ) == sorted(f"{p}.json" for p in PARTS)
    results = load_results(out)  # validates every file
    profile = get_profile("smoke")
    for part, doc in results.items():
        prov = doc["provenance"]
        assert doc["part"] == part and doc["profile"] == "smoke"
        assert prov["profile"]["width"] == profile.width
        assert prov["dataset"]["train_images"] == profile.train_subset
        assert prov["dataset"]["test_images"] == profile.test_subset
        assert prov["device"]["precision"] in ("float32", "bfloat16 autocast")
        assert re.fullmatch(r"[0-9a-f]{40}", prov["helpers"]["commit"])
        assert (
            prov["versions"]["torch"].split("+")[0] == torch.__version__.split("+")[0]
        )
        assert "--profile smoke" in prov["command"]
        assert prov["seeds"] == [0]
    runs = {r["name"]: r for r in results["degradation"]["runs"]}
    assert sorted(runs) == ["plain-14", "plain-8", "resnet-14", "resnet-8"]
    assert all(len(r["epochs"]) == profile.epochs for r in runs.values())
    assert all(
        0 <= r["final_test_error"] <= 1 and r["wall_time_s"] > 0 for r in runs.values()
    )
    stds = {r["name"]: r["stds"] for r in results["responses"]["runs"]}
    assert (
        len(stds["resnet-14"]) == 6 and len(stds["plain-8"]) == 3
    )  # (depth - 2) / 2 blocks
    lesion = {r["name"]: r for r in results["lesion"]["runs"]}
    assert len(lesion["resnet-14"]["rows"]) == 6
    assert [r["lr"] for r in results["lr_sweep"]["runs"][0]["runs"]] == list(SWEEP_LRS)
    # progress with an ETA; weights stay outside the results folder
    assert "ETA" in done.stdout and "[17/17]" in done.stdout
    assert sorted(p.name for p in (tmp / "ck").glob("*.pt")) == [
        "plain-14-s0.pt",
        "plain-8-s0.pt",
        "resnet-14-s0.pt",
        "resnet-8-s0.pt",
    ]


def test_second_run_skips_everything(smoke_run) -> None:
    tmp, _ = smoke_run
    before = {p.name: p.read_text() for p in (tmp / "results" / "smoke").iterdir()}
    again = _command(tmp)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "17 already done" in again.stdout and "0 tasks run" in again.stdout
    after = {p.name: p.read_text() for p in (tmp / "results" / "smoke").iterdir()}
    assert after == before


def _run(tmp: Path, **kwargs):
    profile = kwargs.pop("profile", get_profile("smoke"))
    return run_profile(
        profile,
        out=tmp / "results" / profile.name,
        checkpoints=tmp / "ck",
        parts=kwargs.pop("parts", ("degradation",)),
        seeds=kwargs.pop("seeds", [0]),
        depths=kwargs.pop("depths", (8,)),
        log=lambda s: None,
        **kwargs,
    )


def test_interrupted_training_resumes_to_the_same_result(tmp_path, monkeypatch) -> None:
    """Stop plain-8 in the middle of its second epoch, rerun: it continues from the
    checkpoint and ends exactly where an uninterrupted run ends (CPU, fp32).
    """
    import helpers.train.loop as loop

    profile = get_profile("smoke").replace(epochs=2, amp=False)
    _run(tmp_path / "straight", profile=profile)
    straight = json.loads(
        (tmp_path / "straight/results/smoke/degradation.json").read_text()
    )

    real_lr_at = loop.lr_at

    def stop_at_step_10(step, config, total):
        if step == 10:
            raise KeyboardInterrupt
        return real_lr_at(step, config, total)

    monkeypatch.setattr(loop, "lr_at", stop_at_step_10)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path / "resumed", profile=profile)
    assert (tmp_path / "resumed/ck/plain-8-s0.ckpt").exists()
    assert not (tmp_path / "resumed/results/smoke/degradation.json").exists()
    monkeypatch.setattr(loop, "lr_at", real_lr_at)
    counts = _run(tmp_path / "resumed", profile=profile)
    assert counts["ran"] == 2
    resumed = json.loads(
        (tmp_path / "resumed/results/smoke/degradation.json").read_text()
    )
    for a, b in zip(straight["runs"], resumed["runs"], strict=True):
        assert a["name"] == b["name"]
        assert a["final_train_error"] == b["final_train_error"]
        assert a["final_test_error"] == b["final_test_error"]


def test_finished_runs_are_kept_when_a_command_stops(tmp_path) -> None:
    counts = _run(tmp_path, max_tasks=1)
    doc = json.loads((tmp_path / "results/smoke/degradation.json").read_text())
    validate(doc)
    assert counts["ran"] == 1 and [r["name"] for r in doc["runs"]] == ["plain-8"]
    first = doc["runs"][0]
    _run(tmp_path)
    doc = json.loads((tmp_path / "results/smoke/degradation.json").read_text())
    assert [r["name"] for r in doc["runs"]] == ["plain-8", "resnet-8"]
    assert doc["runs"][0] == first  # not retrained


def test_only_and_seeds_pick_parts(tmp_path) -> None:
    code = reproduce.main(
        [
            "--profile",
            "smoke",
            "--only",
            "responses",
            "--seeds",
            "1",
            "--depths",
            "8",
            "--out",
            str(tmp_path / "results"),
            "--checkpoints",
            str(tmp_path / "ck"),
        ]
    )
    assert code == 0
    out = tmp_path / "results" / "smoke"
    # the analysis needs trained nets, so their training is run and recorded too
    assert sorted(p.name for p in out.iterdir()) == [
        "degradation.json",
        "responses.json",
    ]
    responses = load_results(out)["responses"]
    assert {(r["name"], r["seed"]) for r in responses["runs"]} == {
        ("plain-8", 1),
        ("resnet-8", 1),
    }
    assert responses["provenance"]["seeds"] == [1]
    assert "--only responses --seeds 1 --depths 8" in responses["provenance"]["command"]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--only", "degradation,figure9"], "unknown part(s) figure9"),
        (["--only", ","], "',' names nothing"),
        (["--seeds", "x"], "expected a whole number >= 0, got 'x'"),
        (["--seeds", "0,-1"], "must be >= 0, got -1"),
        (["--seeds", "1,1"], "1 given twice"),
        (["--depths", "21"], "6n+2 with n >= 1"),
        (["--depths", "20,x"], "expected a whole number >= 1, got 'x'"),
        (["--epochs", "-1"], "must be >= 1, got -1"),
        (["--epochs", "0"], "must be >= 1, got 0"),
        (["--max-tasks", "many"], "expected a whole number >= 0, got 'many'"),
        (["--profile", "nope"], "invalid choice: 'nope'"),
    ],
)
def test_bad_arguments_get_one_line_and_status_2(tmp_path, capsys, args, named) -> None:
    """Checked before any data is loaded: no traceback, one line that names the value."""
    argv = ["--profile", "smoke", "--out", str(tmp_path), *args]
    with pytest.raises(SystemExit) as stop:
        reproduce.main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert named in err and "Traceback" not in err
    assert err.startswith("python -m helpers.reproduce: error: argument --")
    assert not any(tmp_path.iterdir())  # nothing was written


def test_a_missing_profile_and_a_file_for_a_folder_are_refused(
    tmp_path, capsys
) -> None:
    with pytest.raises(SystemExit) as stop:
        reproduce.main(["--only", "lesion"])
    assert stop.value.code == 2
    assert "required: --profile" in capsys.readouterr().err
    afile = tmp_path / "results.txt"
    afile.write_text("")
    with pytest.raises(SystemExit) as stop:
        reproduce.main(["--profile", "smoke", "--out", str(afile)])
    assert stop.value.code == 2
    assert f"{afile} is a file, not a folder" in capsys.readouterr().err


def test_the_command_line_answers_without_a_traceback(tmp_path) -> None:
    done = _command(tmp_path, "--depths", "21")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "got 21" in done.stderr


def test_cifar_profiles_run_the_papers_depths() -> None:
    nets = degradation_nets(get_profile("paper"))
    names = [n.name for n in nets]
    assert sorted(names) == sorted(
        [f"{k}-{d}" for d in (20, 32, 44, 56) for k in ("plain", "resnet")]
        + ["resnet-110"]
    )
    assert names[:4] == [
        "plain-20",
        "plain-56",
        "resnet-20",
        "resnet-56",
    ]  # the argument first
    assert [n.name for n in degradation_nets(get_profile("reference-cpu"))] == [
        "plain-20",
        "plain-56",
        "resnet-20",
        "resnet-56",
    ]


def test_two_workers_share_the_tasks(tmp_path: Path) -> None:
    """A claim held by a live process makes the other worker skip the task; a claim
    left by a dead process is taken over."""
    import os

    from helpers.experiments.reproduce import _claim

    claim = tmp_path / "degradation-plain-20-s0.claim"
    with _claim(claim) as mine:
        assert mine and claim.read_text() == str(os.getpid())
        with _claim(claim) as other:
            assert not other
    assert not claim.exists()
    claim.write_text("999999999")  # no such process
    with _claim(claim) as mine:
        assert mine


def test_results_file_keeps_every_workers_entry(tmp_path: Path) -> None:
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_add_entries, args=(tmp_path, w)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    import json

    runs = json.loads((tmp_path / "lesion.json").read_text())["runs"]
    assert len(runs) == 2 * 20


def _add_entries(folder: Path, worker: int) -> None:
    from helpers.experiments.results import ResultsFile

    prov = {"profile": {"name": "smoke"}}
    f = ResultsFile(folder / "lesion.json", "lesion", prov)
    for i in range(20):
        f.add({"key": f"w{worker}-{i}", "seed": 0})


def test_a_profile_is_not_finished_in_another_precision(tmp_path, capsys) -> None:
    """Runs compared with each other share one precision: a machine that trains in
    another one than the stored runs is refused (one line, exit 2, nothing written),
    unless --other-precision, and then each run records its own."""
    _run(tmp_path, max_tasks=1)
    path = tmp_path / "results/smoke/degradation.json"
    doc = json.loads(path.read_text())
    here = doc["runs"][0]["precision"]
    other = "float32" if here != "float32" else "bfloat16 autocast"
    doc["runs"][0]["precision"] = other
    path.write_text(json.dumps(doc))
    before, _ = path.read_text(), capsys.readouterr()  # the first run's progress bars
    argv = ["--profile", "smoke", "--only", "degradation", "--depths", "8"]
    argv += ["--out", str(tmp_path / "results"), "--checkpoints", str(tmp_path / "ck")]
    with pytest.raises(SystemExit) as stop:
        reproduce.main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"trained in {other}" in err and f"trains in {here}" in err
    assert "--other-precision" in err and path.read_text() == before
    assert reproduce.main([*argv, "--other-precision"]) == 0
    runs = {r["name"]: r["precision"] for r in json.loads(path.read_text())["runs"]}
    assert runs == {"plain-8": other, "resnet-8": here}


def test_a_bf16_profile_is_refused_where_training_is_float32(
    tmp_path, monkeypatch
) -> None:
    """A profile that names bf16 is refused, before anything is loaded or written, on
    a machine that trains in float32; --other-precision trains it in float32."""
    monkeypatch.setenv("RESNET_BOOK_CPU_BF16", "0")  # a CPU without bf16 instructions
    profile = get_profile("smoke").replace(precision="bfloat16 autocast")
    with pytest.raises(reproduce.PrecisionMismatch, match="trains in bfloat16"):
        _run(tmp_path, profile=profile)
    path = tmp_path / "results" / "smoke" / "degradation.json"
    assert not path.exists()
    assert _run(tmp_path, profile=profile, other_precision=True)["ran"] == 2
    assert {r["precision"] for r in json.loads(path.read_text())["runs"]} == {"float32"}


def test_a_float32_profile_trains_in_float32_on_a_bf16_cpu(
    tmp_path, monkeypatch
) -> None:
    """reference-cpu-full names float32, as its pilot: on a CPU with bf16 instructions it
    trains in float32 too (not refused, not in bf16), and the switch is undone after."""
    from helpers.core import precision

    monkeypatch.setenv("RESNET_BOOK_CPU_BF16", "1")
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True)
    assert precision.amp_dtype("cpu") is torch.bfloat16  # this machine now "has" bf16
    assert get_profile("reference-cpu-full").precision == "float32"
    profile = get_profile("smoke").replace(precision="float32")
    assert _run(tmp_path, profile=profile)["ran"] == 2
    doc = json.loads((tmp_path / "results/smoke/degradation.json").read_text())
    assert doc["provenance"]["device"]["precision"] == "float32"
    assert {r["precision"] for r in doc["runs"]} == {"float32"}
    assert os.environ["RESNET_BOOK_CPU_BF16"] == "1"
    assert precision.amp_dtype("cpu") is torch.bfloat16
