"""``survival cox`` and ``survival km`` through the command line against stored R references
(tests/reference/survival/cox_options_reference.json, written by the R script beside it):
(start, stop] rows with clusters, case weights, robust variance, exact ties, timefix, outliers and
monotone likelihood. 1e-8 relative; 1e-6 for the monotone set (R's iteration tolerance governs
where the coefficient drifts to infinity). R fits (start, stop] rows with agfit4, we take
coxfit6's path on the same likelihood: the estimates still agree to 1e-8 (iterations not compared).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pytest

from tests.conftest import CliResult
from tests.support import TESTS_REFERENCE

REF = TESTS_REFERENCE / "survival"
DATA = REF / "data"


@cache
def ref() -> dict[str, Any]:
    return json.loads((REF / "cox_options_reference.json").read_text())


#: case -> (csv, arguments of survival cox, tolerance)
CASES: dict[str, tuple[str, list[str], float]] = {}
for _ties in ("efron", "breslow"):
    CASES |= {
        f"bladder2_cluster_{_ties}": (
            "bladder2.csv",
            [
                "--time",
                "stop",
                "--event",
                "event",
                "--start",
                "start",
                "--covariates",
                "rx,number,size",
                "--cluster",
                "id",
            ],
            1e-8,
        ),
        f"edge_weights_frac_{_ties}": (
            "edge_weights.csv",
            ["--time", "time", "--event", "status", "--covariates", "x,arm", "--weights", "w"],
            1e-8,
        ),
        f"edge_weights_int_cluster_{_ties}": (
            "edge_weights.csv",
            [
                "--time",
                "time",
                "--event",
                "status",
                "--covariates",
                "x,arm",
                "--weights",
                "iw",
                "--cluster",
                "site",
            ],
            1e-8,
        ),
        f"edge_outlier_{_ties}": (
            "edge_outlier.csv",
            ["--time", "time", "--event", "status", "--covariates", "x"],
            1e-8,
        ),
        f"edge_monotone_{_ties}": (
            "edge_monotone.csv",
            ["--time", "time", "--event", "status", "--covariates", "x,z"],
            1e-6,
        ),
        f"edge_neartie_{_ties}": (
            "edge_neartie.csv",
            ["--time", "time", "--event", "status", "--covariates", "x,arm"],
            1e-8,
        ),
        f"edge_neartie_notimefix_{_ties}": (
            "edge_neartie.csv",
            ["--time", "time", "--event", "status", "--covariates", "x,arm", "--no-timefix"],
            1e-8,
        ),
    }
    for _case in list(CASES):
        if _case.endswith(_ties) and "--ties" not in CASES[_case][1]:
            CASES[_case][1].extend(["--ties", _ties])
CASES["edge_weights_robust_efron"] = (
    "edge_weights.csv",
    ["--time", "time", "--event", "status", "--covariates", "x,arm", "--robust"],
    1e-8,
)
CASES["edge_neartie_exact"] = (
    "edge_neartie.csv",
    ["--time", "time", "--event", "status", "--covariates", "x,arm", "--ties", "exact"],
    1e-8,
)


@pytest.fixture
def run(cli: Callable[..., CliResult]) -> Callable[..., CliResult]:
    return lambda *args: cli("survival", *args)


@pytest.mark.parametrize("case", sorted(CASES))
def test_cox_cli_matches_stored_r(run, case: str) -> None:
    csv, args, rtol = CASES[case]
    res = run("cox", DATA / csv, *args, "--json")
    assert res.exit_code == 0, res.stderr
    out, r = res.json(), ref()[case]
    terms = r["terms"] if isinstance(r["terms"], list) else [r["terms"]]  # jsonlite auto_unbox
    assert [t["name"] for t in out["terms"]] == terms
    np.testing.assert_allclose(
        [t["coef"] for t in out["terms"]], np.atleast_1d(r["coef"]), rtol=rtol
    )
    rv = np.atleast_2d(r["var"])
    scale = np.sqrt(np.outer(np.diag(rv), np.diag(rv)))
    assert np.all(np.abs(np.array(out["variance"]) - rv) <= rtol * scale)
    np.testing.assert_allclose([out["loglik_null"], out["loglik"]], r["loglik"], rtol=rtol)
    assert out["score_test"]["chisq"] == pytest.approx(r["score"], rel=rtol)
    assert out["wald_test"]["chisq"] == pytest.approx(r["wald"], rel=rtol)
    if "frac" not in case:  # fractional weights: R weighs the concordance's pairs, we do not
        assert out["concordance"] == pytest.approx(r["concordance"], rel=1e-12)
    if r["naive_var"] is not None:
        np.testing.assert_allclose(out["naive_variance"], np.atleast_2d(r["naive_var"]), rtol=rtol)
        assert out["robust_score_test"]["chisq"] == pytest.approx(r["rscore"], rel=rtol)
        assert [t["robust_se"] for t in out["terms"]] == pytest.approx(
            list(np.sqrt(np.diag(rv))), rel=rtol
        )
    else:
        assert out["naive_variance"] is None
    if "bladder2" not in case and "exact" not in case:  # coxfit6's path: R's iteration count
        assert out["iterations"] == r["iter"]


@pytest.mark.parametrize(
    ("case", "args"),
    [
        (
            "km_bladder2_counting",
            [
                "bladder2.csv",
                "--time",
                "stop",
                "--event",
                "event",
                "--start",
                "start",
                "--group",
                "rx",
            ],
        ),
        (
            "km_edge_weights_int",
            [
                "edge_weights.csv",
                "--time",
                "time",
                "--event",
                "status",
                "--weights",
                "iw",
                "--group",
                "arm",
            ],
        ),
    ],
)
def test_km_cli_matches_stored_r(run, case: str, args: list[str]) -> None:
    res = run("km", DATA / args[0], *args[1:], "--json")
    assert res.exit_code == 0, res.stderr
    r = ref()[case]
    steps = [s for g in res.json()["groups"] for s in g["steps"]]
    assert [len(g["steps"]) for g in res.json()["groups"]] == r["strata"]
    np.testing.assert_allclose([s["time"] for s in steps], r["time"], rtol=1e-14)
    np.testing.assert_allclose([s["n_risk"] for s in steps], r["n_risk"], rtol=1e-14)
    np.testing.assert_allclose([s["n_event"] for s in steps], r["n_event"], rtol=1e-14)
    surv = np.array([s["surv"] for s in steps])
    np.testing.assert_allclose(surv, r["surv"], rtol=1e-12)
    se = np.array([np.nan if s["se"] is None else s["se"] for s in steps])
    rse = np.array([np.nan if v is None else v for v in r["std_err"]])
    np.testing.assert_allclose(se, surv * rse, rtol=1e-12)
    low = np.array([np.nan if s["lower"] is None else s["lower"] for s in steps])
    np.testing.assert_allclose(low, [np.nan if v is None else v for v in r["lower"]], rtol=1e-12)
