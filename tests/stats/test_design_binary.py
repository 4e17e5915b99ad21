"""Binary single-arm designs reproduce the published values in tests/reference/design/.

Every ``single_arm_normal``, ``single_stage_exact`` and ``simon`` case of design_cases.jsonl is a
parametrized test whose id is the case id; the source (A'Hern 2001 Table 1, Simon 1989 / R clinfun
ph2simon, the seed paper) is in the case and repeated in the assertion message.
"""

from __future__ import annotations

from typing import Any

import pytest

from hcctrial.errors import DataValidationError
from hcctrial.stats.design_binary import (
    enrolment_after_dropout,
    exact_single_stage,
    simon_two_stage,
    single_arm_normal,
)
from tests.support import REFERENCE, read_jsonl

CASES = read_jsonl(REFERENCE / "design" / "design_cases.jsonl")


def _cases(kind: str) -> list[Any]:
    return [pytest.param(c, id=c["id"]) for c in CASES if c["kind"] == kind]


@pytest.mark.parametrize("case", _cases("single_arm_normal"))
def test_normal_approximation_reproduces_the_papers_60(case: dict[str, Any]) -> None:
    i, x = case["inputs"], case["expected"]
    d = single_arm_normal(
        i["p0"], i["p1"], i["alpha"], 1 - i["beta"], sides=i["sided"], variance=i["variance"]
    )
    assert d.n == x["n"], case["source"]
    assert d.n_unrounded == pytest.approx(x["n_unrounded"], abs=5e-4), case["source"]


def test_paper_dropout_conventions_66_by_multiply_67_by_divide() -> None:
    # the seed paper: 60 x 1.10 = 66 (floating point gives 66.00000000000001: must not become 67);
    # the usual inflation 60 / 0.9 = 66.67 -> 67 (reference README)
    d = single_arm_normal(0.3, 0.5, 0.05, 0.9, sides=2, dropout=0.1, dropout_rule="multiply")
    assert (d.n, d.n_enrolled) == (60, 66)
    d = single_arm_normal(0.3, 0.5, 0.05, 0.9, sides=2, dropout=0.1, dropout_rule="divide")
    assert (d.n, d.n_enrolled) == (60, 67)
    assert enrolment_after_dropout(60, 0.0, "divide") == 60


def test_one_sided_five_percent_gives_49_not_60() -> None:
    # reference README: "One-sided 5 % gives 49":
    # [1.64485 sqrt(.21) + 1.28155 sqrt(.25)]^2 / .04 = (0.75377 + 0.64078)^2 / .04 = 1.94475 / .04 = 48.62 -> 49
    d = single_arm_normal(0.3, 0.5, 0.05, 0.9, sides=1)
    assert d.n == 49
    assert d.n_unrounded == pytest.approx(48.62, abs=0.01)


def test_variance_conventions_hand_calculation() -> None:
    # null on both: (1.95996 + 1.28155)^2 * 0.21 / 0.04 = 10.50739 * 5.25 = 55.16
    # alt on both:  (1.95996 + 1.28155)^2 * 0.25 / 0.04 = 10.50739 * 6.25 = 65.67
    assert single_arm_normal(0.3, 0.5, 0.05, 0.9, sides=2, variance="null").n_unrounded == (
        pytest.approx(55.164, abs=0.01)
    )
    assert single_arm_normal(0.3, 0.5, 0.05, 0.9, sides=2, variance="alt").n_unrounded == (
        pytest.approx(65.671, abs=0.01)
    )


@pytest.mark.parametrize("case", _cases("single_stage_exact"))
def test_exact_single_stage_matches_ahern_table(case: dict[str, Any]) -> None:
    i, x = case["inputs"], case["expected"]
    d = exact_single_stage(i["p0"], i["p1"], i["alpha"], 1 - i["beta"], tol=i.get("tol", 0.0))
    assert (d.n, d.r) == (x["n"], x["r"]), case["source"]
    if "alpha" in x:
        assert d.alpha == pytest.approx(x["alpha"], abs=5e-6), case["source"]
        assert d.power == pytest.approx(x["power"], abs=5e-6), case["source"]
    assert d.alpha <= i["alpha"] + i.get("tol", 0.0)
    assert d.power >= 1 - i["beta"] - i.get("tol", 0.0)


