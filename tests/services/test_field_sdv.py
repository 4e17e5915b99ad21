"""Field-level source-data verification (issue 19): a monitor marks single fields verified and
un-marks them; a later change of that field's value -- through any door -- clears its mark, a
change of another field does not; verifying the form marks every field; the roles and sites;
progress per patient counted by hand; the audit trail covers every mark."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hcctrial.errors import AuthorizationError, DataValidationError, RuleViolation
from hcctrial.services import amend, labs, patients
from hcctrial.services.field_sdv import (
    SdvCounts,
    field_marks,
    sdv_counts,
    sdv_fields,
    unverify_fields,
    verify_fields,
)
from hcctrial.services.form_status import (
    FormStatus,
    form_views,
    mark_complete,
    sdv_progress,
    verify_form,
)
from hcctrial.services.permissions import Actor
from hcctrial.store import models as m
from hcctrial.store.models_datamgmt import FieldVerification
from tests.services.test_actions import BASELINE, _enrol, work

__all__ = ["work"]

MONITOR = Actor(None, "mon", m.Role.MONITOR, None)  # a central monitor: every site
LAB = {
    "sample_date": "2026-01-20",
    "analyte": "albumin",
    "value_entered": 36,
    "unit_entered": "g/L",
}


def _baseline(work: Any, study_id: str = "GZ-1") -> tuple[int, int]:
    pid = _enrol(work, study_id)
    values = {**BASELINE, "hbv_dna_iu_ml": 1200}
    bid = work(lambda u: patients.record_baseline(u, pid, values, reason="form"))
    return pid, int(bid)


def _marks(sessions: Any, bid: int) -> dict[str, tuple[bool, str, str | None]]:
    """field -> (standing, verified by, cleared by) of the baseline ``bid``."""
    with sessions() as s:
        found = field_marks(s, [("baselines", bid)])[("baselines", bid)]
    return {f: (k.verified, k.by, k.cleared_by) for f, k in found.items()}


def _amend(work: Any, sessions: Any, bid: int, changes: dict[str, Any], who: Any = None) -> None:
    with sessions() as s:
        version = s.get(m.Baseline, bid).version
    work(
        lambda u: amend.amend_record(
            u, m.Baseline, bid, changes, expected_version=version, reason="typo"
        ),
        who,
    )


def test_the_fields_of_a_form_are_its_data_columns_not_the_derived_ones() -> None:
    # written out from the models (store/models.py): every column but id, patient_id, the
    # version stamps and a lab's canonical value (derived from the value and unit entered)
    assert sdv_fields("screenings") == ("screening_date", "eligible", "notes")
    assert sdv_fields("lab_results") == (
        "sample_date",
        "analyte",
        "value_entered",
        "unit_entered",
        "uln",
        "lln",
    )
    assert len(sdv_fields("baselines")) == 17


def test_mark_two_fields_then_a_change_of_one_clears_only_its_mark(
    work: Any, sessions: Any
) -> None:
    _, bid = _baseline(work)
    work(lambda u: verify_fields(u, "baselines", bid, ["weight_kg", "ecog"]), MONITOR)
    assert _marks(sessions, bid) == {"weight_kg": (True, "mon", None), "ecog": (True, "mon", None)}
    # the same value given again (a form posts every field) changes nothing: the mark stays
    _amend(work, sessions, bid, {"weight_kg": 65, "height_cm": 171})
    assert _marks(sessions, bid)["weight_kg"] == (True, "mon", None)
    _amend(work, sessions, bid, {"weight_kg": 66})
    assert _marks(sessions, bid) == {
        "weight_kg": (False, "mon", "nurse"),  # cleared by the nurse's change
        "ecog": (True, "mon", None),  # another field's change keeps it
    }
    with sessions() as s:
        row = s.scalars(
            select(FieldVerification).where(FieldVerification.field == "weight_kg")
        ).one()
        # versions: 1 saved, 2 after the height, 3 after the weight (the change that cleared it)
        assert (row.verified_version, row.cleared_version) == (1, 3)
    # a change back to the verified value does not restore the mark
    _amend(work, sessions, bid, {"weight_kg": 65})
    assert _marks(sessions, bid)["weight_kg"][0] is False
    # verified again: the mark stands, the cleared columns are emptied
    work(lambda u: verify_fields(u, "baselines", bid, ["weight_kg"]), MONITOR)
    assert _marks(sessions, bid)["weight_kg"] == (True, "mon", None)


def test_unmark_withdraws_the_field_and_the_form_mark(work: Any, sessions: Any) -> None:
    _, bid = _baseline(work)
    work(lambda u: mark_complete(u, "baselines", bid))
    view = work(lambda u: verify_form(u, "baselines", bid), MONITOR)
    assert (view.status, view.fields_verified, view.fields_total) == (FormStatus.VERIFIED, 17, 17)
    work(lambda u: unverify_fields(u, "baselines", bid, ["sex"]), MONITOR)
    marks = _marks(sessions, bid)
    assert "sex" not in marks and len(marks) == 16
    with sessions() as s:
        view = form_views(s, [s.get(m.Baseline, bid)])[("baselines", bid)]
    assert (view.status, view.verified, view.fields_verified) == (FormStatus.COMPLETE, False, 16)
    # the one field verified again: every field is verified, so the form is verified again
    view_marks = work(lambda u: verify_fields(u, "baselines", bid, ["sex"]), MONITOR)
    assert len(view_marks) == 17
    with sessions() as s:
        view = form_views(s, [s.get(m.Baseline, bid)])[("baselines", bid)]
    assert (view.status, view.by, view.verified) == (FormStatus.VERIFIED, "mon", True)


def test_a_change_after_the_form_was_verified_keeps_the_other_fields(
    work: Any, sessions: Any
) -> None:
    _, bid = _baseline(work)
    work(lambda u: mark_complete(u, "baselines", bid))
    work(lambda u: verify_form(u, "baselines", bid), MONITOR)
    _amend(work, sessions, bid, {"ecog": 1})
    with sessions() as s:
        view = form_views(s, [s.get(m.Baseline, bid)])[("baselines", bid)]
    assert (view.status, view.fields_verified) == (FormStatus.COMPLETE, 16)
    assert [f for f, (standing, *_) in _marks(sessions, bid).items() if not standing] == ["ecog"]
    work(lambda u: verify_fields(u, "baselines", bid, ["ecog"]), MONITOR)
    with sessions() as s:
        view = form_views(s, [s.get(m.Baseline, bid)])[("baselines", bid)]
    assert (view.status, view.fields_verified) == (FormStatus.VERIFIED, 17)


def test_other_doors_clear_the_mark_too(work: Any, sessions: Any) -> None:
    """A query answer that changes the value, and a deleted record, clear the marks: the unit of
    work clears them, whatever door wrote the change."""
    from hcctrial.services.queries import answer_query, raise_query

    pid, bid = _baseline(work)
    site = Actor(None, "coord_gz", m.Role.COORDINATOR, work.site["GZ"])
    work(lambda u: verify_fields(u, "baselines", bid, ["weight_kg", "sex"]), MONITOR)
    qid = work(lambda u: raise_query(u, "baselines", bid, "weight_kg", "56 kg?"), MONITOR)
    work(lambda u: answer_query(u, qid, "Typo", new_value=56, change_value=True), site)
    assert _marks(sessions, bid) == {
        "weight_kg": (False, "mon", "coord_gz"),
        "sex": (True, "mon", None),
    }
    lab = int(work(lambda u: labs.record_lab(u, pid, LAB, reason="form")))
    work(lambda u: verify_fields(u, "lab_results", lab, ["analyte", "uln"]), MONITOR)
    work(
        lambda u: amend.delete_record(
            u, m.LabResult, lab, expected_version=1, reason="entered twice"
        ),
        site,
    )
    with sessions() as s:
        found = field_marks(s, [("lab_results", lab)])[("lab_results", lab)]
    assert {f: k.verified for f, k in found.items()} == {"analyte": False, "uln": False}


def test_roles_and_sites(work: Any, sessions: Any) -> None:
    _, bid = _baseline(work)
    coord = Actor(None, "coord_gz", m.Role.COORDINATOR, work.site["GZ"])
    inv = Actor(None, "inv_gz", m.Role.INVESTIGATOR, work.site["GZ"])
    monitor_sh = Actor(None, "monitor_sh", m.Role.MONITOR, work.site["SH"])
    monitor_gz = Actor(None, "monitor_gz", m.Role.MONITOR, work.site["GZ"])
    refused = {}
    for who in (coord, inv, monitor_sh):
        for act in (verify_fields, unverify_fields):
            with pytest.raises(AuthorizationError) as exc:
                work(lambda u, act=act: act(u, "baselines", bid, ["sex"]), who)
            refused[(who.username, act.__name__)] = exc.value.rule
    assert refused == {
        ("coord_gz", "verify_fields"): "AUTH-ROLE",
        ("coord_gz", "unverify_fields"): "AUTH-ROLE",
        ("inv_gz", "verify_fields"): "AUTH-ROLE",
        ("inv_gz", "unverify_fields"): "AUTH-ROLE",
        ("monitor_sh", "verify_fields"): "DM-SITE",  # a site monitor of another site
        ("monitor_sh", "unverify_fields"): "DM-SITE",
    }
    assert _marks(sessions, bid) == {}
    work(lambda u: verify_fields(u, "baselines", bid, ["sex"]), monitor_gz)
    assert _marks(sessions, bid) == {"sex": (True, "monitor_gz", None)}


def test_bad_input_names_the_field_the_value_and_what_was_expected(work: Any) -> None:
    _, bid = _baseline(work)
    with pytest.raises(RuleViolation) as exc:
        work(lambda u: verify_fields(u, "baselines", bid, ["weight"]), MONITOR)
    assert (exc.value.rule, exc.value.field) == ("SDV-FIELD", "fields")
    assert exc.value.message.startswith(
        "[SDV-FIELD] fields: got 'weight'; expected a field of the baseline: assessment_date, "
        "age_years,"
    )
    with pytest.raises(RuleViolation, match=r"fields: got \[\]; expected at least one field"):
        work(lambda u: unverify_fields(u, "baselines", bid, []), MONITOR)
    with pytest.raises(RuleViolation, match="fields: got 'canonical_value'"):
        work(lambda u: verify_fields(u, "baselines", bid, ["canonical_value"]), MONITOR)
    with pytest.raises(DataValidationError, match="record_id: got 999"):
        work(lambda u: verify_fields(u, "baselines", 999, ["sex"]), MONITOR)


def test_progress_per_patient_counted_by_hand(work: Any, sessions: Any) -> None:
    # GZ-1: screening (3 fields) + baseline (17) + one lab (6) = 3 forms, 26 fields;
    # GZ-2: screening only = 1 form, 3 fields
    pid, bid = _baseline(work)
    lab = int(work(lambda u: labs.record_lab(u, pid, LAB, reason="form")))
    other = _enrol(work, "GZ-2")

    def counts() -> dict[int, SdvCounts]:
        with sessions() as s:
            return sdv_counts(s, [pid, other])

    assert counts() == {pid: SdvCounts(0, 3, 0, 26), other: SdvCounts(0, 1, 0, 3)}
    work(lambda u: verify_fields(u, "baselines", bid, ["weight_kg", "ecog"]), MONITOR)
    assert counts()[pid] == SdvCounts(0, 3, 2, 26)
    # every field of the lab verified one by one: the lab counts as a verified form
    for name in sdv_fields("lab_results"):
        work(lambda u, name=name: verify_fields(u, "lab_results", lab, [name]), MONITOR)
    assert counts()[pid] == SdvCounts(1, 3, 8, 26)
    # the baseline verified as a form: its 17 fields (2 of them already), the form
    work(lambda u: mark_complete(u, "baselines", bid))
    work(lambda u: verify_form(u, "baselines", bid), MONITOR)
    assert counts()[pid] == SdvCounts(2, 3, 23, 26)
    # one field changed: the baseline's form mark and that field's mark go, 16 fields stay
    _amend(work, sessions, bid, {"largest_cm": 7.0})
    assert counts()[pid] == SdvCounts(1, 3, 22, 26)
    with sessions() as s:
        assert sdv_progress(s, [pid, other]) == {pid: (1, 3), other: (0, 1)}
        # the pages' per-form views say the same as the counts
        records = [s.get(m.Baseline, bid), s.get(m.LabResult, lab)]
        records += list(s.scalars(select(m.Screening).where(m.Screening.patient_id == pid)))
        views = form_views(s, records).values()
    assert sum(v.verified for v in views) == 1
    assert (sum(v.fields_verified for v in views), sum(v.fields_total for v in views)) == (22, 26)


def test_the_audit_trail_covers_every_mark(work: Any, sessions: Any) -> None:
    from hcctrial.store.audit import verify_audit

    _, bid = _baseline(work)
    work(lambda u: verify_fields(u, "baselines", bid, ["sex", "ecog"]), MONITOR)
    work(lambda u: unverify_fields(u, "baselines", bid, ["sex"]), MONITOR)
    _amend(work, sessions, bid, {"ecog": 2})
    with sessions() as s:
        report = verify_audit(s)
        assert report.ok, report.problems
        entries = list(
            s.execute(
                select(m.AuditEntry.action, m.AuditEntry.actor, m.AuditEntry.reason)
                .where(m.AuditEntry.table_name == "field_verifications")
                .order_by(m.AuditEntry.seq)
            )
        )
    assert [(a.value, who, why) for a, who, why in entries] == [
        ("insert", "mon", "field verified against source"),
        ("insert", "mon", "field verified against source"),
        ("delete", "mon", "field verification withdrawn"),
        ("update", "nurse", "source verification cleared (ecog changed): typo"),
    ]
