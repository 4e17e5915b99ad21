"""Sample sizes of time-to-event designs: single-arm (landmark KM, one-sample log-rank), two-arm.

All times are in one unit of the caller's choice (months in the CLI); hazards per that unit.
Accrual is uniform over ``accrual`` (A) and the analysis is at ``accrual + follow_up`` (F is the
minimum follow-up), so administrative censoring C is uniform on [F, A + F]; drop-out is
exponential with hazard ``dropout_hazard`` (η), independent of the event time.

* :func:`event_probability` — P(event observed) for an exponential event time under that accrual
  (Lachin & Foulkes 1986, Biometrics 42:507-519, eq. 2.7 with η).
* :func:`schoenfeld_events`, :func:`freedman_events` — events for a two-arm log-rank test
  (Schoenfeld 1983, Biometrika 70:499; Freedman 1982, Stat Med 1:121).
* :func:`lachin_foulkes` — patients and events for a two-arm exponential design with accrual,
  follow-up and drop-out, on the log-hazard-ratio scale with the null variance evaluated at the
  average hazard, as R ``gsDesign::nSurv`` (Lachin & Foulkes 1986; Anderson's gsDesign).
* :func:`one_sample_logrank_wu` — Wu (2015, Pharm Stat 14:26-33) sample size of the one-sample
  log-rank test with a Weibull null curve, using the exact variance under the alternative.
* :func:`landmark_km_design` — the single-arm landmark design tested with the KM estimate of
  S(t0) and its (Greenwood) variance; the asymptotic variance of KM per patient is
  ``S(t0)² ∫_0^t0 λ(u) / (S(u) G(u)) du`` (G = P(still under observation at u) from censoring);
  without censoring before t0 it equals the binomial p(1−p).

Why our own code: no maintained Python package computes these designs (R has gsDesign, rpact,
OneArm2stage); the integrals use ``scipy.integrate.quad`` and the quantiles ``scipy.stats.norm``.
Reference values in the tests come from gsDesign/rpact outputs and the papers' worked examples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from hcctrial.errors import DataValidationError
from hcctrial.stats.design_binary import check_alpha_power

__all__ = [
    "EventsMethod",
    "LandmarkDesign",
    "TwoArmDesign",
    "check_positive",
    "event_probability",
    "events_required",
    "freedman_events",
    "km_landmark_variance",
    "lachin_foulkes",
    "landmark_km_design",
    "one_sample_logrank_wu",
    "schoenfeld_events",
]


class EventsMethod(StrEnum):
    """Formula for the number of events of a two-arm log-rank test."""

    SCHOENFELD = "schoenfeld"
    FREEDMAN = "freedman"


@dataclass(frozen=True)
class TwoArmDesign:
    """Patients (total, both arms) and expected events of a two-arm design, 1:1."""

    n: int
    n_unrounded: float
    events: int
    events_unrounded: float
    hazard_ratio: float
    event_probability_control: float
    event_probability_experimental: float


@dataclass(frozen=True)
class LandmarkDesign:
    """A single-arm landmark design tested with KM S(t0) and its asymptotic variance.

    ``variance_null`` and ``variance_alt`` are the per-patient asymptotic variances of the KM
    estimate (n · Var(Ŝ(t0))) under p0 and p1; ``n_binomial`` is the same formula with the binomial
    variances p(1 − p) (no censoring before t0).
    """

    n: int
    n_unrounded: float
    n_binomial: float
    variance_null: float
    variance_alt: float
    z_alpha: float
    z_beta: float


def check_positive(value: float, flag: str) -> None:
    """Raise :class:`DataValidationError` naming ``flag`` unless ``value`` is finite and > 0."""
    if not (math.isfinite(value) and value > 0):
        raise DataValidationError(
            f"{flag}: got {value!r}; expected a positive number", field=flag.lstrip("-")
        )


def _check_nonnegative(value: float, flag: str) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise DataValidationError(
            f"{flag}: got {value!r}; expected a number >= 0", field=flag.lstrip("-")
        )


def _check_hr(hr: float) -> None:
    check_positive(hr, "--hr")
    if hr == 1.0:
        raise DataValidationError("--hr: got 1.0; expected a hazard ratio other than 1", field="hr")


def _z(alpha: float, power: float, sides: int) -> tuple[float, float]:
    from scipy.stats import norm

    check_alpha_power(alpha, power)
    if sides not in (1, 2):
        raise DataValidationError(f"--sides: got {sides!r}; expected 1 or 2", field="sides")
    return float(norm.ppf(1.0 - alpha / sides)), float(norm.ppf(power))


def _ceil(x: float) -> int:
    return math.ceil(x - 1e-9 * max(1.0, abs(x)))


def event_probability(
    hazard: float, accrual: float, follow_up: float, dropout_hazard: float = 0.0
) -> float:
    """Return P(event observed by the analysis) for an exponential event time.

    ``P = λ/(λ+η) · [1 − (e^{−(λ+η)F} − e^{−(λ+η)(A+F)}) / ((λ+η) A)]`` (uniform accrual over A,
    analysis at A + F, exponential drop-out η). Control median 7.5 mo, A = 24, F = 12: 0.86746.
    """
    check_positive(hazard, "hazard")
    check_positive(accrual, "--accrual")
    _check_nonnegative(follow_up, "--follow-up")
    _check_nonnegative(dropout_hazard, "--dropout-hazard")
    h = hazard + dropout_hazard
    frac = (math.exp(-h * follow_up) - math.exp(-h * (accrual + follow_up))) / (h * accrual)
    return hazard / h * (1.0 - frac)


def schoenfeld_events(
    hr: float, alpha: float = 0.025, power: float = 0.8, *, sides: int = 1
) -> float:
    """Return Schoenfeld's events for a 1:1 log-rank test: ``4 (z_α + z_β)² / (log HR)²``.

    HR 0.577, one-sided 0.025, power 0.8: 4 (1.95996 + 0.84162)² / 0.54991² = 103.82.
    """
    _check_hr(hr)
    z_a, z_b = _z(alpha, power, sides)
    return 4.0 * (z_a + z_b) ** 2 / math.log(hr) ** 2


def freedman_events(
    hr: float, alpha: float = 0.025, power: float = 0.8, *, sides: int = 1
) -> float:
    """Return Freedman's events for a 1:1 log-rank test: ``(z_α + z_β)² (1 + HR)² / (1 − HR)²``."""
    _check_hr(hr)
    z_a, z_b = _z(alpha, power, sides)
    return (z_a + z_b) ** 2 * (1.0 + hr) ** 2 / (1.0 - hr) ** 2


