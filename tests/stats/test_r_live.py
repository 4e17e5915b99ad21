"""Run R ``survival`` live on random data sets (ties, heavy censoring) and compare; skip without R.

Each data set is written to a temporary CSV with full precision; one Rscript call fits survfit
(log and log-log bands), quantile.survfit, survdiff (rho 0 and 1, stratified) and the trend
statistic from survdiff's O, E, V, and prints JSON (jsonlite, digits = NA). We must agree to 1e-8.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hcctrial.stats.kaplan_meier import kaplan_meier_by_group
from hcctrial.stats.km_quantiles import survival_quantile
from hcctrial.stats.logrank import logrank_test, logrank_trend_test
from tests.stats.survival_reference import assert_all_close, close

RSCRIPT = shutil.which("Rscript")
pytestmark = pytest.mark.skipif(RSCRIPT is None, reason="Rscript is not installed")

R_CODE = r"""
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
out <- list()
for (f in args) {
  d <- read.csv(f)
  res <- list()
  for (ct in c("log", "log-log", "plain")) {
    fit <- survfit(Surv(time, event) ~ group, data = d, conf.type = ct)
    q <- quantile(fit, probs = c(0.25, 0.5, 0.75), conf.int = TRUE)
    res[[ct]] <- list(strata = rep(names(fit$strata), fit$strata), time = fit$time,
      n_risk = fit$n.risk, n_event = fit$n.event, n_censor = fit$n.censor, surv = fit$surv,
      std_err = fit$std.err, lower = fit$lower, upper = fit$upper,
      q = as.vector(t(q$quantile)), q_lower = as.vector(t(q$lower)), q_upper = as.vector(t(q$upper)))
  }
  for (rho in c(0, 1)) {
    s <- survdiff(Surv(time, event) ~ group, data = d, rho = rho)
    ss <- survdiff(Surv(time, event) ~ group + strata(strata), data = d, rho = rho)
    res[[paste0("rho", rho)]] <- list(chisq = s$chisq, obs = s$obs, exp = s$exp, var = s$var,
      strat_chisq = ss$chisq, strat_obs = rowSums(ss$obs), strat_exp = rowSums(ss$exp))
  }
  s <- survdiff(Surv(time, event) ~ group, data = d)
  w <- seq_along(s$n)
  res$trend <- sum(w * (s$obs - s$exp))^2 / as.numeric(t(w) %*% s$var %*% w)
  out[[basename(f)]] <- res
}
cat(toJSON(out, auto_unbox = FALSE, digits = NA, na = "null"))
"""


def random_sets(tmp_path: Path) -> list[tuple[Path, dict[str, np.ndarray]]]:
    rng = np.random.default_rng(20240611)
    sets = []
    for i, (n, censor_p, grid) in enumerate(
        [(40, 0.3, 10), (120, 0.7, 25), (300, 0.85, 40), (80, 0.5, 6), (200, 0.2, 1000)]
    ):
        time = rng.integers(0, grid, size=n).astype(float)  # integer grid: many ties
        if i == 4:
            time = np.round(rng.exponential(50, size=n), 6)
        event = (rng.random(n) > censor_p).astype(int)  # heavy censoring in some sets
        group = rng.integers(1, 4, size=n)
        strata = rng.integers(0, 2, size=n)
        path = tmp_path / f"set{i}.csv"
        rows = "\n".join(
            f"{float(t)!r},{e},{g},{s}"
            for t, e, g, s in zip(time, event, group, strata, strict=True)
        )
        path.write_text("time,event,group,strata\n" + rows + "\n")
        sets.append((path, {"time": time, "event": event, "group": group, "strata": strata}))
    return sets


@pytest.fixture(scope="module")
def r_results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rlive")
    sets = random_sets(tmp)
    script = tmp / "live.R"
    script.write_text(R_CODE)
    proc = subprocess.run(
        [RSCRIPT, str(script), *[str(p) for p, _ in sets]],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return sets, json.loads(proc.stdout)


def test_km_step_tables_and_quantiles_match_live_r(r_results) -> None:
    sets, out = r_results
    for path, d in sets:
        for ct in ("log", "log-log", "plain"):
            ref = out[path.name][ct]
            curves = kaplan_meier_by_group(d["time"], d["event"], d["group"], conf_type=ct)
            strata = np.array(ref["strata"])
            qs, qlo, qup = [], [], []
            for c in curves:
                rows = strata == f"group={c.label}"
                for ours, key in [
                    (c.time, "time"),
                    (c.n_risk, "n_risk"),
                    (c.n_event, "n_event"),
                    (c.n_censor, "n_censor"),
                    (c.surv, "surv"),
                    (c.std_err_log, "std_err"),
                    (c.lower, "lower"),
                    (c.upper, "upper"),
                ]:
                    exp = np.array(ref[key], dtype=object)[rows]
                    assert_all_close(ours, exp, f"{path.name}/{ct}/{c.label}/{key}")
                for p in (0.25, 0.5, 0.75):
                    q = survival_quantile(c, p)
                    qs.append(q.estimate)
                    qlo.append(q.lower)
                    qup.append(q.upper)
            for ours, key in ((qs, "q"), (qlo, "q_lower"), (qup, "q_upper")):
                assert len(ours) == len(ref[key])
                for i, (a, b) in enumerate(zip(ours, ref[key], strict=True)):
                    assert close(a, b), f"{path.name}/{ct}/{key}[{i}]: ours {a}, R {b}"


@pytest.mark.parametrize("rho", [0, 1])
def test_logrank_plain_and_stratified_match_live_r(r_results, rho: int) -> None:
    sets, out = r_results
    for path, d in sets:
        ref = out[path.name][f"rho{rho}"]
        r = logrank_test(d["time"], d["event"], d["group"], rho=rho)
        assert close(r.chisq, ref["chisq"][0]), (path.name, r.chisq, ref["chisq"])
        assert_all_close(r.observed, ref["obs"], f"{path.name} observed")
        assert_all_close(r.expected, ref["exp"], f"{path.name} expected")
        assert_all_close(np.array(r.variance), np.array(ref["var"]), f"{path.name} var")
        s = logrank_test(d["time"], d["event"], d["group"], d["strata"], rho=rho)
        assert close(s.chisq, ref["strat_chisq"][0]), (path.name, s.chisq, ref["strat_chisq"])
        assert_all_close(s.observed, ref["strat_obs"], f"{path.name} strat observed")
        assert_all_close(s.expected, ref["strat_exp"], f"{path.name} strat expected")


def test_trend_test_matches_live_r(r_results) -> None:
    sets, out = r_results
    for path, d in sets:
        t = logrank_trend_test(logrank_test(d["time"], d["event"], d["group"]))
        assert close(t.chisq, out[path.name]["trend"][0]), (path.name, t.chisq)
