"""Canonical adverse-event terms at the services (issue 13, item 6): whatever door records an
adverse event, the services store the CTCAE name of a synonym and refuse a grade CTCAE does not
define for the term, through the one keeper of the vocabulary
(:func:`hcctrial.assess.adverse_events.canonical_adverse_event`).

Expected values from the CTCAE v4.03 text (NCI, 2010): "Palmar-plantar erythrodysesthesia
syndrome" (Skin and subcutaneous tissue disorders) has grades 1-3 only ("hand-foot skin reaction"
is the name the seed paper uses, docs/ctcae.md); "Nausea" has grades 1-3; "Diarrhea" 1-5.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hcctrial.errors import RuleViolation
from hcctrial.services import adverse_events, amend
from hcctrial.store import models as m
from tests.services.test_actions import _treated, work

__all__ = ["work"]

AE = {"onset_date": "2026-01-20", "attribution": "possible", "serious": False}


def _terms(sessions: Any, pid: int) -> list[tuple[str, int]]:
    with sessions() as s:
        rows = s.execute(
            select(m.AdverseEvent.term, m.AdverseEvent.grade)
            .where(m.AdverseEvent.patient_id == pid)
            .order_by(m.AdverseEvent.id)
        )
        return [(t, g) for t, g in rows]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("hand-foot skin reaction", "Palmar-plantar erythrodysesthesia syndrome"),
        ("HAND-FOOT SKIN REACTION", "Palmar-plantar erythrodysesthesia syndrome"),
        ("diarrhea", "Diarrhea"),
    ],
)
def test_a_synonym_is_stored_under_its_ctcae_name(
    work: Any, sessions: Any, typed: str, stored: str
) -> None:
    pid, _ = _treated(work)
    values = {**AE, "term": typed, "grade": 2}
    work(lambda u: adverse_events.record_adverse_event(u, pid, values, reason="form"))
    assert _terms(sessions, pid) == [(stored, 2)]


@pytest.mark.parametrize(
    ("term", "grade", "defined"),
    [
        ("hand-foot skin reaction", 4, "1, 2, 3"),
        ("Palmar-plantar erythrodysesthesia syndrome", 5, "1, 2, 3"),
        ("Nausea", 4, "1, 2, 3"),
    ],
)
def test_a_grade_ctcae_does_not_define_for_the_term_is_refused(
    work: Any, sessions: Any, term: str, grade: int, defined: str
) -> None:
    pid, _ = _treated(work)
    values = {**AE, "term": term, "grade": grade}
    with pytest.raises(RuleViolation) as e:
        work(lambda u: adverse_events.record_adverse_event(u, pid, values, reason="form"))
    assert e.value.rule == "AE-CTCAE-GRADE"
    assert f"adverse_events.grade: got {grade}" in str(e.value)
    assert f"are {defined}" in str(e.value)
    assert _terms(sessions, pid) == []  # nothing written


def test_an_amendment_is_canonicalised_and_checked_like_a_new_record(
    work: Any, sessions: Any
) -> None:
    pid, _ = _treated(work)
    values = {**AE, "term": "Nausea", "grade": 3}
    aid = work(lambda u: adverse_events.record_adverse_event(u, pid, values, reason="form"))
    change = {"term": "hand-foot skin reaction"}
    work(
        lambda u: amend.amend_record(
            u, m.AdverseEvent, aid, change, expected_version=1, reason="recoded"
        )
    )
    assert _terms(sessions, pid) == [("Palmar-plantar erythrodysesthesia syndrome", 3)]
    with pytest.raises(RuleViolation) as e:
        work(
            lambda u: amend.amend_record(
                u, m.AdverseEvent, aid, {"grade": 4}, expected_version=2, reason="r"
            )
        )
    assert e.value.rule == "AE-CTCAE-GRADE"
    assert _terms(sessions, pid) == [("Palmar-plantar erythrodysesthesia syndrome", 3)]
