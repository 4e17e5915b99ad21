"""Cox speed check (n = 10^4, 10^5, 10^6; 4 covariates; Efron): hcctrial vs lifelines and R.

Usage: .venv/bin/python benchmarks/cox_speed.py [--sizes 10000,100000,1000000] [--no-lifelines]
Prints the median of ``--repeat`` runs per engine (wall time; for hcctrial, after one warm-up
call, also the CPU time of the process, ``time.process_time``, which other jobs on a shared
machine disturb less), the ratios, the largest relative difference of the coefficients, and the
load average before each size. R is timed inside R (``proc.time`` around ``coxph``, which
computes the concordance by default, as ``cox_ph`` does), so R's start-up and CSV reading are not
counted. The official, all-estimator benchmark is benchmarks/survival.py; this script is the
Cox-only measurement behind the Cox section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from survival import make_data, timed  # the same data and timer as benchmarks/survival.py


def timed_cpu(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU (process) time of ``repeat`` calls, and the last result."""
    walls: list[float] = []
    cpus: list[float] = []
    out = None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return float(np.median(walls)), float(np.median(cpus)), out


def run_r(
    time_: np.ndarray, event: np.ndarray, X: np.ndarray, repeat: int
) -> tuple[float, np.ndarray] | None:
    if shutil.which("Rscript") is None:
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
        script = Path(tmp) / "fit.R"
        script.write_text(
            "suppressPackageStartupMessages(library(survival))\n"
            f"d <- read.csv('{csv}')\n"
            "ts <- c()\n"
            f"for (i in 1:{repeat}) {{ t0 <- proc.time()[['elapsed']];"
            " f <- coxph(Surv(time, event) ~ x1 + x2 + x3 + x4, data = d);"
            " ts <- c(ts, proc.time()[['elapsed']] - t0) }\n"
            "cat(median(ts), sprintf('%.17g', coef(f)), '\\n')\n"
        )
        out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=True)
        vals = [float(v) for v in out.stdout.split()]
        return vals[0], np.array(vals[1:])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-lifelines", action="store_true")
    ap.add_argument("--lifelines-max", type=int, default=1_000_000)
    args = ap.parse_args()
    from hcctrial.stats.cox import cox_ph

    for n in (int(s) for s in args.sizes.split(",")):
        time_, event, X = make_data(n)
        load = " ".join(f"{v:.1f}" for v in os.getloadavg())
        fit_ours = partial(cox_ph, time_, event, X, ties="efron")
        fit_ours()  # warm-up (lazy imports, page cache)
        t_ours, cpu_ours, fit = timed_cpu(fit_ours, args.repeat)
        coef = np.array(fit.coef)
        line = f"n={n:>8} (load {load})  hcctrial {t_ours:7.3f} s (CPU {cpu_ours:.3f} s)"
        r = run_r(time_, event, X, args.repeat)
        if r is not None:
            t_r, coef_r = r
            line += f" | R {t_r:7.3f} s (x{t_r / t_ours:5.1f}; max rel coef diff {np.max(np.abs(coef / coef_r - 1)):.1e})"
        if not args.no_lifelines and n <= args.lifelines_max:
            import pandas as pd
            from lifelines import CoxPHFitter

            df = pd.DataFrame(X, columns=["x1", "x2", "x3", "x4"]).assign(T=time_, E=event)
            t_ll, cph = timed(partial(CoxPHFitter().fit, df, "T", "E"), 1)
            coef_ll = cph.params_.to_numpy()
            line += f" | lifelines {t_ll:7.3f} s (x{t_ll / t_ours:5.1f}; max rel coef diff {np.max(np.abs(coef / coef_ll - 1)):.1e})"
        print(line, flush=True)


if __name__ == "__main__":
    main()
