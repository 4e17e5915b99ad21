"""Aalen-Johansen cumulative incidence (cmprsk's variance) and Gray's test against R.

Three sources: a hand calculation; R's reference JSON on mgus2 and pbc
(tests/reference/survival/models/competing_risks_r.R); live R (``cmprsk::cuminc``, ``timepoints``
and survival's multi-state ``survfit``) on Hypothesis-generated small sets with many ties.
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
from hcctrial.stats.competing_risks import (
    cumulative_incidence,
    cumulative_incidence_by_group,
    gray_test,
    incidence_at,
)
from tests.stats.r_live import r_has, run_r, write_csv
from tests.stats.survival_reference import assert_all_close, close
from tests.support import TESTS_REFERENCE

MODELS = TESTS_REFERENCE / "survival" / "models"


@cache
def reference() -> dict[str, Any]:
    return json.loads((MODELS / "competing_risks_r.json").read_text())


def read_data(name: str) -> dict[str, np.ndarray]:
    lines = (MODELS / "data" / f"{name}.csv").read_text().splitlines()
    header = [h.strip('"') for h in lines[0].split(",")]
    rows = [[c.strip('"') for c in line.split(",")] for line in lines[1:]]
    out = {}
    for j, h in enumerate(header):
        col = [r[j] for r in rows]
        try:
            out[h] = np.array([math.nan if c == "NA" else float(c) for c in col])
        except ValueError:
            out[h] = np.array(col, dtype=object)
    return out


def test_hand_calculation_with_a_competing_event_and_ties() -> None:
    # times 1 1 2 3 3 4, status 1 2 1 0 2 1: at t=1 n=6, d1=1, d2=1 -> F = 1/6, S = 4/6;
    # t=2 n=4 d1=1 -> F = 1/6 + 4/6 * 1/4 = 1/3, S = 1/2; t=3 n=3 d2=1 -> S = 1/3;
    # t=4 n=1 d1=1 -> F = 1/3 + 1/3 = 2/3.
    c = cumulative_incidence([1, 1, 2, 3, 3, 4], [1, 2, 1, 0, 2, 1])
    assert c.time.tolist() == [1.0, 2.0, 4.0]
    assert np.allclose(c.cif, [1 / 6, 1 / 3, 2 / 3], rtol=1e-15)
    # cmprsk's variance at t=1: S(0)^2 * d1 / n^2 * (1 + F/S(1))^2 ... with F = 1/6, S(1) = 2/3:
    # cause term (1 + 1/4)^2 / 36 + competing term (1/4)^2 / 36, then v1 + F^2 v3 - 2 F v2:
    v1 = (1.25**2 + 0.25**2) / 36
    v2 = (1.5 * 1.25 + 1.5 * 0.25) / 36
    v3 = (1.5**2 * 2) / 36
    assert math.isclose(c.variance[0], v1 + v3 / 36 - 2 * v2 / 6, rel_tol=1e-14)
    at = incidence_at(c, [0.5, 1, 3.5, 4, 5])
    assert [a.cif for a in at] == [0.0, c.cif[0], c.cif[1], c.cif[2], None]


def test_bad_status_is_refused_naming_the_row() -> None:
    with pytest.raises(DataValidationError, match=r"row 2 has 1\.5"):
        cumulative_incidence([1, 2], [0, 1.5])
    with pytest.raises(DataValidationError, match="row 1 has -1"):
        cumulative_incidence([-1, 2], [0, 1])
    with pytest.raises(DataValidationError, match="at least two"):
        gray_test([1, 2], [1, 0], ["a", "a"])


@pytest.mark.parametrize(
    ("dataset", "key", "tcol", "scol", "gcol"),
    [
        ("mgus2_cr", "cuminc_sex", "etime", "event", "sex"),
        ("pbc_cr", "cuminc_trt", "time", "status", "trt"),
    ],
)
def test_cuminc_estimate_variance_timepoints_and_gray_test_match_r(
    dataset: str, key: str, tcol: str, scol: str, gcol: str
) -> None:
    d = read_data(dataset)
    ref = reference()[dataset.split("_")[0]][key]
    g = d[gcol]
    keep = ~np.isnan(d[scol]) & ~np.isnan(d[tcol])
    if g.dtype != object:
        keep &= ~np.isnan(g)
        g = np.array([f"{v:g}" for v in g], dtype=object)
    curves = cumulative_incidence_by_group(d[tcol][keep], d[scol][keep], g[keep])
    assert len(curves) == len(ref["curves"])
    for c in curves:
        r = ref["curves"][f"{c.label} {c.cause}"]
        what = f"{dataset}/{c.label}/{c.cause}"
        assert_all_close(c.time, r["time"], what + "/time")
        assert_all_close(c.cif, r["est"], what + "/est")
        assert_all_close(c.variance, r["var"], what + "/var")
        at = incidence_at(c, ref["at"])
        assert_all_close([a.cif for a in at], r["at_est"], what + "/at_est")
        assert_all_close(
            [None if a.std_err is None else a.std_err**2 for a in at], r["at_var"], what + "/at_var"
        )
    for i, cause in enumerate(ref["tests"]["cause"]):
        gt = gray_test(d[tcol][keep], d[scol][keep], g[keep], int(cause))
        assert close(gt.chisq, ref["tests"]["stat"][i]), (cause, gt, ref["tests"])
        assert close(gt.p, ref["tests"]["pv"][i])
        assert gt.df == ref["tests"]["df"][i]
        gt1 = gray_test(d[tcol][keep], d[scol][keep], g[keep], int(cause), rho=1.0)
        assert close(gt1.chisq, ref["tests"]["stat_rho1"][i])


def test_estimate_matches_survfit_multistate_aalen_johansen() -> None:
    d = read_data("mgus2_cr")
    ref = reference()["mgus2"]["cuminc_sex"]["survfit"]
    curves = cumulative_incidence_by_group(d["etime"], d["event"], d["sex"])
    strata = np.array(ref["strata"])
    times = np.array(ref["time"])
    pstate = np.array(ref["pstate"], dtype=float)  # columns: (s0), 1, 2
    for c in curves:
        rows = strata == f"group={c.label}"
        col = ref["states"].index(str(c.cause))
        at = incidence_at(c, times[rows].tolist())
        assert_all_close([a.cif for a in at], pstate[rows, col], f"survfit/{c.label}/{c.cause}")


def test_log_log_interval_follows_its_formula() -> None:
    c = cumulative_incidence([1, 2, 3, 4, 5, 6, 7], [1, 2, 1, 0, 1, 2, 0])
    z = 1.959963984540054
    for f, se, lo, up in zip(c.cif, c.std_err, c.lower, c.upper, strict=True):
        # log(-log F) +/- z SE / (F |log F|), mapped back: F^exp(-/+ ...)
        half = z * se / (f * abs(math.log(f)))
        assert math.isclose(lo, math.exp(-math.exp(math.log(-math.log(f)) + half)), rel_tol=1e-12)
        assert math.isclose(up, math.exp(-math.exp(math.log(-math.log(f)) - half)), rel_tol=1e-12)
        assert lo < f < up


R_LIVE = r"""
suppressPackageStartupMessages({ library(survival); library(cmprsk); library(jsonlite) })
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
ci <- cuminc(d$time, d$status, d$group, strata = d$strata)
ci0 <- cuminc(d$time, d$status, d$group)
curves <- list()
for (nm in setdiff(names(ci), "Tests")) {
  x <- ci[[nm]]; j <- which(diff(x$time) == 0 & diff(x$est) > 0) + 1
  tp <- timepoints(ci[nm], c(0, 1.5, 3, 4.5, 7, 9))
  curves[[nm]] <- list(time = x$time[j], est = x$est[j], var = x$var[j],
                       at_est = unname(tp$est[1, ]), at_var = unname(tp$var[1, ]))
}
sf <- survfit(Surv(time, factor(status)) ~ group, data = d)
out <- list(curves = curves, sf_strata = rep(names(sf$strata), sf$strata), sf_time = sf$time,
            sf_pstate = unname(sf$pstate), sf_states = sf$states)
