"""Production install: runtime dependencies only, from the lock; RQ pinned to the major whose
internals worker.py overrides."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest
import rq
from rq import Worker

import worker
from tests.conftest import ROOT

DEV_ONLY = ("pytest", "playwright", "hypothesis", "schemathesis", "ruff")
RUNTIME = ("flask", "rq", "redis", "babel", "gunicorn", "africastalking", "phonenumbers")


def _python_with_uv() -> str:
    """A Python that runs `-m uv`, as the Makefile's PYTHON must (the venv's has no uv)."""
    for candidate in (shutil.which("python3"), "/usr/bin/python3", sys.executable):
        if (
            candidate
            and subprocess.run([candidate, "-m", "uv", "--version"], capture_output=True).returncode
            == 0
        ):
            return candidate
    raise AssertionError("no python3 with uv: run `make install` first (it installs uv)")


def _uv() -> list[str]:
    """uv as the Makefile runs it."""
    return [_python_with_uv(), "-m", "uv"]


@pytest.fixture(scope="module")
def prod_venv(tmp_path_factory):
    """`make install-prod` into a fresh virtualenv (uv's cache makes this a second or two)."""
    venv = tmp_path_factory.mktemp("prod") / "venv"
    python = _python_with_uv()
    done = subprocess.run(
        ["make", "--no-print-directory", "install-prod", f"VENV={venv}", f"PYTHON={python}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return venv


def _can_import(venv, module: str) -> bool:
    found = subprocess.run(
        [str(venv / "bin" / "python"), "-c", f"import {module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return found.returncode == 0


def test_install_prod_has_the_runtime_and_none_of_the_dev_tools(prod_venv) -> None:
    # The web app and the worker start from the production environment alone.
    started = subprocess.run(
        [str(prod_venv / "bin" / "python"), "-c", "import app, worker; app.create_app"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "BAARA_ENV": "development"},
    )
    assert started.returncode == 0, started.stderr
    for module in DEV_ONLY:
        assert not _can_import(prod_venv, module), f"{module} is a dev tool, yet installed"


def test_runtime_export_of_the_lock_holds_no_dev_tool() -> None:
    exported = subprocess.run(
        [*_uv(), "export", "--locked", "--no-dev", "--no-hashes", "--format", "requirements.txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    # --locked fails when pyproject.toml and uv.lock disagree.
    assert exported.returncode == 0, exported.stderr
    names = {
        re.split(r"[=<>;\s]", line, maxsplit=1)[0].lower()
        for line in exported.stdout.splitlines()
        if line and not line.startswith(("#", " "))
    }
    assert set(RUNTIME) <= names
    assert not names & set(DEV_ONLY)


def _rq_requirement() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found = [d for d in project["project"]["dependencies"] if re.match(r"rq\b", d)]
    assert len(found) == 1
    return found[0]


def test_rq_is_pinned_to_the_major_version_installed_and_locked() -> None:
    major = int(rq.__version__.split(".")[0])
    spec = _rq_requirement().replace(" ", "")
    assert f">={major}." in spec and f"<{major + 1}" in spec, spec
    lock = (ROOT / "uv.lock").read_text()
    locked = re.search(r'\[\[package\]\]\nname = "rq"\nversion = "([^"]+)"', lock)
    assert locked and int(locked.group(1).split(".")[0]) == major


def test_every_rq_internal_worker_py_overrides_exists_in_that_version() -> None:
    ours = worker.with_sweeper(Worker)
    overridden = [
        name for name in vars(ours) if not name.startswith("__") and hasattr(Worker, name)
    ]
    # What worker.py relies on: RQ's idle wake-up and maintenance hooks.
    assert {"dequeue_timeout", "should_run_maintenance_tasks", "run_maintenance_tasks"} <= set(
        overridden
    )
    for name in overridden:
        theirs = getattr(Worker, name)
        mine = vars(ours)[name]
        assert isinstance(mine, property) == isinstance(theirs, property), name
        assert callable(mine) == callable(theirs), name
