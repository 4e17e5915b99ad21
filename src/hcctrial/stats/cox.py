"""Cox proportional-hazards regression as R's ``survival::coxph`` computes it, vectorised.

What: the partial-likelihood fit (Newton-Raphson from beta = 0 with step halving), Efron (default,
as R) or Breslow handling of tied event times, optional strata, and everything ``summary.coxph``
prints: coefficients, SE, hazard ratios with 95 % CI, Wald z and p, the likelihood-ratio, Wald and
score tests, and Harrell's concordance of the linear predictor.

Why our own code instead of lifelines/statsmodels: neither matches R's iteration path and tests to
1e-8 (lifelines stops at its own tolerance, statsmodels has no Efron score test and is very slow),
and none is fast enough (lifelines takes ~40 s at n = 10^6, R ~7.5 s; this module ~1 s including
the concordance): the partial likelihood and its derivatives are vectorised numpy with no
Python loop over subjects or times (:mod:`hcctrial.stats.cox_likelihood`), and the concordance
(:mod:`hcctrial.stats.cox_concordance`) reuses the time ranks of the fit.

Newton's path is R's, step for step (the same number of iterations and step halvings), so the
estimates agree with R to rounding (~1e-12), not just to the optimiser's tolerance.

Conventions (all R's, ``coxph.control()`` defaults): start at beta = 0; stop when
``|1 - loglik_old / loglik_new| <= tol`` (tol = 1e-9 = R's ``eps``); a step that lowers the log
likelihood is halved; the linear predictor is truncated to [-200, 22] before ``exp`` (R's
``coxsafe``); an infinite coefficient is flagged when ``|U V| > tol`` and ``> sqrt(tol) |beta|``
(R's ``toler.inf``). Covariates are centred before fitting, which changes nothing in the partial
likelihood but keeps ``exp`` well scaled. Times that differ only by rounding are NOT merged (R's
``timefix``): pass times that are meant to tie as equal numbers.

>>> import numpy as np
>>> fit = cox_ph([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 1, 0], np.array([[0.], [1.], [0.], [1.], [0.], [1.]]))
>>> fit.names, fit.n, fit.n_events
(('x1',), 6, 4)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hcctrial.errors import DataValidationError
from hcctrial.stats.cox_concordance import concordance_counts
from hcctrial.stats.cox_likelihood import (
    FloatArray,
    _partial_terms,
    _prepare,
    _score_info,
    _stratum_codes,
)
from hcctrial.stats.data import survival_data

__all__ = ["CoxConvergenceWarning", "CoxResult", "CoxTest", "cox_ph"]

_Z975 = 1.959963984540054  # qnorm(0.975)


class CoxConvergenceWarning(UserWarning):
    """The Cox fit did not converge or a coefficient is probably infinite (separation)."""


@dataclass(frozen=True)
class CoxTest:
    """A chi-square test: statistic, degrees of freedom and upper-tail p-value."""

    chisq: float
    df: int
    p: float


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model, one entry per design-matrix column in ``names`` order.

    ``hr`` = exp(coef); ``lower``/``upper`` the 95 % CI of the hazard ratio (exp(coef -/+ 1.96 se));
    ``loglik_null`` is the log partial likelihood at beta = 0, ``loglik`` at the estimate;
    ``concordance`` is Harrell's C of the linear predictor as ``survival::concordance`` reports for
    a coxph fit (pairs within strata; tied predictors count 1/2; tied event times not comparable).
    ``vcov`` is the inverse information at the estimate; ``iterations`` the Newton steps taken.
    """

    names: tuple[str, ...]
    coef: tuple[float, ...]
    se: tuple[float, ...]
    hr: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    z: tuple[float, ...]
    p: tuple[float, ...]
    loglik_null: float
    loglik: float
    lr_test: CoxTest
    wald_test: CoxTest
    score_test: CoxTest
    concordance: float
    n: int
    n_events: int
    converged: bool
    warnings: tuple[str, ...]
    ties: str = "efron"
    iterations: int = 0
    vcov: tuple[tuple[float, ...], ...] = ()
    concordance_counts: dict[str, int] | None = None


