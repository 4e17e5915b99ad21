"""``survival km`` options beside today's contract: --start, --weights, --conf-level, --quantiles,
--rmst, --no-timefix; and the log-log CI before the first observed time.

Expected numbers: live R ``survfit`` / ``quantile`` / ``summary(rmean=)`` (survival 3.5) on the
same CSV, 1e-8 relative (1e-12 where no iteration or root is involved); skipped without R.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from hcctrial.stats.kaplan_meier import kaplan_meier, survival_at
from tests.conftest import CliResult
from tests.stats.cox_live_r import RSCRIPT, needs_r


@pytest.fixture
def km(cli: Callable[..., CliResult]) -> Callable[..., CliResult]:
    return lambda *args: cli("survival", "km", *args)


def _csv(tmp_path: Path, n: int = 120, seed: int = 5) -> Path:
    rng = np.random.default_rng(seed)
    stop = np.ceil(rng.exponential(20, n))
    start = np.floor(stop * rng.uniform(0, 0.6, n))
    start[rng.uniform(size=n) < 0.5] = 0
    ev = (rng.uniform(size=n) < 0.7).astype(int)
    w = rng.integers(1, 4, n)
    g = rng.choice(["a", "b"], n)
    # a near-tie: the same month written two ways (last-bit noise)
    stop[:6] = [3.0, 3.0000000000000004, 3.0, 7.0, 7.000000000000001, 7.0]
    start[:6] = 0
    rows = [f"{float(stop[i])!r},{ev[i]},{float(start[i])!r},{w[i]},{g[i]}" for i in range(n)]
    path = tmp_path / "km.csv"
    path.write_text("stop,ev,start,w,g\n" + "\n".join(rows) + "\n")
    return path


R_KM = r"""
suppressPackageStartupMessages({library(survival); library(jsonlite)})
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
f <- survfit(Surv(start, stop, ev) ~ g, data = d, weights = w, conf.int = 0.9)
q <- quantile(f, probs = c(0.25, 0.5, 0.75), conf.int = TRUE)
tab <- summary(f, rmean = 25)$table
p <- survfit(Surv(stop, ev) ~ 1, data = d, conf.type = "log-log")
pn <- survfit(Surv(stop, ev) ~ 1, data = d, timefix = FALSE)
cat(toJSON(list(time = f$time, n_risk = f$n.risk, n_event = f$n.event, surv = f$surv,
  std_err = f$std.err, lower = f$lower, upper = f$upper, strata = unname(f$strata),
  q = as.vector(t(q$quantile)), q_lower = as.vector(t(q$lower)), q_upper = as.vector(t(q$upper)),
  rmean = unname(tab[, "rmean"]), rmean_se = unname(tab[, "se(rmean)"]),
  plain_n = length(p$time), notimefix_n = length(pn$time)), digits = NA, na = "null"))
"""


@needs_r
def test_counting_process_weighted_km_quantiles_rmst_match_r(km, tmp_path: Path) -> None:
    path = _csv(tmp_path)
    script = tmp_path / "km.R"
    script.write_text(R_KM)
    assert RSCRIPT is not None
    r = json.loads(
        subprocess.run(
            [RSCRIPT, str(script), str(path)], capture_output=True, text=True, check=True
        ).stdout
    )
    res = km(
        path,
        "--time",
        "stop",
        "--event",
        "ev",
        "--start",
        "start",
        "--weights",
        "w",
        "--group",
        "g",
        "--conf-level",
        "0.9",
        "--quantiles",
        "0.25,0.5,0.75",
        "--rmst",
        "25",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = res.json()
    assert out["conf_level"] == 0.9 and out["start"] == "start" and out["weights"] == "w"
    steps = [s for g in out["groups"] for s in g["steps"]]
    assert [len(g["steps"]) for g in out["groups"]] == r["strata"]
    np.testing.assert_allclose([s["time"] for s in steps], r["time"], rtol=1e-15)
    np.testing.assert_allclose([s["n_risk"] for s in steps], r["n_risk"], rtol=1e-15)
    np.testing.assert_allclose([s["n_event"] for s in steps], r["n_event"], rtol=1e-15)
    surv = np.array([s["surv"] for s in steps])
    np.testing.assert_allclose(surv, r["surv"], rtol=1e-12)
    # R's std.err is the SE of log S; ours ("se") is the SE of S = S * SE(log S)
    se = np.array([np.nan if s["se"] is None else s["se"] for s in steps])
    rse = np.array([np.nan if v is None else v for v in r["std_err"]])
    np.testing.assert_allclose(se, surv * rse, rtol=1e-12)
    for key in ("lower", "upper"):
        ours = np.array([np.nan if s[key] is None else s[key] for s in steps])
        theirs = np.array([np.nan if v is None else v for v in r[key]])
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    qs = [q for g in out["groups"] for q in g["quantiles"]]
    for key, rkey in (("estimate", "q"), ("lower", "q_lower"), ("upper", "q_upper")):
        ours = [np.nan if q[key] is None else q[key] for q in qs]
        theirs = [np.nan if v is None else v for v in r[rkey]]
        np.testing.assert_allclose(ours, theirs, rtol=1e-8)
    np.testing.assert_allclose([g["rmst"]["estimate"] for g in out["groups"]], r["rmean"], 1e-10)
    np.testing.assert_allclose([g["rmst"]["se"] for g in out["groups"]], r["rmean_se"], 1e-10)
    # timefix: the near-tied months are one step by default, two with --no-timefix, as R
    plain = km(path, "--time", "stop", "--event", "ev", "--json").json()
    fixed_off = km(path, "--time", "stop", "--event", "ev", "--no-timefix", "--json").json()
    assert len(plain["groups"][0]["steps"]) == r["plain_n"][0]
    assert len(fixed_off["groups"][0]["steps"]) == r["notimefix_n"][0] > r["plain_n"][0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quantiles", "0.5,1.2"], "--quantiles: got '1.2'"),
        (["--conf-level", "95"], "--conf-level: got 95.0"),
        (["--rmst", "-3"], "--rmst: got -3.0"),
        (["--weights", "w"], "column 'w': line 3 has '0'; expected a case weight > 0"),
    ],
)
def test_bad_km_options_exit_2(km, tmp_path: Path, args, message) -> None:
    path = tmp_path / "d.csv"
    path.write_text("t,e,w\n1,1,1\n2,0,0\n3,1,2\n")
    res = km(path, "--time", "t", "--event", "e", *args, "--json")
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.stderr


def test_loglog_ci_before_the_first_time_is_one_as_r() -> None:
    # R survival 3.5: summary(survfit(Surv(c(2,3,5,7,8), c(0,1,1,0,1)) ~ 1, conf.type =
    # "log-log"), times = c(0.5, 2, 2.5, 3)): lower/upper 1/1 at 0.5 (before the first time),
    # NA at 2 and 2.5 (S = 1 after a censoring), 0.1279469/0.9605486 at 3.
    curve = kaplan_meier([2, 3, 5, 7, 8], [0, 1, 1, 0, 1], conf_type="log-log")
    at = survival_at(curve, [0.5, 2, 2.5, 3])
    assert (at[0].lower, at[0].upper) == (1.0, 1.0)
    assert at[1].lower is None and at[2].upper is None
    assert at[3].lower == pytest.approx(0.1279469, abs=5e-8)
    assert at[3].upper == pytest.approx(0.9605486, abs=5e-8)
