"""``hcctrial grade``: the fixed contract of ``grade lab`` and the term look-up ``grade ae``.

Expected grades are hand-derived from the CTCAE text (arithmetic in the comments).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

ALT = "Alanine aminotransferase increased"


def test_grade_lab_contract_json(cli: Callable[..., Any]) -> None:
    # 250 U/L / ULN 40 = 6.25 x ULN: CTCAE v4.03 ALT grade 3 is ">5.0 - 20.0 x ULN"
    r = cli(
        "grade", "lab", "--term", ALT, "--value", "250", "--unit", "U/L", "--uln", "40", "--json"
    )
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["grade"] == 3
    assert out["rule"] == ">5.0 - 20.0 x ULN"
    assert "convention" in out and out["convention"] is None


def test_grade_lab_v5_abnormal_baseline(cli: Callable[..., Any]) -> None:
    # v5.0, baseline 80 > ULN 40 (abnormal): 250 / 80 = 3.1 x baseline -> G2 ">3.0 - 5.0 x baseline"
    r = cli(
        "grade",
        "lab",
        "--term",
        ALT,
        "--value",
        "250",
        "--unit",
        "U/L",
        "--uln",
        "40",
        "--baseline",
        "80",
        "--ctcae",
        "5.0",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    assert r.json()["grade"] == 2
    assert "x baseline if baseline was abnormal" in r.json()["rule"]


def test_grade_lab_cannot_grade_gives_null_and_reason(cli: Callable[..., Any]) -> None:
    # 100 x 10^9/L is above every absolute cut (75): only the LLN could make it grade 1
    r = cli(
        "grade",
        "lab",
        "--term",
        "Platelet count decreased",
        "--value",
        "100",
        "--unit",
        "10^9/L",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["grade"] is None
    assert "LLN" in out["reason"]


def test_grade_lab_unit_that_does_not_fit_is_null_with_reason(cli: Callable[..., Any]) -> None:
    r = cli(
        "grade",
        "lab",
        "--term",
        "Platelet count decreased",
        "--value",
        "40",
        "--unit",
        "mg/dL",
        "--lln",
        "150",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    assert r.json()["grade"] is None
    assert "mg/dL" in r.json()["reason"]


def test_grade_lab_convention_is_reported(cli: Callable[..., Any]) -> None:
    # K 3.2 < LLN 3.5 and >= 3.0: admiral assumes symptomatic -> grade 2
    r = cli(
        "grade",
        "lab",
        "--term",
        "Hypokalemia",
        "--value",
        "3.2",
        "--unit",
        "mmol/L",
        "--lln",
        "3.5",
        "--json",
    )
    assert r.json()["grade"] == 2
    assert "symptomatic" in r.json()["convention"]


def test_grade_lab_readable_summary(cli: Callable[..., Any]) -> None:
    r = cli("grade", "lab", "--term", ALT, "--value", "250", "--unit", "U/L", "--uln", "40")
    assert r.exit_code == 0
    assert "grade 3" in r.stdout and ">5.0 - 20.0 x ULN" in r.stdout


@pytest.mark.parametrize(
    ("args", "named"),
    [
        pytest.param(["--term", ALT, "--value", "250", "--unit", "U/L"], "--uln", id="missing ULN"),
        pytest.param(
            ["--term", "Hyperkalemia", "--value", "5.2", "--unit", "mmol/L"],
            "--uln",
            id="missing ULN for hyperkalemia grade 1",
        ),
        pytest.param(
            ["--term", "Platelet count decrease", "--value", "40", "--unit", "10^9/L"],
            "Platelet count decrease",
            id="unknown term",
        ),
        pytest.param(
            ["--term", ALT, "--value", "250", "--unit", "U/L", "--uln", "40", "--ctcae", "4.0"],
            "version",
            id="bad version",
        ),
        pytest.param(
            ["--term", ALT, "--value", "-5", "--unit", "U/L", "--uln", "40"],
            "value",
            id="negative value",
        ),
    ],
)
def test_grade_lab_bad_input_exit_2(cli: Callable[..., Any], args: list[str], named: str) -> None:
    r = cli("grade", "lab", *args, "--json")
    assert r.exit_code == 2
    assert named in r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout == ""


def test_unknown_term_suggests_close_match(cli: Callable[..., Any]) -> None:
    r = cli(
        "grade", "lab", "--term", "Platelet count decrease", "--value", "40", "--unit", "10^9/L"
    )
    assert "did you mean 'Platelet count decreased'" in r.stderr


def test_grade_ae_synonym(cli: Callable[..., Any]) -> None:
    r = cli("grade", "ae", "hand-foot skin reaction", "--json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["term"] == "Palmar-plantar erythrodysesthesia syndrome"
    assert out["valid_grades"] == [1, 2, 3]  # CTCAE v4.03: no grade 4 or 5


def test_grade_ae_grade_that_does_not_exist(cli: Callable[..., Any]) -> None:
    r = cli("grade", "ae", "Nausea", "--grade", "4", "--json")
    assert r.exit_code == 2
    assert "--grade" in r.stderr


def test_grade_terms_lists_lab_terms(cli: Callable[..., Any]) -> None:
    r = cli("grade", "terms", "--ctcae", "5.0", "--json")
    assert r.exit_code == 0
    assert ALT in r.json()["lab_terms"] and r.json()["version"] == "5.0"