def _solve(info: FloatArray, vec: FloatArray) -> FloatArray:
    return np.asarray(np.linalg.solve(info, vec), dtype=np.float64)


def _chisq_sf(x: float, df: int) -> float:
    from hcctrial.stats.distributions import chi2_sf

    return float(chi2_sf(x, df))


def _check_design(X: FloatArray, names: tuple[str, ...]) -> None:
    for j, name in enumerate(names):
        col = X[:, j]
        if not np.isfinite(col).all():
            row = int(np.flatnonzero(~np.isfinite(col))[0]) + 1
            raise DataValidationError(
                f"covariate {name!r}: row {row} has {col[row - 1]!r}; expected a finite number "
                "(drop rows with missing values first)",
                field=name,
            )
        if col.shape[0] and np.all(col == col[0]):
            raise DataValidationError(
                f"covariate {name!r} is constant ({col[0]:g} in every row); a constant column "
                "has no effect to estimate: remove it",
                field=name,
            )


def cox_ph(
    time: Sequence[float] | npt.ArrayLike,
    event: Sequence[int] | npt.ArrayLike,
    X: npt.ArrayLike,
    names: Sequence[str] | None = None,
    ties: str = "efron",
    strata: Sequence[Any] | npt.ArrayLike | None = None,
    *,
    max_iter: int = 30,
    tol: float = 1e-9,
) -> CoxResult:
    """Fit a Cox proportional-hazards model; return a :class:`CoxResult` as R's ``coxph`` would.

    Parameters
    ----------
    time, event
        Follow-up time (any unit, >= 0) and event indicator (1 event, 0 censored), one per subject.
    X
        Covariates, n x p floats (see :func:`hcctrial.stats.design_matrix.design_matrix` for
        categorical columns). A constant column raises :class:`DataValidationError`.
    names
        Column names (default ``x1 .. xp``).
    ties
        ``"efron"`` (R's default) or ``"breslow"``.
    strata
        Optional stratum label per subject: separate baseline hazards, common coefficients.
    max_iter, tol
        Newton-Raphson limits; convergence when ``|1 - loglik_old/loglik_new| <= tol`` (R's rule).

    Non-convergence or a coefficient drifting to infinity (separation) is reported in
    ``warnings`` naming the covariate and issued as :class:`CoxConvergenceWarning`.
    """
    if ties not in ("efron", "breslow"):
        raise DataValidationError(
            f"ties: got {ties!r}; expected 'efron' or 'breslow'", field="ties"
        )
    data = survival_data(time, event, strata=strata)
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    if Xa.ndim != 2 or Xa.shape[0] != data.n:
        raise DataValidationError(
            f"X: got shape {Xa.shape}; expected ({data.n}, p) — one row per subject", field="X"
        )
    p = Xa.shape[1]
    if p == 0:
        raise DataValidationError("X: no covariates; expected at least one column", field="X")
    nm = tuple(names) if names is not None else tuple(f"x{j + 1}" for j in range(p))
    if len(nm) != p:
        raise DataValidationError(
            f"names: got {len(nm)} names for {p} columns; expected one name per column",
            field="names",
        )
    _check_design(Xa, nm)
    n_events = int(data.event.sum())
    if n_events == 0:
        raise DataValidationError(
            "event: no events in the data; expected at least one event to fit a Cox model",
            field="event",
        )
    codes = _stratum_codes(data.strata, data.n)
    prep = _prepare(data.time, data.event, Xa, codes)

    # Newton-Raphson exactly as survival's coxfit6: from beta = 0, halve a step that lowers the
    # log likelihood, stop on the relative change of the log likelihood.
    beta = np.zeros(p)
    t0 = _partial_terms(prep, beta, ties)
    U0, I0 = _score_info(prep, t0)
    loglik_null = t0.loglik
    try:
        step0 = _solve(I0, U0)
    except np.linalg.LinAlgError:
        raise DataValidationError(
            f"covariates {list(nm)}: the information matrix is singular (collinear columns, or a "
            "covariate constant within every stratum); remove redundant columns",
            field="X",
        ) from None
    score_chisq = float(U0 @ step0)
    loglik = loglik_null
    U, info = U0, I0
    newbeta = beta + step0
    converged = False
    halving = False
    iterations = 0
    for it in range(1, max_iter + 1):
        iterations = it
        tn = _partial_terms(prep, newbeta, ties)
        newlk = tn.loglik
        Un, In = _score_info(prep, tn)
        if abs(1.0 - loglik / newlk) <= tol and not halving:
            beta, loglik, U, info = newbeta, newlk, Un, In
            converged = True
            break
        if it == max_iter:
            beta, loglik, U, info = newbeta, newlk, Un, In
            break
        if newlk < loglik or not math.isfinite(newlk):
            halving = True
            newbeta = (newbeta + beta) / 2.0
        else:
            halving = False
            beta, loglik, U, info = newbeta, newlk, Un, In
            try:
                newbeta = beta + _solve(info, U)
            except np.linalg.LinAlgError:
                break
    messages: list[str] = []
    try:
        vcov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise DataValidationError(
            f"covariates {list(nm)}: the information matrix is singular at the estimate; "
            "a covariate is collinear with others or perfectly separates events",
            field="X",
        ) from None
    if not converged:
        messages.append(
            f"Ran out of iterations ({max_iter}) and did not converge; coefficients "
            f"{list(nm)} are not reliable"
        )
    else:
        infs = np.abs(U @ vcov)
        flag = (infs > tol) & (infs > math.sqrt(tol) * np.abs(beta))
        for j in np.flatnonzero(flag):
            messages.append(
                f"Loglik converged before variable {nm[j]!r}; coefficient may be infinite "
                "(separation: the covariate (nearly) perfectly predicts the event order)"
            )
    se = np.sqrt(np.diag(vcov))
    if not np.all(np.isfinite(se)) or np.any(np.diag(vcov) <= 0):
        bad = [nm[j] for j in np.flatnonzero(~(np.diag(vcov) > 0))]
        messages.append(f"non-positive variance for {bad}; the fit is degenerate")
    for msg in messages:
        warnings.warn(msg, CoxConvergenceWarning, stacklevel=2)

    from hcctrial.stats.distributions import normal_sf

    z = beta / se
    pz = 2.0 * normal_sf(np.abs(z))
    with np.errstate(over="ignore"):  # a separated fit (already warned about) has CI up to inf
        hr, lower, upper = np.exp(beta), np.exp(beta - _Z975 * se), np.exp(beta + _Z975 * se)
    lr = 2.0 * (loglik - loglik_null)
    wald = float(beta @ info @ beta)

    counts = concordance_counts(
        data.time,
        data.event,
        Xa @ beta,
        codes if strata is not None else None,
        time_rank=(prep.time_rank, prep.n_times),
    )
    return CoxResult(
        names=nm,
        coef=tuple(float(b) for b in beta),
        se=tuple(float(s) for s in se),
        hr=tuple(float(v) for v in hr),
        lower=tuple(float(v) for v in lower),
        upper=tuple(float(v) for v in upper),
        z=tuple(float(v) for v in z),
        p=tuple(float(v) for v in pz),
        loglik_null=float(loglik_null),
        loglik=float(loglik),
        lr_test=CoxTest(float(lr), p, _chisq_sf(lr, p)),
        wald_test=CoxTest(wald, p, _chisq_sf(wald, p)),
        score_test=CoxTest(score_chisq, p, _chisq_sf(score_chisq, p)),
        concordance=counts.concordance,
        n=data.n,
        n_events=n_events,
        converged=converged,
        warnings=tuple(messages),
        ties=ties,
        iterations=iterations,
        vcov=tuple(tuple(float(v) for v in row) for row in vcov),
        concordance_counts=counts.as_dict(),
    )
