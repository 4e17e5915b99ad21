"""Parametric survival regression (accelerated failure time), as R ``survival::survreg``.

Model: log T = x'b + sigma W with W standard extreme-value (``weibull``; ``exponential`` fixes
sigma = 1), standard normal (``lognormal``) or standard logistic (``loglogistic``). Right-censored
data; the maximum-likelihood fit over (b, log sigma) by Newton-Raphson with step halving, from
b = (log of the mean time, 0, ...), log sigma = 0, iterated until the log likelihood changes by less
than 1e-12 relative (R stops at 1e-9, ``survreg.control``: both reach the same maximum; agreement
is to R's tolerance, ~1e-7 relative on the coefficients, closer on the log likelihood).

Reported as R does: coefficients with SEs from the inverse of the observed information (``vcov``,
including ``Log(scale)``), Wald z and p, the log likelihood on the time scale (it includes the
Jacobian -sum log t over the events, as ``survreg``'s ``loglik``), the intercept-only log
likelihood and the likelihood-ratio test ``print.survreg`` shows. Predicted quantiles
(``predict(type = "quantile", se.fit = TRUE)``): t_p = exp(x'b + sigma Q(p)) with Q the quantile of
W, SE by the delta method on the log scale times t_p (as R), CI exp(log t_p -/+ z SE/t_p).

Written here because statsmodels and scipy have no censored AFT regression that reports R's
quantities, and lifelines's fitters use another parametrisation and optimiser tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from hcctrial.errors import DataValidationError
from hcctrial.stats.data import survival_data

__all__ = [
    "SurvregDist",
    "SurvregFit",
    "SurvregQuantile",
    "survreg",
    "survreg_quantiles",
]

FloatArray = npt.NDArray[np.float64]


class SurvregDist(StrEnum):
    """The distribution of T (R ``survreg``'s ``dist``)."""

    WEIBULL = "weibull"
    EXPONENTIAL = "exponential"
    LOGNORMAL = "lognormal"
    LOGLOGISTIC = "loglogistic"


@dataclass(frozen=True)
class SurvregFit:
    """A fitted AFT model. ``names``/``coef``/``se``/``z``/``p`` cover the coefficients (the
    intercept first); ``log_scale``/``log_scale_se`` the Log(scale) row (SE None for the
    exponential); ``vcov`` the full covariance (coefficients, then log sigma when estimated)."""

    dist: SurvregDist
    names: tuple[str, ...]
    coef: tuple[float, ...]
    se: tuple[float, ...]
    z: tuple[float, ...]
    p: tuple[float, ...]
    scale: float
    log_scale: float
    log_scale_se: float | None
    vcov: tuple[tuple[float, ...], ...]
    loglik: float
    loglik_null: float
    lr_test: tuple[float, int, float]
    n: int
    n_events: int
    iterations: int
    converged: bool


def _h(dist: SurvregDist, z: FloatArray, event: FloatArray) -> tuple[FloatArray, ...]:
    """log density (events) or log survival (censored) of W at z, and its first two derivatives."""
    from scipy.special import expit, log_ndtr, ndtr

    if dist in (SurvregDist.WEIBULL, SurvregDist.EXPONENTIAL):
        ez = np.exp(z)
        return event * z - ez, event - ez, -ez
    if dist is SurvregDist.LOGLOGISTIC:
        p = expit(z)
        log1p_ez = np.logaddexp(0.0, z)
        h = event * z - (1.0 + event) * log1p_ez
        return h, event - (1.0 + event) * p, -(1.0 + event) * p * (1.0 - p)
    # lognormal: censored terms use the inverse Mills ratio lam = phi(z) / Phi(-z)
    log_sf = log_ndtr(-z)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        lam = np.exp(-0.5 * z * z - 0.5 * np.log(2 * np.pi) - log_sf)
    lam = np.where(ndtr(-z) > 0, lam, z)  # far tail: lam ~ z
    h = np.where(event > 0, -0.5 * z * z - 0.5 * np.log(2 * np.pi), log_sf)
    d1 = np.where(event > 0, -z, -lam)
    d2 = np.where(event > 0, -1.0, -lam * (lam - z))
    return h, d1, d2


def _loglik(
    dist: SurvregDist, theta: FloatArray, x: FloatArray, y: FloatArray, ev: FloatArray, fixed: bool
) -> tuple[float, FloatArray, FloatArray]:
    """Log likelihood on the log-time scale (no Jacobian), gradient and Hessian in theta."""
    p = x.shape[1]
    b = theta[:p]
    s = 0.0 if fixed else float(theta[p])
    sigma = np.exp(s)
    z = (y - x @ b) / sigma
    h, d1, d2 = _h(dist, z, ev)
    ll = float(h.sum() - ev.sum() * s)
    g_b = -(d1[:, None] * x).sum(axis=0) / sigma
    h_bb = (x.T * d2) @ x / sigma**2
    if fixed:
        return ll, g_b, h_bb
    g_s = float(-(d1 * z).sum() - ev.sum())
    h_bs = (x.T @ (d2 * z + d1)) / sigma
    h_ss = float((d2 * z * z + d1 * z).sum())
    grad = np.append(g_b, g_s)
    hess = np.zeros((p + 1, p + 1))
    hess[:p, :p] = h_bb
    hess[:p, p] = hess[p, :p] = h_bs
    hess[p, p] = h_ss
    return ll, grad, hess


def _maximise(
    dist: SurvregDist, x: FloatArray, y: FloatArray, ev: FloatArray, max_iter: int = 100
) -> tuple[FloatArray, float, FloatArray, int, bool]:
    fixed = dist is SurvregDist.EXPONENTIAL
    theta = np.zeros(x.shape[1] + (0 if fixed else 1))
    theta[0] = float(np.log(np.mean(np.exp(y))))
    ll, grad, hess = _loglik(dist, theta, x, y, ev, fixed)
    for it in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(-hess, grad)
        except np.linalg.LinAlgError:
            return theta, ll, hess, it, False
        for _ in range(40):
            new = theta + step
            ll_new, g_new, h_new = _loglik(dist, new, x, y, ev, fixed)
            if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll):
                break
            step = step / 2.0
        else:
            return theta, ll, hess, it, False
        done = abs(ll_new - ll) <= 1e-12 * max(abs(ll), 1.0) and np.max(np.abs(step)) < 1e-9
        theta, ll, grad, hess = new, ll_new, g_new, h_new
        if done:
            return theta, ll, hess, it, True
    return theta, ll, hess, max_iter, False