if (!is.null(ci$Tests)) out$strat <- unname(ci$Tests[, "stat"])
if (!is.null(ci0$Tests)) out$stat <- unname(ci0$Tests[, "stat"])
if (!is.null(ci0$Tests)) out$causes <- rownames(ci0$Tests)
cat(toJSON(out, auto_unbox = FALSE, digits = NA, na = "null"))
"""

small_sets = st.integers(min_value=5, max_value=45).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 9), min_size=n, max_size=n),
        st.lists(st.sampled_from([0, 0, 1, 1, 2, 3]), min_size=n, max_size=n),
        st.lists(st.integers(1, 3), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
    )
)


@pytest.mark.slow
@pytest.mark.skipif(not r_has("cmprsk"), reason="R cmprsk is not installed")
@settings(max_examples=15, deadline=None)
@given(small_sets)
def test_random_small_sets_match_live_cmprsk(data: tuple[list[int], ...]) -> None:
    time = np.array(data[0], dtype=float) + 0.5 * np.array(data[3])  # ties and half-steps
    status, group, strata = (np.array(x) for x in data[1:])
    if not (status > 0).any():
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(
            Path(tmp) / "d.csv",
            {"time": time.tolist(), "status": status, "group": group, "strata": strata},
        )
        ref = run_r(R_LIVE, [path], Path(tmp))
    curves = cumulative_incidence_by_group(time, status, group)
    assert len(curves) == len(ref["curves"])
    for c in curves:
        r = ref["curves"][f"{c.label} {c.cause}"]
        assert_all_close(c.time, r["time"], "time")
        assert_all_close(c.cif, r["est"], "est")
        assert_all_close(c.variance, r["var"], "var")
        at = incidence_at(c, [0, 1.5, 3, 4.5, 7, 9])
        assert_all_close([a.cif for a in at], r["at_est"], "at_est")
    # the estimate is also survfit's multi-state Aalen-Johansen
    sf_strata = np.array(ref["sf_strata"])
    pstate = np.array(ref["sf_pstate"], dtype=float)
    for c in curves:
        # one group: survfit has no strata, every row is that group's
        rows = sf_strata == f"group={c.label}" if sf_strata.size else np.full(len(pstate), True)
        col = ref["sf_states"].index(str(c.cause))
        at = incidence_at(c, np.array(ref["sf_time"])[rows].tolist())
        assert_all_close([a.cif for a in at], pstate[rows, col], "survfit pstate")
    for key, strata_arg in (("stat", None), ("strat", strata)):
        if key not in ref:
            continue
        for cause, stat in zip(ref["causes"], ref[key], strict=True):
            gt = gray_test(time, status, group, int(cause), strata=strata_arg)
            if stat == -1:
                assert gt.chisq is None
            else:
                assert gt.chisq is not None and close(gt.chisq, stat, 1e-7), (key, cause, gt, stat)


def test_a_stratum_without_events_adds_nothing_to_grays_test() -> None:
    # Gray's stratified statistic sums each stratum's score and variance over its event times; a
    # stratum whose rows are all censored has none, so adding one leaves the test unchanged (the
    # case a Hypothesis run found: it used to raise IndexError on the empty stratum).
    time = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    status = [1, 2, 1, 0, 1, 1, 0, 2]
    group = [1, 2, 1, 2, 2, 1, 2, 1]
    alone = gray_test(time, status, group, 1, strata=[0] * 8)
    padded = gray_test(
        [*time, 0.0, 0.0, 3.0],
        [*status, 0, 0, 0],
        [*group, 1, 2, 2],
        1,
        strata=[0] * 8 + [1, 1, 1],
    )
    assert alone.chisq is not None and padded.chisq == pytest.approx(alone.chisq, rel=1e-14)