def events_required(
    hr: float,
    alpha: float = 0.025,
    power: float = 0.8,
    *,
    sides: int = 1,
    method: EventsMethod | str = EventsMethod.SCHOENFELD,
) -> float:
    """Return the (unrounded) events of a 1:1 log-rank test by ``method``."""
    try:
        method = EventsMethod(method)
    except ValueError:
        raise DataValidationError(
            f"--method: got {method!r}; expected 'schoenfeld' or 'freedman'", field="method"
        ) from None
    if method is EventsMethod.FREEDMAN:
        return freedman_events(hr, alpha, power, sides=sides)
    return schoenfeld_events(hr, alpha, power, sides=sides)


def lachin_foulkes(
    hazard_control: float,
    hazard_experimental: float,
    accrual: float,
    follow_up: float,
    alpha: float = 0.025,
    power: float = 0.8,
    *,
    sides: int = 1,
    dropout_hazard: float = 0.0,
) -> TwoArmDesign:
    """Return the Lachin–Foulkes sample size of a 1:1 two-arm exponential design.

    ``N = [z_α √(2/P̄₀ + 2/P̄₀) + z_β √(2/P_c + 2/P_e)]² / (log HR)²`` with ``P`` from
    :func:`event_probability` at λ_c, λ_e and, under H0, at the average hazard
    λ̄ = (λ_c + λ_e)/2 in both arms (as ``gsDesign::nSurv``); events = N (P_c + P_e)/2.
    Control median 7.5 vs 13 months, A = 24, F = 12, one-sided 0.025, power 0.9: N = 175.34,
    events 137.64 (gsDesign 3.11 ``nSurv``).
    """
    check_positive(hazard_control, "--median-control")
    check_positive(hazard_experimental, "--median-experimental")
    z_a, z_b = _z(alpha, power, sides)
    hr = hazard_experimental / hazard_control
    if hr == 1.0:
        raise DataValidationError(
            "--median-experimental: got the control median; expected a different median",
            field="median_experimental",
        )
    p_c = event_probability(hazard_control, accrual, follow_up, dropout_hazard)
    p_e = event_probability(hazard_experimental, accrual, follow_up, dropout_hazard)
    p_0 = event_probability(
        (hazard_control + hazard_experimental) / 2.0, accrual, follow_up, dropout_hazard
    )
    n = (z_a * math.sqrt(4.0 / p_0) + z_b * math.sqrt(2.0 / p_c + 2.0 / p_e)) ** 2 / math.log(
        hr
    ) ** 2
    events = n * (p_c + p_e) / 2.0
    n_int = _ceil(n)
    n_int += n_int % 2  # 1:1: an even total
    return TwoArmDesign(
        n=n_int,
        n_unrounded=n,
        events=_ceil(events),
        events_unrounded=events,
        hazard_ratio=hr,
        event_probability_control=p_c,
        event_probability_experimental=p_e,
    )


