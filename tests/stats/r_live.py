"""Run R live from the tests: one Rscript call on data sets written as CSV, JSON back.

Used by the tests of the survival models (competing risks, Nelson-Aalen, RMST, survreg). The
tests skip when ``Rscript`` or an R package they need is not installed (``.ci/run`` installs them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

RSCRIPT = shutil.which("Rscript")


@cache
def r_has(package: str) -> bool:
    """Whether R and its package ``package`` are installed."""
    if RSCRIPT is None:
        return False
    proc = subprocess.run(
        [RSCRIPT, "-e", f"quit(status = !requireNamespace('{package}', quietly = TRUE))"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return proc.returncode == 0


def write_csv(path: Path, columns: dict[str, Any]) -> Path:
    """Write ``columns`` to ``path`` with full float precision (repr), NA for None/NaN."""

    def cell(v: Any) -> str:
        if v is None or (isinstance(v, float) and not np.isfinite(v)):
            return "NA"
        return repr(float(v)) if isinstance(v, float | np.floating) else str(v)

    names = list(columns)
    rows = zip(*(columns[n] for n in names), strict=True)
    path.write_text(",".join(names) + "\n" + "\n".join(",".join(map(cell, r)) for r in rows) + "\n")
    return path


def run_r(code: str, files: Sequence[Path], workdir: Path) -> Any:
    """Run ``code`` with ``files`` as trailing arguments and return the JSON it prints."""
    assert RSCRIPT is not None
    script = workdir / "live.R"
    script.write_text(code)
    proc = subprocess.run(
        [RSCRIPT, str(script), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
