"""Survival speed: KM, log-rank and Cox (4 covariates, Efron) -- hcctrial vs lifelines, statsmodels, R.

Usage::

    .venv/bin/python benchmarks/survival.py [--sizes 10000,100000,1000000] [--repeat 3]
                                            [--skip-slow-peers] [--no-r]

For each n prints the median of ``--repeat`` runs of hcctrial and of each peer, measured in the same
run on the same data, and the ratio peer / hcctrial (> 1: we are faster). R is timed inside R
(``system.time`` around ``survfit``/``survdiff``/``coxph`` on the same CSV), so R's start-up and CSV
reading are not counted. ``--skip-slow-peers`` skips lifelines at n >= 10^6 and statsmodels' Cox
(PHReg) at n >= 10^5 (minutes each). Also times ``import hcctrial`` and ``hcctrial --help``.
Targets (issue 4, n = 10^6): KM and log-rank no slower than statsmodels; Cox >= 3x faster than R
and 15x faster than lifelines; import and --help under 0.3 s.

Issue 15 adds a second table (``--counting-sizes``, default 10^6 rows; ``0`` skips it): Cox
(Efron, 4 covariates) on (start, stop] rows -- each subject of the data above split at a random
time into two rows, x4 changing at the split -- against R ``coxph(Surv(start, stop, event) ~ ...)``
(target >= 3x), and the overhead of the robust (sandwich) variance on a right-censored fit
(``cox_ph(..., robust=True)`` over ``cox_ph(...)``, timed in turn after a warm-up call of each;
target < 30 %), with R's own overhead of
``robust = TRUE`` measured in the same run up to 10^5 rows (beyond, R's robust variance takes
minutes).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); reps <- as.integer(args[2])
tm <- function(expr) median(replicate(reps, system.time(eval(expr))[["elapsed"]]))
km <- tm(quote(survfit(Surv(time, event) ~ 1, data = d)))
lr <- tm(quote(survdiff(Surv(time, event) ~ x2, data = d)))
cx <- tm(quote(fit <<- coxph(Surv(time, event) ~ x1 + x2 + x3 + x4, data = d, ties = "efron")))
cat(sprintf('{"km": %.6f, "logrank": %.6f, "cox": %.6f, "coef": [%s]}',
            km, lr, cx, paste(sprintf("%.17g", coef(fit)), collapse = ",")))
"""


def make_data(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exponential times rounded up to whole days (many ties), ~30 % censored, 4 covariates.

    benchmarks/cox_speed.py uses it too. The log-rank groups are x2 (0/1).
    """
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [rng.normal(60, 10, n), rng.integers(0, 2, n), rng.integers(0, 4, n), rng.normal(0, 1, n)]
    ).astype(float)
    beta = np.array([0.01, -0.4, 0.3, 0.2])
    t_event = rng.exponential(365.0 * np.exp(-(X - X.mean(0)) @ beta))
    t_cens = rng.uniform(0, 1500, n)
    return np.ceil(np.minimum(t_event, t_cens)), (t_event <= t_cens).astype(int), X


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls (after none: the first call counts) and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def timed_alternately(
    a: Callable[[], Any], b: Callable[[], Any], repeat: int
) -> tuple[float, float]:
    """Median wall times of ``a`` and ``b`` called in turn (a, b, a, b, ...) after one warm-up
    call each: an overhead of b over a, measured so that drifts of the machine hit both alike."""
    a()
    b()
    ta, tb = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        a()
        ta.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        b()
        tb.append(time.perf_counter() - t0)
    return float(np.median(ta)), float(np.median(tb))


def run_r(
    time_: np.ndarray, event: np.ndarray, X: np.ndarray, repeat: int
) -> dict[str, Any] | None:
    """Time survfit / survdiff / coxph inside R on the same data; None when Rscript is absent."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        np.savetxt(
            csv,
            np.column_stack([time_, event, X]),
            delimiter=",",
            fmt="%.17g",
            header="time,event,x1,x2,x3,x4",
            comments="",
        )
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        proc = subprocess.run(
            [rscript, str(script), str(csv), str(repeat)],
            capture_output=True,
            text=True,
            check=True,
            timeout=3600,
        )
    return json.loads(proc.stdout)


R_COUNTING = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); reps <- as.integer(args[2]); r <- read.csv(args[3])
tm <- function(expr) median(replicate(reps, system.time(eval(expr))[["elapsed"]]))
cp <- tm(quote(fit <<- coxph(Surv(start, stop, event) ~ x1 + x2 + x3 + x4, data = d)))
plain <- tm(quote(coxph(Surv(time, event) ~ x1 + x2 + x3 + x4, data = r)))
## R's robust=TRUE grows much faster than its fit (5 s at 2 x 10^4 rows): timed up to 10^5 rows
rob <- if (nrow(r) <= 1e5) tm(quote(coxph(Surv(time, event) ~ x1 + x2 + x3 + x4, data = r,
  robust = TRUE))) else NA
