"""Loading a stored reference run's networks (helpers.experiments.reference_nets), the
pages' switch to them (trained_nets, $RESNET_BOOK_REFERENCE), and Colab's download of them
(helpers.experiments.reference_fetch, helpers.book.setup.use_reference), on a smoke-sized
run with fp16 weights that the tests train themselves, served from 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
import torch

import helpers.experiments.profiles as profiles_module
import helpers.experiments.trained as trained_module
from helpers.book.setup import setup, use_reference
from helpers.data import Normalization, load_dataset, normalization_of
from helpers.data.download import DownloadError
from helpers.experiments.profiles import ENV_VAR, get_profile
from helpers.experiments.reference_fetch import fetch_reference, results_url
from helpers.experiments.reference_nets import (
    REFERENCE_ENV,
    ReferenceNetError,
    missing_reference,
    reference_available,
    reference_net,
)
from helpers.experiments.reproduce import run_profile
from helpers.experiments.trained import nets_caption, trained_nets
from helpers.experiments.weights import WeightsError
from helpers.models import create_model
from helpers.train import History

NAME = "smoke-ref"
PROFILE = get_profile("smoke").replace(name=NAME, store_weights=True, depths=(8,))


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A finished smoke run of plain-8 and ResNet-8 (seed 0) with stored weights; the
    fp32 weights it trained stay in ``<tmp>/ck``."""
    tmp = tmp_path_factory.mktemp("reference_nets")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RESNET_BOOK_CACHE", str(tmp / "cache"))
        run_profile(
            PROFILE,
            out=tmp / "results" / NAME,
            checkpoints=tmp / "ck",
            parts=("degradation",),
            seeds=[0],
            log=lambda s: None,
            command="test",
        )
    return tmp / "results" / NAME


@pytest.fixture
def copy(run: Path, tmp_path: Path) -> Path:
    """A copy of the run that a test may damage."""
    return Path(shutil.copytree(run, tmp_path / "results" / NAME))


def _entry(folder: Path, key: str) -> dict:
    doc = json.loads((folder / "degradation.json").read_text())
    return next(r for r in doc["runs"] if r["key"] == key)


def _edit_entry(folder: Path, key: str, edit) -> None:
    path = folder / "degradation.json"
    doc = json.loads(path.read_text())
    edit(next(r for r in doc["runs"] if r["key"] == key))
    path.write_text(json.dumps(doc))


def _logits(model: torch.nn.Module, norm: Normalization) -> torch.Tensor:
    images = load_dataset("fashion-mnist", "test", subset=200).images
    with torch.no_grad():
        return model.eval()(norm(images))


def _trained_fp32(run: Path, kind: str) -> tuple[torch.nn.Module, Normalization]:
    """The fp32 net the run trained, and the normalisation its training used."""
    model = create_model(f"{kind}_cifar", depth=8, width=4, in_channels=1)
    state = torch.load(run.parent.parent / "ck" / f"{kind}-8-s0.pt")
    model.load_state_dict(state)
    return model, Normalization.of(PROFILE.normalize, PROFILE.load("train"))


@pytest.mark.parametrize("kind", ["plain", "resnet"])
def test_reference_net_predicts_like_the_net_the_run_trained(run: Path, kind) -> None:
    model, _ = reference_net(run, kind, 8, seed=0)
    assert not model.training and next(model.parameters()).device.type == "cpu"
    assert all(p.dtype == torch.float32 for p in model.parameters())
    original, norm = _trained_fp32(run, kind)
    assert normalization_of(model).same_as(norm)
    ours, theirs = _logits(model, normalization_of(model)), _logits(original, norm)
    assert torch.equal(ours.argmax(1), theirs.argmax(1))
    assert torch.allclose(ours, theirs, rtol=1e-2, atol=1e-2)


def test_history_is_the_entrys(run: Path) -> None:
    _, history = reference_net(run, "resnet", 8, seed=0)
    entry = _entry(run, "resnet-8/s0")
    assert history.final("train_error") == entry["final_train_error"]
    assert history.final("val_error") == entry["final_test_error"]
    assert [r["lr"] for r in history.epochs] == [r["lr"] for r in entry["epochs"]]
    assert history.meta["source"] == "reference run"
    assert (history.meta["profile"], history.meta["seed"]) == (NAME, 0)
    assert history.config == entry["config"] and history.from_cache


