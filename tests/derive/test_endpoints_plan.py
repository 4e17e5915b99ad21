"""Endpoints as the plan defines them, on hand-made records (arithmetic in comments): duration of
response from the first CR/PR, time to treatment failure with withdrawal, the competing-risks
codes 0 / 1 / 2 of the cumulative incidence of progression, and the subject variables the
populations read.

Day 0 = 2020-01-08 (cycle 1). Days: Jan 8 -> Mar 1 2020 = 53; -> Jun 1 = 145; -> Sep 1 = 237;
-> Dec 31 = 358 (2020 is a leap year). Mar 1 -> Jun 1 = 92; Mar 1 -> Sep 1 = 184.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from hcctrial.analysis.plan import load_plan
from hcctrial.derive.datasets import subject_data
from hcctrial.derive.endpoints import EndpointRow, endpoints_of
from hcctrial.derive.records import (
    DeviationRecord,
    FollowupRecord,
    PatientRecords,
    WithdrawalRecord,
)
from hcctrial.derive.subject import derive_subject
from tests.derive.records_factory import patient, scan

BASE = date(2020, 1, 1)


def _rows(rec: PatientRecords) -> dict[str, EndpointRow]:
    return {r.endpoint: r for r in endpoints_of(rec, derive_subject(rec))}


def test_every_endpoint_of_the_seed_plan_gets_a_row_in_the_plans_order() -> None:
    # 50 -> 20 mm (-60 %: PR on Mar 1) -> 21 mm: alive at Dec 31
    rec = patient(
        "P1",
        [scan(BASE, 50), scan(date(2020, 3, 1), 20), scan(date(2020, 6, 1), 21)],
        [FollowupRecord(date(2020, 12, 31), "alive")],
    )
    rows = endpoints_of(rec, derive_subject(rec))
    assert [r.endpoint for r in rows] == list(load_plan().plan.endpoints)


def test_duration_of_response_runs_from_the_first_pr_to_progression() -> None:
    # PR on Mar 1 (50 -> 20 mm, -60 %); PD on Sep 1 (20 -> 30 mm, +50 % over the nadir 20)
    rec = patient(
        "P2",
        [scan(BASE, 50), scan(date(2020, 3, 1), 20), scan(date(2020, 9, 1), 30)],
        [FollowupRecord(date(2020, 12, 31), "alive")],
    )
    rows = _rows(rec)
    assert rows["dor"].start_date == date(2020, 3, 1)
    assert (rows["dor"].event, rows["dor"].days) == (1, 184)
    assert rows["dor"].months == pytest.approx(184 / 30.4375)
    assert (rows["pfs_paper"].event, rows["pfs_paper"].days) == (1, 237)


def test_a_patient_without_a_response_has_no_duration_of_response_row() -> None:
    # 50 -> 45 mm (-10 %: SD)
    rec = patient(
        "P3",
        [scan(BASE, 50), scan(date(2020, 3, 1), 45)],
        [FollowupRecord(date(2020, 12, 31), "alive")],
    )
    assert "dor" not in _rows(rec)


def test_death_without_progression_is_a_competing_event_for_the_cumulative_incidence() -> None:
    # SD scans on Mar 1 and Jun 1; death on Sep 1 without progression
    rec = patient(
        "P4",
        [scan(BASE, 50), scan(date(2020, 3, 1), 45), scan(date(2020, 6, 1), 46)],
        [FollowupRecord(date(2020, 9, 1), "dead")],
    )
    rows = _rows(rec)
    assert (rows["cif_progression"].event, rows["cif_progression"].days) == (2, 237)
    assert (rows["pfs_paper"].event, rows["pfs_paper"].days) == (0, 145)  # censored at Jun 1
    assert (rows["ttp"].event, rows["ttp"].days) == (0, 145)
    assert (rows["pfs"].event, rows["pfs"].days) == (1, 237)


def test_progression_before_death_is_the_event_of_interest_for_the_cumulative_incidence() -> None:
    rec = patient(
        "P5",
        [scan(BASE, 50), scan(date(2020, 3, 1), 70)],
        [FollowupRecord(date(2020, 9, 1), "dead")],
    )
    rows = _rows(rec)
    assert (rows["cif_progression"].event, rows["cif_progression"].days) == (1, 53)


def test_alive_without_progression_is_censored_for_the_cumulative_incidence() -> None:
    rec = patient(
        "P6",
        [scan(BASE, 50), scan(date(2020, 3, 1), 45), scan(date(2020, 6, 1), 46)],
        [FollowupRecord(date(2020, 12, 31), "alive")],
    )
    assert (_rows(rec)["cif_progression"].event, _rows(rec)["cif_progression"].days) == (0, 145)


def test_time_to_treatment_failure_counts_a_withdrawal_and_is_censored_at_last_contact() -> None:
    scans = [scan(BASE, 50), scan(date(2020, 3, 1), 45)]
    alive = [FollowupRecord(date(2020, 12, 31), "alive")]
    withdrawn = replace(
        patient("P7", scans, alive), withdrawal=WithdrawalRecord(date(2020, 6, 1), "adverse_event")
    )
    rows = _rows(withdrawn)
    assert (rows["ttf"].event, rows["ttf"].days) == (1, 145)
    assert "withdrawal" in rows["ttf"].reason
    assert (
        _rows(patient("P8", scans, alive))["ttf"].event,
        _rows(patient("P8", scans, alive))["ttf"].days,
    ) == (0, 358)


def test_subject_variables_count_major_deviations_and_withdrawal() -> None:
    rec = replace(
        patient(
            "P9",
            [scan(BASE, 50), scan(date(2020, 3, 1), 45)],
            [FollowupRecord(date(2020, 12, 31), "alive")],
        ),
        deviations=(
            DeviationRecord(date(2020, 2, 1), "dosing", "major"),
            DeviationRecord(date(2020, 2, 2), "visit_window", "minor"),
        ),
        withdrawal=WithdrawalRecord(date(2020, 6, 1), "other"),
    )
    data = subject_data(derive_subject(rec), rec)
    assert data.value("major_deviations") == 1 and data.value("withdrawn") is True
    assert data.value("best_response") == "SD" and data.value("n_cycles") == 1
    # without the raw records the two are not recorded, not zero
    bare = subject_data(derive_subject(rec))
    assert bare.value("major_deviations") is None and bare.value("withdrawn") is None
