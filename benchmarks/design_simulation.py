"""Benchmark: 10⁵ simulated single-arm trials of 66 patients (landmark KM + its test) in < 2 s.

Run: ``.venv/bin/python benchmarks/design_simulation.py [--trials 100000] [--lifelines-trials 200]``

Prints our time (median of 3 runs after one warm-up; data generation, batched KM with Greenwood
variance, the KM test and three binomial tests) and the time of a per-trial loop over lifelines
``KaplanMeierFitter`` doing the same KM + test on the same kind of data, measured in the same run
on ``--lifelines-trials`` trials and scaled linearly to the full count (said so in the output).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def _ours(trials: int) -> float:
    from hcctrial.stats.simulate import Exponential, simulate_landmark

    model = Exponential.from_landmark(0.3, 12.0)
    start = time.perf_counter()
    simulate_landmark(
        66,
        0.3,
        12.0,
        model,
        accrual=24.0,
        follow_up=12.0,
        dropout_hazard=0.0088,
        alpha=0.025,
        trials=trials,
        seed=1,
    )
    return time.perf_counter() - start


def _lifelines(trials: int) -> float:
    from lifelines import KaplanMeierFitter
    from scipy.stats import norm

    from hcctrial.stats.simulate import Exponential, simulate_patients

    rng = np.random.default_rng(1)
    t, e = simulate_patients(
        rng, Exponential.from_landmark(0.3, 12.0), (trials, 66), 24.0, 12.0, 0.0088
    )
    z = norm.ppf(0.975)
    kmf = KaplanMeierFitter()
    start = time.perf_counter()
    rejected = 0
    for i in range(trials):
        kmf.fit(t[i], e[i])
        table = kmf.survival_function_
        s = float(table.loc[:12.0].iloc[-1, 0])
        # Greenwood variance: sum d/(n(n-d)) over event times <= 12 from the event table
        ev = kmf.event_table.loc[:12.0]
        d, n = ev["observed"].to_numpy(), ev["at_risk"].to_numpy()
        ok = (d > 0) & (n > d)
        se = s * np.sqrt((d[ok] / (n[ok] * (n[ok] - d[ok]))).sum())
        rejected += int(se > 0 and (s - 0.3) / se > z)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=100_000)
    parser.add_argument("--lifelines-trials", type=int, default=200)
    args = parser.parse_args()
    _ours(2000)  # warm-up: imports, caches
    ours = statistics.median(_ours(args.trials) for _ in range(3))
    per_trial = _lifelines(args.lifelines_trials) / args.lifelines_trials
    scaled = per_trial * args.trials
    print(f"design simulation: {args.trials} trials x 66 patients, landmark KM + Greenwood test")
    print(f"  hcctrial (batched, median of 3): {ours:.3f} s  (target < 2 s)")
    print(
        f"  lifelines per-trial loop: {per_trial * 1e3:.2f} ms/trial measured on "
        f"{args.lifelines_trials} trials, scaled to {args.trials}: {scaled:.1f} s"
    )
    print(f"  ratio lifelines / hcctrial: {scaled / ours:.0f}x")


if __name__ == "__main__":
    main()
