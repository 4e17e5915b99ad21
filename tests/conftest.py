"""Shared test fixtures: the CLI runner and the paths of the shared reference material."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest


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


# Hypothesis: no per-example deadline (CI machines are noisy, and the first example of a test pays
# for lazy imports such as pint's registry); the number of examples stays at the default. Under CI
# the examples are derandomized (a fixed sequence per test), so a CI run is reproducible; a
# developer's run explores new examples each time.
import os  # noqa: E402

from hypothesis import settings  # noqa: E402

settings.register_profile("hcctrial", deadline=None)
settings.register_profile("hcctrial-ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("hcctrial-ci" if os.environ.get("CI") else "hcctrial")
