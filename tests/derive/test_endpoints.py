"""PFS as the paper defined it vs standard PFS vs OS, on hand-made records (arithmetic in comments).

Day 0 = 2020-01-08 (cycle 1). Days: Jan 8 -> Mar 1 2020 = 24 + 29 = 53; -> Jun 1 = 53 + 31 + 30 + 31
= 145; -> Sep 1 = 145 + 30 + 31 + 31 = 237; -> Dec 31 = 358 (2020 is a leap year: day 366 - 8).
Months = days / 30.4375.
"""

from __future__ import annotations

from datetime import date

import pytest

from hcctrial.derive.endpoints import EndpointRow, endpoints_of
from hcctrial.derive.records import FollowupRecord, PatientRecords
from hcctrial.derive.subject import derive_subject
from hcctrial.errors import DataValidationError
from tests.derive.records_factory import patient, scan

BASE = date(2020, 1, 1)  # baseline scan, T1 50 mm


def _rows(rec: PatientRecords) -> dict[str, EndpointRow]:
    return {r.endpoint: r for r in endpoints_of(rec, derive_subject(rec))}


def test_death_without_progression_is_censored_for_pfs_paper_but_an_event_for_standard_pfs() -> (
    None
):
    # 50 -> 40 mm (-20 %: SD) -> 41 mm (+2.5 % over the nadir 40: SD); death 2020-09-01
    rec = patient(
        "P1",
        [scan(BASE, 50), scan(date(2020, 3, 1), 40), scan(date(2020, 6, 1), 41)],
        [FollowupRecord(date(2020, 9, 1), "dead")],
    )
    rows = _rows(rec)
    assert (rows["pfs_paper"].event, rows["pfs_paper"].days) == (0, 145)  # last adequate scan
    assert rows["pfs_paper"].months == pytest.approx(145 / 30.4375)
    assert (rows["pfs"].event, rows["pfs"].days) == (1, 237)  # death counts as an event
    assert (rows["os"].event, rows["os"].days) == (1, 237)


def test_progression_is_dated_at_the_first_pd_scan_and_os_censored_at_last_contact() -> None:
    # 50 -> 70 mm (+40 % over the nadir 50: PD at 2020-03-01), alive at 2020-12-31
    rec = patient(
        "P2",
        [scan(BASE, 50), scan(date(2020, 3, 1), 70), scan(date(2020, 6, 1), 90)],
        [FollowupRecord(date(2020, 6, 1), "alive"), FollowupRecord(date(2020, 12, 31), "alive")],
    )
    rows = _rows(rec)
    assert (rows["pfs_paper"].event, rows["pfs_paper"].days) == (1, 53)
    assert (rows["pfs"].event, rows["pfs"].days) == (1, 53)
    assert (rows["os"].event, rows["os"].days) == (0, 358)


def test_new_nodule_above_5_mm_is_progression_by_the_protocol_rule() -> None:
    # targets stable (50 -> 48 mm) but a new typical liver nodule of 8 mm (> 5 mm): PD
    rec = patient(
        "P3",
        [scan(BASE, 50), scan(date(2020, 3, 1), 48, new_mm=8.0)],
        [FollowupRecord(date(2020, 12, 31), "alive")],
    )
    rows = _rows(rec)
    assert (rows["pfs_paper"].event, rows["pfs_paper"].days) == (1, 53)


def test_progression_then_death_counts_progression_first_in_both_pfs_definitions() -> None:
    rec = patient(
        "P4",
        [scan(BASE, 50), scan(date(2020, 3, 1), 70)],
        [FollowupRecord(date(2020, 9, 1), "dead")],
    )
    rows = _rows(rec)
    assert rows["pfs_paper"].days == rows["pfs"].days == 53
    assert (rows["os"].event, rows["os"].days) == (1, 237)


def test_no_follow_up_scan_censors_pfs_at_day_0() -> None:
    rec = patient("P5", [scan(BASE, 50)], [FollowupRecord(date(2020, 1, 30), "dead")])
    rows = _rows(rec)
    assert (rows["pfs_paper"].event, rows["pfs_paper"].days) == (0, 0)
    assert (rows["pfs"].event, rows["pfs"].days) == (1, 22)  # Jan 8 -> Jan 30


def test_a_patient_without_any_contact_cannot_have_os() -> None:
    rec = patient("P6", [scan(BASE, 50)], [])
    with pytest.raises(DataValidationError, match="followups"):
        _rows(rec)
