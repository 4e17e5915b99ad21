"""The visit schedule against dates counted by hand on a calendar, for the seed regimen: cycles
4-6 weeks apart, labs and AFP within 7 days before day 1, imaging after every 2nd cycle due 4
weeks after its start (window: up to 6 weeks), follow-up every 3 months +-14 days."""

from __future__ import annotations

from datetime import date

from hcctrial.protocol.regimen import default_regimen
from hcctrial.protocol.visit_schedule import PatientDates, VisitStatus, visit_schedule

R = default_regimen()
D = date.fromisoformat
S = VisitStatus


def _by_label(items: list) -> dict:  # type: ignore[type-arg]
    return {i.label: i for i in items}


def test_two_cycles_given_on_treatment() -> None:
    d = PatientDates(
        screening=D("2026-01-05"),
        enrolment=D("2026-01-05"),
        baseline=D("2026-01-05"),
        cycles=[D("2026-01-12"), D("2026-02-16")],
        lab_dates=[D("2026-01-08")],
    )
    today = D("2026-04-01")
    got = _by_label(visit_schedule(d, R, today))
    expected = {
        # label: (earliest, latest, status, done on)
        "Screening": ("2026-01-05", "2026-01-05", S.COMPLETE, "2026-01-05"),
        "Baseline": ("2026-01-05", "2026-01-12", S.COMPLETE, "2026-01-05"),
        "Cycle 1": ("2026-01-05", "2026-01-19", S.COMPLETE, "2026-01-12"),  # enrolment + 14 d
        "Labs before cycle 1": ("2026-01-05", "2026-01-12", S.COMPLETE, "2026-01-08"),
        "AFP before cycle 1": ("2026-01-05", "2026-01-12", S.OVERDUE, None),
        "Cycle 2": ("2026-02-09", "2026-02-23", S.COMPLETE, "2026-02-16"),  # 01-12 + 4..6 wk
        "Labs before cycle 2": ("2026-02-09", "2026-02-16", S.OVERDUE, None),
        "AFP before cycle 2": ("2026-02-09", "2026-02-16", S.OVERDUE, None),
        "Imaging after cycle 2": ("2026-02-17", "2026-03-30", S.OVERDUE, None),
        "Cycle 3": ("2026-03-16", "2026-03-30", S.OVERDUE, None),  # 02-16 + 4..6 wk
        "Labs before cycle 3": ("2026-03-09", "2026-03-30", S.OVERDUE, None),
        "AFP before cycle 3": ("2026-03-09", "2026-03-30", S.OVERDUE, None),
    }
    assert set(got) == set(expected)
    for label, (lo, hi, status, done) in expected.items():
        item = got[label]
        assert (item.earliest, item.latest, item.status) == (D(lo), D(hi), status), label
        assert item.done_on == (D(done) if done else None), label
    assert got["Imaging after cycle 2"].due == D("2026-03-16")  # 02-16 + 4 weeks
    assert got["Imaging after cycle 2"].days_late(today) == 2  # 03-30 -> 04-01


def test_follow_up_every_three_months_after_treatment_until_death() -> None:
    d = PatientDates(
        screening=D("2025-01-06"),
        enrolment=D("2025-01-06"),
        baseline=D("2025-01-06"),
        cycles=[D("2025-01-13")],
        lab_dates=[D("2025-01-10")],
        afp_dates=[D("2025-01-10")],
        follow_ups=[D("2025-04-20")],
        treatment_end=D("2025-01-13"),
        on_treatment=False,
        stop=D("2025-10-01"),  # died
    )
    got = _by_label(visit_schedule(d, R, D("2026-03-02")))
    # 01-13 + 3 months = 04-13 (window 03-30..04-27, contact 04-20); + 6 = 07-13; + 9 = 10-13
    # (window from 09-29, before the death on 10-01: still expected); + 12 = 2026-01-13 is after
    # the death: not expected.
    fu = {k: v for k, v in got.items() if k.startswith("Follow-up")}
    assert {k: (v.due, v.status) for k, v in fu.items()} == {
        "Follow-up month 3": (D("2025-04-13"), S.COMPLETE),
        "Follow-up month 6": (D("2025-07-13"), S.OVERDUE),
        "Follow-up month 9": (D("2025-10-13"), S.OVERDUE),
    }
    assert "Cycle 2" not in got  # treatment ended: no next cycle


def test_a_patient_never_enrolled_has_only_the_screening() -> None:
    items = visit_schedule(PatientDates(screening=D("2026-01-05")), R, D("2026-03-02"))
    assert [(i.label, i.status) for i in items] == [("Screening", S.COMPLETE)]
    assert visit_schedule(PatientDates(), R, D("2026-03-02")) == []
