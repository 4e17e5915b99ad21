"""Shared test fixtures: the CLI runner; the Hypothesis seed; where crash logs go."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session", autouse=True)
def _demo_shared_root(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Where the run's one demo is built: pytest's temporary root, shared by xdist workers."""
    from tests.demo import demo_run

    base = tmp_path_factory.getbasetemp()
    demo_run.SHARED_ROOT = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def demo_database() -> Path:
    """The SQLite file of the demo trial, built once per test process (the ``hcctrial demo`` run of
    :func:`tests.demo.demo_run.demo_output`). Read it; to change it, take :func:`demo_database_copy`.
    """
    from tests.demo.demo_run import demo_output

    out, _ = demo_output()
    return out / "demo.sqlite"


@pytest.fixture
def demo_database_copy(demo_database: Path, tmp_path: Path) -> Path:
    """A private copy of the demo trial database for one test (SQLite's backup: WAL included)."""
    import sqlite3

    path = tmp_path / "demo.sqlite"
    source, target = sqlite3.connect(demo_database), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return path


@dataclass(frozen=True)
class CliResult:
    """What one CLI call returned: exit code, stdout and stderr."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., CliResult]]:
    """Call ``hcctrial`` in-process with string arguments; return a :class:`CliResult`."""
    from hcctrial.cli.main import run

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            run([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    yield invoke


# Hypothesis, everywhere (developers' runs and CI alike): no per-example deadline (the first
# example of a test pays for lazy imports such as pint's registry), no example database (a run
# depends on the seed alone), and one fixed seed for every test, printed in the report header and
# changed with HCCTRIAL_HYPOTHESIS_SEED=N or --hypothesis-seed=N. A failure prints the blob that
# reproduces it.
import os  # noqa: E402
import tempfile  # noqa: E402

from hypothesis import settings  # noqa: E402

#: The seed of every Hypothesis test unless HCCTRIAL_HYPOTHESIS_SEED or --hypothesis-seed says.
DEFAULT_HYPOTHESIS_SEED = 20261203

settings.register_profile("hcctrial", deadline=None, database=None, print_blob=True)
settings.load_profile("hcctrial")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Fix the Hypothesis seed (before Hypothesis's plugin reads it); send crash logs of the CLI's
    top-level handler and the default audit keys to temporary directories, not the user's
    ~/.local/state."""
    if config.getoption("hypothesis_seed", None) is None:
        config.option.hypothesis_seed = os.environ.get(
            "HCCTRIAL_HYPOTHESIS_SEED", str(DEFAULT_HYPOTHESIS_SEED)
        )
    _import_every_project_module()
    os.environ.setdefault("HCCTRIAL_LOG_DIR", tempfile.mkdtemp(prefix="hcctrial-test-logs-"))
    # The default audit keys (<state dir>/audit-keys/<chain id>.key) of the run's databases: one
    # temporary directory for the run (xdist workers inherit it), not the user's ~/.local/state.
    os.environ.setdefault("HCCTRIAL_STATE_DIR", tempfile.mkdtemp(prefix="hcctrial-test-state-"))


def _import_every_project_module() -> None:
    """Import every ``hcctrial`` module now, in every process (xdist workers too).

    Hypothesis (6.13x and later) mixes into its draws the constants of the project modules that are
    in ``sys.modules`` when a test runs. Which modules those are depended on the tests a worker had
    run before, so one seed gave different examples in CI and on a developer's machine (two failures
    found in CI only). With every module loaded up front, a seed means the same examples everywhere.
    """
    import importlib
    import pkgutil

    import hcctrial

    for info in pkgutil.walk_packages(hcctrial.__path__, "hcctrial."):
        # __main__ runs the CLI, and Alembic runs migrations/env.py in its own context
        if not info.name.endswith((".__main__", ".migrations.env")):
            importlib.import_module(info.name)


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.getoption("hypothesis_seed", None)
    return (
        f"hypothesis seed: {seed} (every Hypothesis test; HCCTRIAL_HYPOTHESIS_SEED=N or "
        "--hypothesis-seed=N runs another)"
    )


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the Hypothesis seed at the end of every run (``-q`` hides the header)."""
    terminalreporter.write_line(pytest_report_header(config))