def one_sample_logrank_wu(
    median0: float,
    hr: float,
    accrual: float,
    follow_up: float,
    alpha: float = 0.05,
    power: float = 0.8,
    *,
    shape: float = 1.0,
) -> int:
    """Return Wu's (2015) sample size of the one-sample log-rank test (one-sided ``alpha``).

    Null curve Weibull ``S0(t) = exp(−log 2 (t/m0)^k)``, alternative ``S1 = S0^δ`` (δ = ``hr``).
    With G the administrative-censoring survival (uniform accrual A, follow-up F),
    ``p0 = ∫ G S1 dΛ0``, ``p1 = δ p0``, ``p00 = ∫ G S1 Λ0 dΛ0``, ``p01 = δ p00``,
    ``ω = p1 − p0``, ``σ² = p1 − p1² + 2 p00 − p0² − 2 p01 + 2 p0 p1`` and
    ``n = ⌈(√p0 z_{1−α} + σ z_{1−β})² / ω²⌉``. Wu's PBC example (m0 = 9 y, k = 1.22,
    δ = 1/1.75, A = 5, F = 3, α = 0.05, power 0.8): n = 88.
    """
    from scipy.integrate import quad

    check_positive(median0, "--median0")
    _check_hr(hr)
    check_positive(shape, "--shape")
    check_positive(accrual, "--accrual")
    _check_nonnegative(follow_up, "--follow-up")
    z_a, z_b = _z(alpha, power, 1)
    k, m0, tau = shape, median0, accrual + follow_up
    ln2 = math.log(2.0)

    def cum0(t: float) -> float:
        return ln2 * (t / m0) ** k

    def dcum0(t: float) -> float:
        return k * ln2 * t ** (k - 1.0) / m0**k

    def g(t: float) -> float:
        return 1.0 if t <= follow_up else (tau - t) / accrual

    def integrate(f: object) -> float:
        points = [follow_up] if 0 < follow_up < tau else None
        return float(quad(f, 0.0, tau, points=points, limit=200)[0])  # type: ignore[arg-type]

    p0 = integrate(lambda t: g(t) * math.exp(-hr * cum0(t)) * dcum0(t))
    p00 = integrate(lambda t: g(t) * math.exp(-hr * cum0(t)) * cum0(t) * dcum0(t))
    p1, p01 = hr * p0, hr * p00
    omega = p1 - p0
    sigma = math.sqrt(p1 - p1**2 + 2 * p00 - p0**2 - 2 * p01 + 2 * p0 * p1)
    return _ceil((math.sqrt(p0) * z_a + sigma * z_b) ** 2 / omega**2)


