"""Well-formed JSON files with a bad value — wrong unit, impossible value, wrong type, missing or
unknown key, dates out of order or out of range, contradictions — are refused by every command
naming the field (exit 2, no traceback)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.robustness.conftest import assert_refused
from tests.robustness.test_json_files import JSON_COMMANDS

DELETE = object()

#: (command, case id, [(key path, new value or DELETE)], names the message must hold)
VALUE_CASES: list[tuple[str, str, list[tuple[str, Any]], list[str]]] = [
    # hcctrial screen PATIENT.json
    ("screen", "albumin-wrong-unit", [("labs.albumin", "38 kg")], ["labs.albumin", "38 kg"]),
    ("screen", "albumin-in-g/dL-by-10", [("labs.albumin", "35 g/dL")], ["labs.albumin"]),
    ("screen", "albumin-negative", [("labs.albumin", "-38 g/L")], ["labs.albumin"]),
    ("screen", "albumin-without-unit", [("labs.albumin", "38")], ["labs.albumin"]),
    ("screen", "albumin-as-number", [("labs.albumin", 38)], ["labs.albumin"]),
    ("screen", "albumin-nan", [("labs.albumin", "nan g/L")], ["labs.albumin"]),
    ("screen", "albumin-infinite", [("labs.albumin", "inf g/L")], ["labs.albumin"]),
    ("screen", "albumin-empty", [("labs.albumin", "")], ["labs.albumin"]),
    ("screen", "albumin-list", [("labs.albumin", [38, "g/L"])], ["labs.albumin"]),
    ("screen", "wbc-in-percent", [("labs.wbc", "5.2 %")], ["labs.wbc"]),
    ("screen", "inr-in-seconds", [("labs.inr", "1.1 s")], ["labs.inr"]),
    ("screen", "inr-negative", [("labs.inr", -1.1)], ["labs.inr"]),
    ("screen", "lvef-150-percent", [("labs.lvef", "150 %")], ["labs.lvef"]),
    ("screen", "creatinine-wrong-unit", [("labs.creatinine", "80 g/L")], ["labs.creatinine"]),
    ("screen", "wbc-unit-typo", [("labs.wbc", "5.2 x10^9/mL")], ["labs.wbc"]),
    ("screen", "unknown-lab", [("labs.glucose", "5 mmol/L")], ["labs.glucose"]),
    ("screen", "ecog-9", [("ecog", 9)], ["ecog"]),
    ("screen", "ecog-text", [("ecog", "zero")], ["ecog"]),
    ("screen", "ecog-fraction", [("ecog", 1.5)], ["ecog"]),
    ("screen", "ecog-boolean", [("ecog", True)], ["ecog"]),
    ("screen", "age-negative", [("age_years", -5)], ["age_years"]),
    ("screen", "age-200", [("age_years", 200)], ["age_years"]),
    ("screen", "age-huge-integer", [("age_years", 10**30)], ["age_years"]),
    ("screen", "sex-unknown", [("sex", "x")], ["sex"]),
    ("screen", "unknown-key", [("colour", "red")], ["colour", "unknown key"]),
    ("screen", "labs-a-list", [("labs", ["wbc"])], ["labs"]),
    ("screen", "labs-null", [("labs", None)], ["labs"]),
    ("screen", "ascites-unknown", [("liver.ascites", "lots")], ["ascites", "lots"]),
    ("screen", "nodules-negative", [("tumour.n_nodules", -3)], ["tumour.n_nodules"]),
    ("screen", "tumour-negative", [("tumour.largest_cm", -6.5)], ["tumour.largest_cm"]),
    ("screen", "tumour-10-km", [("tumour.largest_cm", 1e6)], ["largest_cm"]),
    (
        "screen",
        "portal-vein-without-vascular-invasion",
        [("tumour.portal_vein_invasion", True), ("tumour.vascular_invasion", False)],
        ["vascular_invasion"],
    ),
    (
        "screen",
        "born-after-screening",
        [("age_years", DELETE), ("birth_date", "2030-01-01"), ("screening_date", "2026-01-01")],
        ["screening_date", "birth_date"],
    ),
    (
        "screen",
        "birth-date-30-february",
        [("age_years", DELETE), ("birth_date", "1970-02-30"), ("screening_date", "2026-01-01")],
        ["birth_date"],
    ),
    (
        "screen",
        "born-in-year-1",
        [("age_years", DELETE), ("birth_date", "0001-01-01"), ("screening_date", "2026-01-01")],
        ["birth_date", "1900-01-01"],
    ),
    (
        "screen",
        "age-disagrees-with-birth-date",
        [("birth_date", "1970-01-01"), ("screening_date", "2026-01-01")],
        ["age_years"],
    ),
    (
        "screen",
        "infection-grade-9",
        [("history.infection", {"present": True, "ctcae_grade": 9})],
        ["history.infection.ctcae_grade"],
    ),
    ("screen", "patient-id-number", [("patient_id", 5)], ["patient_id"]),
    # hcctrial next RECORD.json
    ("next", "height-zero", [("patient.height_cm", 0)], ["patient.height_cm"]),
    ("next", "height-negative", [("patient.height_cm", -170)], ["patient.height_cm"]),
    ("next", "height-in-metres", [("patient.height_cm", 1.7)], ["height_cm", "1.7"]),
    ("next", "weight-1000-kg", [("patient.weight_kg", 1000)], ["weight_kg"]),
    ("next", "weight-with-unit", [("patient.weight_kg", "70 kg")], ["patient.weight_kg"]),
    ("next", "lab-wrong-unit", [("labs.0.unit", "kg")], ["labs[0]"]),
    ("next", "lab-negative", [("labs.0.value", -3.0)], ["labs[0].value"]),
    ("next", "lab-text", [("labs.0.value", "three")], ["labs[0].value"]),
    ("next", "lab-implausible", [("labs.0.value", 1e300)], ["labs[0]"]),
    ("next", "lab-30-february", [("labs.0.date", "2026-02-30")], ["labs[0].date"]),
    ("next", "labs-out-of-order", [("labs.0.date", "2027-01-01")], ["labs[1].date"]),
    ("next", "lab-in-year-9999", [("labs.0.date", "9999-12-31")], ["labs[0].date"]),
    ("next", "lab-unknown-analyte", [("labs.0.analyte", "troponin")], ["labs[0].analyte"]),
    ("next", "uln-negative", [("labs.0.uln", -7.5)], ["labs[0].uln"]),
    ("next", "lab-without-value", [("labs.0.value", DELETE)], ["labs[0].value"]),
    ("next", "labs-an-object", [("labs", {"anc": 3})], ["labs"]),
    ("next", "start-not-a-date", [("treatment_start", "yesterday")], ["treatment_start"]),
    ("next", "start-after-today", [("treatment_start", "2027-01-01")], ["treatment_start"]),
    ("next", "unknown-regimen", [("regimen", "folfirinox")], ["regimen", "folfirinox"]),
    ("next", "regimen-number", [("regimen", 5)], ["regimen"]),
    (
        "next",
        "cycles-out-of-order",
        [
            (
                "cycles",
                [
                    {"cycle": 1, "date": "2026-01-10", "haic_level": 0},
                    {"cycle": 2, "date": "2026-01-08", "haic_level": 0},
                ],
            )
        ],
        ["cycles[1].date"],
    ),
    (
        "next",
        "cycle-number-99",
        [("cycles", [{"cycle": 99, "date": "2026-01-10", "haic_level": 0}])],
        ["cycles[0].cycle", "99"],
    ),
    (
        "next",
        "haic-level-plus-5",
        [("cycles", [{"cycle": 1, "date": "2026-01-10", "haic_level": 5}])],
        ["cycles[0].haic_level"],
    ),
    (
        "next",
        "ae-grade-9",
        [("adverse_events", [{"term": "Nausea", "grade": 9, "onset": "2026-01-09"}])],
        ["adverse_events[0].grade"],
    ),
    (
        "next",
        "ae-resolved-before-onset",
        [
            (
                "adverse_events",
                [{"term": "Nausea", "grade": 2, "onset": "2026-01-09", "resolution": "2026-01-01"}],
            )
        ],
        ["adverse_events[0].resolution"],
    ),
    (
        "next",
        "ae-not-a-ctcae-term",
        [("adverse_events", [{"term": "Headache pain", "grade": 2, "onset": "2026-01-09"}])],
        ["adverse_events[0].term", "Headache pain"],
    ),
    (
        "next",
        "death-before-treatment",
        [("status", {"death_date": "2026-01-01"})],
        ["death_date"],
    ),
    ("next", "patient-missing", [("patient", DELETE)], ["patient", "missing"]),
    (
        "next",
        "responses-and-mrecist",
        [
            ("responses", [{"date": "2026-01-10", "response": "PR"}]),
            ("mrecist", {"afp_uln_ng_ml": 20, "assessments": []}),
        ],
        ["responses", "mrecist"],
    ),
    (
        "next",
        "response-unknown",
        [("responses", [{"date": "2026-01-10", "response": "XX"}])],
        ["responses[0].response"],
    ),
    # hcctrial assess mrecist PATIENT.json
    (
        "assess-mrecist",
        "diameter-negative",
        [("assessments.0.target.0.diameter_mm", -52)],
        ["assessments[0].target[0].diameter_mm"],
    ),
    (
        "assess-mrecist",
        "diameter-with-unit",
        [("assessments.0.target.0.diameter_mm", "52 mm")],
        ["assessments[0].target[0].diameter_mm"],
    ),
    (
        "assess-mrecist",
        "follow-up-before-baseline",
        [("assessments.1.date", "2025-01-01")],
        ["assessments[1].date"],
    ),
    (
        "assess-mrecist",
        "two-scans-one-day",
        [("assessments.1.date", "2026-01-05")],
        ["assessments[1].date"],
    ),
    (
        "assess-mrecist",
        "scan-in-year-9999",
        [("assessments.1.date", "9999-12-31")],
        ["assessments[1].date", "2199-12-31"],
    ),
    (
        "assess-mrecist",
        "scan-30-february",
        [("assessments.1.date", "2026-02-30")],
        ["assessments[1].date"],
    ),
    (
        "assess-mrecist",
        "unknown-target",
        [("assessments.1.target.0.id", "T9")],
        ["assessments[1].target[0].id", "T9"],
    ),
    (
        "assess-mrecist",
        "x-ray",
        [("assessments.0.modality", "xray")],
        ["assessments[0].modality", "xray"],
    ),
    (
        "assess-mrecist",
        "afp-negative",
        [("assessments.0.afp_ng_ml", -850)],
        ["assessments[0].afp_ng_ml"],
    ),
    ("assess-mrecist", "afp-uln-zero", [("afp_uln_ng_ml", 0)], ["afp_uln_ng_ml"]),
    ("assess-mrecist", "no-scans", [("assessments", [])], ["assessments"]),
    (
        "assess-mrecist",
        "non-target-status-unknown",
        [("assessments.0.non_target.0.status", "gone")],
        ["assessments[0].non_target[0].status"],
    ),
    (
        "assess-mrecist",
        "new-lesion-negative",
        [("assessments.1.new_lesions.0.diameter_mm", -6)],
        ["assessments[1].new_lesions[0].diameter_mm"],
    ),
    (
        "assess-mrecist",
        "nine-liver-targets",
        [
            (
                "assessments.0.target",
                [{"id": f"T{i}", "organ": "liver", "diameter_mm": 20} for i in range(9)],
            )
        ],
        ["assessments[0].target[2].id"],
    ),
    # hcctrial assess bor RESPONSES.json
    ("assess-bor", "response-unknown", [("assessments.0.response", "XX")], ["assessments[0]"]),
    (
        "assess-bor",
        "dates-out-of-order",
        [("assessments.3.date", "2020-01-15")],
        ["assessments[3].date"],
    ),
    ("assess-bor", "two-on-one-day", [("assessments.1.date", "2020-01-01")], ["assessments[1]"]),
    ("assess-bor", "year-9999", [("treatment_start", "9999-11-01")], ["treatment_start"]),
    ("assess-bor", "confirm-days-negative", [("confirm_days", -1)], ["confirm_days"]),
    ("assess-bor", "confirm-days-ten-billion", [("confirm_days", 10**10)], ["confirm_days"]),
    ("assess-bor", "min-sd-days-99999", [("min_sd_days", 99999)], ["min_sd_days"]),
    ("screen", "inr-400-digits", [("labs.inr", int("9" * 400))], ["integer", "400 digits"]),
    ("next", "lab-400-digits", [("labs.0.value", int("9" * 400))], ["400 digits"]),
    ("next", "height-400-digits", [("patient.height_cm", int("9" * 400))], ["400 digits"]),
    ("assess-bor", "min-sd-days-in-words", [("min_sd_days", "four weeks")], ["min_sd_days"]),
    ("assess-bor", "max-ne-negative", [("max_ne_between", -1)], ["max_ne_between"]),
    ("assess-bor", "confirmation-yes", [("confirmation", "yes")], ["confirmation"]),
    ("assess-bor", "start-missing", [("treatment_start", DELETE)], ["treatment_start"]),
]


def _edited(data: Any, edits: list[tuple[str, Any]]) -> Any:
    out = copy.deepcopy(data)
    for path, value in edits:
        *parents, last = path.split(".")
        node = out
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        index: Any = int(last) if isinstance(node, list) else last
        if value is DELETE:
            del node[index]
        else:
            node[index] = value
    return out


@pytest.mark.parametrize(
    ("command", "edits", "names"),
    [(c[0], c[2], c[3]) for c in VALUE_CASES],
    ids=[f"{c[0]}-{c[1]}" for c in VALUE_CASES],
)
def test_a_bad_value_is_refused_naming_the_field(
    cli: Callable[..., CliResult],
    tmp_path: Path,
    command: str,
    edits: list[tuple[str, Any]],
    names: list[str],
) -> None:
    source, argv = JSON_COMMANDS[command]
    path = tmp_path / "input.json"
    path.write_text(json.dumps(_edited(json.loads(source.read_text()), edits)), encoding="utf-8")
    assert_refused(cli(*argv(str(path))), *names)


def test_the_unedited_files_are_accepted(cli: Callable[..., CliResult]) -> None:
    """The control: every base file of the cases above is valid as it is."""
    for source, argv in JSON_COMMANDS.values():
        res = cli(*argv(str(source)))
        assert res.exit_code == 0, res.stderr
