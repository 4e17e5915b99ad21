"""Readers of the R ``survival`` reference outputs in tests/reference/survival/ (see its README)."""

from __future__ import annotations

import csv
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from tests.support import TESTS_REFERENCE

SURVIVAL_REFERENCE = TESTS_REFERENCE / "survival"
DATASETS = ("lung", "veteran")
#: r_reference.R's analysis sets: the event definition and the grouping variable.
EVENT_CODE = {"lung": ("status", 2.0), "veteran": ("status", 1.0)}
GROUP_VAR = {"lung": "sex", "veteran": "trt"}
REL = 1e-8


@cache
def r_reference() -> dict[str, Any]:
    """r_reference.json (R 4.2.2, survival 3.5-3)."""
    return json.loads((SURVIVAL_REFERENCE / "r_reference.json").read_text())


@cache
def spss_reference() -> dict[str, Any]:
    """spss_style_reference.json (the SPSS median rule applied to lung and veteran)."""
    return json.loads((SURVIVAL_REFERENCE / "spss_style_reference.json").read_text())


@cache
def raw_columns(name: str) -> dict[str, list[str]]:
    """The CSV of data set ``name`` as text columns."""
    path: Path = SURVIVAL_REFERENCE / "data" / f"{name}.csv"
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: [r[k] for r in rows] for k in rows[0]}


def numeric(name: str, column: str) -> np.ndarray:
    """Column ``column`` of data set ``name`` as floats (NA -> nan)."""
    return np.array([math.nan if v == "NA" else float(v) for v in raw_columns(name)[column]])


def analysis_set(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(time, event 0/1, group) as r_reference.R's ``mk()`` builds them."""
    col, code = EVENT_CODE[name]
    return (
        numeric(name, "time"),
        (numeric(name, col) == code).astype(int),
        numeric(name, GROUP_VAR[name]),
    )


def close(actual: float | None, expected: float | None, rel: float = REL) -> bool:
    """Whether ``actual`` equals ``expected`` to ``rel`` (None/NaN on both sides are equal)."""
    a_missing = actual is None or (isinstance(actual, float) and not math.isfinite(actual))
    if expected is None:
        return a_missing
    if a_missing:
        return False
    assert actual is not None
    return math.isclose(float(actual), float(expected), rel_tol=rel, abs_tol=1e-12)


def assert_all_close(actual: Any, expected: Any, what: str, rel: float = REL) -> None:
    """Assert element-wise closeness of two sequences, naming the first mismatch."""
    act = [None if v is None else float(v) for v in np.asarray(actual, dtype=object).ravel()]
    exp = list(np.asarray(expected, dtype=object).ravel())
    assert len(act) == len(exp), f"{what}: length {len(act)} vs R {len(exp)}"
    for i, (a, e) in enumerate(zip(act, exp, strict=True)):
        assert close(a, e, rel), f"{what}[{i}]: ours {a!r}, R {e!r}"
