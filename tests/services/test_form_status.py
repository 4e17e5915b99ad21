"""Form status (issue 19): complete only with every required field filled or given a missing-data
code; verified by a monitor at the record's version, cleared by a later change; the site and role
rules; the audit trail still verifies."""

from __future__ import annotations

from typing import Any

import pytest

from hcctrial.errors import AuthorizationError, RuleViolation, StateConflictError
from hcctrial.services import amend, patients
from hcctrial.services.form_status import (
    FormStatus,
    form_views,
    mark_complete,
    sdv_progress,
    verify_form,
)
from hcctrial.services.permissions import Actor
from hcctrial.store import models as m
from tests.services.test_actions import BASELINE, _enrol, work

__all__ = ["work"]

MONITOR = Actor(None, "mon", m.Role.MONITOR, None)


def _baseline(work: Any, **extra: Any) -> tuple[int, int]:
    pid = _enrol(work)
    bid = work(lambda u: patients.record_baseline(u, pid, {**BASELINE, **extra}, reason="form"))
    return pid, int(bid)


def _status(sessions: Any, bid: int) -> FormStatus:
    with sessions() as s:
        obj = s.get(m.Baseline, bid)
        return form_views(s, [obj])[("baselines", bid)].status


def test_a_new_form_is_incomplete(work: Any, sessions: Any) -> None:
    _, bid = _baseline(work)
    assert _status(sessions, bid) is FormStatus.INCOMPLETE


def test_complete_is_refused_with_a_required_field_empty(work: Any, sessions: Any) -> None:
    # BASELINE gives no HBV DNA (hbv_dna_iu_ml is empty), which a complete baseline needs
    _, bid = _baseline(work)
    with pytest.raises(RuleViolation) as exc:
        work(lambda u: mark_complete(u, "baselines", bid))
    assert exc.value.rule == "FORM-COMPLETE"
    assert exc.value.field == "hbv_dna_iu_ml"
    assert "HBV DNA: is empty" in exc.value.message
    assert _status(sessions, bid) is FormStatus.INCOMPLETE  # nothing written


def test_a_missing_data_code_completes_the_form(work: Any, sessions: Any) -> None:
    _, bid = _baseline(work)
    view = work(lambda u: mark_complete(u, "baselines", bid, {"hbv_dna_iu_ml": "not_done"}))
    assert (view.status, view.by, view.missing_codes) == (
        FormStatus.COMPLETE,
        "nurse",
        {"hbv_dna_iu_ml": "not_done"},
    )


def test_a_filled_field_completes_without_a_code_and_refuses_one(work: Any) -> None:
    _, bid = _baseline(work, hbv_dna_iu_ml=1200)
    with pytest.raises(RuleViolation, match="has a value, so it takes no missing-data code"):
        work(lambda u: mark_complete(u, "baselines", bid, {"hbv_dna_iu_ml": "unknown"}))
    with pytest.raises(RuleViolation, match="'maybe' is not one of"):
        work(lambda u: mark_complete(u, "baselines", bid, {"hbv_dna_iu_ml": "maybe"}))
    assert work(lambda u: mark_complete(u, "baselines", bid)).status is FormStatus.COMPLETE


def test_verified_by_a_monitor_and_cleared_by_a_later_change(work: Any, sessions: Any) -> None:
    pid, bid = _baseline(work, hbv_dna_iu_ml=1200)
    with pytest.raises(StateConflictError) as exc:  # not complete yet
        work(lambda u: verify_form(u, "baselines", bid), MONITOR)
    assert exc.value.rule == "FORM-VERIFY"
    work(lambda u: mark_complete(u, "baselines", bid))
    view = work(lambda u: verify_form(u, "baselines", bid), MONITOR)
    assert (view.status, view.by) == (FormStatus.VERIFIED, "mon")
    with sessions() as s:
        n_forms = (
            s.query(m.Screening).count()
            + s.query(m.Baseline).count()
            + s.query(m.LabResult).count()
        )
        assert sdv_progress(s, [pid])[pid] == (1, n_forms)  # the baseline of its forms
    work(
        lambda u: amend.amend_record(
            u, m.Baseline, bid, {"weight_kg": 66}, expected_version=1, reason="typo"
        )
    )
    assert _status(sessions, bid) is FormStatus.COMPLETE  # the verification is stale
    with sessions() as s:
        assert sdv_progress(s, [pid])[pid][0] == 0


def test_emptying_a_required_field_later_makes_it_incomplete(work: Any, sessions: Any) -> None:
    _, bid = _baseline(work, hbv_dna_iu_ml=1200)
    work(lambda u: mark_complete(u, "baselines", bid))
    work(
        lambda u: amend.amend_record(
            u, m.Baseline, bid, {"hbv_dna_iu_ml": None}, expected_version=1, reason="not measured"
        )
    )
    assert _status(sessions, bid) is FormStatus.INCOMPLETE


def test_roles_and_sites(work: Any) -> None:
    _, bid = _baseline(work, hbv_dna_iu_ml=1200)
    with pytest.raises(AuthorizationError) as exc:  # a monitor does not complete site forms
        work(lambda u: mark_complete(u, "baselines", bid), MONITOR)
    assert exc.value.rule == "AUTH-ROLE"
    other = Actor(None, "coord_sh", m.Role.COORDINATOR, work.site["SH"])
    with pytest.raises(AuthorizationError) as exc:
        work(lambda u: mark_complete(u, "baselines", bid), other)
    assert exc.value.rule == "DM-SITE"
    coord = Actor(None, "coord_gz", m.Role.COORDINATOR, work.site["GZ"])
    with pytest.raises(AuthorizationError):  # a coordinator does not verify
        work(lambda u: verify_form(u, "baselines", bid), coord)
    assert work(lambda u: mark_complete(u, "baselines", bid), coord).status is FormStatus.COMPLETE


def test_the_audit_trail_covers_the_form_states(work: Any, sessions: Any) -> None:
    from hcctrial.store.audit import verify_audit

    _, bid = _baseline(work, hbv_dna_iu_ml=1200)
    work(lambda u: mark_complete(u, "baselines", bid))
    work(lambda u: verify_form(u, "baselines", bid), MONITOR)
    with sessions() as s:
        report = verify_audit(s)
        assert report.ok, report.problems
        from sqlalchemy import select

        reasons = list(
            s.scalars(select(m.AuditEntry.reason).where(m.AuditEntry.table_name == "form_states"))
        )
    assert reasons == ["form marked complete", "verified against source"]
