"""Monte Carlo operating characteristics of the single-arm landmark and two-arm log-rank designs.

Each simulated trial enrols patients uniformly over ``accrual`` months, follows everyone to the
analysis at ``accrual + follow_up`` (administrative censoring), with exponential drop-out of hazard
``dropout_hazard``; event times are exponential, Weibull or piecewise exponential. Trials are
generated and analysed in chunks of :data:`CHUNK` trials with the batched engine
(:mod:`hcctrial.stats.batched`): no Python loop per trial, so 10⁵ trials of 66 patients take well
under two seconds. A seed makes a run reproducible (``numpy.random.default_rng(seed)``; results
depend on the seed and :data:`CHUNK` only).

Single-arm landmark design (H0: S(t0) ≤ p0, one-sided ``alpha``), four tests of the same data:

* ``km`` — KM estimate with Greenwood SE: reject if (Ŝ(t0) − p0)/SE > z_{1−α} (Wald, plain scale);
* ``binomial_exact`` — exact binomial test on the evaluable patients (those censored before t0
  without an event are dropped): reject if X ≥ r(m), the least r with P(X ≥ r | m, p0) ≤ α;
* ``binomial_normal`` — the normal approximation behind the paper's formula on the same evaluable
  patients: (p̂ − p0)/√(p0 q0 / m) > z_{1−α};
* ``binomial_censored_as_failure`` — exact binomial with every patient censored before t0 counted as
  a failure (n fixed; conservative).

Each rejection rate comes with its Monte Carlo SE √(p̂(1 − p̂)/trials).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from hcctrial.errors import DataValidationError
from hcctrial.stats.batched import km_landmark_batched, logrank_batched

__all__ = [
    "CHUNK",
    "EventTimeModel",
    "Exponential",
    "LandmarkOC",
    "PiecewiseExponential",
    "RejectionRate",
    "TwoArmOC",
    "Weibull",
    "simulate_landmark",
    "simulate_patients",
    "simulate_two_arm",
]

#: Trials generated and analysed per batch (memory ~ CHUNK x patients x 8 bytes per array).
CHUNK = 20_000

FloatArray = npt.NDArray[np.float64]


class EventTimeModel(Protocol):
    """An event-time distribution: sample times and give the survival function."""

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> FloatArray: ...

    def survival(self, t: float) -> float: ...


@dataclass(frozen=True)
class Exponential:
    """Exponential event times with ``rate`` (per time unit)."""

    rate: float

    @classmethod
    def from_landmark(cls, rate_at_t0: float, t0: float) -> Exponential:
        """The exponential with ``S(t0) = rate_at_t0``: λ = −log(S(t0)) / t0."""
        return cls(-math.log(rate_at_t0) / t0)

    @classmethod
    def from_median(cls, median: float) -> Exponential:
        """The exponential with the given median: λ = log 2 / median."""
        return cls(math.log(2.0) / median)

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> FloatArray:
        return rng.exponential(1.0 / self.rate, shape)

    def survival(self, t: float) -> float:
        return math.exp(-self.rate * t)


@dataclass(frozen=True)
class Weibull:
    """Weibull event times: ``S(t) = exp(−(t/scale)^shape)``."""

    shape: float
    scale: float

    @classmethod
    def from_landmark(cls, rate_at_t0: float, t0: float, shape: float) -> Weibull:
        """The Weibull of the given shape with ``S(t0) = rate_at_t0``."""
        return cls(shape, t0 / (-math.log(rate_at_t0)) ** (1.0 / shape))

    @classmethod
    def from_median(cls, median: float, shape: float) -> Weibull:
        """The Weibull of the given shape and median."""
        return cls(shape, median / math.log(2.0) ** (1.0 / shape))

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> FloatArray:
        return self.scale * rng.weibull(self.shape, shape)

    def survival(self, t: float) -> float:
        return math.exp(-((t / self.scale) ** self.shape))


@dataclass(frozen=True)
class PiecewiseExponential:
    """Piecewise-constant hazard: ``hazards[j]`` on [breaks[j−1], breaks[j]) (breaks[−1] = 0)."""

    breaks: tuple[float, ...]
    hazards: tuple[float, ...]
    _knots: FloatArray = field(init=False, repr=False, compare=False)
    _cum: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.hazards) != len(self.breaks) + 1:
            raise DataValidationError(
                f"--hazards: got {len(self.hazards)} hazards for {len(self.breaks)} breaks; "
                "expected one more hazard than breaks",
                field="hazards",
            )
        if any(not (h > 0) for h in self.hazards):
            raise DataValidationError(
                f"--hazards: got {self.hazards!r}; expected positive hazards", field="hazards"
            )
        if any(b <= a for a, b in zip((0.0, *self.breaks), self.breaks, strict=False)):
            raise DataValidationError(
                f"--breaks: got {self.breaks!r}; expected increasing positive times",
                field="breaks",
            )
        knots = np.array((0.0, *self.breaks))
        widths = np.diff(knots)
        cum = np.concatenate(([0.0], np.cumsum(np.array(self.hazards[:-1]) * widths)))
        object.__setattr__(self, "_knots", knots)
        object.__setattr__(self, "_cum", cum)

    def cumulative_hazard(self, t: float) -> float:
        """Return Λ(t)."""
        j = int(np.searchsorted(self._knots, t, side="right")) - 1
        return float(self._cum[j] + self.hazards[j] * (t - self._knots[j]))

    def scaled_to_landmark(self, rate_at_t0: float, t0: float) -> PiecewiseExponential:
        """Return the same hazard shape scaled so that ``S(t0) = rate_at_t0``."""
        c = -math.log(rate_at_t0) / self.cumulative_hazard(t0)
        return PiecewiseExponential(self.breaks, tuple(c * h for h in self.hazards))

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> FloatArray:
        e = rng.exponential(1.0, shape)
        j = np.searchsorted(self._cum, e, side="right") - 1
        h = np.asarray(self.hazards)[j]
        return self._knots[j] + (e - self._cum[j]) / h

    def survival(self, t: float) -> float:
        return math.exp(-self.cumulative_hazard(t))


@dataclass(frozen=True)
class RejectionRate:
    """A Monte Carlo rejection rate with its standard error √(p(1 − p)/trials)."""

    rate: float
    mc_se: float

    @classmethod
    def of(cls, rejected: int, trials: int) -> RejectionRate:
        p = rejected / trials
        return cls(p, math.sqrt(p * (1.0 - p) / trials))


@dataclass(frozen=True)
class LandmarkOC:
    """Operating characteristics of the single-arm landmark design from ``trials`` simulations.

    ``tests`` maps a test name (``km``, ``binomial_exact``, ``binomial_normal``,
    ``binomial_censored_as_failure``) to its rejection rate. ``true_rate`` is S(t0) of the
    generating model; ``mean_estimate`` the average KM Ŝ(t0) (with its Monte Carlo SE);
    ``mean_censored_before_t0`` the average number of patients whose status at t0 is unknown.
    """

    trials: int
    n: int
    p0: float
    t0: float
    alpha: float
    true_rate: float
    tests: dict[str, RejectionRate]
    mean_estimate: float
    mean_estimate_mc_se: float
    mean_censored_before_t0: float
    seed: int | None


@dataclass(frozen=True)
class TwoArmOC:
    """Operating characteristics of a 1:1 two-arm log-rank design (one-sided ``alpha``)."""

    trials: int
    n_per_arm: int
    alpha: float
    reject: RejectionRate
    mean_events: float
    seed: int | None


def simulate_patients(
    rng: np.random.Generator,
    model: EventTimeModel,
    shape: tuple[int, int],
    accrual: float,
    follow_up: float,
    dropout_hazard: float = 0.0,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Return observed times and event flags of ``shape = (trials, patients)`` simulated patients.

    Entry ~ U(0, accrual); analysis at accrual + follow_up; drop-out ~ Exp(dropout_hazard).
    """
    entry = rng.uniform(0.0, accrual, shape)
    t_event = model.sample(rng, shape)
    admin = accrual + follow_up - entry
    if dropout_hazard > 0:
        admin = np.minimum(admin, rng.exponential(1.0 / dropout_hazard, shape))
    event = t_event <= admin
    return np.where(event, t_event, admin), event


