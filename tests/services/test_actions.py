"""The trial's actions: the patient's state machine, corrections, moves, and rules on records
saved before a rule existed. Each test names the rule or transition it checks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from hcctrial.errors import AuthorizationError, RuleRefusal, RuleViolation, StateConflictError
from hcctrial.services import amend, cycles, follow_up, labs, patients, scans
from hcctrial.services.permissions import Actor
from hcctrial.services.unit_of_work import UnitOfWork
from hcctrial.store import models as m
from tests.support import REPO

TODAY = date(2026, 3, 2)
ELIGIBLE = json.loads((REPO / "examples/patients/eligible_bclc_b.json").read_text())
BASELINE = {
    "assessment_date": "2026-01-05",
    "age_years": 54,
    "sex": "male",
    "height_cm": 170,
    "weight_kg": 65,
    "ecog": 0,
    "n_nodules": 3,
    "largest_cm": 6.5,
    "vascular_invasion": False,
    "portal_vein_invasion": False,
    "extrahepatic_spread": False,
    "hbv": True,
    "cirrhosis": True,
    "imaging_modality": "mri",
    "ascites": "none",
    "encephalopathy": "none",
}
DOSE = {"drug": "oxaliplatin", "planned_mg": 131, "given_mg": 131}


@pytest.fixture
def work(sessions: Any) -> Iterator[Callable[..., Any]]:
    """``work(fn, actor=None)`` runs ``fn(uow)`` in one committed transaction and returns its
    result (a refusal rolls the transaction back)."""
    site: dict[str, int] = {}

    def run(fn: Callable[[UnitOfWork], Any], actor: Actor | None = None) -> Any:
        with sessions() as s, s.begin():
            uow = UnitOfWork(s, actor or Actor.system("nurse"), today=TODAY)
            return fn(uow)

    from hcctrial.services.accounts import add_site

    site["GZ"] = run(lambda u: add_site(u, code="GZ", name="Guangzhou", reason="setup"))
    site["SH"] = run(lambda u: add_site(u, code="SH", name="Shanghai", reason="setup"))
    run.site = site  # type: ignore[attr-defined]
    yield run


def _enrol(work: Any, study_id: str = "GZ-1", **patient: Any) -> int:
    data = {**ELIGIBLE, **patient}
    return int(
        work(
            lambda u: (
                patients.screen_and_enrol(
                    u,
                    study_id=study_id,
                    site_id=work.site["GZ"],
                    screening_date="2026-01-05",
                    patient=data,
                    reason="form",
                ).patient_id
            )
        )
    )


def _status(sessions: Any, pid: int) -> m.PatientStatus:
    with sessions() as s:
        patient = s.get(m.Patient, pid)
        assert patient is not None
        return patient.status


def _treated(work: Any) -> tuple[int, int]:
    pid = _enrol(work)
    work(lambda u: patients.record_baseline(u, pid, BASELINE, reason="form"))
    cid = work(
        lambda u: cycles.start_cycle(u, pid, cycle_date="2026-01-12", doses=[DOSE], reason="f")
    )
    return pid, cid


# ----------------------------------------------------------------------------- state machine
def test_screen_and_enrol_enrols_an_eligible_patient_on_the_screening_date(
    work: Any, sessions: Any
) -> None:
    pid = _enrol(work)
    with sessions() as s:
        p = s.get(m.Patient, pid)
        assert p is not None and (p.status, p.enrolment_date) == (
            m.PatientStatus.ENROLLED,
            date(2026, 1, 5),
        )
        verdicts = set(s.scalars(select(m.ScreeningCriterion.verdict)))
        assert verdicts == {m.Verdict.MET}  # the engine's vocabulary, stored as is


def test_a_criterion_not_met_makes_a_screen_failure_with_its_reason(
    work: Any, sessions: Any
) -> None:
    labs_ = {**ELIGIBLE["labs"], "wbc": "2.5 x10^9/L"}  # WBC must be > 3.0 x10^9/L
    pid = _enrol(work, "GZ-F", labs=labs_)
    assert _status(sessions, pid) is m.PatientStatus.SCREEN_FAILURE
    with sessions() as s:
        assert patients.screen_failure_reasons(s) == {"GZ-F": "WBC too low"}


def test_an_undecidable_screening_is_refused_and_nothing_is_written(
    work: Any, sessions: Any
) -> None:
    labs_ = {k: v for k, v in ELIGIBLE["labs"].items() if k != "lvef"}
    with pytest.raises(RuleViolation) as err:
        _enrol(work, "GZ-U", labs=labs_)
    assert err.value.rule == "SCREEN-UNDECIDED" and "lvef" in err.value.message
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(m.Patient)) == 0


def test_transitions_enrolled_on_treatment_off_treatment(work: Any, sessions: Any) -> None:
    pid, _ = _treated(work)
    assert _status(sessions, pid) is m.PatientStatus.ON_TREATMENT  # the first cycle
    work(lambda u: cycles.end_treatment(u, pid, reason="8 cycles given"))
    assert _status(sessions, pid) is m.PatientStatus.OFF_TREATMENT
    with pytest.raises(StateConflictError) as err:  # treatment has ended: no new cycle
        work(lambda u: cycles.start_cycle(u, pid, cycle_date="2026-02-20", reason="f"))
    assert err.value.rule == "STATE-TRANSITION"
    with pytest.raises(StateConflictError) as err:  # and it ends once
        work(lambda u: cycles.end_treatment(u, pid, reason="again"))
    assert err.value.rule == "STATE-TRANSITION"
    contact = {"contact_date": "2026-02-25", "vital_status": "alive"}
    work(lambda u: follow_up.record_follow_up(u, pid, contact, reason="call"))
    assert _status(sessions, pid) is m.PatientStatus.FOLLOW_UP


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        ("consent_withdrawn", m.PatientStatus.WITHDRAWN),
        ("lost_to_follow_up", m.PatientStatus.LOST_TO_FOLLOW_UP),
    ],
)
def test_withdrawal_then_death(work: Any, sessions: Any, kind: str, state: Any) -> None:
    pid, _ = _treated(work)
    values = {"withdrawal_date": "2026-01-20", "kind": kind, "reason": "moved"}
    work(lambda u: follow_up.withdraw(u, pid, values, reason="form"))
    assert _status(sessions, pid) is state
    # after a withdrawal only vital-status follow-up is dated (AFTER-WITHDRAWAL)
    lab = {"sample_date": "2026-01-25", "analyte": "albumin", "value_entered": 35}
    with pytest.raises(RuleViolation) as err:
        work(lambda u: labs.record_lab(u, pid, lab | {"unit_entered": "g/L"}, reason="f"))
    assert err.value.rule == "AFTER-WITHDRAWAL"
    work(
        lambda u: follow_up.record_death(
            u, pid, death_date="2026-02-10", cause="registry", reason="registry"
        )
    )
    assert _status(sessions, pid) is m.PatientStatus.DECEASED


def test_every_change_of_state_is_audited_with_the_action(work: Any, sessions: Any) -> None:
    pid, _ = _treated(work)
    with sessions() as s:
        entries = s.scalars(
            select(m.AuditEntry).where(
                m.AuditEntry.table_name == "patients", m.AuditEntry.row_pk == str(pid)
            )
        ).all()
    reasons = [e.reason for e in entries]
    assert reasons == ["form", "status on_treatment after: start cycle"]


# ------------------------------------------------------------------------------ corrections
def test_deleting_the_only_cycle_puts_the_patient_back_to_enrolled(
    work: Any, sessions: Any
) -> None:
    pid, cid = _treated(work)
    with sessions() as s:
        dose = s.scalars(select(m.CycleDose).where(m.CycleDose.cycle_id == cid)).one()
    with pytest.raises(StateConflictError) as err:  # its dose line still refers to it
        work(
            lambda u: amend.delete_record(
                u, m.TreatmentCycle, cid, expected_version=1, reason="wrong patient"
            )
        )
    assert err.value.rule == "DELETE-REFERENCED"
    assert _status(sessions, pid) is m.PatientStatus.ON_TREATMENT
    work(lambda u: amend.delete_record(u, m.CycleDose, dose.id, expected_version=1, reason="x"))
    work(lambda u: amend.delete_record(u, m.TreatmentCycle, cid, expected_version=1, reason="x"))
    assert _status(sessions, pid) is m.PatientStatus.ENROLLED


def test_a_status_is_not_edited_directly(work: Any, sessions: Any) -> None:
    pid = _enrol(work)
    with pytest.raises(StateConflictError) as err:
        work(
            lambda u: amend.amend_record(
                u, m.Patient, pid, {"status": "deceased"}, expected_version=1, reason="x"
            )
        )
    assert err.value.rule == "STATUS-DIRECT"
    assert _status(sessions, pid) is m.PatientStatus.ENROLLED


def test_enrolment_moved_after_the_death_is_refused(work: Any) -> None:
    pid = _enrol(work)
    work(lambda u: follow_up.record_death(u, pid, death_date="2026-02-01", cause="x", reason="f"))
    with pytest.raises(RuleViolation) as err:
        work(
            lambda u: amend.amend_record(
                u,
                m.Patient,
                pid,
                {"enrolment_date": "2026-02-05"},
                expected_version=2,
                reason="typo",
            )
        )
    assert err.value.rule == "AFTER-DEATH"


def test_a_lesion_moves_to_another_scan_of_its_patient_but_not_to_another_patient(
    work: Any, sessions: Any
) -> None:
    t1 = {"lesion_id": "T1", "kind": "target", "organ": "liver", "diameter_mm": 50}
    # a new lesion of the follow-up, entered on the scan after it by mistake (a scan is saved with
    # its lesions, SCAN-LESIONS, and both scans stay assessable by mRECIST, SCAN-ASSESSABLE)
    new = {"lesion_id": "N1", "kind": "new", "organ": "liver", "diameter_mm": 12}

    def scan(pid: int, day: str, rows: Any) -> int:
        values = {"assessment_date": day, "modality": "mri"}
        return int(work(lambda u: scans.record_scan(u, pid, values, rows, reason="f")))

    a, b = _enrol(work, "GZ-A"), _enrol(work, "GZ-B")
    scan(a, "2026-01-06", [t1])
    second = scan(a, "2026-02-06", [t1])
    third = scan(a, "2026-02-27", [t1, new])
    other = scan(b, "2026-01-06", [t1])
    with sessions() as s:
        lid = s.scalars(
            select(m.LesionMeasurement.id).where(m.LesionMeasurement.lesion_id == "N1")
        ).one()
    with pytest.raises(RuleViolation) as err:  # same site, another patient: no clinical sense
        work(
            lambda u: amend.amend_record(
                u,
                m.LesionMeasurement,
                lid,
                {"imaging_id": other},
                expected_version=1,
                reason="wrong scan",
            )
        )
    assert err.value.rule == "RECORD-MOVE"
    work(
        lambda u: amend.amend_record(
            u,
            m.LesionMeasurement,
            lid,
            {"imaging_id": second},
            expected_version=1,
            reason="entered on the wrong scan of this patient",
        )
    )
    with sessions() as s:
        assert s.get(m.LesionMeasurement, lid).imaging_id == second != third


def test_a_site_b_user_cannot_move_a_record_into_site_a(work: Any) -> None:
    """The critical attack of the issue: the site check covers the new parent, not just the
    record's own site before the change."""
    a = _enrol(work, "GZ-A")
    sh = int(
        work(
            lambda u: (
                patients.screen_and_enrol(
                    u,
                    study_id="SH-1",
                    site_id=work.site["SH"],
                    screening_date="2026-01-05",
                    patient=ELIGIBLE,
                    reason="form",
                ).patient_id
            )
        )
    )
    work(lambda u: patients.record_baseline(u, a, BASELINE, reason="f"))
    work(lambda u: patients.record_baseline(u, sh, BASELINE, reason="f"))
    a_cycle = work(lambda u: cycles.start_cycle(u, a, cycle_date="2026-01-12", reason="f"))
    sh_cycle = work(
        lambda u: cycles.start_cycle(u, sh, cycle_date="2026-01-12", doses=[DOSE], reason="f")
    )
    coordinator = Actor(99, "coord_sh", m.Role.COORDINATOR, work.site["SH"])
    dose_id = work(lambda u: u.session.scalars(select(m.CycleDose.id)).one())
    with pytest.raises(AuthorizationError) as err:
        work(
            lambda u: amend.amend_record(
                u,
                m.CycleDose,
                dose_id,
                {"cycle_id": a_cycle, "given_mg": 9999},
                expected_version=1,
                reason="x",
            ),
            coordinator,
        )
    assert err.value.rule == "AUTH-SITE"
    assert sh_cycle != a_cycle