def test_ahern_cell_with_tolerance_differs_from_strict_search() -> None:
    # known disagreement (reference README): A'Hern's printed 25/33 for p0 .6, p1 .8, a .05, b .2
    # has power 0.79996 < 0.80; only the 5e-4 tolerance reproduces it. The strict search goes on.
    strict = exact_single_stage(0.6, 0.8, 0.05, 0.8)
    assert strict.n > 33
    assert strict.power >= 0.8 and strict.alpha <= 0.05


@pytest.mark.parametrize("case", _cases("simon"))
def test_simon_designs_match_clinfun_and_simon_1989(case: dict[str, Any]) -> None:
    i, x = case["inputs"], case["expected"]
    d = simon_two_stage(i["p0"], i["p1"], i["alpha"], 1 - i["beta"], nmax=i["nmax"])
    for name in ("optimal", "minimax"):
        if name not in x:
            continue
        got, want = getattr(d, name), x[name]
        assert (got.r1, got.n1, got.r, got.n) == (want["r1"], want["n1"], want["r"], want["n"]), (
            f"{name}: {case['source']}"
        )
        digits = (
            4 if isinstance(want["EN0"], float) and len(str(want["EN0"]).split(".")[1]) >= 4 else 2
        )
        assert got.en_p0 == pytest.approx(want["EN0"], abs=0.6 * 10**-digits), case["source"]
        assert got.pet_p0 == pytest.approx(want["PET0"], abs=6e-4), case["source"]
        assert got.alpha <= i["alpha"] and got.power >= 1 - i["beta"]  # strict, no tolerance


def test_simon_admissible_designs_run_from_minimax_to_optimal() -> None:
    d = simon_two_stage(0.3, 0.5, 0.05, 0.9)
    assert d.admissible[0] == d.minimax and d.admissible[-1] == d.optimal
    ns = [a.n for a in d.admissible]
    ens = [a.en_p0 for a in d.admissible]
    assert ns == sorted(ns) and ens == sorted(ens, reverse=True)


def test_simon_optimal_depends_on_nmax() -> None:
    # reference README: the optimal design can depend on the maximum n searched (clinfun cap 100);
    # with p0 .2, p1 .35, a .05, b .05 the capped optimum sits at n = 99, next to the cap
    capped = simon_two_stage(0.2, 0.35, 0.05, 0.95, nmax=100)
    wider = simon_two_stage(0.2, 0.35, 0.05, 0.95, nmax=120)
    assert capped.optimal.n == 99
    # the cap binds: a wider search finds a design beyond it with a strictly smaller EN(p0)
    assert wider.optimal.n > 100
    assert wider.optimal.en_p0 < capped.optimal.en_p0


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        ((0.5, 0.3, 0.05, 0.9), "--p1"),
        ((0.3, 0.3, 0.05, 0.9), "--p1"),
        ((0.0, 0.5, 0.05, 0.9), "--p0"),
        ((0.3, 1.0, 0.05, 0.9), "--p1"),
        ((0.3, 0.5, 0.5, 0.9), "--alpha"),
        ((0.3, 0.5, 0.0, 0.9), "--alpha"),
        ((0.3, 0.5, 0.05, 0.5), "--power"),
        ((0.3, 0.5, 0.05, 1.0), "--power"),
    ],
)
def test_bad_design_input_names_the_flag(args: tuple[float, ...], flag: str) -> None:
    for f in (single_arm_normal, exact_single_stage, simon_two_stage):
        with pytest.raises(DataValidationError, match=flag):
            f(*args)


def test_bad_dropout_sides_and_nmax_are_refused() -> None:
    with pytest.raises(DataValidationError, match="--dropout"):
        single_arm_normal(0.3, 0.5, dropout=1.0)
    with pytest.raises(DataValidationError, match="--dropout-rule"):
        single_arm_normal(0.3, 0.5, dropout=0.1, dropout_rule="add")
    with pytest.raises(DataValidationError, match="--sides"):
        single_arm_normal(0.3, 0.5, sides=3)
    with pytest.raises(DataValidationError, match="--nmax"):
        simon_two_stage(0.3, 0.5, 0.05, 0.9, nmax=20)