def _check_common(n: int, trials: int, accrual: float, follow_up: float, dropout: float) -> None:
    if n < 1:
        raise DataValidationError(f"--n: got {n!r}; expected at least 1 patient", field="n")
    if trials < 1:
        raise DataValidationError(
            f"--trials: got {trials!r}; expected at least 1 trial", field="trials"
        )
    if not (math.isfinite(accrual) and accrual > 0):
        raise DataValidationError(
            f"--accrual: got {accrual!r}; expected a positive duration", field="accrual"
        )
    if not (math.isfinite(follow_up) and follow_up >= 0):
        raise DataValidationError(
            f"--follow-up: got {follow_up!r}; expected a duration >= 0", field="follow_up"
        )
    if not (math.isfinite(dropout) and dropout >= 0):
        raise DataValidationError(
            f"--dropout-hazard: got {dropout!r}; expected a hazard >= 0", field="dropout_hazard"
        )


def _run_chunks(trials: int, progress: bool, description: str, work: Callable[[int], None]) -> None:
    """Call ``work(size)`` for consecutive chunks of trials, with a rich progress bar if asked."""
    sizes = [CHUNK] * (trials // CHUNK) + ([trials % CHUNK] if trials % CHUNK else [])
    if not progress:
        for size in sizes:
            work(size)
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=trials)
        for size in sizes:
            work(size)
            bar.advance(task, size)


