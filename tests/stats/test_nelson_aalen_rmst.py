"""Nelson-Aalen (R survfit ctype = 1) and RMST per group with difference and ratio (survRM2's
convention) against R: aml, ovarian and colon (reference JSON made by
tests/reference/survival/models/nelson_aalen_rmst_r.R) and live R on Hypothesis-generated sets."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcctrial.stats.nelson_aalen import nelson_aalen, nelson_aalen_by_group
from hcctrial.stats.rmst import rmst_by_group
from tests.stats.r_live import r_has, run_r, write_csv
from tests.stats.survival_reference import assert_all_close
from tests.support import TESTS_REFERENCE

MODELS = TESTS_REFERENCE / "survival" / "models"
SETS = ("aml", "ovarian", "colon")


@cache
def reference() -> dict[str, Any]:
    return json.loads((MODELS / "nelson_aalen_rmst_r.json").read_text())


def read_set(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lines = (MODELS / "data" / f"{name}.csv").read_text().splitlines()[1:]
    cells = [[c.strip('"') for c in line.split(",")] for line in lines]
    return (
        np.array([float(c[0]) for c in cells]),
        np.array([int(c[1]) for c in cells]),
        np.array([c[2] for c in cells], dtype=object),
    )


def test_nelson_aalen_by_hand() -> None:
    # n 5, 4 (one censored at 1), 2 ... : H = 1/5, + 2/3 at t=2 (n=3, d=2), Var = 1/25 + 2/9
    c = nelson_aalen([1, 1, 2, 2, 3], [1, 0, 1, 1, 0])
    assert c.time.tolist() == [1.0, 2.0, 3.0] and c.n_risk.tolist() == [5, 3, 1]
    assert np.allclose(c.cumhaz, [0.2, 0.2 + 2 / 3, 0.2 + 2 / 3], rtol=1e-15)
    assert np.allclose(c.std_err**2, [1 / 25, 1 / 25 + 2 / 9, 1 / 25 + 2 / 9], rtol=1e-15)


@pytest.mark.parametrize("name", SETS)
def test_nelson_aalen_matches_survfit_ctype1(name: str) -> None:
    t, e, g = read_set(name)
    ref = reference()[name]["nelson_aalen"]
    strata = np.array(ref["strata"])
    for c in nelson_aalen_by_group(t, e, g):
        rows = strata == f"group={c.label}"
        for ours, key in [
            (c.time, "time"),
            (c.n_risk, "n_risk"),
            (c.n_event, "n_event"),
            (c.cumhaz, "cumhaz"),
            (c.std_err, "std_chaz"),
            (c.lower, "lower_h"),
            (c.upper, "upper_h"),
        ]:
            exp = np.array(ref[key], dtype=float)[rows]
            # R's -log(1) is -0.0 where the band's upper survival is capped at 1
            assert_all_close(ours, np.abs(exp) if key == "lower_h" else exp, f"{name}/{key}")


@pytest.mark.parametrize("name", SETS)
def test_rmst_per_group_difference_and_ratio_match_r(name: str) -> None:
    t, e, g = read_set(name)
    for ref in reference()[name]["rmst"]:
        groups, comps = rmst_by_group(t, e, ref["tau"], g)
        assert [f"group={x.rmst.label}" for x in groups] == ref["groups"]
        assert_all_close([x.rmst.estimate for x in groups], ref["rmean"], f"{name}/rmean")
        assert_all_close([x.rmst.se for x in groups], ref["se"], f"{name}/se")
        for ours, key in [
            ("difference", "diff"),
            ("difference_se", "diff_se"),
            ("difference_lower", "diff_lower"),
            ("difference_upper", "diff_upper"),
            ("difference_p", "diff_p"),
            ("ratio", "ratio"),
            ("ratio_lower", "ratio_lower"),
            ("ratio_upper", "ratio_upper"),
            ("ratio_p", "ratio_p"),
        ]:
            got = [getattr(c, ours) for c in comps]
            assert_all_close(got, np.atleast_1d(ref[key]), f"{name}/{ref['tau']}/{key}")


R_LIVE = r"""
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
f <- survfit(Surv(time, event) ~ group, data = d, ctype = 1)
tab <- summary(f, rmean = 7.5)$table
cat(toJSON(list(strata = rep(names(f$strata), f$strata), time = f$time, cumhaz = f$cumhaz,
  std_chaz = f$std.chaz, rmean = unname(tab[, "rmean"]), se = unname(tab[, "se(rmean)"])),
  digits = NA))
