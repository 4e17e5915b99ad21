"""``hcctrial design ...``: the fixed contracts (flags and JSON keys) and exit code 2 on bad input.

Expected values: the seed paper's 60/66 and Simon (1989) / clinfun / A'Hern rows from
tests/reference/design/design_cases.jsonl; gsDesign nSurv for the RCT; Wu (2015) for the
one-sample log-rank test.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import REFERENCE, read_jsonl

CASES = {c["id"]: c for c in read_jsonl(REFERENCE / "design" / "design_cases.jsonl")}


def test_single_arm_reproduces_the_papers_60_and_66(cli: Any) -> None:
    r = cli(
        "design",
        "single-arm",
        "--p0",
        "0.3",
        "--p1",
        "0.5",
        "--alpha",
        "0.05",
        "--power",
        "0.9",
        "--sides",
        "2",
        "--dropout",
        "0.1",
        "--dropout-rule",
        "multiply",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert set(out) == {"n", "n_unrounded", "n_enrolled", "method"}
    assert (out["n"], out["n_enrolled"]) == (60, 66)  # source: trial-n60
    assert out["n_unrounded"] == pytest.approx(
        CASES["trial-n60"]["expected"]["n_unrounded"], abs=5e-4
    )


def test_single_arm_defaults_are_one_sided_and_divide(cli: Any) -> None:
    # one-sided 5 %: 49 (reference README); drop-out 10 % by n/(1-d): 49/0.9 = 54.4 -> 55
    r = cli(
        "design",
        "single-arm",
        "--p0",
        "0.3",
        "--p1",
        "0.5",
        "--alpha",
        "0.05",
        "--power",
        "0.9",
        "--dropout",
        "0.1",
        "--json",
    )
    assert (r.json()["n"], r.json()["n_enrolled"]) == (49, 55)


def test_single_arm_text_summary_shows_formula(cli: Any) -> None:
    r = cli("design", "single-arm", "--p0", "0.3", "--p1", "0.5", "--sides", "2")
    assert r.exit_code == 0
    assert "sqrt(p0 q0)" in r.stdout and "A'Hern" in r.stdout and "60" in r.stdout


def test_exact_contract(cli: Any) -> None:
    case = CASES["trial-exact-one-sided-0.05"]
    r = cli(
        "design",
        "exact",
        "--p0",
        "0.3",
        "--p1",
        "0.5",
        "--alpha",
        "0.05",
        "--power",
        "0.9",
        "--json",
    )
    out = r.json()
    assert set(out) == {"n", "r", "alpha", "power"}
    assert (out["n"], out["r"]) == (case["expected"]["n"], case["expected"]["r"]), case["source"]
    assert out["alpha"] == pytest.approx(case["expected"]["alpha"], abs=5e-6)


def test_simon_contract(cli: Any) -> None:
    case = CASES["simon-0.3-0.5-a0.05-b0.1"]
    r = cli(
        "design",
        "simon",
        "--p0",
        "0.3",
        "--p1",
        "0.5",
        "--alpha",
        "0.05",
        "--power",
        "0.9",
        "--nmax",
        "100",
        "--json",
    )
    out = r.json()
    assert set(out) == {"optimal", "minimax"}
    keys = {"r1", "n1", "r", "n", "en_p0", "pet_p0", "alpha", "power"}
    for name in ("optimal", "minimax"):
        got, want = out[name], case["expected"][name]
        assert set(got) == keys
        assert [got[k] for k in ("r1", "n1", "r", "n")] == [want[k] for k in ("r1", "n1", "r", "n")]
        assert got["en_p0"] == pytest.approx(want["EN0"], abs=1e-4), case["source"]
        assert got["pet_p0"] == pytest.approx(want["PET0"], abs=1e-4), case["source"]


def test_events_contract(cli: Any) -> None:
    # Schoenfeld: 4 (1.959964 + 0.841621)^2 / log(0.577)^2 = 103.82 -> 104
    r = cli(
        "design",
        "events",
        "--hr",
        "0.577",
        "--alpha",
        "0.025",
        "--power",
        "0.8",
        "--sides",
        "1",
        "--json",
    )
    assert r.json()["events"] == 104
    assert r.json()["events_unrounded"] == pytest.approx(103.82, abs=0.01)
    # Freedman: 7.848880 (1.577/0.423)^2 = 109.09 -> 110
    r = cli("design", "events", "--hr", "0.577", "--method", "freedman", "--json")
    assert r.json()["events"] == 110


def test_two_arm_contract_matches_gsdesign(cli: Any) -> None:
    case = CASES["rct-LF-90"]
    r = cli(
        "design",
        "two-arm",
        "--median-control",
        "7.5",
        "--median-experimental",
        "13",
        "--accrual",
        "24",
        "--follow-up",
        "12",
        "--alpha",
        "0.025",
        "--power",
        "0.9",
        "--json",
    )
    out = r.json()
    assert set(out) == {"n", "n_unrounded", "events", "events_unrounded"}
    assert out["n_unrounded"] == pytest.approx(case["expected"]["n_unrounded"], abs=1e-4)
    assert out["events_unrounded"] == pytest.approx(case["expected"]["events_unrounded"], abs=1e-3)
    assert out["n"] == 176 and out["events"] == 138


def test_two_arm_with_dropout_needs_more_patients(cli: Any) -> None:
    base = (
        "design",
        "two-arm",
        "--median-control",
        "7.5",
        "--median-experimental",
        "13",
        "--accrual",
        "24",
        "--follow-up",
        "12",
        "--alpha",
        "0.025",
        "--power",
        "0.8",
        "--json",
    )
    without = cli(*base).json()
    with_dropout = cli(*base, "--dropout-hazard", "0.0043").json()
    assert with_dropout["n_unrounded"] > without["n_unrounded"]


def test_one_sample_logrank_contract_matches_wu_2015(cli: Any) -> None:
    r = cli(
        "design",
        "one-sample-logrank",
        "--median0",
        "9",
        "--hr",
        "0.571",
        "--shape",
        "1.22",
        "--accrual",
        "5",
        "--follow-up",
        "3",
        "--alpha",
        "0.05",
        "--power",
        "0.8",
        "--json",
    )
    assert r.json() == {"n": 88}  # Wu (2015) PBC example


def test_simulate_single_arm_landmark_json(cli: Any) -> None:
    r = cli(
        "design",
        "simulate",
        "--design",
        "single-arm-landmark",
        "--n",
        "66",
        "--p0",
        "0.3",
        "--t0",
        "12",
        "--true-rate",
        "0.3",
        "--accrual",
        "24",
        "--follow-up",
        "12",
        "--dropout-hazard",
        "0.0088",
        "--trials",
        "4000",
        "--seed",
        "1",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert set(out["tests"]) == {
        "km",
        "binomial_exact",
        "binomial_normal",
        "binomial_censored_as_failure",
    }
    exact = out["tests"]["binomial_exact"]
    assert exact["rate"] <= 0.025 + 3 * exact["mc_se"]
    again = cli(
        "design",
        "simulate",
        "--n",
        "66",
        "--p0",
        "0.3",
        "--t0",
        "12",
        "--true-rate",
        "0.3",
        "--dropout-hazard",
        "0.0088",
        "--trials",
        "4000",
        "--seed",
        "1",
        "--json",
    )
    assert again.json() == out  # seeded: reproducible


def test_simulate_two_arm_text(cli: Any) -> None:
    r = cli(
        "design",
        "simulate",
        "--design",
        "two-arm-logrank",
        "--n",
        "132",
        "--trials",
        "2000",
        "--seed",
        "2",
    )
    assert r.exit_code == 0, r.stderr
    assert "Schoenfeld" in r.stdout


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("single-arm", "--p0", "0.5", "--p1", "0.3"), "--p1"),
        (("single-arm", "--p0", "0.3", "--p1", "0.5", "--alpha", "0.6"), "--alpha"),
        (("single-arm", "--p0", "0.3", "--p1", "0.5", "--power", "0.4"), "--power"),
        (("single-arm", "--p0", "0.3", "--p1", "0.5", "--dropout-rule", "add"), "--dropout-rule"),
        (("exact", "--p0", "0.3", "--p1", "0.3"), "--p1"),
        (("simon", "--p0", "0.3", "--p1", "0.5", "--alpha", "0"), "--alpha"),
        (("events", "--hr", "-1"), "--hr"),
        (("events", "--hr", "0.6", "--method", "cox"), "--method"),
        (
            (
                "two-arm",
                "--median-control",
                "0",
                "--median-experimental",
                "13",
                "--accrual",
                "24",
                "--follow-up",
                "12",
            ),
            "--median-control",
        ),
        (
            (
                "two-arm",
                "--median-control",
                "7.5",
                "--median-experimental",
                "-13",
                "--accrual",
                "24",
                "--follow-up",
                "12",
            ),
            "--median-experimental",
        ),
        (
            (
                "one-sample-logrank",
                "--median0",
                "-9",
                "--hr",
                "0.571",
                "--accrual",
                "5",
                "--follow-up",
                "3",
            ),
            "--median0",
        ),
        (("simulate", "--design", "three-arm"), "--design"),
        (("simulate", "--true-rate", "1.5"), "--true-rate"),
        (("simulate", "--design", "two-arm-logrank", "--n", "65"), "--n"),
        (("simulate", "--distribution", "gamma"), "--distribution"),
    ],
)
def test_bad_input_exits_2_naming_the_flag(cli: Any, args: tuple[str, ...], flag: str) -> None:
    r = cli("design", *args)
    assert r.exit_code == 2
    assert flag in r.stderr
    assert "Traceback" not in r.stderr
