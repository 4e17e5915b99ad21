"""Fine-Gray regression against R ``cmprsk::crr``: mgus2 and pbc (reference JSON made by
tests/reference/survival/models/competing_risks_r.R) and live R on Hypothesis-generated sets."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcctrial.errors import DataValidationError
from hcctrial.stats.fine_gray import fine_gray
from tests.stats.r_live import r_has, run_r, write_csv
from tests.stats.survival_reference import assert_all_close, close
from tests.stats.test_competing_risks import read_data, reference

CASES = [
    ("mgus2", "mgus2_cr", "etime", "event", 1),
    ("mgus2", "mgus2_cr", "etime", "event", 2),
    ("pbc", "pbc_cr", "time", "status", 1),
    ("pbc", "pbc_cr", "time", "status", 2),
]


def _design(name: str) -> tuple[np.ndarray, list[str]]:
    d = read_data(name)
    if name == "mgus2_cr":
        return np.c_[d["age"], (d["sex"] == "M").astype(float), d["hgb"]], ["age", "sexM", "hgb"]
    return np.c_[d["age"], d["logbili"], d["edema"]], ["age", "logbili", "edema"]


@pytest.mark.parametrize(("key", "name", "tcol", "scol", "cause"), CASES)
def test_crr_on_r_datasets(key: str, name: str, tcol: str, scol: str, cause: int) -> None:
    d = read_data(name)
    x, names = _design(name)
    ok = np.isfinite(x).all(axis=1)
    ref = reference()[key][f"crr_cause{cause}"]
    fit = fine_gray(d[tcol][ok], d[scol][ok], x[ok], names, cause=cause)
    assert list(fit.names) == ref["names"] and fit.n == ref["n"]
    assert fit.converged is ref["converged"]
    for ours, k in [
        (fit.coef, "coef"),
        (fit.se, "se"),
        (fit.z, "z"),
        (fit.p, "p"),
        (fit.lower, "lower"),
        (fit.upper, "upper"),
    ]:
        assert_all_close(ours, ref[k], f"{key}/{cause}/{k}")
    assert close(fit.loglik, ref["loglik"]) and close(fit.loglik_null, ref["loglik_null"])


def test_no_event_of_the_cause_and_bad_covariates_are_refused() -> None:
    with pytest.raises(DataValidationError, match="no event of cause 3"):
        fine_gray([1, 2, 3], [1, 2, 0], [[0.0], [1.0], [0.0]], cause=3)
    with pytest.raises(DataValidationError, match="row 2 is not a finite number"):
        fine_gray([1, 2, 3], [1, 2, 0], [[0.0], [np.nan], [0.0]], ["age"])


R_CRR = r"""
suppressPackageStartupMessages({ library(cmprsk); library(jsonlite) })
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
f <- crr(d$time, d$status, cbind(d$x1, d$x2), failcode = 1)
cat(toJSON(list(coef = unname(f$coef), se = unname(sqrt(diag(f$var))), loglik = f$loglik,
  loglik_null = f$loglik.null, converged = f$converged), auto_unbox = TRUE, digits = NA))
"""

sets = st.integers(min_value=15, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 12), min_size=n, max_size=n),
        st.lists(st.sampled_from([0, 1, 1, 2, 2, 3]), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(
            st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3)), min_size=n, max_size=n
        ),
    )
)


@pytest.mark.slow
@pytest.mark.skipif(not r_has("cmprsk"), reason="R cmprsk is not installed")
@settings(max_examples=12, deadline=None)
@given(sets)
def test_random_sets_match_live_crr(data: tuple[list, ...]) -> None:
    time = np.array(data[0], dtype=float)
    status = np.array(data[1])
    x = np.c_[np.array(data[2], dtype=float), np.array(data[3])]
    if (status == 1).sum() < 3 or np.ptp(x[:, 0]) == 0 or np.ptp(x[:, 1]) == 0:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(
            Path(tmp) / "d.csv",
            {
                "time": time.tolist(),
                "status": status,
                "x1": x[:, 0].tolist(),
                "x2": x[:, 1].tolist(),
            },
        )
        ref = run_r(R_CRR, [path], Path(tmp))
    fit = fine_gray(time, status, x)
    assert fit.converged is ref["converged"]
    if not ref["converged"]:
        return
    # crr stops at its own gradient tolerance; following its path we agree to rounding
    assert_all_close(fit.coef, ref["coef"], "coef", 1e-7)
    assert_all_close(fit.se, ref["se"], "se", 1e-7)
    assert close(fit.loglik, ref["loglik"], 1e-10)


@pytest.mark.parametrize("cause", [1, 2])
def test_edge_set_with_censoring_and_events_at_time_zero(cause: int) -> None:
    ref = reference()["edge_time0"]
    rows = ref["data"]
    fit = fine_gray(
        [r["time"] for r in rows],
        [r["status"] for r in rows],
        [[r["x"]] for r in rows],
        ["x"],
        cause=cause,
    )
    r = ref[f"crr_cause{cause}"]
    for key in ("coef", "se", "z", "p", "lower", "upper"):
        assert close(getattr(fit, key)[0], r[key]), (key, getattr(fit, key), r[key])
    assert close(fit.loglik, r["loglik"]) and close(fit.loglik_null, r["loglik_null"])