cat(sprintf('{"counting": %.6f, "plain": %.6f, "robust": %s, "coef": [%s]}', cp, plain,
            if (is.na(rob)) "null" else sprintf("%.6f", rob),
            paste(sprintf("%.17g", coef(fit)), collapse = ",")))
"""


def make_counting(n_rows: int, seed: int = 2) -> dict[str, np.ndarray]:
    """(start, stop] rows: each of n_rows / 2 subjects split at a random time into two rows."""
    rng = np.random.default_rng(seed)
    time_, event, X = make_data(n_rows // 2, seed)
    cut = np.floor(time_ * rng.uniform(0.1, 0.9, time_.shape[0]))
    two = cut > 0  # a subject whose first day is its last stays one row
    start = np.concatenate([np.zeros(time_.shape[0]), cut[two]])
    stop = np.concatenate([np.where(two, cut, time_), time_[two]])
    ev = np.concatenate([np.where(two, 0, event), event[two]])
    X2 = np.concatenate([X, X[two]])
    X2[time_.shape[0] :, 3] += rng.normal(0, 0.5, int(two.sum()))  # x4 changes at the split
    return {"start": start, "stop": stop, "event": ev, "X": X2}


def bench_counting(n_rows: int, repeat: int, use_r: bool) -> None:
    """Print Cox on (start, stop] rows vs R and the robust-variance overhead (ours and R's)."""
    from hcctrial.stats.cox import cox_ph

    d = make_counting(n_rows)
    t_cp, fit = timed(lambda: cox_ph(d["stop"], d["event"], d["X"], start=d["start"]), repeat)
    time_, event, X = make_data(n_rows)
    t_plain, t_rob = timed_alternately(
        lambda: cox_ph(time_, event, X), lambda: cox_ph(time_, event, X, robust=True), repeat
    )
    rt: dict[str, Any] | None = None
    if use_r and shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            a, b = Path(tmp) / "cp.csv", Path(tmp) / "rc.csv"
            np.savetxt(
                a,
                np.column_stack([d["start"], d["stop"], d["event"], d["X"]]),
                delimiter=",",
                fmt="%.17g",
                header="start,stop,event,x1,x2,x3,x4",
                comments="",
            )
            np.savetxt(
                b,
                np.column_stack([time_, event, X]),
                delimiter=",",
                fmt="%.17g",
                header="time,event,x1,x2,x3,x4",
                comments="",
            )
            script = Path(tmp) / "cp.R"
            script.write_text(R_COUNTING)
            proc = subprocess.run(
                [str(shutil.which("Rscript")), str(script), str(a), str(repeat), str(b)],
                capture_output=True,
                text=True,
                check=True,
                timeout=3600,
            )
            rt = json.loads(proc.stdout)
    print(f"| {d['stop'].shape[0]:,} rows | hcctrial | R survival |")
    print("|---|---:|---:|")
    r_cp = "not run" if rt is None else f"{rt['counting']:.3f} s ({rt['counting'] / t_cp:.1f}x)"
    print(f"| Cox Efron, (start, stop] rows | {t_cp:.3f} s | {r_cp} |")
    r_pl = "not run" if rt is None else f"{rt['plain']:.3f} s"
    r_rb = (
        "not run"
        if rt is None or rt["robust"] is None
        else f"{rt['robust']:.3f} s ({rt['robust'] / rt['plain'] - 1:+.0%})"
    )
    print(f"| Cox Efron, {n_rows:,} subjects | {t_plain:.3f} s | {r_pl} |")
    print(f"| ... robust=True | {t_rob:.3f} s ({t_rob / t_plain - 1:+.0%}) | {r_rb} |")
    if rt is not None:
        diff = np.max(np.abs(np.asarray(fit.coef) - rt["coef"]) / np.abs(rt["coef"]))
        print(f"  (start, stop] Cox: max relative coefficient difference vs R = {diff:.1e}")


def startup_times(repeat: int) -> tuple[float, float]:
    """Median wall time of ``python -c 'import hcctrial'`` minus bare Python, and of --help."""
    exe = [sys.executable]
    bare, _ = timed(lambda: subprocess.run([*exe, "-c", "pass"], check=True), repeat)
    imp, _ = timed(lambda: subprocess.run([*exe, "-c", "import hcctrial"], check=True), repeat)
    helper = [*exe, "-c", "from hcctrial.cli.main import run; run(['--help'])"]
    hlp, _ = timed(lambda: subprocess.run(helper, check=False, capture_output=True), repeat)
    return imp - bare, hlp - bare


def bench_size(n: int, repeat: int, skip_slow: bool, use_r: bool) -> dict[str, dict[str, float]]:
    """Time every estimator at size n; return {estimator: {engine: seconds}}."""
    import pandas as pd
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test as ll_logrank
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    from hcctrial.stats import kaplan_meier, logrank_test

    time_, event, X = make_data(n)
    g = X[:, 1]
    res: dict[str, dict[str, float]] = {"km": {}, "logrank": {}, "cox": {}}
    res["km"]["hcctrial"], _ = timed(lambda: kaplan_meier(time_, event), repeat)
    res["logrank"]["hcctrial"], _ = timed(lambda: logrank_test(time_, event, g), repeat)
    res["km"]["statsmodels"], _ = timed(lambda: SurvfuncRight(time_, event), repeat)
    res["logrank"]["statsmodels"], _ = timed(lambda: survdiff(time_, event, g), repeat)
    ours_coef = None
    try:
        from hcctrial.stats.cox import cox_ph
    except ImportError:
        print("  (hcctrial.stats.cox.cox_ph not available yet: Cox skipped)")
    else:
        res["cox"]["hcctrial"], fit = timed(lambda: cox_ph(time_, event, X, ties="efron"), repeat)
        ours_coef = np.asarray(fit.coef)
    slow = skip_slow and n >= 1_000_000
    if not slow:
        m = g == 0
        res["km"]["lifelines"], _ = timed(lambda: KaplanMeierFitter().fit(time_, event), repeat)
        res["logrank"]["lifelines"], _ = timed(
            lambda: ll_logrank(time_[m], time_[~m], event[m], event[~m]), repeat
        )
        df = pd.DataFrame(X, columns=["x1", "x2", "x3", "x4"]).assign(time=time_, event=event)
        res["cox"]["lifelines"], _ = timed(
            lambda: CoxPHFitter().fit(df, "time", "event"), 1 if n >= 1_000_000 else repeat
        )
    if not (skip_slow and n >= 100_000):
        res["cox"]["statsmodels"], _ = timed(
            lambda: PHReg(time_, X, status=event, ties="efron").fit(), 1
        )
    if use_r:
        r = run_r(time_, event, X, repeat)
        if r is not None:
            for key in ("km", "logrank", "cox"):
                res[key]["R survival"] = float(r[key])
            if ours_coef is not None:
                diff = np.max(np.abs(ours_coef - np.array(r["coef"])) / np.abs(r["coef"]))
                print(f"  Cox: max relative coefficient difference vs R = {diff:.1e}")
    return res


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one markdown table per size."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated n")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument(
        "--skip-slow-peers",
        action="store_true",
        help="skip lifelines at n >= 1e6 and statsmodels Cox at n >= 1e5",
    )
    ap.add_argument("--no-r", action="store_true", help="do not time R even if Rscript exists")
    ap.add_argument(
        "--counting-sizes",
        default="1000000",
        help="rows for the (start, stop] and robust-SE table (issue 15); 0 skips it",
    )
    args = ap.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",") if s.strip()]
    imp, hlp = startup_times(args.repeat)
    print(
        f"import hcctrial: {imp:.3f} s; hcctrial --help: {hlp:.3f} s (beyond bare Python start-up;"
        " target < 0.3 s)"
    )
    peers = ["statsmodels", "lifelines", "R survival"]
    print("| n | estimator | hcctrial | " + " | ".join(peers) + " |")
    print("|---:|---|---:|" + "---:|" * len(peers))
    for n in sizes:
        res = bench_size(n, args.repeat, args.skip_slow_peers, not args.no_r)
        for key, label in (("km", "Kaplan-Meier"), ("logrank", "log-rank"), ("cox", "Cox Efron")):
            ours = res[key].get("hcctrial")
            cells = []
            for p in peers:
                t = res[key].get(p)
                if t is None:
                    cells.append("not run")
                elif ours:
                    cells.append(f"{t:.4f} s ({t / ours:.1f}x)")
                else:
                    cells.append(f"{t:.4f} s")
            our_cell = "n/a" if ours is None else f"{ours:.4f} s"
            print(f"| {n:,} | {label} | {our_cell} | " + " | ".join(cells) + " |", flush=True)
    for n in (int(float(x)) for x in args.counting_sizes.split(",") if x.strip()):
        if n > 0:
            bench_counting(n, args.repeat, not args.no_r)


if __name__ == "__main__":
    main()