def survreg(
    time: Sequence[float] | npt.ArrayLike,
    event: Sequence[int] | npt.ArrayLike,
    x: npt.ArrayLike | None = None,
    names: Sequence[str] | None = None,
    *,
    dist: SurvregDist | str = SurvregDist.WEIBULL,
) -> SurvregFit:
    """Return the AFT fit of ``time``/``event`` on covariates ``x`` (n x p, no intercept column:
    the intercept is added first, named ``(Intercept)`` as R). Times must be > 0."""
    from hcctrial.stats.distributions import chi2_sf, normal_sf

    d = SurvregDist(dist)
    data = survival_data(time, event)
    if (data.time <= 0).any():
        row = int(np.flatnonzero(data.time <= 0)[0]) + 1
        raise DataValidationError(
            f"time: row {row} is {data.time[row - 1]:g}; survreg needs times > 0 (log time)",
            field="time",
        )
    n = data.n
    xm = np.zeros((n, 0)) if x is None else np.asarray(x, dtype=np.float64).reshape(n, -1)
    labels = ("(Intercept)", *(names or (f"x{j + 1}" for j in range(xm.shape[1]))))
    design = np.hstack((np.ones((n, 1)), xm))
    y = np.log(data.time)
    ev = data.event.astype(np.float64)
    if ev.sum() == 0:
        raise DataValidationError("event: no events; nothing to fit", field="event")
    theta, ll, hess, iters, ok = _maximise(d, design, y, ev)
    _, ll0, _, _, _ = _maximise(d, design[:, :1], y, ev)
    vcov = np.linalg.inv(-hess)
    se_all = np.sqrt(np.diag(vcov))
    p = design.shape[1]
    coef, se = theta[:p], se_all[:p]
    z = coef / se
    jac = float((y * ev).sum())
    lr = 2.0 * (ll - ll0)
    fixed = d is SurvregDist.EXPONENTIAL
    return SurvregFit(
        d,
        tuple(labels),
        tuple(float(v) for v in coef),
        tuple(float(v) for v in se),
        tuple(float(v) for v in z),
        tuple(float(v) for v in 2.0 * normal_sf(np.abs(z))),
        1.0 if fixed else float(np.exp(theta[p])),
        0.0 if fixed else float(theta[p]),
        None if fixed else float(se_all[p]),
        tuple(tuple(float(v) for v in row) for row in vcov),
        ll - jac,
        ll0 - jac,
        (float(lr), p - 1, float(chi2_sf(lr, p - 1)) if p > 1 else float("nan")),
        n,
        int(ev.sum()),
        iters,
        ok,
    )


@dataclass(frozen=True)
class SurvregQuantile:
    """The p-quantile of T at one covariate profile, with SE (delta method) and CI."""

    p: float
    time: float
    se: float
    lower: float
    upper: float


def _w_quantile(dist: SurvregDist, p: float) -> float:
    from hcctrial.stats.distributions import normal_ppf

    if dist in (SurvregDist.WEIBULL, SurvregDist.EXPONENTIAL):
        return float(np.log(-np.log1p(-p)))
    if dist is SurvregDist.LOGLOGISTIC:
        return float(np.log(p / (1.0 - p)))
    return float(normal_ppf(p))


def survreg_quantiles(
    fit: SurvregFit,
    covariates: Sequence[float],
    probs: Sequence[float] = (0.25, 0.5, 0.75),
    *,
    conf_level: float = 0.95,
) -> tuple[SurvregQuantile, ...]:
    """Return the predicted quantiles of T for one covariate row (without the intercept), as R's
    ``predict(fit, newdata, type = "quantile", p = probs, se.fit = TRUE)``; CI on the log scale."""
    from hcctrial.stats.distributions import normal_ppf

    xrow = np.concatenate(([1.0], np.asarray(covariates, dtype=np.float64)))
    if xrow.shape[0] != len(fit.coef):
        raise DataValidationError(
            f"covariates: got {xrow.shape[0] - 1} values; expected {len(fit.coef) - 1}",
            field="covariates",
        )
    vcov = np.asarray(fit.vcov)
    zq = float(normal_ppf(1.0 - (1.0 - conf_level) / 2.0))
    out = []
    for prob in probs:
        if not 0.0 < prob < 1.0:
            raise DataValidationError(
                f"quantiles: got {prob!r}; expected probabilities between 0 and 1",
                field="quantiles",
            )
        q = _w_quantile(fit.dist, float(prob))
        lin = float(xrow @ np.asarray(fit.coef)) + fit.scale * q
        grad = xrow if fit.log_scale_se is None else np.append(xrow, fit.scale * q)
        se_lin = float(np.sqrt(grad @ vcov @ grad))
        t = float(np.exp(lin))
        out.append(
            SurvregQuantile(
                float(prob),
                t,
                t * se_lin,
                float(np.exp(lin - zq * se_lin)),
                float(np.exp(lin + zq * se_lin)),
            )
        )
    return tuple(out)
