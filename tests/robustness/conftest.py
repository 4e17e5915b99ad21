"""Fixtures of the bad-input catalogue: every case runs the real ``hcctrial`` entry point
(:func:`hcctrial.cli.main.run`, in-process through the ``cli`` fixture; a sample also through the
installed script) and checks the contract of issue 11: exit code 2, a message naming the field or
file, no traceback, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CliResult

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def assert_refused(res: CliResult, *names: str) -> None:
    """Assert the contract for a refused input: exit 2, every name in the message, no traceback."""
    shown = f"exit {res.exit_code}\nstdout: {res.stdout[-1500:]}\nstderr: {res.stderr[-3000:]}"
    assert res.exit_code == 2, shown
    assert "Traceback" not in res.stdout + res.stderr, shown
    assert "internal error" not in res.stderr, shown
    assert res.stderr.strip(), shown
    for name in names:
        assert name in res.stderr, f"{name!r} not named\n{shown}"


@pytest.fixture(autouse=True)
def _crash_logs_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An unexpected error's log goes to the test's directory (and fails the exit-2 check)."""
    monkeypatch.setenv("HCCTRIAL_LOG_DIR", str(tmp_path / "crash-logs"))
