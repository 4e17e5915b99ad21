"""Parametric AFT regression against R ``survreg``: lung, ovarian, aml for the four
distributions (reference JSON made by tests/reference/survival/models/survreg_r.R), live R on
Hypothesis-generated sets, and the exponential MLE by hand.

R stops at a relative log-likelihood change of 1e-9 and we iterate to 1e-12, so the coefficients
and SEs agree to R's own tolerance (checked at 1e-6) and the log likelihood to 1e-9.
"""

from __future__ import annotations

import json
import math
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcctrial.errors import DataValidationError
from hcctrial.stats.survreg import survreg, survreg_quantiles
from tests.stats.r_live import r_has, run_r, write_csv
from tests.stats.survival_reference import assert_all_close, close, numeric
from tests.stats.test_nelson_aalen_rmst import read_set
from tests.support import TESTS_REFERENCE

MODELS = TESTS_REFERENCE / "survival" / "models"
DISTS = ("weibull", "exponential", "lognormal", "loglogistic")
REL = 1e-6


@cache
def reference() -> dict[str, Any]:
    return json.loads((MODELS / "survreg_r.json").read_text())


def _data(case: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[str], list[float]]:
    if case.startswith("lung"):
        t, e = numeric("lung", "time"), (numeric("lung", "status") == 2).astype(int)
        if case == "lung_null":
            return t, e, None, [], []
        return t, e, np.c_[numeric("lung", "age"), numeric("lung", "sex")], ["age", "sex"], [60, 1]
    t, e, g = read_set(case)
    level = "2" if case == "ovarian" else "Nonmaintained"
    x = (g == level).astype(float)[:, None]
    return t, e, x, ["g"], [1.0]


@pytest.mark.parametrize("dist", DISTS)
@pytest.mark.parametrize("case", ["lung", "lung_null", "ovarian", "aml"])
def test_survreg_matches_r(dist: str, case: str) -> None:
    ref = {
        k: (np.atleast_1d(v).tolist() if k in ("names", "coef", "se") else v)
        for k, v in reference()[dist][case].items()
    }  # jsonlite writes a length-1 vector as a scalar
    t, e, x, names, profile = _data(case)
    fit = survreg(t, e, x, names, dist=dist)
    assert fit.converged and len(fit.names) == len(ref["names"])
    assert_all_close(fit.coef, ref["coef"], f"{dist}/{case}/coef", REL)
    se = list(fit.se) + ([] if fit.log_scale_se is None else [fit.log_scale_se])
    assert_all_close(se, ref["se"], f"{dist}/{case}/se", REL)
    assert math.isclose(fit.log_scale, ref["log_scale"], rel_tol=REL, abs_tol=1e-9)
    assert close(fit.loglik, ref["loglik"], 1e-9) and close(
        fit.loglik_null, ref["loglik_null"], 1e-9
    )
    q = survreg_quantiles(fit, profile, ref["p"])
    assert_all_close([x.time for x in q], ref["q"], f"{dist}/{case}/q", REL)
    assert_all_close([x.se for x in q], ref["q_se"], f"{dist}/{case}/q_se", REL)


def test_exponential_mle_by_hand() -> None:
    # no covariates: rate = events / total time, so coef = log(total time / events),
    # SE = 1 / sqrt(events); loglik = d log(rate) - rate * total time
    t, e = [2.0, 3.0, 5.0, 7.0, 11.0], [1, 0, 1, 1, 0]
    fit = survreg(t, e, dist="exponential")
    assert math.isclose(fit.coef[0], math.log(28 / 3), rel_tol=1e-12)
    assert math.isclose(fit.se[0], 1 / math.sqrt(3), rel_tol=1e-9)
    assert math.isclose(fit.loglik, 3 * math.log(3 / 28) - 3, rel_tol=1e-12)
    (median,) = survreg_quantiles(fit, [], [0.5])
    assert math.isclose(median.time, 28 / 3 * math.log(2), rel_tol=1e-12)


def test_non_positive_time_is_refused() -> None:
    with pytest.raises(DataValidationError, match="row 2 is 0"):
        survreg([1.0, 0.0, 2.0], [1, 1, 0])


R_LIVE = r"""
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
out <- list()
for (dist in c("weibull", "lognormal", "loglogistic")) {
  f <- survreg(Surv(time, event) ~ x, data = d, dist = dist)
  out[[dist]] <- list(coef = unname(coef(f)), se = unname(sqrt(diag(vcov(f)))),
                      loglik = f$loglik[2])
}
cat(toJSON(out, digits = NA))
"""

sets = st.integers(min_value=12, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0.1, 20).map(lambda v: round(v, 2)), min_size=n, max_size=n),
        st.lists(st.sampled_from([0, 1, 1]), min_size=n, max_size=n),
        st.lists(st.floats(-1, 1).map(lambda v: round(v, 2)), min_size=n, max_size=n),
    )
)


@pytest.mark.slow
@pytest.mark.skipif(not r_has("survival"), reason="R survival is not installed")
@settings(max_examples=8, deadline=None)
@given(sets)
def test_random_sets_match_live_survreg(data: tuple[list[Any], ...]) -> None:
    time, event, x = (np.array(v) for v in data)
    if event.sum() < 4 or np.ptp(x) == 0:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(
            Path(tmp) / "d.csv", {"time": time.tolist(), "event": event, "x": x.tolist()}
        )
        ref = run_r(R_LIVE, [path], Path(tmp))
    for dist, r in ref.items():
        fit = survreg(time, event, x[:, None], ["x"], dist=dist)
        assert_all_close(fit.coef, r["coef"], f"{dist}/coef", REL)
        assert_all_close([*fit.se, fit.log_scale_se], r["se"], f"{dist}/se", REL)
        assert close(fit.loglik, r["loglik"][0], 1e-9)