def simulate_landmark(
    n: int,
    p0: float,
    t0: float,
    model: EventTimeModel,
    *,
    accrual: float,
    follow_up: float,
    dropout_hazard: float = 0.0,
    alpha: float = 0.025,
    trials: int = 10_000,
    seed: int | None = None,
    progress: bool = False,
) -> LandmarkOC:
    """Simulate the single-arm landmark design and return the rejection rate of each test.

    ``alpha`` is one-sided (the seed paper's two-sided 0.05 is one-sided 0.025). Under a model with
    ``S(t0) = p0`` the rates are type I errors; under ``S(t0) = p1`` they are powers.
    """
    from scipy.stats import binom, norm

    _check_common(n, trials, accrual, follow_up, dropout_hazard)
    if not (0.0 < p0 < 1.0):
        raise DataValidationError(f"--p0: got {p0!r}; expected a rate in (0, 1)", field="p0")
    if not (0.0 < alpha < 0.5):
        raise DataValidationError(
            f"--alpha: got {alpha!r}; expected a one-sided level in (0, 0.5)", field="alpha"
        )
    if not (t0 > 0):
        raise DataValidationError(f"--t0: got {t0!r}; expected a positive time", field="t0")
    z_a = float(norm.ppf(1.0 - alpha))
    m = np.arange(n + 1)
    # least r with P(X >= r | m, p0) <= alpha, for every number evaluable m = 0..n
    r_table = np.array(
        [int(np.flatnonzero(binom.sf(np.arange(k + 2) - 1, k, p0) <= alpha)[0]) for k in m]
    )
    rng = np.random.default_rng(seed)
    counts = dict.fromkeys(
        ("km", "binomial_exact", "binomial_normal", "binomial_censored_as_failure"), 0
    )
    sums = {"est": 0.0, "est2": 0.0, "cens": 0.0}

    def work(size: int) -> None:
        time, event = simulate_patients(rng, model, (size, n), accrual, follow_up, dropout_hazard)
        km = km_landmark_batched(time, event, t0)
        s, se = km.survival, km.se
        with np.errstate(divide="ignore", invalid="ignore"):
            km_reject = (s > p0) & ((se == 0) | ((s - p0) / np.where(se > 0, se, 1.0) > z_a))
        free = (time > t0) | ((time >= t0) & ~event)  # known event-free at t0
        x = free.sum(axis=1)
        m_eval = n - km.n_censored
        bin_exact = (m_eval > 0) & (x >= r_table[m_eval])
        with np.errstate(divide="ignore", invalid="ignore"):
            z_bin = (x / np.maximum(m_eval, 1) - p0) / np.sqrt(
                p0 * (1 - p0) / np.maximum(m_eval, 1)
            )
        bin_normal = (m_eval > 0) & (z_bin > z_a)
        bin_fail = x >= r_table[n]
        counts["km"] += int(km_reject.sum())
        counts["binomial_exact"] += int(bin_exact.sum())
        counts["binomial_normal"] += int(bin_normal.sum())
        counts["binomial_censored_as_failure"] += int(bin_fail.sum())
        sums["est"] += float(s.sum())
        sums["est2"] += float((s**2).sum())
        sums["cens"] += float(km.n_censored.sum())

    _run_chunks(trials, progress, "simulating landmark trials", work)
    mean = sums["est"] / trials
    var = max(sums["est2"] / trials - mean**2, 0.0)
    return LandmarkOC(
        trials=trials,
        n=n,
        p0=p0,
        t0=t0,
        alpha=alpha,
        true_rate=model.survival(t0),
        tests={k: RejectionRate.of(v, trials) for k, v in counts.items()},
        mean_estimate=mean,
        mean_estimate_mc_se=math.sqrt(var / trials),
        mean_censored_before_t0=sums["cens"] / trials,
        seed=seed,
    )