"""

sets = st.integers(min_value=4, max_value=50).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 10), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n),
    )
)


@pytest.mark.slow
@pytest.mark.skipif(not r_has("survival"), reason="R survival is not installed")
@settings(max_examples=10, deadline=None)
@given(sets)
def test_random_sets_match_live_survfit(data: tuple[list[Any], ...]) -> None:
    time = np.array(data[0], dtype=float) * 1.5
    event, group = np.array(data[1]), np.array(data[2], dtype=object)
    if len(set(data[2])) < 2:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(
            Path(tmp) / "d.csv", {"time": time.tolist(), "event": event, "group": group}
        )
        ref = run_r(R_LIVE, [path], Path(tmp))
    strata = np.array(ref["strata"])
    for c in nelson_aalen_by_group(time, event, group):
        rows = strata == f"group={c.label}"
        assert_all_close(c.cumhaz, np.array(ref["cumhaz"])[rows], "cumhaz")
        assert_all_close(c.std_err, np.array(ref["std_chaz"])[rows], "std_chaz")
    groups, _ = rmst_by_group(time, event, 7.5, group)
    assert_all_close([x.rmst.estimate for x in groups], ref["rmean"], "rmean")
    assert_all_close([x.rmst.se for x in groups], ref["se"], "se")


def test_one_sample_has_no_comparison() -> None:
    groups, comps = rmst_by_group([1, 2, 3], [1, 1, 0], 2.5)
    assert comps == () and groups[0].rmst.estimate == pytest.approx(1 + 2 / 3 * 1 + 1 / 3 * 0.5)
    assert nelson_aalen([1, 2], [0, 0]).cumhaz.tolist() == [0.0, 0.0]


def test_nelson_aalen_merges_times_equal_up_to_rounding_as_r_timefix() -> None:
    # 1 and 1 + 1e-12 are one time (n = 4, d = 2: H = 2/4), unless timefix is off
    t, e = [1.0, 1.0 + 1e-12, 2.0, 3.0], [1, 1, 1, 1]
    assert nelson_aalen(t, e).cumhaz.tolist() == [0.5, 0.5 + 1 / 2, 0.5 + 1 / 2 + 1]
    assert nelson_aalen(t, e, timefix=False).cumhaz.tolist() == [
        0.25,
        0.25 + 1 / 3,
        0.25 + 1 / 3 + 0.5,
        0.25 + 1 / 3 + 0.5 + 1,
    ]


@pytest.mark.slow
@pytest.mark.skipif(not r_has("survival"), reason="R survival is not installed")
def test_near_ties_match_live_survfit_timefix(tmp_path: Path) -> None:
    rng = np.random.default_rng(15)
    k = rng.integers(1, 9, 120)
    # k * 0.1 * 3 and k * 0.3 differ in the last bits for some k: R's timefix merges them
    time = np.where(rng.random(120) < 0.5, k * 0.1 * 3, k * 0.3)
    assert np.unique(time).shape[0] > np.unique(np.round(time, 9)).shape[0]
    event = (rng.random(120) < 0.7).astype(int)
    group = np.where(rng.random(120) < 0.5, "a", "b").astype(object)
    path = write_csv(tmp_path / "d.csv", {"time": time.tolist(), "event": event, "group": group})
    ref = run_r(R_LIVE, [path], tmp_path)
    strata = np.array(ref["strata"])
    for c in nelson_aalen_by_group(time, event, group):
        rows = strata == f"group={c.label}"
        assert_all_close(c.time, np.array(ref["time"])[rows], "time")
        assert_all_close(c.cumhaz, np.array(ref["cumhaz"])[rows], "cumhaz")
        assert_all_close(c.std_err, np.array(ref["std_chaz"])[rows], "std_chaz")
