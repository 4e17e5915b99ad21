"""Competing-risks speed: Aalen-Johansen cumulative incidence (and Gray's test) -- hcctrial vs R.

Usage::

    .venv/bin/python benchmarks/survival_cif.py [--sizes 100000,1000000] [--repeat 3]

For each n prints the median of ``--repeat`` runs, measured in the same run on the same data, and
the ratio R / hcctrial (> 1: we are faster):

- "CIF, 2 causes": hcctrial ``cumulative_incidence_by_group`` (estimate, cmprsk's variance and CIs
  of both causes) vs R ``survfit(Surv(time, factor(status)) ~ 1)`` (multi-state Aalen-Johansen with
  its default variance) and ``cmprsk::cuminc(time, status)``;
- "CIF by group + Gray's test": the same by a 0/1 group plus Gray's test of cause 1 vs
  ``cmprsk::cuminc(time, status, group)``.

R is timed inside R (``system.time``), so its start-up and CSV reading are not counted. Data:
exponential times of two causes rounded up to whole days (many ties), uniform censoring (~30 %).
Target (issue 15, n = 10^6): the CIF at least 10x faster than R ``survfit`` multi-state.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

R_SCRIPT = r"""
suppressPackageStartupMessages({ library(survival); library(cmprsk) })
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); reps <- as.integer(args[2])
tm <- function(expr) median(replicate(reps, system.time(eval(expr))[["elapsed"]]))
sf <- tm(quote(fit <<- survfit(Surv(time, factor(status)) ~ 1, data = d)))
ci <- tm(quote(cuminc(d$time, d$status)))
cg <- tm(quote(cuminc(d$time, d$status, d$group)))
last <- fit$pstate[length(fit$time), 2]
cat(sprintf('{"survfit": %.6f, "cuminc": %.6f, "cuminc_group": %.6f, "last_cif1": %.17g}',
            sf, ci, cg, last))
"""


def make_data(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times of cause 1 (rate 1/500 d), cause 2 (1/900 d), censoring U(0, 1500) d; group 0/1 with
    a hazard ratio of 1.3 for cause 1."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    t1 = rng.exponential(500.0 / np.where(group == 1, 1.3, 1.0))
    t2 = rng.exponential(900.0, n)
    tc = rng.uniform(0, 1500, n)
    t = np.minimum(np.minimum(t1, t2), tc)
    status = np.where(t == tc, 0, np.where(t == t1, 1, 2))
    return np.ceil(t), status, group


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def run_r(t: np.ndarray, s: np.ndarray, g: np.ndarray, repeat: int) -> dict[str, float] | None:
    """Time survfit multi-state and cuminc inside R; None without Rscript."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        np.savetxt(
            csv,
            np.column_stack([t, s, g]),
            delimiter=",",
            fmt="%.17g",
            header="time,status,group",
            comments="",
        )
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        proc = subprocess.run(
            [rscript, str(script), str(csv), str(repeat)],
            capture_output=True,
            text=True,
            check=True,
            timeout=7200,
        )
    out: dict[str, float] = json.loads(proc.stdout)
    return out


def bench_size(n: int, repeat: int) -> list[str]:
    """Time both rows at size n; return the markdown rows (and a check line)."""
    from hcctrial.stats.competing_risks import cumulative_incidence_by_group, gray_test

    t, s, g = make_data(n)
    cumulative_incidence_by_group(t[:100], s[:100])  # warm-up: lazy scipy import not timed
    ours, curves = timed(lambda: cumulative_incidence_by_group(t, s), repeat)
    ours_g, _ = timed(lambda: (cumulative_incidence_by_group(t, s, g), gray_test(t, s, g)), repeat)
    r = run_r(t, s, g, repeat)

    def cell(key: str, mine: float) -> str:
        return "not run" if r is None else f"{r[key]:.3f} s ({r[key] / mine:.1f}x)"

    rows = [
        f"| {n:,} | CIF, 2 causes | {ours:.3f} s | {cell('survfit', ours)} | "
        f"{cell('cuminc', ours)} |",
        f"| {n:,} | CIF by group + Gray's test | {ours_g:.3f} s | - | "
        f"{cell('cuminc_group', ours_g)} |",
    ]
    if r is not None:
        diff = abs(float(curves[0].cif[-1]) - r["last_cif1"]) / r["last_cif1"]
        rows.append(f"  last F1 relative difference vs R survfit: {diff:.1e}")
    return rows


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print a markdown table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000", help="comma-separated n")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    args = ap.parse_args(argv)
    print("| n | estimator | hcctrial | R survfit multi-state | R cmprsk::cuminc |")
    print("|---:|---|---:|---:|---:|")
    for n in (int(float(x)) for x in args.sizes.split(",") if x.strip()):
        print("\n".join(bench_size(n, args.repeat)), flush=True)


if __name__ == "__main__":
    main()