def simulate_two_arm(
    n_per_arm: int,
    control: EventTimeModel,
    experimental: EventTimeModel,
    *,
    accrual: float,
    follow_up: float,
    dropout_hazard: float = 0.0,
    alpha: float = 0.025,
    trials: int = 10_000,
    seed: int | None = None,
    progress: bool = False,
) -> TwoArmOC:
    """Simulate a 1:1 two-arm trial analysed by the log-rank test, one-sided ``alpha``.

    H1: the experimental arm has the lower hazard; reject if z = (O − E)/√V of the experimental arm
    is below −z_{1−α}.
    """
    from scipy.stats import norm

    _check_common(n_per_arm, trials, accrual, follow_up, dropout_hazard)
    if not (0.0 < alpha < 0.5):
        raise DataValidationError(
            f"--alpha: got {alpha!r}; expected a one-sided level in (0, 0.5)", field="alpha"
        )
    z_a = float(norm.ppf(1.0 - alpha))
    rng = np.random.default_rng(seed)
    tally = {"reject": 0, "events": 0}
    group = np.zeros((1, 2 * n_per_arm), dtype=bool)
    group[:, n_per_arm:] = True

    def work(size: int) -> None:
        tc, ec = simulate_patients(
            rng, control, (size, n_per_arm), accrual, follow_up, dropout_hazard
        )
        te, ee = simulate_patients(
            rng, experimental, (size, n_per_arm), accrual, follow_up, dropout_hazard
        )
        res = logrank_batched(
            np.hstack([tc, te]), np.hstack([ec, ee]), np.broadcast_to(group, (size, 2 * n_per_arm))
        )
        tally["reject"] += int((res.z < -z_a).sum())
        tally["events"] += int(res.events.sum())

    _run_chunks(trials, progress, "simulating two-arm trials", work)
    return TwoArmOC(
        trials=trials,
        n_per_arm=n_per_arm,
        alpha=alpha,
        reject=RejectionRate.of(tally["reject"], trials),
        mean_events=tally["events"] / trials,
        seed=seed,
    )