# ------------------------------------------------------------------ rules on older records
def test_a_record_saved_before_a_rule_does_not_block_other_work_on_the_patient(
    work: Any, sessions: Any
) -> None:
    """Findings the records already had are not the new change's: only what a change brings
    refuses it."""
    from hcctrial.services.persistence import create

    pid = _enrol(work)
    with sessions() as s, s.begin():  # a lab from before the rules: dated in 2035
        create(
            s,
            m.LabResult,
            {"patient_id": pid, "sample_date": "2035-01-01", "analyte": "albumin"}
            | {"value_entered": 35, "unit_entered": "g/L"},
            actor="legacy",
            reason="legacy import",
        )
    lab = {"analyte": "albumin", "value_entered": 36, "unit_entered": "g/L"}
    work(lambda u: labs.record_lab(u, pid, lab | {"sample_date": "2026-01-20"}, reason="f"))
    with pytest.raises(RuleViolation) as err:
        work(lambda u: labs.record_lab(u, pid, lab | {"sample_date": "2035-02-01"}, reason="f"))
    assert err.value.rule == "DATE-FUTURE"


def test_a_refusal_lists_every_finding_and_names_the_first_by_priority(work: Any) -> None:
    pid = _enrol(work)
    monitor = Actor(7, "mon", m.Role.MONITOR, None)
    lab = {"sample_date": "2035-01-01", "analyte": "albumin", "value_entered": 35}
    with pytest.raises(RuleRefusal) as err:
        work(lambda u: labs.record_lab(u, pid, lab | {"unit_entered": "g/L"}, reason="f"), monitor)
    assert err.value.rule == "AUTH-ROLE"  # who may act is decided before the values
