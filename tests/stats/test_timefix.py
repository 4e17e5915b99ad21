"""R's ``timefix`` (``aeqSurv``): hand cases and live R on nearly equal times (KM, log-rank, Cox).

Expected values: hand calculations below, and R survival 3.5 (``survfit``, ``survdiff``,
``coxph`` with their default ``timefix = TRUE``, and with ``timefix = FALSE``) run live.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hcctrial.stats.cox import cox_ph
from hcctrial.stats.kaplan_meier import kaplan_meier, kaplan_meier_by_group
from hcctrial.stats.logrank import logrank_test
from hcctrial.stats.timefix import TIMEFIX_TOLERANCE, aeq_times
from tests.stats.cox_live_r import RSCRIPT, needs_r


def test_tolerance_is_sqrt_machine_epsilon() -> None:
    assert pytest.approx(2.0**-26, rel=1e-15) == TIMEFIX_TOLERANCE  # sqrt(2^-52)


def test_nearly_equal_times_take_the_smallest_of_their_run() -> None:
    # 0.1 * 3 = 0.30000000000000004 and 0.3 differ by 5.6e-17: one time, 0.3 (the smaller)
    t = np.array([0.1 * 3, 0.3, 1.0, 2.0])
    assert aeq_times(t)[0].tolist() == [0.3, 0.3, 1.0, 2.0]
    # 1 and 1 + 1e-6 are 1e-6 apart, above 1.5e-8 and above 1.5e-8 * mean|y|: kept apart
    t = np.array([1.0, 1.0 + 1e-6])
    assert aeq_times(t)[0] is t


def test_relative_rule_scales_with_the_mean_absolute_time() -> None:
    # y = (1e6, 1e6 + 0.01): dy = 0.01 > 1.5e-8, but dy / mean(y) = 1e-8 <= 1.49e-8: tied
    t = np.array([1e6 + 0.01, 1e6])
    assert aeq_times(t)[0].tolist() == [1e6, 1e6]


def test_km_merges_or_not_on_request() -> None:
    t = [0.1 * 3, 0.3, 1.0]
    e = [1, 1, 1]
    assert kaplan_meier(t, e).time.tolist() == [0.3, 1.0]  # one step of 2 deaths
    assert kaplan_meier(t, e).surv.tolist() == pytest.approx([1 / 3, 0.0], rel=1e-15)
    assert len(kaplan_meier(t, e, timefix=False).time) == 3


R_TIMEFIX = r"""
suppressPackageStartupMessages({library(survival); library(jsonlite)})
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
out <- list()
for (tf in c(TRUE, FALSE)) {
  km <- survfit(Surv(time, event) ~ g, data = d, timefix = tf)
  # survdiff(timefix = FALSE) fails in survival 3.5-3 (model.frame error); the log-rank depends
  # on the order of the times only, so without timefix it is survdiff on their dense ranks
  d$rt <- match(d$time, sort(unique(d$time)))
  lr <- if (tf) survdiff(Surv(time, event) ~ g, data = d) else survdiff(Surv(rt, event) ~ g, data = d)
  cx <- coxph(Surv(time, event) ~ x + g, data = d, control = coxph.control(timefix = tf))
  out[[as.character(tf)]] <- list(km_time = km$time, km_surv = km$surv, chisq = lr$chisq,
    coef = unname(coef(cx)), loglik = cx$loglik)
}
cat(toJSON(out, digits = NA))
"""


@needs_r
def test_near_ties_match_r_with_and_without_timefix(tmp_path: Path) -> None:
    rng = np.random.default_rng(42)
    n = 60
    base = rng.integers(1, 15, n).astype(float)
    # the same month computed two ways: days / 30.4375 vs the month count (last-bit noise)
    noisy = np.where(rng.uniform(size=n) < 0.5, base * 30.4375 / 30.4375 * (1 + 2e-16), base)
    g = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    e = (rng.uniform(size=n) < 0.7).astype(int)
    assert len(np.unique(noisy)) > len(np.unique(base))  # the noise splits tied times
    csv = tmp_path / "d.csv"
    np.savetxt(
        csv,
        np.column_stack([noisy, e, g, x]),
        delimiter=",",
        fmt="%.17g",
        header="time,event,g,x",
        comments="",
    )
    script = tmp_path / "tf.R"
    script.write_text(R_TIMEFIX)
    assert RSCRIPT is not None
    r = json.loads(
        subprocess.run(
            [RSCRIPT, str(script), str(csv)], capture_output=True, text=True, check=True
        ).stdout
    )
    for tf in (True, False):
        ref = r["TRUE" if tf else "FALSE"]
        curves = kaplan_meier_by_group(noisy, e, g, timefix=tf)
        # the same steps (jsonlite prints 15 significant digits, hence rtol 1e-15)
        np.testing.assert_allclose(
            np.concatenate([c.time for c in curves]), ref["km_time"], rtol=1e-15
        )
        np.testing.assert_allclose(
            np.concatenate([c.surv for c in curves]), ref["km_surv"], rtol=1e-12
        )
        assert logrank_test(noisy, e, g, timefix=tf).chisq == pytest.approx(
            ref["chisq"][0], rel=1e-10
        )
        fit = cox_ph(noisy, e, np.column_stack([x, g]), timefix=tf)
        np.testing.assert_allclose(fit.coef, ref["coef"], rtol=1e-8)
        np.testing.assert_allclose([fit.loglik_null, fit.loglik], ref["loglik"], rtol=1e-10)
    assert r["TRUE"]["chisq"] != r["FALSE"]["chisq"]  # the case makes a difference
