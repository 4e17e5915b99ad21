"""The CLI contracts issue 13 extends (beside the fixed ones): every new flag and refusal, with
expected values worked by hand in the comments."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def test_grade_ae_ctcae_5(cli: Callable[..., Any]) -> None:
    # CTCAE v5.0 Hepatic failure grade 3: "Asterixis; mild encephalopathy; drug-induced liver
    # injury (DILI); limiting self care ADL" (v4.03 has no DILI); MedDRA 10019663
    r = cli("grade", "ae", "Hepatic failure", "--ctcae", "5.0", "--grade", "3", "--json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["version"] == "5.0" and out["meddra_code"] == 10019663
    assert "drug-induced liver injury (DILI)" in out["grades"]["3"]


def test_grade_ae_v5_grade_text_of_a_term_not_in_the_trial(cli: Callable[..., Any]) -> None:
    r = cli("grade", "ae", "Trochlear nerve disorder", "--ctcae", "5.0", "--json")
    assert r.exit_code == 0 and r.json()["soc"] == "Nervous system disorders"
    assert cli("grade", "ae", "Trochlear nerve disorder").exit_code == 2  # v4.03: IVth nerve


@pytest.mark.parametrize(
    ("flag", "grade", "symptoms"),
    [
        ([], 2, "assumed symptomatic (admiral worst case)"),
        (["--asymptomatic"], 1, "asymptomatic"),
        (["--symptomatic"], 2, "symptomatic"),
    ],
)
def test_grade_lab_symptoms(
    cli: Callable[..., Any], flag: list[str], grade: int, symptoms: str
) -> None:
    # potassium 3.2 mmol/L, LLN 3.5: "<LLN - 3.0 mmol/L" grade 1; with symptoms grade 2
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
        *flag,
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    assert (r.json()["grade"], r.json()["symptoms"]) == (grade, symptoms)


def test_grade_lab_baseline_unit(cli: Callable[..., Any]) -> None:
    # v5.0 ALT, baseline 60 U/L (> ULN 40 U/L: abnormal) and value 6 ukat/L = 360 U/L = 6 x baseline
    # -> ">5.0 - 20.0 x baseline": grade 3 (ULN 40 U/L = 0.6667 ukat/L)
    r = cli(
        "grade",
        "lab",
        "--term",
        "Alanine aminotransferase increased",
        "--value",
        "6",
        "--unit",
        "ukat/L",
        "--uln",
        "0.6667",
        "--baseline",
        "60",
        "--baseline-unit",
        "U/L",
        "--ctcae",
        "5.0",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    assert r.json()["grade"] == 3


def test_grade_lab_hemoglobin_mmol_per_l_follows_the_text(cli: Callable[..., Any]) -> None:
    # "Hgb <8.0 g/dL; <4.9 mmol/L" is grade 3: 4.9 mmol/L itself is grade 2
    def grade(value: str) -> int:
        r = cli(
            "grade",
            "lab",
            "--term",
            "Anemia",
            "--value",
            value,
            "--unit",
            "mmol/L",
            "--lln",
            "7.5",
            "--json",
        )
        return int(r.json()["grade"])

    assert (grade("4.9"), grade("4.89")) == (2, 3)


def test_grade_lab_new_terms(cli: Callable[..., Any]) -> None:
    # magnesium 0.8 mg/dL: "<0.9 - 0.7 mg/dL" grade 3 (v4.03 and v5.0)
    r = cli(
        "grade",
        "lab",
        "--term",
        "Hypomagnesemia",
        "--value",
        "0.8",
        "--unit",
        "mg/dL",
        "--lln",
        "1.7",
        "--json",
    )
    assert r.json()["grade"] == 3
    r = cli("grade", "terms", "--json")
    assert "Hypophosphatemia" in r.json()["lab_terms"]


def test_grade_lab_implausible_value_exit_2(cli: Callable[..., Any]) -> None:
    r = cli(
        "grade",
        "lab",
        "--term",
        "Neutrophil count decreased",
        "--value",
        "400",
        "--unit",
        "10^9/L",
        "--lln",
        "2",
    )
    assert r.exit_code == 2 and "did you mean 400 /uL" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("label", "code", "words"),
    [
        ("B10", 2, "10 points is Child-Pugh class C"),
        ("A9", 2, "9 points is Child-Pugh class B"),
        ("B8", 2, "outside the protocol's liver function"),
        ("B7", 0, ""),
    ],
)
def test_dose_child_pugh_labels(cli: Callable[..., Any], label: str, code: int, words: str) -> None:
    r = cli("dose", "--bsa-m2", "1.8", "--child-pugh", label, "--json")
    assert r.exit_code == code and words in r.stderr
    if code == 0:
        assert next(d for d in r.json()["drugs"] if d["name"] == "oxaliplatin")["dose_mg"] == 108


def test_dose_outside_entry_by_investigator_decision(cli: Callable[..., Any]) -> None:
    r = cli("dose", "--bsa-m2", "1.8", "--child-pugh", "B8", "--allow-outside-entry", "--json")
    assert r.exit_code == 0
    out = r.json()
    assert out["child_pugh"] == "B" and any("investigator" in n for n in out["notes"])


def test_score_child_pugh_cholestatic(cli: Callable[..., Any]) -> None:
    # bilirubin 5 mg/dL: 3 points (> 3), cholestatic 2 points (4-10): B7 -> A6
    args = [
        "score",
        "child-pugh",
        "--bilirubin",
        "5 mg/dL",
        "--albumin",
        "4 g/dL",
        "--inr",
        "1.0",
        "--ascites",
        "none",
        "--encephalopathy",
        "none",
        "--json",
    ]
    assert cli(*args).json()["total"] == 7
    out = cli(*args, "--cholestatic").json()
    assert (out["total"], out["bilirubin_bands_mg_dl"]) == (6, [4.0, 10.0])


def test_score_bclc_flags_an_unattributed_ps(cli: Callable[..., Any]) -> None:
    r = cli(
        "score",
        "bclc",
        "--nodules",
        "3",
        "--largest-cm",
        "5",
        "--ecog",
        "1",
        "--child-pugh",
        "A",
        "--no-vascular-invasion",
        "--no-extrahepatic-spread",
        "--json",
    )
    out = r.json()
    assert out["stage"] == "C" and out["interpretation"] is True
    assert out["alternative"].startswith("BCLC B")


def test_screen_refuses_a_count_under_the_wrong_unit(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"labs": {"anc": "450 x10^9/L"}}))
    r = cli("screen", path)
    assert r.exit_code == 2 and "did you mean 450 /uL" in r.stderr


def test_next_json_flags_interpretations(cli: Callable[..., Any], tmp_path: Path) -> None:
    from tests.support import REPO

    r = cli(
        "next", REPO / "examples" / "records" / "after_cr.json", "--today", "2026-04-08", "--json"
    )
    out = r.json()
    assert out["interpretation"] is True
    assert any(i["rule"] == "cr_stops_tace_haic" for i in out["interpretations"])
