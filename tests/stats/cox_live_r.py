"""Fit ``coxph`` in a live R (survival 3.5) on data written to a CSV; used by the live-R Cox tests.

:func:`r_coxph` writes the arrays with full precision (``%.17g``), runs one ``Rscript`` and returns
R's coefficients, variance, log likelihoods, iteration count, score and Wald statistics, robust
variance when asked, and the warnings R issued. Tests skip when ``Rscript`` is absent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

RSCRIPT = shutil.which("Rscript")
needs_r = pytest.mark.skipif(RSCRIPT is None, reason="Rscript is not installed")

_R = r"""
suppressPackageStartupMessages({library(survival); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1])
opt <- fromJSON(a[2])
covs <- setdiff(names(d), c("time", "start", "event", "s", "w", "cl"))
rhs <- paste(covs, collapse = " + ")
if ("s" %in% names(d)) rhs <- paste(rhs, "+ strata(s)")
lhs <- if ("start" %in% names(d)) "Surv(start, time, event)" else "Surv(time, event)"
fo <- as.formula(paste(lhs, "~", rhs))
args <- list(fo, data = d, ties = opt$ties,
             control = coxph.control(iter.max = opt$iter_max, timefix = opt$timefix))
if ("w" %in% names(d)) args$weights <- d$w
if ("cl" %in% names(d)) args$cluster <- d$cl
if (!is.null(opt$robust)) args$robust <- opt$robust
msgs <- character()
f <- withCallingHandlers(do.call(coxph, args),
  warning = function(w) { msgs <<- c(msgs, conditionMessage(w)); invokeRestart("muffleWarning") })
cc <- concordance(f)
out <- list(coef = unname(coef(f)), var = f$var, loglik = f$loglik, iter = f$iter,
  score = f$score, wald = unname(f$wald.test), warnings = msgs,
  concordance = unname(cc$concordance), concordance_var = unname(cc$var))
if (!is.null(f$naive.var)) out$naive_var <- f$naive.var
cat(toJSON(out, digits = NA, auto_unbox = TRUE, matrix = "rowmajor"))
"""


def r_coxph(
    tmp_path: Path,
    time: Any,
    event: Any,
    X: Any,
    *,
    ties: str = "efron",
    iter_max: int = 20,
    timefix: bool = True,
    start: Any = None,
    strata: Any = None,
    weights: Any = None,
    cluster: Any = None,
    robust: bool | None = None,
) -> dict[str, Any]:
    """Return R's ``coxph`` fit of the given data (covariates named x1 .. xp)."""
    Xa = np.asarray(X, dtype=float).reshape(len(time), -1)
    cols = {"time": np.asarray(time, float), "event": np.asarray(event, float)}
    if start is not None:
        cols["start"] = np.asarray(start, float)
    for j in range(Xa.shape[1]):
        cols[f"x{j + 1}"] = Xa[:, j]
    for name, extra in (("s", strata), ("w", weights), ("cl", cluster)):
        if extra is not None:
            cols[name] = np.asarray(extra, float)
    csv = tmp_path / "cox_live.csv"
    np.savetxt(
        csv,
        np.column_stack(list(cols.values())),
        delimiter=",",
        fmt="%.17g",
        header=",".join(cols),
        comments="",
    )
    script = tmp_path / "cox_live.R"
    script.write_text(_R)
    opt = json.dumps({"ties": ties, "iter_max": iter_max, "timefix": timefix, "robust": robust})
    assert RSCRIPT is not None
    proc = subprocess.run(
        [RSCRIPT, str(script), str(csv), opt], capture_output=True, text=True, check=True
    )
    out: dict[str, Any] = json.loads(proc.stdout)
    if not isinstance(out["warnings"], list):
        out["warnings"] = [out["warnings"]] if out["warnings"] else []
    return out