def test_the_entry_records_how_to_rebuild_the_net(run: Path) -> None:
    entry = _entry(run, "plain-8/s0")
    assert entry["model"] == {
        "name": "plain_cifar",
        "depth": 8,
        "width": 4,
        "in_channels": 1,
        "num_classes": 10,
    }
    assert entry["normalization"]["kind"] == "channel"
    assert len(entry["normalization"]["mean"]) == 1


def test_an_entry_from_before_those_fields_still_loads(copy: Path, run: Path) -> None:
    """Files written before entries recorded the model and normalisation: the profile's
    width and the dataset's shape and statistics rebuild the same net."""
    _edit_entry(copy, "resnet-8/s0", lambda e: (e.pop("model"), e.pop("normalization")))
    old, _ = reference_net(copy, "resnet", 8)
    new, _ = reference_net(run, "resnet", 8)
    assert normalization_of(old).same_as(normalization_of(new))
    assert torch.equal(
        _logits(old, normalization_of(old)), _logits(new, normalization_of(new))
    )


def test_a_changed_byte_is_refused_and_says_what_to_do(copy: Path) -> None:
    file = copy / _entry(copy, "resnet-8/s0")["weights"]["file"]
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 1
    file.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="does not match.*git checkout"):
        reference_net(copy, "resnet", 8)
    file.unlink()
    with pytest.raises(WeightsError, match="missing"):
        reference_net(copy, "resnet", 8)
    assert not reference_available(copy, (8,))


def test_a_missing_net_or_run_is_named(run: Path, tmp_path: Path) -> None:
    with pytest.raises(ReferenceNetError, match=r"no net resnet-14/s0.*--depths 14"):
        reference_net(run, "resnet", 14)
    with pytest.raises(ReferenceNetError, match=r"no net plain-8/s1.*--seeds 1"):
        reference_net(run, "plain", 8, seed=1)
    with pytest.raises(FileNotFoundError, match="helpers.reproduce --profile nowhere"):
        reference_net(tmp_path / "nowhere", "resnet", 8)
    with pytest.raises(FileNotFoundError, match=r"results/no-such-run/degradation"):
        reference_net("no-such-run", "resnet", 8)  # a name: this checkout's results/
    with pytest.raises(ValueError, match="'plain' or 'resnet'"):
        reference_net(run, "vgg", 8)


def test_a_run_without_weights_says_so(copy: Path) -> None:
    _edit_entry(copy, "plain-8/s0", lambda e: e.pop("weights"))
    with pytest.raises(ReferenceNetError, match="without weights.*store_weights"):
        reference_net(copy, "plain", 8)


def test_reference_available(run: Path, copy: Path) -> None:
    assert reference_available(run, (8,), (0,))
    assert not reference_available(run, (8, 14), (0,))
    assert not reference_available(run, (8,), (0, 1))
    assert "Fashion-MNIST" in missing_reference(run, (8,), dataset="cifar10")
    _edit_entry(copy, "resnet-8/s0", lambda e: e["config"].update(epochs=3))
    assert "unfinished (1 of 3 epochs)" in missing_reference(copy, (8,))


def _no_training(monkeypatch) -> list:
    """Replace the build's training with a stub that records what it was asked for."""
    calls: list = []

    def fake_run(kind, depth, profile, *, seed=0, progress=None):
        calls.append((kind, depth, seed))
        history = History(epochs=[{"epoch": 1, "val_error": 0.5}])
        history.meta.update(profile=profile.name, seed=seed)
        return torch.nn.Identity(), history

    monkeypatch.setattr(trained_module, "cifar_run", fake_run)
    return calls


