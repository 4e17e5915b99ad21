"""Sample sizes of single-arm phase II trials with a binary endpoint.

Three designs for H0: p ≤ p0 against H1: p = p1 (p1 > p0), all tested in the upper direction:

* :func:`single_arm_normal` — the textbook normal approximation, the formula the seed paper used
  ("12-month PFS 30 % vs 50 %, 90 % power, alpha 0.05: 60 patients; 10 % drop-out: 66"), with the
  sidedness, variance convention and drop-out rule stated instead of hidden;
* :func:`exact_single_stage` — the exact binomial single-stage design (A'Hern 2001, Stat Med
  20:859-866): the smallest n with a critical value r such that P(X ≥ r | p0) ≤ α and
  P(X ≥ r | p1) ≥ 1 − β;
* :func:`simon_two_stage` — Simon's (1989, Controlled Clin Trials 10:1-10) optimal and minimax
  two-stage designs and the admissible designs between them (Jung, Lee, Kim & George 2004,
  J Stat Plan Inference 125:67-78). Convention as Simon and R ``clinfun::ph2simon``: stop after stage
  1 if ≤ r1 responses among n1; reject H0 at the end if > r responses among n.

Why our own code: no maintained Python package offers these searches (R has ``clinfun``, whose
output is the reference in ``tests/stats/test_design_binary.py``). The searches are exhaustive and
vectorised with numpy; the binomial probabilities come from scipy.

α and power are strict by default (some peers accept α up to 0.055): a design is feasible only when
its exact α ≤ the target and its exact power ≥ the target (a relative slack of 1e-12 absorbs
floating-point rounding only). ``tol`` relaxes both, as A'Hern's printed table does in a few cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from hcctrial.errors import DataValidationError

__all__ = [
    "DropoutRule",
    "ExactSingleStageDesign",
    "SimonDesign",
    "SimonDesigns",
    "SingleArmNormalDesign",
    "VarianceConvention",
    "check_design_inputs",
    "enrolment_after_dropout",
    "exact_single_stage",
    "simon_two_stage",
    "single_arm_normal",
]

_SLACK = 1e-12


class VarianceConvention(StrEnum):
    """Which binomial variance multiplies each normal quantile in the sample-size formula."""

    NULL_ALT = "null_alt"  # sqrt(p0 q0) on z_alpha, sqrt(p1 q1) on z_beta (Fleiss; the paper's 60)
    NULL = "null"  # sqrt(p0 q0) on both
    ALT = "alt"  # sqrt(p1 q1) on both (Wald test)


class DropoutRule(StrEnum):
    """How a sample size is inflated for drop-out ``d``."""

    DIVIDE = "divide"  # n / (1 - d): the enrolled who stay number n on average (the usual rule)
    MULTIPLY = "multiply"  # n (1 + d): the seed paper's 60 x 1.10 = 66 (slightly too small)


@dataclass(frozen=True)
class SingleArmNormalDesign:
    """A normal-approximation single-arm design: ``n`` evaluable, ``n_enrolled`` after drop-out."""

    n: int
    n_unrounded: float
    n_enrolled: int
    method: str
    p0: float
    p1: float
    alpha: float
    power: float
    sides: int
    variance: VarianceConvention
    dropout: float
    dropout_rule: DropoutRule
    z_alpha: float
    z_beta: float


@dataclass(frozen=True)
class ExactSingleStageDesign:
    """An exact single-stage binomial design: reject H0 when at least ``r`` of ``n`` respond."""

    n: int
    r: int
    alpha: float
    power: float


@dataclass(frozen=True)
class SimonDesign:
    """A Simon two-stage design.

    Stop for futility after stage 1 if ≤ ``r1`` responses among ``n1``; otherwise enrol to ``n`` and
    reject H0 if > ``r`` responses among ``n``. ``en_p0`` is the expected sample size and ``pet_p0``
    the probability of early termination under p0; ``alpha`` and ``power`` are exact.
    """

    r1: int
    n1: int
    r: int
    n: int
    en_p0: float
    pet_p0: float
    alpha: float
    power: float


@dataclass(frozen=True)
class SimonDesigns:
    """Simon's optimal (least ``en_p0``) and minimax (least ``n``) designs and the admissible ones.

    ``admissible`` lists the designs minimising ``q·n + (1 − q)·en_p0`` for some q in [0, 1]
    (Jung et al. 2004), from the minimax (q = 1) to the optimal design (q = 0), ordered by n.
    """

    optimal: SimonDesign
    minimax: SimonDesign
    admissible: tuple[SimonDesign, ...]
    nmax: int


def check_design_inputs(p0: float, p1: float, alpha: float, power: float) -> None:
    """Raise :class:`DataValidationError` naming the flag when a design input is out of range."""
    if not (0.0 < p0 < 1.0):
        raise DataValidationError(f"--p0: got {p0!r}; expected a rate in (0, 1)", field="p0")
    if not (0.0 < p1 < 1.0):
        raise DataValidationError(f"--p1: got {p1!r}; expected a rate in (0, 1)", field="p1")
    if p1 <= p0:
        raise DataValidationError(
            f"--p1: got {p1!r}; expected a rate greater than --p0 ({p0!r})", field="p1"
        )
    check_alpha_power(alpha, power)


def check_alpha_power(alpha: float, power: float) -> None:
    """Raise :class:`DataValidationError` unless 0 < alpha < 0.5 and 0.5 < power < 1."""
    if not (0.0 < alpha < 0.5):
        raise DataValidationError(
            f"--alpha: got {alpha!r}; expected a level in (0, 0.5)", field="alpha"
        )
    if not (0.5 < power < 1.0):
        raise DataValidationError(
            f"--power: got {power!r}; expected a power in (0.5, 1)", field="power"
        )


def _ceil(x: float) -> int:
    """Ceiling that ignores floating-point noise (60 × 1.10 = 66.00000000000001 must give 66)."""
    return math.ceil(x - 1e-9 * max(1.0, abs(x)))


def enrolment_after_dropout(n: int, dropout: float, rule: DropoutRule | str) -> int:
    """Return the number to enrol so that ``n`` remain evaluable after a drop-out rate ``dropout``.

    ``divide``: ceil(n / (1 − d)) (60 / 0.9 = 66.7 → 67); ``multiply``: ceil(n · (1 + d))
    (60 × 1.1 = 66, the seed paper's rule, which leaves 66 × 0.9 = 59.4 < 60 on average).
    """
    if not (0.0 <= dropout < 1.0):
        raise DataValidationError(
            f"--dropout: got {dropout!r}; expected a proportion in [0, 1)", field="dropout"
        )
    try:
        rule = DropoutRule(rule)
    except ValueError:
        raise DataValidationError(
            f"--dropout-rule: got {rule!r}; expected 'divide' or 'multiply'", field="dropout_rule"
        ) from None
    if rule is DropoutRule.MULTIPLY:
        return _ceil(n * (1.0 + dropout))
    return _ceil(n / (1.0 - dropout))


def single_arm_normal(
    p0: float,
    p1: float,
    alpha: float = 0.05,
    power: float = 0.9,
    *,
    sides: int = 1,
    variance: VarianceConvention | str = VarianceConvention.NULL_ALT,
    dropout: float = 0.0,
    dropout_rule: DropoutRule | str = DropoutRule.DIVIDE,
) -> SingleArmNormalDesign:
    """Return the normal-approximation sample size of a single-arm binary design.

    ``n = [z_{1−α/s} √(p0 q0) + z_{1−β} √(p1 q1)]² / (p1 − p0)²`` (Fleiss, Levin & Paik 2003,
    §2.5.1; A'Hern 2001 eq. 1), rounded up, with ``s`` = ``sides``; then inflated for drop-out.

    The seed paper's 60: ``sides=2`` (α = 0.05 two-sided, z = 1.95996), ``variance="null_alt"``:
    [1.95996·√0.21 + 1.28155·√0.25]² / 0.2² = 59.21 → 60; ``dropout=0.1`` with
    ``dropout_rule="multiply"`` gives 66.

    >>> single_arm_normal(0.3, 0.5, 0.05, 0.9, sides=2).n
    60
    """
    from hcctrial.stats.distributions import normal_ppf

    check_design_inputs(p0, p1, alpha, power)
    if sides not in (1, 2):
        raise DataValidationError(f"--sides: got {sides!r}; expected 1 or 2", field="sides")
    try:
        variance = VarianceConvention(variance)
    except ValueError:
        raise DataValidationError(
            f"variance: got {variance!r}; expected one of null_alt, null, alt", field="variance"
        ) from None
    z_a = float(normal_ppf(1.0 - alpha / sides))  # scipy.stats.norm.ppf is this ndtri
    z_b = float(normal_ppf(power))
    s0 = math.sqrt(p0 * (1.0 - p0))
    s1 = math.sqrt(p1 * (1.0 - p1))
    sa, sb = {
        VarianceConvention.NULL_ALT: (s0, s1),
        VarianceConvention.NULL: (s0, s0),
        VarianceConvention.ALT: (s1, s1),
    }[variance]
    n_unrounded = (z_a * sa + z_b * sb) ** 2 / (p1 - p0) ** 2
    n = _ceil(n_unrounded)
    n_enrolled = enrolment_after_dropout(n, dropout, dropout_rule)  # validates the rule
    rule = DropoutRule(dropout_rule)
    method = (
        f"normal approximation, {sides}-sided alpha {alpha:g}, variance {variance.value}, "
        f"drop-out {dropout:g} ({rule.value})"
    )
    return SingleArmNormalDesign(
        n=n,
        n_unrounded=n_unrounded,
        n_enrolled=n_enrolled,
        method=method,
        p0=p0,
        p1=p1,
        alpha=alpha,
        power=power,
        sides=sides,
        variance=variance,
        dropout=dropout,
        dropout_rule=rule,
        z_alpha=z_a,
        z_beta=z_b,
    )


def exact_single_stage(
    p0: float,
    p1: float,
    alpha: float = 0.05,
    power: float = 0.9,
    *,
    tol: float = 0.0,
    nmax: int = 1000,
) -> ExactSingleStageDesign:
    """Return A'Hern's exact single-stage design: the least n with a valid critical value r.

    For each n, r is the least count with ``P(X ≥ r | n, p0) ≤ α + tol``; the design is the first
    n at which ``P(X ≥ r | n, p1) ≥ power − tol``. Reject H0 when at least r of n respond
    (A'Hern's convention; R ``clinfun::ph2single`` prints r − 1, "reject if > r").

    >>> d = exact_single_stage(0.3, 0.5, 0.05, 0.9)
    >>> (d.n, d.r)
    (53, 22)
    """
    from scipy.stats import binom

    check_design_inputs(p0, p1, alpha, power)
    if tol < 0:
        raise DataValidationError(f"tol: got {tol!r}; expected a value >= 0", field="tol")
    a_max = (alpha + tol) * (1 + _SLACK)
    p_min = (power - tol) * (1 - _SLACK)
    for n in range(1, nmax + 1):
        k = np.arange(n + 2)
        sf0 = binom.sf(k - 1, n, p0)  # P(X >= k)
        ok = np.flatnonzero(sf0 <= a_max)
        r = int(ok[0])
        if r > n:
            continue
        pw = float(binom.sf(r - 1, n, p1))
        if pw >= p_min:
            return ExactSingleStageDesign(n=n, r=r, alpha=float(sf0[r]), power=pw)
    raise DataValidationError(
        f"nmax: no exact design with n <= {nmax}; expected a larger nmax or a larger p1 - p0",
        field="nmax",
    )


def _simon_candidates(
    p0: float, p1: float, alpha: float, power: float, nmax: int, nmin: int
) -> np.ndarray:
    """Return every feasible (r1, n1, r, n, en0, pet0, alpha, power) row, one per (n1, n, r1).

    For fixed (n1, n, r1), EN(p0) does not depend on r; we take the least r ≥ r1 with exact
    α ≤ target (that r maximises power) and keep the design if its power reaches the target.
    """
    from scipy.stats import binom

    a_max = alpha * (1 + _SLACK)
    p_min = power * (1 - _SLACK)
    offset = nmax + 1
    k = np.arange(-offset, nmax + 1)  # values of r - x1
    n2s = np.arange(0, nmax + 1)
    sf_tab = {p: binom.sf(k[None, :], n2s[:, None], p) for p in (p0, p1)}  # P(X2 > k)
    rows: list[np.ndarray] = []
    r_all = np.arange(0, nmax + 1)
    for n1 in range(1, nmax):
        n2 = np.arange(max(1, nmin - n1), nmax - n1 + 1)
        if n2.size == 0:
            continue
        x1 = np.arange(n1 + 1)
        idx = r_all[None, None, :] - x1[None, :, None] + offset  # (1, x1, r)
        reject = {}
        for p in (p0, p1):
            b = binom.pmf(x1, n1, p)
            a = b[None, :, None] * sf_tab[p][n2[:, None, None], idx]  # (n2, x1, r)
            c = np.cumsum(a[:, ::-1, :], axis=1)[:, ::-1, :]  # sum over x >= x1
            reject[p] = c[:, 1:, :]  # row r1 = x1 - 1: P(X1 > r1, X1 + X2 > r), r1 = 0..n1-1
        r1 = np.arange(n1)
        ok_alpha = reject[p0] <= a_max  # decreasing in r: first True is the least valid r
        ok_alpha &= r_all[None, None, :] >= r1[None, :, None]
        has = ok_alpha.any(axis=2)
        r_first = np.argmax(ok_alpha, axis=2)
        pw = np.take_along_axis(reject[p1], r_first[:, :, None], axis=2)[:, :, 0]
        al = np.take_along_axis(reject[p0], r_first[:, :, None], axis=2)[:, :, 0]
        n_tot = n1 + n2[:, None]
        feasible = has & (pw >= p_min) & (r_first < n_tot)
        if not feasible.any():
            continue
        pet = binom.cdf(r1, n1, p0)
        en0 = n1 + (1.0 - pet[None, :]) * n2[:, None]
        i2, i1 = np.nonzero(feasible)
        rows.append(
            np.column_stack(
                [
                    r1[i1],
                    np.full(i1.size, n1),
                    r_first[i2, i1],
                    n_tot[i2, 0],
                    en0[i2, i1],
                    pet[i1],
                    al[i2, i1],
                    pw[i2, i1],
                ]
            )
        )
    if not rows:
        return np.empty((0, 8))
    return np.vstack(rows)


def _design(row: np.ndarray) -> SimonDesign:
    return SimonDesign(
        r1=int(row[0]),
        n1=int(row[1]),
        r=int(row[2]),
        n=int(row[3]),
        en_p0=float(row[4]),
        pet_p0=float(row[5]),
        alpha=float(row[6]),
        power=float(row[7]),
    )


def simon_two_stage(
    p0: float,
    p1: float,
    alpha: float = 0.05,
    power: float = 0.9,
    *,
    nmax: int = 100,
    nmin: int = 1,
) -> SimonDesigns:
    """Return Simon's optimal and minimax two-stage designs and the admissible designs between.

    Exhaustive search over n ≤ ``nmax`` (R ``clinfun``'s default cap is 100; the optimal design
    can change with the cap), 1 ≤ n1 < n, 0 ≤ r1 < n1. Ties in EN(p0) go to the smaller n, then the
    smaller n1.

    >>> d = simon_two_stage(0.3, 0.5, 0.05, 0.9)
    >>> (d.optimal.r1, d.optimal.n1, d.optimal.r, d.optimal.n)
    (8, 24, 24, 63)
    """
    check_design_inputs(p0, p1, alpha, power)
    if not (2 <= nmax <= 1000):
        raise DataValidationError(
            f"--nmax: got {nmax!r}; expected an integer in [2, 1000]", field="nmax"
        )
    cand = _simon_candidates(p0, p1, alpha, power, nmax, max(1, nmin))
    if cand.shape[0] == 0:
        raise DataValidationError(
            f"--nmax: got {nmax}; no feasible two-stage design with n <= {nmax}, "
            "expected a larger --nmax",
            field="nmax",
        )
    # best (least EN0, then least n1) design for each n
    order = np.lexsort((cand[:, 1], cand[:, 4], cand[:, 3]))
    cand = cand[order]
    first = np.ones(cand.shape[0], dtype=bool)
    first[1:] = cand[1:, 3] != cand[:-1, 3]
    best = cand[first]  # ascending n
    minimax = best[0]
    i_opt = int(np.argmin(best[:, 4]))  # argmin returns the first (least n) among ties
    optimal = best[i_opt]
    # admissible: lower convex hull of (n, EN0) from minimax to optimal
    pts = best[: i_opt + 1]
    hull: list[int] = []
    for i in range(pts.shape[0]):
        while len(hull) >= 2:
            a, b = pts[hull[-2]], pts[hull[-1]]
            cross = (b[3] - a[3]) * (pts[i][4] - a[4]) - (b[4] - a[4]) * (pts[i][3] - a[3])
            if cross <= 0:
                hull.pop()
            else:
                break
        hull.append(i)
    admissible = tuple(_design(pts[i]) for i in hull)
    return SimonDesigns(
        optimal=_design(optimal), minimax=_design(minimax), admissible=admissible, nmax=nmax
    )
