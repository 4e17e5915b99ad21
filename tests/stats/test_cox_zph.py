"""cox.zph: the Schoenfeld-residual (score) test of proportional hazards against R to 1e-8.

Reference: tests/reference/survival/r_reference.json, ``cox.zph(fit)`` (transform "km",
terms = TRUE: a factor is one term, e.g. veteran's celltype with 3 df), every Efron and Breslow
fit; plus R live on random data for the other transforms when ``Rscript`` exists.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hcctrial.errors import DataValidationError
from hcctrial.stats.cox import cox_ph
from hcctrial.stats.cox_zph import cox_zph
from tests.stats.cox_reference import all_cases, cox_case

RTOL = 1e-8


@pytest.mark.parametrize(("model", "ties"), all_cases(), ids=[f"{m}-{t}" for m, t in all_cases()])
def test_zph_matches_r_cox_zph(model: str, ties: str) -> None:
    case = cox_case(model, ties)
    X = case.design.matrix
    fit = cox_ph(case.time, case.event, X, case.design.names, ties, case.strata)
    res = cox_zph(fit, case.time, case.event, X, case.strata, terms=case.design.assign)
    ref = case.r["cox_zph"]
    got = (*res.terms, res.global_test)
    assert [t.term for t in got] == ref["terms"]
    np.testing.assert_allclose([t.chisq for t in got], ref["chisq"], rtol=RTOL)
    assert [t.df for t in got] == ref["df"]
    np.testing.assert_allclose([t.p for t in got], ref["p"], rtol=RTOL)
    assert res.transform == ref["transform"] == "km"


R_SCRIPT = """
suppressPackageStartupMessages({library(survival); library(jsonlite)})
d <- read.csv("%s")
out <- list()
for (ties in c("efron", "breslow")) for (tr in c("km", "identity", "rank", "log")) {
  f <- coxph(Surv(time, event) ~ x1 + x2 + strata(s), data = d, ties = ties)
  z <- cox.zph(f, transform = tr)
  out[[paste(ties, tr)]] <- unname(z$table[, "chisq"])
}
cat(toJSON(out, digits = NA))
"""


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_zph_transforms_match_r_live(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    n = 300
    x1, x2, s = rng.normal(size=n), rng.integers(0, 2, n), rng.integers(0, 2, n)
    t = np.ceil(rng.exponential(30 * np.exp(-0.4 * x1 + 0.5 * x2 * np.sqrt(np.arange(n) / n))))
    e = (rng.uniform(size=n) < 0.5).astype(int)
    csv = tmp_path / "d.csv"
    np.savetxt(
        csv,
        np.column_stack([t, e, x1, x2, s]),
        delimiter=",",
        fmt="%.17g",
        header="time,event,x1,x2,s",
        comments="",
    )
    (tmp_path / "z.R").write_text(R_SCRIPT % csv)
    r = json.loads(
        subprocess.run(
            ["Rscript", str(tmp_path / "z.R")], capture_output=True, text=True, check=True
        ).stdout
    )
    X = np.column_stack([x1, x2])
    for ties in ("efron", "breslow"):
        fit = cox_ph(t, e, X, ["x1", "x2"], ties, strata=s)
        for tr in ("km", "identity", "rank", "log"):
            res = cox_zph(fit, t, e, X, strata=s, transform=tr)
            got = [z.chisq for z in (*res.terms, res.global_test)]
            np.testing.assert_allclose(got, r[f"{ties} {tr}"], rtol=RTOL, err_msg=f"{ties} {tr}")


SMALL = (
    [1, 2, 3, 4, 5, 6, 7, 8],
    [1, 0, 1, 1, 0, 1, 1, 1],
    np.array([[0.0], [1], [1], [0], [1], [0], [1], [0]]),
)


def test_unknown_transform_is_rejected() -> None:
    t, e, X = SMALL
    fit = cox_ph(t, e, X)
    with pytest.raises(DataValidationError, match="transform: got 'sqrt'"):
        cox_zph(fit, t, e, X, transform="sqrt")


def test_x_of_another_shape_than_the_fit_is_rejected() -> None:
    t, e, X = SMALL
    fit = cox_ph(t, e, X)
    with pytest.raises(DataValidationError, match=r"expected \(8, 1\)"):
        cox_zph(fit, t, e, np.hstack([X, X]))
