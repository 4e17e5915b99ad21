"""Run the demo once per test process (SQLite in a temporary directory) and share its output."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any


@cache
def demo_output() -> tuple[Path, dict[str, Any]]:
    """Return (output directory, results.json) of one ``hcctrial demo`` run into a temp dir."""
    from hcctrial.cli.main import run

    out = Path(tempfile.mkdtemp(prefix="hcctrial-demo-"))
    try:
        run(["demo", "--out", str(out), "--json"])
    except SystemExit as exc:  # typer exits 0 after a successful command
        assert exc.code in (0, None), f"demo failed with exit code {exc.code}"
    return out, json.loads((out / "results.json").read_text(encoding="utf-8"))
