"""Cox with case weights, (start, stop] rows, robust and cluster-robust variance, against R.

Peers: live R ``coxph`` (survival 3.5) with ``weights=``, ``Surv(start, stop, event)``,
``robust=TRUE`` and ``cluster=`` on random data (Hypothesis), agreement 1e-8 relative for the
coefficients, variance (robust when R's is), log likelihoods, score and Wald tests; the
concordance to 1e-12 (unweighted or whole-number weights). Without R: a whole-number case weight
equals repeating the row under Breslow ties (the likelihood is a sum over rows), a hand identity.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hcctrial.errors import DataValidationError
from hcctrial.stats.cox import cox_ph
from tests.stats.cox_live_r import needs_r, r_coxph

RTOL = 1e-8


def _data(seed: int, n: int):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n).astype(float)])
    t = np.ceil(rng.exponential(20 * np.exp(-0.5 * X[:, 0]), n))
    e = (rng.uniform(size=n) < 0.7).astype(int)
    e[0] = 1
    start = np.floor(t * rng.uniform(0, 0.8, n))
    start[rng.uniform(size=n) < 0.3] = 0
    return rng, X, t, e, start


def test_whole_number_weights_equal_repeated_rows_under_breslow() -> None:
    # Breslow's likelihood is a sum over event rows of w log(risk sum): weight 2 = two rows.
    # (Efron's correction counts tied rows, not weights, so there the identity does not hold,
    # in R either.)
    ties = "breslow"
    rng, X, t, e, _ = _data(3, 60)
    w = rng.integers(1, 4, 60)
    fit_w = cox_ph(t, e, X, ties=ties, weights=w.astype(float), robust=False)
    rep = np.repeat(np.arange(60), w)
    fit_r = cox_ph(t[rep], e[rep], X[rep], ties=ties)
    np.testing.assert_allclose(fit_w.coef, fit_r.coef, rtol=1e-10)
    np.testing.assert_allclose(fit_w.vcov, fit_r.vcov, rtol=1e-9)
    assert fit_w.loglik == pytest.approx(fit_r.loglik, rel=1e-12)
    assert fit_w.concordance == pytest.approx(fit_r.concordance, rel=1e-14)


def test_start_zero_is_the_right_censored_fit() -> None:
    _, X, t, e, _ = _data(4, 80)
    a = cox_ph(t, e, X)
    b = cox_ph(t, e, X, start=np.full(80, -1.0))  # everyone at risk from before time 0
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-12)
    np.testing.assert_allclose(a.vcov, b.vcov, rtol=1e-11)
    assert a.concordance == pytest.approx(b.concordance, rel=1e-14)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": [1, 1, 0, 1, 1, 1]}, "weights: row 3 has 0.0"),
        ({"weights": [1, 1, 1]}, "weights: got 3 values"),
        ({"start": [0, 0, 0, 5, 0, 0]}, "start: row 4 has start 5 and stop 4"),
        ({"start": [0, 0, np.nan, 0, 0, 0]}, "start: row 3"),
        ({"cluster": [1, 2]}, "cluster: got 2 values"),
    ],
)
def test_bad_options_name_the_row(kwargs, message) -> None:
    args = {"time": [1, 2, 3, 4, 5, 6], "event": [1, 0, 1, 1, 0, 1], "X": np.arange(6.0)[:, None]}
    with pytest.raises(DataValidationError, match=message):
        cox_ph(**args, **kwargs)


def _compare(fit, r, weighted_frac: bool) -> None:
    np.testing.assert_allclose(fit.coef, np.atleast_1d(r["coef"]), rtol=RTOL)
    np.testing.assert_allclose(np.array(fit.vcov), np.atleast_2d(r["var"]), rtol=RTOL)
    np.testing.assert_allclose([fit.loglik_null, fit.loglik], r["loglik"], rtol=RTOL)
    assert fit.score_test.chisq == pytest.approx(r["score"], rel=RTOL)
    assert fit.wald_test.chisq == pytest.approx(r["wald"], rel=RTOL)
    if "naive_var" in r:
        np.testing.assert_allclose(
            np.array(fit.naive_vcov), np.atleast_2d(r["naive_var"]), rtol=RTOL
        )
    else:
        assert fit.naive_vcov is None
    if not weighted_frac:
        assert fit.concordance == pytest.approx(r["concordance"], rel=1e-12)


@st.composite
def option_sets(draw: st.DrawFn):
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(30, 150))
    rng, X, t, e, start = _data(seed, n)
    opts = {"ties": draw(st.sampled_from(["efron", "breslow"]))}
    wkind = draw(st.sampled_from(["none", "int", "frac"]))
    if wkind != "none":
        opts["weights"] = (
            rng.integers(1, 4, n).astype(float) if wkind == "int" else rng.uniform(0.3, 3, n)
        )
    if draw(st.booleans()):
        opts["start"] = start
    if draw(st.booleans()):
        opts["cluster"] = rng.integers(0, max(n // 4, 2), n).astype(float)
    elif draw(st.booleans()):
        opts["robust"] = "start" not in opts  # R needs a cluster for robust (start, stop]
    if draw(st.booleans()):
        opts["strata"] = rng.integers(0, 2, n).astype(float)
    return t, e, X, opts, wkind == "frac"


@needs_r
@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(option_sets())
def test_options_match_r_coxph(tmp_path_factory, data) -> None:
    t, e, X, opts, frac = data
    fit = cox_ph(t, e, X, **opts)
    r = r_coxph(tmp_path_factory.mktemp("r"), t, e, X, **opts)
    _compare(fit, r, frac)


@needs_r
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_cluster_robust_with_delayed_entry_and_weights_matches_r(tmp_path: Path, ties) -> None:
    rng, X, t, e, start = _data(11, 200)
    opts = {
        "ties": ties,
        "start": start,
        "weights": rng.integers(1, 4, 200).astype(float),
        "cluster": rng.integers(0, 40, 200).astype(float),
        "strata": rng.integers(0, 2, 200).astype(float),
    }
    fit = cox_ph(t, e, X, **opts)
    r = r_coxph(tmp_path, t, e, X, **opts)
    _compare(fit, r, False)
    assert fit.robust_se is not None and fit.n_clusters == len(np.unique(opts["cluster"]))
    np.testing.assert_allclose(fit.robust_se, np.sqrt(np.diag(np.array(r["var"]))), rtol=RTOL)


@needs_r
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_heavily_tied_start_stop_rows_match_r(tmp_path: Path, ties: str) -> None:
    # times on a 1..10 grid: few (stratum, time, status) blocks, so the fit sums per block in
    # row chunks (the compressed path) while removing the rows not yet entered
    rng = np.random.default_rng(21)
    n = 20_000
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n).astype(float)])
    t = rng.integers(2, 11, n).astype(float)
    start = np.where(rng.uniform(size=n) < 0.5, 0.0, rng.integers(0, 2, n).astype(float))
    e = (rng.uniform(size=n) < 0.6).astype(int)
    w = rng.integers(1, 3, n).astype(float)
    s = rng.integers(0, 2, n).astype(float)
    opts = {"ties": ties, "start": start, "weights": w, "strata": s, "robust": False}
    fit = cox_ph(t, e, X, **opts)
    r = r_coxph(tmp_path, t, e, X, ties=ties, start=start, weights=w, strata=s)
    np.testing.assert_allclose(fit.coef, r["coef"], rtol=RTOL)
    np.testing.assert_allclose(np.array(fit.vcov), np.array(r["var"]), rtol=RTOL)
    np.testing.assert_allclose([fit.loglik_null, fit.loglik], r["loglik"], rtol=RTOL)


@needs_r
def test_robust_false_with_fractional_weights_gives_the_model_variance(tmp_path: Path) -> None:
    # R's coxph makes the robust variance the default under non-integer case weights; asked for
    # robust = FALSE it returns the inverse information instead, and so must we (a Hypothesis run
    # found the live-R helper dropping robust = FALSE, comparing a model variance with R's robust).
    rng, X, t, e, start = _data(5, 40)
    w = rng.uniform(0.3, 3, 40)
    fit = cox_ph(t, e, X, weights=w, start=start, robust=False)
    r = r_coxph(tmp_path, t, e, X, weights=w, start=start, robust=False)
    assert "naive_var" not in r and fit.naive_vcov is None
    _compare(fit, r, True)
    default = cox_ph(t, e, X, weights=w, start=start)
    assert not np.allclose(np.array(default.vcov), np.array(fit.vcov), rtol=1e-3)
