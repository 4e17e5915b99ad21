"""Each chart check reads only the tables it declares (scope and context) and finds only on its
scope: the promise that lets a write load and check only what it can affect."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from hcctrial.protocol.regimen import default_regimen
from hcctrial.services.charts import Chart
from hcctrial.services.checks import CHART_CHECKS, PATIENT, RuleContext
from hcctrial.store import models as m

S = m.PatientStatus


class _Seen(dict):  # type: ignore[type-arg]
    """The patient row, noting which fields a check reads (its id and study id are names only)."""

    def __init__(self, row: dict[str, Any], seen: set[str]) -> None:
        super().__init__(row)
        self.seen = seen

    def __getitem__(self, key: str) -> Any:
        if key not in ("id", "study_id"):
            self.seen.add(PATIENT)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        if key not in ("id", "study_id"):
            self.seen.add(PATIENT)
        return super().get(key, default)


class _Rows(dict):  # type: ignore[type-arg]
    def __init__(self, rows: dict[str, list[dict[str, Any]]], seen: set[str]) -> None:
        super().__init__(rows)
        self.seen = seen

    def items(self) -> Any:
        self.seen.update(self.keys())
        return super().items()

    def get(self, key: str, default: Any = None) -> Any:
        self.seen.add(key)
        return super().get(key, default)


def _recording(chart: Chart, seen: set[str]) -> Chart:
    rec = Chart(_Seen(chart.patient, seen), _Rows(chart.rows, seen))
    return rec


def _chart(status: m.PatientStatus) -> Chart:
    """A chart breaking nearly every rule, with a row in every table."""
    d = date.fromisoformat
    rows: dict[str, list[dict[str, Any]]] = {
        "screenings": [
            {"id": 1, "patient_id": 1, "screening_date": d("2020-01-10"), "eligible": True},
            {"id": 2, "patient_id": 1, "screening_date": d("2020-01-11"), "eligible": False},
        ],
        "screening_criteria": [
            {"id": 1, "screening_id": 1, "criterion_id": "wbc", "verdict": m.Verdict.NOT_MET},
            {"id": 2, "screening_id": 1, "criterion_id": "wbc", "verdict": m.Verdict.MET},
        ],
        "baselines": [{"id": 1, "patient_id": 1, "assessment_date": d("2019-01-01")}],
        "lab_results": [
            {"id": i, "patient_id": 1, "sample_date": d("2035-01-01"), "analyte": "alt"}
            | {"value_entered": 40.0, "unit_entered": "U/L"}
            for i in (1, 2)
        ],
        "treatment_cycles": [
            {"id": 1, "patient_id": 1, "cycle_number": 1, "cycle_date": d("2020-03-01")},
            {"id": 2, "patient_id": 1, "cycle_number": 5, "cycle_date": d("2020-02-01")},
        ],
        "cycle_doses": [
            {"id": 1, "cycle_id": 1, "drug": "aspirin", "planned_mg": 1.0, "given_mg": 1.0},
            {"id": 2, "cycle_id": 1, "drug": "oxaliplatin", "planned_mg": 9e9, "given_mg": 1.0},
            {"id": 3, "cycle_id": 2, "drug": "oxaliplatin", "planned_mg": 100, "given_mg": 9e3},
        ],
        "adverse_events": [
            {"id": 1, "patient_id": 1, "onset_date": d("2020-05-01")}
            | {"resolution_date": d("2020-04-01")}
        ],
        "imaging_assessments": [
            {"id": i, "patient_id": 1, "assessment_date": d("2020-02-15")} for i in (1, 2)
        ],
        "lesion_measurements": [{"id": i, "imaging_id": 1, "lesion_id": "T1"} for i in (1, 2)],
        "followups": [
            {"id": 1, "patient_id": 1, "contact_date": d("2020-02-10")}
            | {"vital_status": m.VitalStatus.ALIVE},
            {"id": 2, "patient_id": 1, "contact_date": d("2020-04-01")}
            | {"vital_status": m.VitalStatus.DEAD},
            {"id": 3, "patient_id": 1, "contact_date": d("2020-04-02")}
            | {"vital_status": m.VitalStatus.DEAD},
            {"id": 4, "patient_id": 1, "contact_date": d("2020-04-05")}
            | {"vital_status": m.VitalStatus.ALIVE},
        ],
        "protocol_deviations": [{"id": 1, "patient_id": 1, "deviation_date": d("2020-06-01")}],
        "withdrawals": [
            {"id": i, "patient_id": 1, "withdrawal_date": d("2020-02-20")}
            | {"kind": m.WithdrawalKind.OTHER}
            for i in (1, 2)
        ],
        "derived_overrides": [{"id": 1, "patient_id": 1}],
        "cycle_exams": [  # an examination with neither ECOG nor weight, two on one date
            {"id": i, "patient_id": 1, "exam_date": d("2020-02-28"), "ecog": None}
            | {"weight_kg": None}
            for i in (1, 2)
        ],
    }
    if status is S.SCREEN_FAILURE:  # screened out, yet an enrolment date
        rows["screenings"][0]["eligible"] = False
    patient = {"id": 1, "study_id": "P1", "site_id": 1, "enrolment_date": d("2019-12-01")}
    return Chart({**patient, "status": status}, rows)


CTX = RuleContext.of(default_regimen(), date(2026, 3, 2), 1)


@pytest.mark.parametrize("status", [S.ENROLLED, S.SCREEN_FAILURE, S.SCREENING])
@pytest.mark.parametrize("rule_id", sorted(CHART_CHECKS))
def test_a_check_reads_its_declared_tables_and_finds_on_its_scope(
    rule_id: str, status: m.PatientStatus
) -> None:
    spec = CHART_CHECKS[rule_id]
    seen: set[str] = set()
    found = list(spec.fn(_recording(_chart(status), seen), CTX))
    assert seen <= spec.scope | spec.context, seen - (spec.scope | spec.context)
    assert {f.table for f in found} <= spec.scope


def test_the_rich_chart_breaks_every_check() -> None:
    """The chart above exercises every check (each finds something in one of the states), so
    the reading test covers the paths that find."""
    found = {
        rule_id
        for status in (S.ENROLLED, S.SCREEN_FAILURE)
        for rule_id, spec in CHART_CHECKS.items()
        if list(spec.fn(_chart(status), CTX))
    }
    assert found == set(CHART_CHECKS)
