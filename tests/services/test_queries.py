"""Queries (issue 19): monitor raises on a field, the site answers (optionally changing the value
through the trial's actions, the query as reason), the monitor closes or re-opens; counts per
patient, site and trial over the patients a user sees."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hcctrial.errors import AuthorizationError, RuleViolation, StateConflictError
from hcctrial.services import patients
from hcctrial.services.permissions import Actor
from hcctrial.services.queries import (
    answer_query,
    close_query,
    open_query_counts,
    queries_of,
    raise_query,
    reopen_query,
)
from hcctrial.store import models as m
from hcctrial.store.models_datamgmt import QueryStatus
from tests.services.test_actions import BASELINE, _enrol, work

__all__ = ["work"]

MONITOR = Actor(None, "mon", m.Role.MONITOR, None)


def _setup(work: Any) -> tuple[int, int, Actor]:
    pid = _enrol(work)
    bid = int(work(lambda u: patients.record_baseline(u, pid, BASELINE, reason="form")))
    return pid, bid, Actor(None, "coord_gz", m.Role.COORDINATOR, work.site["GZ"])


def _query(sessions: Any, pid: int) -> Any:
    with sessions() as s:
        (q,) = queries_of(s, pid)
        return q


def test_the_query_loop_with_a_value_change(work: Any, sessions: Any) -> None:
    pid, bid, site = _setup(work)
    qid = work(
        lambda u: raise_query(u, "baselines", bid, "weight_kg", "Source says 56 kg?"), MONITOR
    )
    assert _query(sessions, pid).status is QueryStatus.OPEN
    with sessions() as s:
        c = open_query_counts(s, MONITOR)
        assert (c.per_patient, c.per_site, c.total) == ({pid: 1}, {work.site["GZ"]: 1}, 1)
        sh = Actor(None, "inv_sh", m.Role.INVESTIGATOR, work.site["SH"])
        assert open_query_counts(s, sh).total == 0  # another site's query is not counted
    work(lambda u: answer_query(u, qid, "Typo, corrected", new_value=56, change_value=True), site)
    with sessions() as s:
        b = s.get(m.Baseline, bid)
        assert (b.weight_kg, b.version) == (56.0, 2)
        reason = s.scalars(
            select(m.AuditEntry.reason)
            .where(m.AuditEntry.table_name == "baselines")
            .order_by(m.AuditEntry.seq.desc())
        ).first()
        assert reason == f"answer to query {qid}: Typo, corrected"
    q = _query(sessions, pid)
    assert (q.status, q.answer, q.answered_by) == (
        QueryStatus.ANSWERED,
        "Typo, corrected",
        "coord_gz",
    )
    with pytest.raises(StateConflictError) as exc:  # answered once
        work(lambda u: answer_query(u, qid, "again"), site)
    assert exc.value.rule == "QUERY-FLOW"
    work(lambda u: reopen_query(u, qid, "And the height?"), MONITOR)
    assert _query(sessions, pid).status is QueryStatus.OPEN
    work(lambda u: answer_query(u, qid, "Height is right"), site)
    work(lambda u: close_query(u, qid), MONITOR)
    q = _query(sessions, pid)
    assert (q.status, q.closed_by) == (QueryStatus.CLOSED, "mon")
    with sessions() as s:
        assert open_query_counts(s, MONITOR).total == 0
        from hcctrial.store.audit import verify_audit

        assert verify_audit(s).ok


def test_a_changed_value_still_passes_every_rule(work: Any, sessions: Any) -> None:
    pid, bid, site = _setup(work)
    qid = work(lambda u: raise_query(u, "baselines", bid, "weight_kg", "Check"), MONITOR)
    with pytest.raises(RuleViolation) as exc:  # 3 kg is outside the column's 20-300 kg
        work(lambda u: answer_query(u, qid, "fixed", new_value=3, change_value=True), site)
    assert exc.value.rule == "FIELD-VALUE"
    assert _query(sessions, pid).status is QueryStatus.OPEN  # nothing written


def test_who_may_do_what(work: Any) -> None:
    _, bid, site = _setup(work)
    with pytest.raises(AuthorizationError) as exc:  # the site does not raise queries
        work(lambda u: raise_query(u, "baselines", bid, "weight_kg", "?"), site)
    assert exc.value.rule == "AUTH-ROLE"
    mon_sh = Actor(None, "monitor_sh", m.Role.MONITOR, work.site["SH"])
    with pytest.raises(AuthorizationError) as exc:
        work(lambda u: raise_query(u, "baselines", bid, "weight_kg", "?"), mon_sh)
    assert exc.value.rule == "DM-SITE"
    qid = work(lambda u: raise_query(u, "baselines", bid, "weight_kg", "?"), MONITOR)
    with pytest.raises(AuthorizationError):  # the monitor does not answer for the site
        work(lambda u: answer_query(u, qid, "x"), MONITOR)
    with pytest.raises(AuthorizationError):  # the site does not close
        work(lambda u: close_query(u, qid), site)


def test_query_text_and_field_are_checked(work: Any) -> None:
    _, bid, _ = _setup(work)
    with pytest.raises(RuleViolation, match="please write what should be checked"):
        work(lambda u: raise_query(u, "baselines", bid, "weight_kg", "   "), MONITOR)
    with pytest.raises(RuleViolation, match="'shoe_size' is not a field of this form"):
        work(lambda u: raise_query(u, "baselines", bid, "shoe_size", "?"), MONITOR)


def test_a_locked_database_refuses_queries_and_form_status_too(work: Any, sessions: Any) -> None:
    """DATABASE-LOCKED (docs/rules.md: "nothing is written, through any door") also holds for the
    data-management writes, which are audited rows but not clinical records: raising, answering,
    closing a query, marking a form complete or verified, marking or un-marking fields verified.
    Unlocking opens them again."""
    from hcctrial.errors import HcctrialError
    from hcctrial.services.field_sdv import unverify_fields, verify_fields
    from hcctrial.services.form_status import mark_complete, verify_form
    from hcctrial.services.locks import lock_database, unlock_database

    pid, bid, site = _setup(work)
    qid = work(lambda u: raise_query(u, "baselines", bid, "weight_kg", "Source?"), MONITOR)
    work(lambda u: mark_complete(u, "baselines", bid, {"hbv_dna_iu_ml": "not_done"}), site)
    admin = Actor(None, "admin", m.Role.ADMIN, None)
    work(lambda u: lock_database(u, reason="final analysis"), admin)
    attempts = {
        "raise": lambda u: raise_query(u, "baselines", bid, "height_cm", "Height?"),
        "close": lambda u: close_query(u, qid),
        "complete": lambda u: mark_complete(u, "baselines", bid, {"hbv_dna_iu_ml": "unknown"}),
        "verify": lambda u: verify_form(u, "baselines", bid),
        "verify fields": lambda u: verify_fields(u, "baselines", bid, ["sex"]),
        "unverify fields": lambda u: unverify_fields(u, "baselines", bid, ["sex"]),
    }
    refused = {}
    for name, fn in attempts.items():
        with pytest.raises(HcctrialError) as exc:
            work(fn, admin)
        refused[name] = "DATABASE-LOCKED" in str(exc.value)
    with pytest.raises(HcctrialError) as exc:
        work(lambda u: answer_query(u, qid, "56 kg"), site)
    refused["answer"] = "DATABASE-LOCKED" in str(exc.value)
    assert refused == dict.fromkeys(refused, True)
    assert [q.status for q in queries_of_patient(sessions, pid)] == [QueryStatus.OPEN]
    work(lambda u: unlock_database(u, reason="query found after lock"), admin)
    work(lambda u: close_query(u, qid), MONITOR)
    assert [q.status for q in queries_of_patient(sessions, pid)] == [QueryStatus.CLOSED]


def queries_of_patient(sessions: Any, pid: int) -> list[Any]:
    with sessions() as s:
        return list(queries_of(s, pid))
