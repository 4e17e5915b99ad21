"""Benchmark: export the 1,000-patient trial in every format (issue 18: under 20 s in total).

Builds a throw-away SQLite trial of 1,000 patients (copies of the demo trial, as
``benchmarks/web_load.py`` builds it; not timed), then times

1. ``export_database(..., "all")`` — what ``hcctrial export DIR --format all`` runs: every format
   (csv, sav, dta, xpt, sdtm, adam, odm, redcap) into ``DIR/<format>/``, the database read and
   the analysis derived once (two forked workers), the formats written by two processes — the
   figure against the target; wall time and CPU time (this process and its forked workers),
   since the machine's 2 cores are shared with other jobs;
2. each format alone (a separate call that reads and derives again, as eight separate
   ``hcctrial export --format X`` commands would);
3. ``hcctrial cdisc check`` of the SDTM and ADaM output.

Peer, same run: R haven writing the same datasets (the raw tables and the two analysis datasets,
read from our .sav files first, untimed) with ``write_sav`` / ``write_dta`` / ``write_xpt``
(version 5), CPU time measured inside R (``system.time``: user + system); ratio = R / hcctrial's
CPU time writing that format from the loaded snapshot (building the datasets and writing the
files; the database read and derivation, which R does not do, are excluded).

    .venv/bin/python benchmarks/interop_export.py [--patients 1000] [--no-r]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from web_load import build_trial  # the same 1,000-patient trial as the web benchmark

FORMATS = ("csv", "sav", "dta", "xpt", "sdtm", "adam", "odm", "redcap")

R_WRITE = r"""
suppressPackageStartupMessages({ library(haven); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
files <- list.files(args[1], pattern = "\\.sav$", full.names = TRUE)
data <- lapply(files, read_sav)
out <- args[2]
t <- list()
cpu <- function(x) sum(x)
t$sav <- system.time(for (k in seq_along(data)) write_sav(data[[k]], file.path(out, paste0(k, ".sav"))))[c("user.self", "sys.self")]
t$dta <- system.time(for (k in seq_along(data)) write_dta(data[[k]], file.path(out, paste0(k, ".dta"))))[c("user.self", "sys.self")]
short <- lapply(data, function(d) { names(d) <- paste0("V", seq_along(d)); d <- zap_label(zap_labels(d)); attr(d, "label") <- NULL; d })
t$xpt <- system.time(for (k in seq_along(short)) write_xpt(short[[k]], file.path(out, paste0("D", k, ".xpt")), version = 5))[c("user.self", "sys.self")]
t <- lapply(t, cpu)
cat(toJSON(t, auto_unbox = TRUE, digits = NA))
"""


def _load() -> float:
    return os.getloadavg()[0]


def _cpu() -> float:
    """CPU seconds of this process and its (finished) children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--no-r", action="store_true", help="skip the R haven peer")
    args = ap.parse_args()

    from hcctrial.interop.conformance import check_directory
    from hcctrial.interop.export import export_database, export_snapshot
    from hcctrial.interop.snapshot import load_snapshot
    from hcctrial.store.session import make_engine, open_session

    tmp = Path(tempfile.mkdtemp(prefix="hcctrial-interop-bench-"))
    try:
        url = f"sqlite:///{tmp / 'trial.sqlite'}"
        t0 = time.perf_counter()
        build_trial(url, args.patients)
        print(f"built a {args.patients}-patient trial in {time.perf_counter() - t0:.1f} s "
              "(not timed)")
        load_before = _load()
        engine = make_engine(url)
        with open_session(engine) as session:
            cpu0, t = _cpu(), time.perf_counter()
            result = export_database(session, tmp / "all", "all")
            all_wall, all_cpu = time.perf_counter() - t, _cpu() - cpu0
        print(f"--format all: {all_wall:.2f} s wall, {all_cpu:.2f} s CPU "
              f"({len(result['files'])} files; target < 20 s: "
              f"{'met' if all_wall < 20 else 'NOT met'} at load {_load():.1f})")
        times: dict[str, float] = {}
        for fmt in FORMATS:
            with open_session(engine) as session:
                t = time.perf_counter()
                result = export_database(session, tmp / "out" / fmt, fmt)
                times[fmt] = time.perf_counter() - t
            rows = sum(result["files"].values())
            print(f"  {fmt:<7} alone {times[fmt]:6.2f} s  ({len(result['files'])} files, "
                  f"{rows} rows)")
        total = sum(times.values())
        with open_session(engine) as session:
            t = time.perf_counter()
            snap = load_snapshot(session)
            read_s = time.perf_counter() - t
        writes = {}
        for fmt in ("sav", "dta", "xpt"):
            t = time.process_time()
            export_snapshot(snap, tmp / "w" / fmt, fmt)
            writes[fmt] = time.process_time() - t
        t = time.perf_counter()
        report = check_directory(tmp / "out" / "sdtm")
        report_adam = check_directory(tmp / "out" / "adam")
        check_s = time.perf_counter() - t
        engine.dispose()
        load_after = _load()
        print(f"eight separate exports: {total:.2f} s in total; one database read + derivation "
              f"{read_s:.2f} s")
        print(f"cdisc check of SDTM + ADaM: {check_s:.2f} s, "
              f"{len(report.violations) + len(report_adam.violations)} violation(s)")
        if not args.no_r and shutil.which("Rscript"):
            (tmp / "r").mkdir()
            proc = subprocess.run(["Rscript", "-e", R_WRITE, str(tmp / "out" / "sav"),
                                   str(tmp / "r")], capture_output=True, text=True, check=True)
            r = json.loads(proc.stdout)
            for fmt in ("sav", "dta", "xpt"):
                print(f"  write {fmt} (CPU): hcctrial {writes[fmt]:.2f} s, R haven {r[fmt]:.2f} s "
                      f"(ratio R/hcctrial {r[fmt] / writes[fmt]:.2f}x)")
        print(f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
