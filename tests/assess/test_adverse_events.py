"""Clinical adverse events: term validation, grades, dates, worst grade and the Table 3 counts.

Expected values: the CTCAE v4.03 term text in ``tests/reference/clinical/ctcae_v403_clinical_terms
.json`` (which grades exist), and the paper's Table 3 (``tests/reference/seed/published.json``) for the
counts and percentages of patients by worst grade.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from hcctrial.assess.adverse_events import (
    AdverseEvent,
    Attribution,
    count_patients_by_worst_grade,
    ctcae_terms,
    validate_term,
    worst_grade_by_patient_and_term,
)
from hcctrial.assess.ctcae import LAB_TERMS
from hcctrial.errors import DataValidationError
from tests.support import REFERENCE, published_figures

CLINICAL_TERMS: list[dict[str, Any]] = json.loads(
    (REFERENCE / "clinical" / "ctcae_v403_clinical_terms.json").read_text()
)["terms"]

PPE = "Palmar-plantar erythrodysesthesia syndrome"


def ae(**kw: Any) -> AdverseEvent:
    base: dict[str, Any] = {
        "patient_id": "P01",
        "term": "Nausea",
        "grade": 1,
        "onset": date(2026, 1, 10),
        "resolution": date(2026, 1, 12),
        "attribution": Attribution.POSSIBLE,
    }
    base.update(kw)
    return AdverseEvent(**base)


# -- term list -----------------------------------------------------------------------------


@pytest.mark.parametrize("term", [t["term"] for t in CLINICAL_TERMS] + list(LAB_TERMS))
def test_every_reference_and_lab_term_is_in_the_bundled_list(term: str) -> None:
    assert validate_term(term) == term


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        # the paper's Table 3 names and the issue's
        ("hand-foot skin reaction", PPE),
        ("Hand-foot skin reaction", PPE),
        ("HFSR", PPE),
        ("nausea", "Nausea"),
        ("VOMITING", "Vomiting"),
        ("abdominal pain", "Abdominal pain"),
        ("fever", "Fever"),
        ("diarrhea", "Diarrhea"),
        ("peripheral sensory neuropathy", "Peripheral sensory neuropathy"),
        ("Neurotoxicity", "Peripheral sensory neuropathy"),
        ("Decreased platelet count", "Platelet count decreased"),
        ("Decreased neutrophil count", "Neutrophil count decreased"),
        ("Elevated alanine", "Alanine aminotransferase increased"),
        ("Elevated serum bilirubin", "Blood bilirubin increased"),
    ],
)
def test_table3_names_and_synonyms_resolve_to_ctcae_terms(written: str, canonical: str) -> None:
    assert validate_term(written) == canonical


def test_unknown_term_is_an_error_naming_it_with_suggestions() -> None:
    with pytest.raises(DataValidationError) as err:
        validate_term("Nausia")
    assert "'Nausia'" in str(err.value)
    assert "did you mean 'Nausea'" in str(err.value)
    with pytest.raises(DataValidationError, match="Nausea and vomiting"):
        validate_term("Nausea and vomiting")  # two CTCAE terms, not one


@pytest.mark.parametrize("ref", CLINICAL_TERMS, ids=[t["term"] for t in CLINICAL_TERMS])
def test_valid_grades_follow_the_ctcae_text(ref: dict[str, Any]) -> None:
    # a null / '-' grade in the CTCAE table does not exist for the term
    expected = tuple(int(g) for g, text in ref["grades"].items() if text)
    assert ctcae_terms()[ref["term"]].valid_grades == expected


# -- the AdverseEvent record -----------------------------------------------------------------


def test_event_stores_the_ctcae_name_of_a_synonym() -> None:
    event = ae(term="hand-foot skin reaction", grade=2)
    assert event.term == PPE
    assert event.related


def test_attribution_given_as_text() -> None:
    event = ae(attribution="unlikely")
    assert event.attribution is Attribution.UNLIKELY
    assert not event.related


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"grade": 0}, "grade"),
        ({"grade": 6}, "grade"),
        ({"grade": 4}, "grade"),  # CTCAE v4.03 nausea has no grade 4 (its '-' cell)
        ({"term": "hand-foot skin reaction", "grade": 4}, "grade"),  # PPE: no grade 4
        ({"grade": 2.0}, "grade"),
        ({"resolution": date(2026, 1, 9)}, "resolution"),  # before onset 2026-01-10
        ({"attribution": "maybe"}, "attribution"),
        ({"patient_id": ""}, "patient_id"),
        ({"term": "Nausia"}, "term"),
        ({"onset": "2026-01-10"}, "onset"),
    ],
)
def test_bad_event_is_an_error_naming_the_item(kw: dict[str, Any], field: str) -> None:
    with pytest.raises(DataValidationError) as err:
        ae(**kw)
    assert err.value.field == field
    assert field in str(err.value)


def test_resolution_before_onset_names_the_event() -> None:
    with pytest.raises(DataValidationError) as err:
        ae(patient_id="P07", term="Fever", resolution=date(2026, 1, 1))
    message = str(err.value)
    assert "P07" in message and "Fever" in message and "2026-01-01" in message


def test_same_day_resolution_and_ongoing_event_are_valid() -> None:
    assert not ae(resolution=date(2026, 1, 10)).ongoing
    assert ae(resolution=None).ongoing


# -- worst grade and Table 3 -----------------------------------------------------------------


def test_worst_grade_by_patient_and_term() -> None:
    events = [
        ae(patient_id="P01", term="Nausea", grade=1),
        ae(patient_id="P01", term="Nausea", grade=3),
        ae(patient_id="P01", term="Nausea", grade=2),
        ae(patient_id="P01", term="hand-foot skin reaction", grade=2),
        ae(patient_id="P02", term="Nausea", grade=2),
    ]
    assert worst_grade_by_patient_and_term(events) == {
        ("P01", "Nausea"): 3,
        ("P01", PPE): 2,
        ("P02", "Nausea"): 2,
    }


def _published_table3() -> dict[str, dict[int, tuple[int, float]]]:
    """Table 3 of the paper: row label -> grade -> (n, % reported), from published.json."""
    table = published_figures()["table3"]
    assert table["denominator"] == 66
    return {
        row["label"]: {g: (row[f"G{g}"]["n"], row[f"G{g}"]["pct_reported"]) for g in (1, 2, 3, 4)}
        for row in table["rows"].values()
    }


def test_counts_reproduce_the_shape_and_percentages_of_table3() -> None:
    """Events built so that each patient's worst grade matches the paper's counts for the
    hand-foot skin reaction and platelet rows; the percentages of 66 patients must then be the
    published ones (e.g. 16/66 = 24.2%)."""
    table = _published_table3()
    rows = {"Hand-foot skin reaction": PPE, "Decreased platelet count": "Platelet count decreased"}
    events = []
    for row, term in rows.items():
        pid = 0
        for grade, (n, _pct) in table[row].items():
            for _ in range(int(n)):
                pid += 1
                # each patient also has a milder earlier event of the same term: counted once
                if grade > 1:
                    events.append(ae(patient_id=f"P{pid:02d}", term=term, grade=grade - 1))
                events.append(ae(patient_id=f"P{pid:02d}", term=term, grade=grade))
    counts = count_patients_by_worst_grade(
        events, terms=[PPE, "Platelet count decreased", "Fever"], n_patients=66
    )
    by_term = {c.term: c for c in counts}
    assert [c.term for c in counts] == [PPE, "Platelet count decreased", "Fever"]
    for row, term in rows.items():
        for grade, (n, pct) in table[row].items():
            assert by_term[term].by_grade[grade] == n
            percent = by_term[term].percent(grade)
            assert percent is not None and round(percent, 1) == pytest.approx(pct)
    assert by_term["Fever"].any_grade == 0  # a row of zeros for a term without events
    # HFSR in the paper's text: 27 (40.9%) patients at any grade = 7 + 16 + 4
    assert by_term[PPE].any_grade == 27
    assert by_term[PPE].grade_3_or_worse == 4


def test_related_only_drops_unrelated_events() -> None:
    events = [
        ae(patient_id="P01", grade=3, attribution="unrelated"),
        ae(patient_id="P01", grade=1, attribution="probable"),
    ]
    (row,) = count_patients_by_worst_grade(events, related_only=True)
    assert row.by_grade[1] == 1 and row.by_grade[3] == 0


def test_n_patients_smaller_than_patients_with_events_is_an_error() -> None:
    events = [ae(patient_id="P01"), ae(patient_id="P02")]
    with pytest.raises(DataValidationError, match="n_patients"):
        count_patients_by_worst_grade(events, n_patients=1)