def test_trained_nets_loads_the_named_reference(run: Path, monkeypatch) -> None:
    calls = _no_training(monkeypatch)
    monkeypatch.delenv(REFERENCE_ENV, raising=False)
    nets = trained_nets(PROFILE, seed=0, reference=str(run))
    assert list(nets) == ["plain-8", "ResNet-8"] and calls == []
    model, history = nets["ResNet-8"]
    expected, _ = reference_net(run, "resnet", 8)
    state, want = model.state_dict(), expected.state_dict()
    assert state.keys() == want.keys()
    assert all(torch.equal(state[k], want[k]) for k in want)
    error = 100 * _entry(run, "resnet-8/s0")["final_test_error"]
    caption = nets_caption(nets)
    assert caption.startswith(f"the reference run {NAME} (Fashion-MNIST, 500 training")
    assert "seed 0; final test error plain-8 " in caption
    assert caption.endswith(f"ResNet-8 {error:.1f}%")
    monkeypatch.setenv(REFERENCE_ENV, str(run))  # the environment names it
    assert trained_nets(PROFILE)["ResNet-8"][1].meta["source"] == "reference run"
    assert calls == []


def test_trained_nets_falls_back_to_the_builds_own(
    run: Path, tmp_path: Path, monkeypatch
) -> None:
    calls = _no_training(monkeypatch)
    monkeypatch.delenv(REFERENCE_ENV, raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the website: no reference, no warning
        nets = trained_nets(PROFILE)
    assert calls == [("plain", 8, 0), ("resnet", 8, 0)]
    assert nets_caption(nets) == (
        f"this build's own, profile {NAME}, seed 0; "
        "final test error plain-8 50.0%, ResNet-8 50.0%"
    )
    for reference, profile, why in (
        (tmp_path / "none", PROFILE, "does not exist"),
        (run, PROFILE.replace(depths=(8, 14)), "no net plain-14/s0"),
        (run, PROFILE.replace(dataset="cifar10"), "trained on Fashion-MNIST"),
    ):
        with pytest.warns(RuntimeWarning, match=f"not using the reference.*{why}"):
            nets = trained_nets(profile, reference=reference)
        assert all(h.meta.get("source") is None for _, h in nets.values())
    monkeypatch.setenv(REFERENCE_ENV, str(run))
    trained_nets(PROFILE, reference="")  # "" turns the environment's reference off
    assert len(calls) == 2 + 2 + 4 + 2 + 2


def _serve(run: Path, www: Path, under: str = "") -> Path:
    """Put a copy of the run where the server's ``<under>results/<name>/`` finds it."""
    return Path(shutil.copytree(run, www / under / "results" / NAME))


def test_fetch_reference_checks_every_file_and_fetches_it_once(
    run: Path, server, tmp_path: Path
) -> None:
    url, www = server
    served = _serve(run, www)
    folder = fetch_reference(NAME, f"{url}results/{NAME}/", into=tmp_path / "dl")
    for kind in ("plain", "resnet"):
        file = _entry(run, f"{kind}-8/s0")["weights"]["file"]
        assert (folder / file).read_bytes() == (run / file).read_bytes()
    model, history = reference_net(folder, "resnet", 8)
    expected, _ = reference_net(run, "resnet", 8)
    assert torch.equal(
        model.state_dict()["fc.weight"], expected.state_dict()["fc.weight"]
    )
    file = _entry(run, "resnet-8/s0")["weights"]["file"]
    (served / file).write_bytes(b"changed on the server")
    fetch_reference(NAME, f"{url}results/{NAME}/", into=tmp_path / "dl")
    assert (folder / file).read_bytes() == (run / file).read_bytes(), (
        "a file already fetched with the right checksum is not fetched again"
    )


def test_a_damaged_download_is_refused_and_leaves_nothing(
    run: Path, server, tmp_path: Path
) -> None:
    url, www = server
    served = _serve(run, www)
    file = _entry(run, "plain-8/s0")["weights"]["file"]
    data = bytearray((served / file).read_bytes())
    data[-1] ^= 0xFF
    (served / file).write_bytes(bytes(data))
    with pytest.raises(DownloadError, match=r"checksum mismatch \(SHA256 "):
        fetch_reference(NAME, f"{url}results/{NAME}/", into=tmp_path / "dl")
    assert not (tmp_path / "dl" / file).exists()
    with pytest.raises(DownloadError, match="could not download reference run 'nope'"):
        fetch_reference("nope", f"{url}results/nope/", into=tmp_path / "dl2")


def test_results_url() -> None:
    assert results_url("https://github.com/o/r.git", "v1.0", "x") == (
        "https://raw.githubusercontent.com/o/r/v1.0/results/x/"
    )
    assert results_url("https://git.example/o/r/", "v1", "x") == (
        "https://git.example/o/r/raw/v1/results/x/"
    )


def test_use_reference_switches_the_chapters_to_the_downloaded_nets(
    run: Path, server, tmp_path: Path, monkeypatch
) -> None:
    url, www = server
    _serve(run, www, under="o/r/raw/vtest")  # a non-GitHub host: <repo>/raw/<ref>/...
    calls = _no_training(monkeypatch)
    monkeypatch.setenv("RESNET_BOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(profiles_module.PROFILES, NAME, PROFILE)
    monkeypatch.delenv(REFERENCE_ENV, raising=False)
    monkeypatch.setenv(ENV_VAR, "gpu")  # what setup() chose before
    folder = use_reference(f"{url}o/r", "vtest", name=NAME, profile=NAME)
    assert folder == tmp_path / "cache" / "reference" / "vtest" / NAME
    assert get_profile().name == NAME
    nets = trained_nets(get_profile())
    assert calls == [] and nets_caption(nets).startswith(f"the reference run {NAME}")
    with pytest.raises(ReferenceNetError, match="USE_REFERENCE = False"):
        use_reference(f"{url}o/r", "vtest", name=NAME, profile="quick")  # depths 20, 56
    with pytest.raises(ValueError, match="needs repo_url and ref"):
        setup(reference=True)


def test_the_pages_use_the_complete_reference_run_by_default(
    run: Path, tmp_path: Path, monkeypatch
) -> None:
    import helpers.experiments.reference as reference_module

    calls = _no_training(monkeypatch)
    monkeypatch.delenv(REFERENCE_ENV, raising=False)
    stored = Path(shutil.copytree(run, tmp_path / "results" / NAME))
    monkeypatch.setattr(reference_module, "REPO_ROOT", tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default is silent either way
        nets = trained_nets(PROFILE)
        assert calls == [] and nets["ResNet-8"][1].meta["source"] == "reference run"
        monkeypatch.setenv(REFERENCE_ENV, "none")
        trained_nets(PROFILE)  # none: the build's own, though a complete run is there
        assert calls == [("plain", 8, 0), ("resnet", 8, 0)]
        monkeypatch.delenv(REFERENCE_ENV)
        calls.clear()
        trained_nets(PROFILE.replace(depths=(8, 14)))  # nets it lacks: the build's own
        assert calls == [("plain", 8, 0), ("resnet", 8, 0), ("plain", 14, 0)] + [
            ("resnet", 14, 0)
        ]
        path = stored / "degradation.json"
        doc = json.loads(path.read_text())
        doc["provenance"]["profile"]["seeds"] = [0, 1]  # a run still in progress
        path.write_text(json.dumps(doc))
        nets = trained_nets(PROFILE)
    assert all(h.meta.get("source") is None for _, h in nets.values())


def test_nets_text_says_which_nets_and_how_long_they_trained(run: Path) -> None:
    from helpers.book.nets_text import nets_text

    nets = trained_nets(PROFILE, reference=str(run))
    said = nets_text(nets, PROFILE)
    iterations = _entry(run, "resnet-8/s0")["steps"][-1]["step"]
    assert said["scale"] == (
        f"the reference run {NAME}'s converged networks ({iterations:,} iterations on "
        "500 Fashion-MNIST training images)"
    )
    assert said["subject"] == "The reference run" and said["caption"] == nets_caption(
        nets
    )
    assert said["side_label"] == "reference run, seed 0"
    assert "not CIFAR-10" in said["lesion_caveat"]
    history = History(
        steps=[{"step": 248, "epoch": 4.0}], epochs=[{"epoch": 4, "val_error": 0.25}]
    )
    history.meta.update(profile=NAME, seed=0)
    own = {"plain-8": (torch.nn.Identity(), history)}
    said = nets_text(own, PROFILE)
    assert said["scale"] == (
        "this build's networks (248 iterations on 500 Fashion-MNIST training images)"
    )
    assert said["subject"] == "This build" and said["side_label"] == "this build"
    assert said["caption"].startswith("Fashion-MNIST, 500 training images · profile ")
    assert said["caption"].endswith("; final test error plain-8 25.0%")
    assert "these are this build's networks (248 iterations" in said["fig7_caveat"]
    assert "start at 1 and move slowly" in said["fig7_caveat"]