def km_landmark_variance(
    rate: float,
    t0: float,
    accrual: float,
    follow_up: float,
    dropout_hazard: float = 0.0,
    *,
    shape: float = 1.0,
) -> float:
    """Return n · Var(Ŝ(t0)), the per-patient asymptotic variance of the KM landmark estimate.

    ``S(t0)² ∫_0^t0 λ(u) / (S(u) G(u)) du`` (the Greenwood variance's limit), for a Weibull curve
    with ``S(t0) = rate`` and shape k (``S(t) = rate^{(t/t0)^k}``; k = 1 exponential), censoring
    survival ``G(u) = e^{−ηu} · P(C ≥ u)``, C ~ U(F, A + F). Equals rate·(1 − rate) when nobody is
    censored before t0 (t0 ≤ F, η = 0).
    """
    from scipy.integrate import quad

    lam = -math.log(rate)  # cumulative hazard at t0

    def integrand(u: float) -> float:
        cum = lam * (u / t0) ** shape
        haz = (
            lam * shape * u ** (shape - 1.0) / t0**shape
            if u > 0
            else (lam / t0 if shape == 1 else 0.0)
        )
        admin = 1.0 if u <= follow_up else max(0.0, (accrual + follow_up - u) / accrual)
        g = math.exp(-dropout_hazard * u) * admin
        return haz * math.exp(cum) / g

    if t0 >= accrual + follow_up:
        raise DataValidationError(
            f"--t0: got {t0!r}; expected a landmark before the end of the study "
            f"(accrual + follow-up = {accrual + follow_up!r})",
            field="t0",
        )
    points = [follow_up] if 0 < follow_up < t0 else None
    integral = float(quad(integrand, 0.0, t0, points=points, limit=200)[0])
    return rate**2 * integral


def landmark_km_design(
    p0: float,
    p1: float,
    t0: float,
    accrual: float,
    follow_up: float,
    alpha: float = 0.05,
    power: float = 0.9,
    *,
    sides: int = 1,
    dropout_hazard: float = 0.0,
    shape: float = 1.0,
) -> LandmarkDesign:
    """Return the sample size of a single-arm design tested with KM S(t0) against p0.

    ``n = [z_α σ0 + z_β σ1]² / (p1 − p0)²`` with σ² from :func:`km_landmark_variance` under p0
    and p1 (the survival curve assumed Weibull with shape k through S(t0); k = 1 exponential):
    the binomial formula of :func:`hcctrial.stats.design_binary.single_arm_normal` with each
    binomial variance replaced by the KM variance under censoring (null variance on z_α,
    alternative on z_β, the convention that reproduces the seed paper's 60).
    """
    from hcctrial.stats.design_binary import check_design_inputs

    check_design_inputs(p0, p1, alpha, power)
    check_positive(t0, "--t0")
    check_positive(accrual, "--accrual")
    _check_nonnegative(follow_up, "--follow-up")
    _check_nonnegative(dropout_hazard, "--dropout-hazard")
    check_positive(shape, "--shape")
    z_a, z_b = _z(alpha, power, sides)
    v0 = km_landmark_variance(p0, t0, accrual, follow_up, dropout_hazard, shape=shape)
    v1 = km_landmark_variance(p1, t0, accrual, follow_up, dropout_hazard, shape=shape)
    n = (z_a * math.sqrt(v0) + z_b * math.sqrt(v1)) ** 2 / (p1 - p0) ** 2
    nb = (z_a * math.sqrt(p0 * (1 - p0)) + z_b * math.sqrt(p1 * (1 - p1))) ** 2 / (p1 - p0) ** 2
    return LandmarkDesign(
        n=_ceil(n),
        n_unrounded=n,
        n_binomial=nb,
        variance_null=v0,
        variance_alt=v1,
        z_alpha=z_a,
        z_beta=z_b,
    )
