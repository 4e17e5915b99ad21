"""Run the demo once per test session and share its output (SQLite in a temporary directory).

With pytest-xdist the workers of one run share it too: the first worker to ask builds it under a
file lock in :data:`SHARED_ROOT` (set by ``tests/conftest.py`` to pytest's temporary root of the
run, which all workers share and pytest removes after a few runs), the others wait and reuse it.
Tests only read the output; a test that changes the database takes a copy
(``demo_database_copy`` in ``tests/conftest.py``).
"""

from __future__ import annotations

import fcntl
import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

#: The temporary root of the test run (all xdist workers); None outside pytest.
SHARED_ROOT: Path | None = None


def _shared_directory() -> Path:
    """The directory of this run's demo: shared by the xdist workers of one run."""
    if SHARED_ROOT is None:
        return Path(tempfile.mkdtemp(prefix="hcctrial-demo-"))
    path = SHARED_ROOT / "demo"
    path.mkdir(exist_ok=True)
    return path


@cache
def demo_output() -> tuple[Path, dict[str, Any]]:
    """Return (output directory, results.json) of the session's one ``hcctrial demo`` run."""
    from hcctrial.cli.main import run

    shared = _shared_directory()
    out = shared / "out"
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (shared / "done").exists():
            try:
                run(["demo", "--out", str(out), "--json"])
            except SystemExit as exc:  # typer exits 0 after a successful command
                assert exc.code in (0, None), f"demo failed with exit code {exc.code}"
            (shared / "done").touch()
    return out, json.loads((out / "results.json").read_text(encoding="utf-8"))
