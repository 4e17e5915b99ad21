"""Eligibility screening: every criterion met, exactly on the line, not met, and missing.

Expected verdicts come from the paper's criteria (paper.txt, Methods/Participant eligibility) read
by hand: strict inequalities ("> 3 x 10^9/L": 3.0 fails), the age range 18-75 inclusive in
completed years, Child-Pugh A or B7 (hand-summed points below), BCLC B/C (BCLC 2022 rules).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from hcctrial.errors import DataValidationError, HcctrialError, UnitError
from hcctrial.protocol import Verdict, default_regimen, load_regimen, screen_patient
from tests.protocol.helpers import edited_regimen
from tests.support import REPO

MET, NOT_MET, NE = Verdict.MET, Verdict.NOT_MET, Verdict.NOT_EVALUABLE

# An eligible patient. Child-Pugh by hand: bilirubin 0.9 mg/dL < 2 -> 1; albumin 3.8 g/dL > 3.5
# -> 1; INR 1.1 < 1.7 -> 1; no ascites -> 1; no encephalopathy -> 1: total 5 = A5.
# BCLC: 3 nodules, largest 6.5 cm (> 3 cm: beyond A), no vascular invasion / spread, PS 0 -> B.
BASE: dict[str, Any] = {
    "patient_id": "T-1",
    "age_years": 54,
    "sex": "female",
    "diagnosis_method": "pathology",
    "ecog": 0,
    "labs": {
        "wbc": "5.2 x10^9/L",
        "anc": "3.1 x10^9/L",
        "creatinine": "0.9 mg/dL",
        "albumin": "3.8 g/dL",
        "bilirubin": "0.9 mg/dL",
        "inr": 1.1,
        "lvef": "62 %",
    },
    "liver": {"ascites": "none", "encephalopathy": "none"},
    "tumour": {
        "n_nodules": 3,
        "largest_cm": 6.5,
        "vascular_invasion": False,
        "portal_vein_invasion": False,
        "extrahepatic_spread": False,
    },
    "history": {
        "other_malignancy": False,
        "infection": {"present": False},
        "pregnant_or_breastfeeding": False,
        "prior_sorafenib": False,
        "severe_allergy_contrast_or_drugs": False,
    },
}

_DROP = object()


def patient(**changes: Any) -> dict[str, Any]:
    """Return BASE with changes; keys are paths joined by '__' (labs__wbc); _DROP removes."""
    p = copy.deepcopy(BASE)
    for key, value in changes.items():
        *parents, leaf = key.split("__")
        node = p
        for part in parents:
            node = node[part]
        if value is _DROP:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return p


def verdict_of(p: dict[str, Any], criterion: str, regimen: Any = None) -> Any:
    return screen_patient(p, regimen or default_regimen()).criterion(criterion)


def test_base_patient_is_eligible_on_every_criterion() -> None:
    result = screen_patient(BASE, default_regimen())
    assert result.eligible is True
    assert {c.verdict for c in result.criteria} == {MET}
    assert [c.id for c in result.criteria] == [
        "diagnosis", "age", "ecog", "child_pugh", "bclc",
        "wbc", "anc", "creatinine", "albumin", "lvef",
        "no_other_malignancy", "no_uncontrolled_infection", "not_pregnant_or_breastfeeding",
        "no_prior_sorafenib", "no_severe_allergy",
    ]  # fmt: skip


CASES = [
    # diagnosis: "diagnosed by pathology or the AASLD criteria"
    ("diagnosis", {"diagnosis_method": "pathology"}, MET),
    ("diagnosis", {"diagnosis_method": "aasld_noninvasive"}, MET),
    ("diagnosis", {"diagnosis_method": "other"}, NOT_MET),
    ("diagnosis", {"diagnosis_method": _DROP}, NE),
    # age 18-75, inclusive, completed years
    ("age", {"age_years": 18}, MET),
    ("age", {"age_years": 75}, MET),
    ("age", {"age_years": 17}, NOT_MET),
    ("age", {"age_years": 76}, NOT_MET),
    ("age", {"age_years": _DROP}, NE),
    # born 1950-03-03, screened 2026-03-02: 75 completed years (76th birthday tomorrow)
    ("age", {"age_years": _DROP, "birth_date": "1950-03-03", "screening_date": "2026-03-02"}, MET),
    # born 1950-03-02, screened 2026-03-02: 76 today
    ("age", {"age_years": _DROP, "birth_date": "1950-03-02", "screening_date": "2026-03-02"}, NOT_MET),
    # ECOG 0-2
    ("ecog", {"ecog": 2}, MET),
    ("ecog", {"ecog": 3}, NOT_MET),
    ("ecog", {"ecog": _DROP}, NE),
    # Child-Pugh A or B7. A6: bilirubin 2.5 (2) + albumin 3.8 (1) + INR 1.1 (1) + 1 + 1 = 6
    ("child_pugh", {"labs__bilirubin": "2.5 mg/dL"}, MET),
    # B7: bilirubin 2.5 (2) + albumin 3.2 (2) + INR 1.1 (1) + 1 + 1 = 7
    ("child_pugh", {"labs__bilirubin": "2.5 mg/dL", "labs__albumin": "3.2 g/dL"}, MET),
    # B8 (just over the line): B7 above + slight ascites (2 instead of 1) = 8
    ("child_pugh", {"labs__bilirubin": "2.5 mg/dL", "labs__albumin": "3.2 g/dL", "liver__ascites": "slight"}, NOT_MET),
    # C10: bilirubin 3.5 (3) + albumin 2.5 (3) + INR 1.8 (2) + 1 + 1 = 10
    ("child_pugh", {"labs__bilirubin": "3.5 mg/dL", "labs__albumin": "2.5 g/dL", "labs__inr": 1.8}, NOT_MET),
    # PT prolongation instead of INR: 3 s < 4 -> 1 point, still A5
    ("child_pugh", {"labs__inr": _DROP, "labs__pt_prolongation": "3 s"}, MET),
    ("child_pugh", {"labs__albumin": _DROP}, NE),
    ("child_pugh", {"labs__inr": _DROP}, NE),
    ("child_pugh", {"liver__ascites": _DROP}, NE),
    # BCLC B / C allowed; A and D not
    ("bclc", {}, MET),
    ("bclc", {"tumour__vascular_invasion": True, "tumour__portal_vein_invasion": True}, MET),
    ("bclc", {"tumour__extrahepatic_spread": True}, MET),
    ("bclc", {"ecog": 1}, MET),  # cancer-related PS 1 -> C
    # single nodule of 4 cm, PS 0, no invasion -> BCLC A (2022: a single nodule of any size)
    ("bclc", {"tumour__n_nodules": 1, "tumour__largest_cm": 4.0}, NOT_MET),
    # 2 nodules each <= 3 cm -> A
    ("bclc", {"tumour__n_nodules": 2, "tumour__largest_cm": 3.0}, NOT_MET),
    ("bclc", {"ecog": 3}, NOT_MET),  # PS 3 -> D
    # PS 1 attributed to cirrhosis does not upstage: stays B
    ("bclc", {"ecog": 1, "ecog_cancer_related": False, "ecog_attributed_by": "Dr A"}, MET),
    ("bclc", {"tumour__largest_cm": _DROP}, NE),
    ("bclc", {"tumour__vascular_invasion": _DROP, "tumour__portal_vein_invasion": _DROP}, NE),
    # portal vein invasion implies vascular invasion even when the latter is not given
    ("bclc", {"tumour__vascular_invasion": _DROP, "tumour__portal_vein_invasion": True}, MET),
    ("bclc", {"labs__albumin": _DROP}, NE),  # Child-Pugh class needed for BCLC
    # WBC > 3 x10^9/L
    ("wbc", {"labs__wbc": "3.1 x10^9/L"}, MET),
    ("wbc", {"labs__wbc": "3.0 x10^9/L"}, NOT_MET),
    ("wbc", {"labs__wbc": "3000 /uL"}, NOT_MET),  # on the line in another unit
    ("wbc", {"labs__wbc": "2.9 x10^9/L"}, NOT_MET),
    ("wbc", {"labs__wbc": _DROP}, NE),
    # ANC > 1.5 x10^9/L
    ("anc", {"labs__anc": "1.6 x10^9/L"}, MET),
    ("anc", {"labs__anc": "1500 /mm3"}, NOT_MET),
    ("anc", {"labs__anc": "1.5 x10^9/L"}, NOT_MET),
    ("anc", {"labs__anc": "1.2 x10^9/L"}, NOT_MET),
    ("anc", {"labs__anc": _DROP}, NE),
    # creatinine < 2 mg/dL (= 176.8 umol/L with 88.4 umol/L per mg/dL)
    ("creatinine", {"labs__creatinine": "1.99 mg/dL"}, MET),
    ("creatinine", {"labs__creatinine": "2.0 mg/dL"}, NOT_MET),
    ("creatinine", {"labs__creatinine": "176.8 umol/L"}, NOT_MET),
    ("creatinine", {"labs__creatinine": "176 umol/L"}, MET),  # 176 / 88.4 = 1.991 mg/dL
    ("creatinine", {"labs__creatinine": "2.4 mg/dL"}, NOT_MET),
    ("creatinine", {"labs__creatinine": _DROP}, NE),
    # albumin > 3.0 g/dL (the paper's "mg/dL" is a unit slip) = 30 g/L
    ("albumin", {"labs__albumin": "3.1 g/dL"}, MET),
    ("albumin", {"labs__albumin": "3.0 g/dL"}, NOT_MET),
    ("albumin", {"labs__albumin": "30 g/L"}, NOT_MET),
    ("albumin", {"labs__albumin": "31 g/L"}, MET),
    ("albumin", {"labs__albumin": "2.8 g/dL"}, NOT_MET),
    ("albumin", {"labs__albumin": _DROP}, NE),
    # LVEF > 45 %
    ("lvef", {"labs__lvef": "46 %"}, MET),
    ("lvef", {"labs__lvef": "45 %"}, NOT_MET),
    ("lvef", {"labs__lvef": 45}, NOT_MET),  # a bare number is a percentage
    ("lvef", {"labs__lvef": "40 %"}, NOT_MET),
    ("lvef", {"labs__lvef": _DROP}, NE),
    # exclusions, each phrased as a requirement
    ("no_other_malignancy", {"history__other_malignancy": True}, NOT_MET),
    ("no_other_malignancy", {"history__other_malignancy": _DROP}, NE),
    ("no_prior_sorafenib", {"history__prior_sorafenib": True}, NOT_MET),
    ("no_prior_sorafenib", {"history__prior_sorafenib": _DROP}, NE),
    ("no_severe_allergy", {"history__severe_allergy_contrast_or_drugs": True}, NOT_MET),
    ("no_severe_allergy", {"history__severe_allergy_contrast_or_drugs": _DROP}, NE),
    ("not_pregnant_or_breastfeeding", {"history__pregnant_or_breastfeeding": True}, NOT_MET),
    ("not_pregnant_or_breastfeeding", {"history__pregnant_or_breastfeeding": _DROP}, NE),
    ("not_pregnant_or_breastfeeding", {"history__pregnant_or_breastfeeding": _DROP, "sex": "male"}, MET),
    ("not_pregnant_or_breastfeeding", {"history__pregnant_or_breastfeeding": _DROP, "sex": _DROP}, NE),
    # uncontrolled infection: > grade 2, or antibiotics/surgery needed, or life-threatening
    ("no_uncontrolled_infection", {"history__infection": {"present": False}}, MET),
    ("no_uncontrolled_infection", {"history__infection": {"present": True, "ctcae_grade": 2, "needs_antibiotics_or_surgery": False, "life_threatening": False}}, MET),
    ("no_uncontrolled_infection", {"history__infection": {"present": True, "ctcae_grade": 3}}, NOT_MET),
    ("no_uncontrolled_infection", {"history__infection": {"present": True, "ctcae_grade": 2, "needs_antibiotics_or_surgery": True}}, NOT_MET),
    ("no_uncontrolled_infection", {"history__infection": {"present": True, "ctcae_grade": 1, "life_threatening": True}}, NOT_MET),
    ("no_uncontrolled_infection", {"history__infection": {"present": True, "ctcae_grade": 2}}, NE),
    ("no_uncontrolled_infection", {"history__infection": _DROP}, NE),
]  # fmt: skip


@pytest.mark.parametrize(
    ("criterion", "changes", "expected"),
    CASES,
    ids=[f"{c}-{e.value}-{i}" for i, (c, _, e) in enumerate(CASES)],
)
def test_criterion(criterion: str, changes: dict[str, Any], expected: Verdict) -> None:
    result = verdict_of(patient(**changes), criterion)
    assert result.verdict is expected, result.reason
    if expected is NE:
        assert result.missing, "a not-evaluable criterion names what is missing"
        assert result.reason.startswith("missing: ")
        assert result.value is None


def test_on_the_line_reason_says_the_cut_off_is_strict() -> None:
    c = verdict_of(patient(labs__wbc="3.0 x10^9/L"), "wbc")
    assert c.value == 3.0
    assert c.threshold == "> 3 10^9/L"
    assert "strict" in c.reason


def test_lab_value_reported_in_canonical_unit() -> None:
    # 176 umol/L / 88.4 umol/L per mg/dL = 1.99095 mg/dL
    c = verdict_of(patient(labs__creatinine="176 umol/L"), "creatinine")
    assert c.value == pytest.approx(176 / 88.4)
    assert c.unit == "mg/dL"


def test_missing_names_the_field() -> None:
    c = verdict_of(patient(labs__albumin=_DROP), "child_pugh")
    assert c.missing == ("labs.albumin",)
    c = verdict_of(patient(history__infection=_DROP), "no_uncontrolled_infection")
    assert c.missing == ("history.infection",)


def test_child_pugh_value_and_points() -> None:
    result = screen_patient(
        patient(labs__bilirubin="2.5 mg/dL", labs__albumin="3.2 g/dL"), default_regimen()
    )
    assert result.criterion("child_pugh").value == "B7"
    assert result.child_pugh is not None and result.child_pugh.total == 7


# ------------------------------------------------------------------------------------------------
# overall verdict
# ------------------------------------------------------------------------------------------------


def test_overall_false_when_any_not_met_even_with_missing() -> None:
    result = screen_patient(patient(labs__wbc="2.0 x10^9/L", labs__lvef=_DROP), default_regimen())
    assert result.eligible is False


def test_overall_null_when_something_missing_and_nothing_failed() -> None:
    result = screen_patient(patient(labs__lvef=_DROP), default_regimen())
    assert result.eligible is None
    assert result.missing == ("labs.lvef",)


def test_empty_patient_is_null_not_eligible() -> None:
    result = screen_patient({}, default_regimen())
    assert result.eligible is None
    assert all(c.verdict is NE for c in result.criteria if c.id != "not_pregnant_or_breastfeeding")


# ------------------------------------------------------------------------------------------------
# bad input is an error naming the field
# ------------------------------------------------------------------------------------------------

BAD = [
    ({"labs__wbc": "4.2 furlongs"}, UnitError, "labs.wbc"),
    ({"labs__wbc": "4.2"}, UnitError, "labs.wbc"),  # no unit for a count
    ({"labs__albumin": "35 g/dL"}, UnitError, "labs.albumin"),  # impossible (35 g/L meant)
    ({"labs__creatinine": "2 mmol/L/s"}, UnitError, "labs.creatinine"),
    ({"labs__hba1c": "6 %"}, DataValidationError, "labs.hba1c"),  # unknown key
    ({"history__prior_sorafenib": "yes"}, DataValidationError, "history.prior_sorafenib"),
    ({"ecog": "1"}, DataValidationError, "ecog"),
    ({"ecog": 6}, DataValidationError, "ecog"),
    ({"liver__ascites": "lots"}, DataValidationError, "ascites"),
    ({"tumour__vascular_invasion": False, "tumour__portal_vein_invasion": True}, DataValidationError, "tumour.vascular_invasion"),
    ({"birth_date": "1960-01-01", "screening_date": "2026-01-01", "age_years": 60}, DataValidationError, "age_years"),
    ({"birth_date": "2026-02-01", "screening_date": "2026-01-01", "age_years": _DROP}, DataValidationError, "screening_date"),
    ({"diagnosis_method": "biopsy"}, DataValidationError, "diagnosis_method"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "error", "field"), BAD, ids=[b[2] for b in BAD])
def test_bad_input_names_the_field(
    changes: dict[str, Any], error: type[HcctrialError], field: str
) -> None:
    with pytest.raises(error) as err:
        screen_patient(patient(**changes), default_regimen())
    assert field in str(err.value)


def test_not_a_json_object_is_refused() -> None:
    with pytest.raises(DataValidationError, match="JSON object"):
        screen_patient([1, 2], default_regimen())  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------
# the thresholds come from the file
# ------------------------------------------------------------------------------------------------


def test_edited_threshold_changes_the_verdict(tmp_path: Path) -> None:
    # raise the WBC threshold in a temp copy of the regimen file from 3.0 to 4.0
    path = edited_regimen(
        tmp_path,
        [('op = ">"\nvalue = 3.0\nunit = "10^9/L"', 'op = ">"\nvalue = 4.0\nunit = "10^9/L"')],
    )
    p = patient(labs__wbc="3.5 x10^9/L")
    assert verdict_of(p, "wbc").verdict is MET
    edited = verdict_of(p, "wbc", load_regimen(path))
    assert edited.verdict is NOT_MET
    assert edited.threshold == "> 4 10^9/L"


def test_edited_age_range_changes_the_verdict(tmp_path: Path) -> None:
    path = edited_regimen(tmp_path, [("age_inclusive = true", "age_inclusive = false")])
    assert verdict_of(patient(age_years=75), "age", load_regimen(path)).verdict is NOT_MET
    assert verdict_of(patient(age_years=74), "age", load_regimen(path)).verdict is MET


def test_threshold_in_another_unit_in_the_file(tmp_path: Path) -> None:
    # the file may state albumin in g/L: 30 g/L is the same line as 3.0 g/dL
    path = edited_regimen(
        tmp_path, [('op = ">"\nvalue = 3.0\nunit = "g/dL"', 'op = ">"\nvalue = 30.0\nunit = "g/L"')]
    )
    reg = load_regimen(path)
    assert verdict_of(patient(labs__albumin="3.0 g/dL"), "albumin", reg).verdict is NOT_MET
    assert verdict_of(patient(labs__albumin="3.05 g/dL"), "albumin", reg).verdict is MET


def test_sister_regimen_has_no_prior_sorafenib_exclusion() -> None:
    p = patient(history__prior_sorafenib=True)
    assert screen_patient(p, default_regimen()).eligible is False
    sister = screen_patient(p, load_regimen("tace_haic_folfox"))
    assert sister.eligible is True
    assert "no_prior_sorafenib" not in [c.id for c in sister.criteria]


# ------------------------------------------------------------------------------------------------
# the example patients
# ------------------------------------------------------------------------------------------------

EXAMPLES = REPO / "examples" / "patients"


@pytest.mark.parametrize(
    ("name", "eligible"),
    [
        ("eligible_bclc_b.json", True),
        ("ineligible_child_pugh_b8.json", False),
        ("missing_data.json", None),
    ],
)
def test_example_patients(name: str, eligible: bool | None) -> None:
    data = json.loads((EXAMPLES / name).read_text())
    assert screen_patient(data, default_regimen()).eligible is eligible


def test_ineligible_example_fails_for_the_documented_reasons() -> None:
    data = json.loads((EXAMPLES / "ineligible_child_pugh_b8.json").read_text())
    result = screen_patient(data, default_regimen())
    failed = sorted(c.id for c in result.criteria if c.verdict is NOT_MET)
    # born 1949-05-20, screened 2026-03-02 -> 76; B8 by hand (2+2+1+2+1); WBC exactly 3.0;
    # albumin 2.9 g/dL; prior sorafenib
    assert failed == ["age", "albumin", "child_pugh", "no_prior_sorafenib", "wbc"]


@pytest.mark.parametrize(
    ("criterion_id", "words"),
    [
        ("no_prior_sorafenib", "prior sorafenib"),  # an exclusion is named by what the patient had
        ("not_pregnant_or_breastfeeding", "pregnant or breastfeeding"),
        ("child_pugh", "Child-Pugh worse than B7"),
        ("wbc", "WBC too low"),
        ("sister_regimen_rule", "sister regimen rule"),  # unknown ids: underscores as spaces
    ],
)
def test_failure_label_names_what_the_patient_had(criterion_id: str, words: str) -> None:
    from hcctrial.protocol.eligibility import failure_label

    assert failure_label(criterion_id) == words


def test_every_criterion_of_the_seed_regimen_has_failure_words() -> None:
    from hcctrial.protocol.eligibility import failure_label
    from hcctrial.protocol.regimen import default_regimen

    reg = default_regimen()
    ids = ["diagnosis", "age", "ecog", "child_pugh", "bclc"]
    ids += [c.id for c in reg.eligibility.labs] + [c.id for c in reg.eligibility.exclusions]
    for cid in ids:
        assert "_" not in failure_label(cid), cid
