"""Simulated operating characteristics check known truths within Monte Carlo error.

Truths: an exact test rejects at most alpha under the null; KM is unbiased for S(t0) under
exponential times with censoring; the two-arm log-rank power is near Schoenfeld's nominal power at
the simulated number of events; the generators draw from the stated distributions (checked
against scipy's survival functions). Simulations are kept small (2,000-20,000 trials).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hcctrial.errors import DataValidationError
from hcctrial.stats.simulate import (
    Exponential,
    PiecewiseExponential,
    Weibull,
    simulate_landmark,
    simulate_patients,
    simulate_two_arm,
)

PAPER = {"accrual": 24.0, "follow_up": 12.0}


@pytest.mark.parametrize(
    ("follow_up", "dropout"),
    [(12.0, 0.0), (12.0, 0.0088), (6.0, 0.02)],  # none / drop-out only / heavy censoring
)
def test_exact_binomial_test_holds_alpha_under_the_null(follow_up: float, dropout: float) -> None:
    oc = simulate_landmark(
        66,
        0.3,
        12.0,
        Exponential.from_landmark(0.3, 12.0),
        accrual=24.0,
        follow_up=follow_up,
        dropout_hazard=dropout,
        alpha=0.025,
        trials=20_000,
        seed=3,
    )
    for name in ("binomial_exact", "binomial_censored_as_failure"):
        r = oc.tests[name]
        assert r.rate <= 0.025 + 3 * r.mc_se, name


@pytest.mark.parametrize("follow_up", [12.0, 4.0])
def test_km_landmark_estimate_is_unbiased_under_exponential_times(follow_up: float) -> None:
    model = Exponential.from_landmark(0.45, 12.0)
    oc = simulate_landmark(
        66,
        0.3,
        12.0,
        model,
        accrual=24.0,
        follow_up=follow_up,
        dropout_hazard=0.01,
        trials=20_000,
        seed=5,
    )
    assert oc.true_rate == pytest.approx(0.45)
    assert abs(oc.mean_estimate - 0.45) <= 3 * oc.mean_estimate_mc_se
    assert oc.mean_censored_before_t0 > 0  # the check is made under censoring


def test_landmark_power_at_the_alternative_exceeds_type_one_error() -> None:
    null = simulate_landmark(
        66, 0.3, 12.0, Exponential.from_landmark(0.3, 12.0), **PAPER, trials=4000, seed=1
    )
    alt = simulate_landmark(
        66, 0.3, 12.0, Exponential.from_landmark(0.5, 12.0), **PAPER, trials=4000, seed=1
    )
    # 60 evaluable at p = 0.5: exact power of X >= 26 of 60 is 0.8775 (reference README); with
    # 66 enrolled and no censoring before t0 the exact test's power is at least that (MC 3 SE)
    r = alt.tests["binomial_exact"]
    assert r.rate >= 0.8775 - 3 * r.mc_se
    assert null.tests["km"].rate < 0.05


def test_two_arm_logrank_power_is_near_schoenfeld() -> None:
    # Schoenfeld: power = Phi(sqrt(D/4) |log HR| - z_{1-a}) at the mean simulated events D.
    # Allowed: 3 MC SE plus 0.02 for the asymptotic approximation with ~100 events.
    from scipy.stats import norm

    oc = simulate_two_arm(
        66,
        Exponential.from_median(7.5),
        Exponential.from_median(13.0),
        **PAPER,
        alpha=0.025,
        trials=4000,
        seed=9,
    )
    nominal = norm.cdf(math.sqrt(oc.mean_events / 4) * abs(math.log(7.5 / 13)) - norm.ppf(0.975))
    assert abs(oc.reject.rate - nominal) <= 3 * oc.reject.mc_se + 0.02


def test_two_arm_logrank_holds_alpha_under_equal_hazards() -> None:
    oc = simulate_two_arm(
        50,
        Exponential.from_median(7.5),
        Exponential.from_median(7.5),
        **PAPER,
        dropout_hazard=0.01,
        alpha=0.025,
        trials=10_000,
        seed=4,
    )
    assert oc.reject.rate <= 0.025 + 3 * oc.reject.mc_se


def test_runs_are_reproducible_with_a_seed() -> None:
    model = Exponential.from_landmark(0.4, 12.0)
    a = simulate_landmark(30, 0.3, 12.0, model, **PAPER, trials=2500, seed=42)
    b = simulate_landmark(30, 0.3, 12.0, model, **PAPER, trials=2500, seed=42)
    c = simulate_landmark(30, 0.3, 12.0, model, **PAPER, trials=2500, seed=43)
    assert a == b
    assert a.mean_estimate != c.mean_estimate


def test_progress_bar_path_gives_the_same_result() -> None:
    model = Exponential.from_landmark(0.4, 12.0)
    a = simulate_landmark(20, 0.3, 12.0, model, **PAPER, trials=2000, seed=1, progress=True)
    b = simulate_landmark(20, 0.3, 12.0, model, **PAPER, trials=2000, seed=1)
    assert a == b


def _empirical_vs_model(sample: np.ndarray, sf: object, times: list[float]) -> None:
    # at each t the empirical survival has SE sqrt(S(1-S)/N); allow 4 SE
    n = sample.size
    for t in times:
        s = float(sf(t))  # type: ignore[operator]
        assert abs((sample > t).mean() - s) <= 4 * math.sqrt(s * (1 - s) / n) + 1e-12


def test_weibull_generator_matches_scipy_weibull_min() -> None:
    from scipy.stats import weibull_min

    model = Weibull.from_median(9.0, 1.22)
    sample = model.sample(np.random.default_rng(2), (50_000,))
    _empirical_vs_model(sample, weibull_min(1.22, scale=model.scale).sf, [2, 5, 9, 15, 30])
    assert model.survival(9.0) == pytest.approx(0.5)


def test_piecewise_exponential_generator_matches_its_survival_function() -> None:
    # hazard 0.05 before 6 months, 0.15 after: S(t) = exp(-0.05 t) for t < 6,
    # exp(-0.3 - 0.15 (t - 6)) after; S(12) = exp(-1.2) = 0.30119
    model = PiecewiseExponential((6.0,), (0.05, 0.15))
    assert model.survival(12.0) == pytest.approx(math.exp(-1.2))
    sample = model.sample(np.random.default_rng(3), (50_000,))
    _empirical_vs_model(sample, model.survival, [1, 5.9, 6.1, 12, 20])
    scaled = model.scaled_to_landmark(0.3, 12.0)
    assert scaled.survival(12.0) == pytest.approx(0.3)


def test_simulated_patients_are_censored_at_the_analysis() -> None:
    time, event = simulate_patients(
        np.random.default_rng(0), Exponential(0.01), (200, 50), accrual=24.0, follow_up=12.0
    )
    assert time.max() <= 36.0  # nobody is followed past accrual + follow-up
    assert (time[~event] >= 12.0).all()  # no drop-out: censored only administratively, >= F


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [
        ({"n": 0}, "--n"),
        ({"trials": 0}, "--trials"),
        ({"accrual": 0.0}, "--accrual"),
        ({"follow_up": -1.0}, "--follow-up"),
        ({"dropout_hazard": -0.1}, "--dropout-hazard"),
        ({"alpha": 0.7}, "--alpha"),
        ({"p0": 1.2}, "--p0"),
    ],
)
def test_bad_simulation_input_names_the_flag(kwargs: dict, flag: str) -> None:
    args = {"n": 10, "p0": 0.3, "accrual": 24.0, "follow_up": 12.0, "trials": 10} | kwargs
    n, p0 = args.pop("n"), args.pop("p0")
    with pytest.raises(DataValidationError, match=flag):
        simulate_landmark(n, p0, 12.0, Exponential(0.1), **args)


def test_bad_piecewise_model_is_refused() -> None:
    with pytest.raises(DataValidationError, match="--hazards"):
        PiecewiseExponential((6.0,), (0.1,))
    with pytest.raises(DataValidationError, match="--breaks"):
        PiecewiseExponential((6.0, 3.0), (0.1, 0.2, 0.3))
