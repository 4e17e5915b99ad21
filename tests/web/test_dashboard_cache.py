"""The incremental dashboard (hcctrial.web.dashboard_cache) against the reference computed from
scratch (hcctrial.web.dashboard.dashboard_data: every patient loaded by
hcctrial.derive.records.load_patient_records and derived again), on the demo trial (82 screened,
66 enrolled) and after audited changes of every kind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

ACTOR = {"actor": "test", "reason": "dashboard cache test"}


@pytest.fixture
def demo(demo_database_copy: Path) -> Iterator[Any]:
    """A session factory on a private copy of the demo trial (built once per test process)."""
    from hcctrial.store.session import make_engine, session_factory

    engine = make_engine(f"sqlite:///{demo_database_copy}")
    yield session_factory(engine)
    engine.dispose()


def _reference(factory: Any) -> Any:
    from hcctrial.web.dashboard import dashboard_data

    with factory() as s:
        return dashboard_data(s)


def _cached(factory: Any, cache: Any) -> Any:
    with factory() as s:
        return cache.data(s)


def test_records_of_some_patients_equal_the_whole_trial_loader(demo: Any) -> None:
    from sqlalchemy import select

    from hcctrial.derive.records import load_patient_records, records_by_patient_id
    from hcctrial.store import models as m

    with demo() as s:
        every = {r.study_id: r for r in load_patient_records(s)}
        ids = list(s.scalars(select(m.Patient.id)))
        some = records_by_patient_id(s, ids)
        assert len(some) == len(every) == 82
        for rec in some.values():
            assert rec == every[rec.study_id], rec.study_id
        assert records_by_patient_id(s, []) == {}
        assert records_by_patient_id(s, [10**6]) == {}  # an absent patient is left out


def test_first_dashboard_equals_the_reference(demo: Any) -> None:
    from hcctrial.web.dashboard_cache import DashboardCache

    cache = DashboardCache(min_interval_s=0)
    data = _cached(demo, cache)
    assert data == _reference(demo)
    # the demo trial reproduces the paper: 66 enrolled of 82 screened, all analysable
    assert (data.screened, data.enrolled, data.analysed) == (82, 66, 66)
    assert cache.stats["rebuilds"] == 1
    assert _cached(demo, cache) is data  # nothing changed: the same object, no work
    assert cache.stats["refreshes"] == 0


def _change_every_kind(factory: Any) -> set[int]:
    """Audited changes touching five patients through every path; returns their ids."""
    from sqlalchemy import select

    from hcctrial.services.persistence import create, create_many, delete, update
    from hcctrial.store import models as m

    with factory() as s, s.begin():
        enrolled = list(
            s.scalars(
                select(m.Patient.id)
                .where(m.Patient.enrolment_date.is_not(None))
                .order_by(m.Patient.id)
            )
        )
        a, b, c, d, e = enrolled[:5]
        # a: a treatment-emergent platelet count of 20 x10^9/L (CTCAE grade 4, < 25)
        create_many(
            s,
            m.LabResult,
            [
                {
                    "patient_id": a,
                    "sample_date": date(2030, 1, 1),
                    "analyte": "platelets",
                    "value_entered": 20,
                    "unit_entered": "x10^9/L",
                    "lln": 150,
                    "uln": 400,
                }
            ],
            **ACTOR,
        )
        # b: a lesion of its last scan changes (reaches the patient through the scan)
        scan = s.scalars(
            select(m.ImagingAssessment)
            .where(m.ImagingAssessment.patient_id == b)
            .order_by(m.ImagingAssessment.assessment_date.desc())
        ).first()
        lesion = s.scalars(
            select(m.LesionMeasurement).where(
                m.LesionMeasurement.imaging_id == scan.id,
                m.LesionMeasurement.kind == m.LesionKind.TARGET,
            )
        ).first()
        update(
            s,
            m.LesionMeasurement,
            lesion.id,
            {"diameter_mm": 200.0},
            expected_version=lesion.version,
            **ACTOR,
        )
        # c: the last follow-up says dead
        f = s.scalars(
            select(m.Followup).where(m.Followup.patient_id == c).order_by(m.Followup.id.desc())
        ).first()
        update(s, m.Followup, f.id, {"vital_status": "dead"}, expected_version=f.version, **ACTOR)
        # d: a dose given changes (reaches the patient through the cycle)
        dose = s.scalars(
            select(m.CycleDose)
            .join(m.TreatmentCycle, m.TreatmentCycle.id == m.CycleDose.cycle_id)
            .where(m.TreatmentCycle.patient_id == d)
        ).first()
        update(
            s,
            m.CycleDose,
            dose.id,
            {"given_mg": dose.given_mg / 2},
            expected_version=dose.version,
            **ACTOR,
        )
        # e: an adverse event is deleted
        ae = s.scalars(select(m.AdverseEvent).where(m.AdverseEvent.patient_id == e)).first()
        if ae is not None:
            delete(s, m.AdverseEvent, ae.id, expected_version=ae.version, **ACTOR)
        # a new patient, screened and not enrolled
        site = s.scalars(select(m.Site.id)).first()
        new = create(
            s,
            m.Patient,
            {"study_id": "NEW-1", "site_id": site, "status": "screen_failure"},
            **ACTOR,
        )
    return {a, b, c, d, e, new.id}


def test_refresh_after_changes_equals_the_reference_and_derives_only_those_patients(
    demo: Any,
) -> None:
    from hcctrial.web.dashboard_cache import DashboardCache

    cache = DashboardCache(min_interval_s=0)
    before = _cached(demo, cache)
    changed = _change_every_kind(demo)
    after = _cached(demo, cache)
    assert after == _reference(demo)
    assert after != before
    assert after.screened == before.screened + 1
    assert cache.stats["rebuilds"] == 1 and cache.stats["refreshes"] == 1
    # 82 patients at the first build, then only the six touched ones
    assert cache.stats["derived"] == 82 + len(changed)


def test_deleted_patient_leaves_the_dashboard(demo: Any) -> None:
    from sqlalchemy import select

    from hcctrial.services.persistence import create, delete
    from hcctrial.store import models as m
    from hcctrial.web.dashboard_cache import DashboardCache

    cache = DashboardCache(min_interval_s=0)
    with demo() as s, s.begin():
        site = s.scalars(select(m.Site.id)).first()
        p = create(
            s, m.Patient, {"study_id": "GONE", "site_id": site, "status": "screening"}, **ACTOR
        )
    assert _cached(demo, cache).screened == 83
    with demo() as s, s.begin():
        delete(s, m.Patient, p.id, expected_version=1, **ACTOR)
    data = _cached(demo, cache)
    assert data.screened == 82
    assert data == _reference(demo)


def test_under_continuous_writes_a_result_at_most_min_interval_old_is_served(
    demo: Any,
) -> None:
    from hcctrial.web.dashboard_cache import DashboardCache

    cache = DashboardCache(min_interval_s=3600)
    before = _cached(demo, cache)
    _change_every_kind(demo)
    assert _cached(demo, cache) is before  # within the interval: the previous result
    assert cache.stats["stale"] == 1
    cache.min_interval_s = 0
    assert _cached(demo, cache) == _reference(demo)
