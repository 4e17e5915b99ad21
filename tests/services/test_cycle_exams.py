"""The pre-cycle examination (issue 13, item 5): ECOG performance status and weight recorded
before a cycle through the services, with the rules of every record (state, dates, one per
date) and its own (EXAM-VALUES). Each test names the rule it checks."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hcctrial.errors import RuleRefusal
from hcctrial.services import exams, follow_up
from hcctrial.store import models as m
from tests.services.test_actions import ELIGIBLE, _enrol, _treated, work

__all__ = ["work"]


def _exams(sessions: Any, pid: int) -> list[tuple[str, int | None, float | None]]:
    with sessions() as s:
        rows = s.execute(
            select(m.CycleExam.exam_date, m.CycleExam.ecog, m.CycleExam.weight_kg)
            .where(m.CycleExam.patient_id == pid)
            .order_by(m.CycleExam.exam_date)
        )
        return [(d.isoformat(), e, w) for d, e, w in rows]


def _refused(work: Any, pid: int, values: dict[str, Any]) -> RuleRefusal:
    with pytest.raises(RuleRefusal) as e:
        work(lambda u: exams.record_exam(u, pid, values, reason="form"))
    return e.value


def test_an_examination_is_stored_with_ecog_and_weight(work: Any, sessions: Any) -> None:
    pid, _ = _treated(work)
    work(
        lambda u: exams.record_exam(
            u, pid, {"exam_date": "2026-02-05", "ecog": 1, "weight_kg": 63.5}, reason="form"
        )
    )
    work(lambda u: exams.record_exam(u, pid, {"exam_date": "2026-02-06", "ecog": 3}, reason="f"))
    work(
        lambda u: exams.record_exam(
            u, pid, {"exam_date": "2026-02-07", "weight_kg": 60}, reason="f"
        )
    )
    assert _exams(sessions, pid) == [
        ("2026-02-05", 1, 63.5),
        ("2026-02-06", 3, None),
        ("2026-02-07", None, 60.0),
    ]


@pytest.mark.parametrize(
    ("values", "rule", "field"),
    [
        ({"exam_date": "2026-02-05"}, "EXAM-VALUES", "ecog"),  # neither ECOG nor weight
        ({"exam_date": "2026-02-05", "ecog": 5}, "FIELD-VALUE", "ecog"),  # ECOG 5 is death
        ({"exam_date": "2026-02-05", "ecog": -1}, "FIELD-VALUE", "ecog"),
        ({"exam_date": "2026-02-05", "weight_kg": 650}, "FIELD-VALUE", "weight_kg"),
        ({"exam_date": "2035-02-05", "ecog": 1}, "DATE-FUTURE", "exam_date"),
        ({"exam_date": "2025-12-01", "ecog": 1}, "DATE-BEFORE-SCREENING", "exam_date"),
    ],
)
def test_an_examination_that_says_nothing_or_cannot_be_is_refused(
    work: Any, sessions: Any, values: dict[str, Any], rule: str, field: str
) -> None:
    pid, _ = _treated(work)
    refusal = _refused(work, pid, values)
    assert (refusal.rule, refusal.field) == (rule, field), str(refusal)
    assert _exams(sessions, pid) == []


def test_one_examination_per_date_record_unique(work: Any, sessions: Any) -> None:
    pid, _ = _treated(work)
    work(lambda u: exams.record_exam(u, pid, {"exam_date": "2026-02-05", "ecog": 1}, reason="f"))
    refusal = _refused(work, pid, {"exam_date": "2026-02-05", "weight_kg": 60})
    assert refusal.rule == "RECORD-UNIQUE"
    assert _exams(sessions, pid) == [("2026-02-05", 1, None)]


def test_a_patient_not_enrolled_has_no_examination_state_accepts(work: Any) -> None:
    labs_ = {**ELIGIBLE["labs"], "wbc": "2.5 x10^9/L"}  # a screen failure
    pid = _enrol(work, "GZ-F", labs=labs_)
    assert _refused(work, pid, {"exam_date": "2026-01-06", "ecog": 1}).rule == "STATE-ACCEPTS"


def test_no_examination_after_death_or_withdrawal(work: Any) -> None:
    pid, _ = _treated(work)
    work(
        lambda u: follow_up.withdraw(
            u,
            pid,
            {"withdrawal_date": "2026-02-01", "kind": "consent_withdrawn", "reason": "r"},
            reason="f",
        )
    )
    assert _refused(work, pid, {"exam_date": "2026-02-05", "ecog": 1}).rule == "AFTER-WITHDRAWAL"
    other = _enrol(work, "GZ-2")
    work(
        lambda u: follow_up.record_death(u, other, death_date="2026-02-01", cause="HCC", reason="f")
    )
    assert _refused(work, other, {"exam_date": "2026-02-05", "ecog": 1}).rule == "AFTER-DEATH"
