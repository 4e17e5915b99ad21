"""Report inputs from the trial database, through the derivations of :mod:`hcctrial.derive`.

The derived analysis rows (:class:`hcctrial.derive.subject.SubjectRow`,
:class:`hcctrial.derive.endpoints.EndpointRow`) map one-to-one onto the report's records. Three
things the derivations do not carry are read here from the raw records:

- the target-lesion sum per scan (sum of the recorded diameters of the target lesions) and its %
  change from the baseline scan (the last scan on or before the first TACE-HAIC), for the waterfall
  (best = most negative change after baseline) and spider plots;
- time on treatment: from the first TACE-HAIC to 4 weeks (one nominal cycle) after the start of the
  last cycle, capped at the last contact;
- the disposition: screened patients (everyone in ``patients``), screen failures by their first
  criterion not met, enrolled, treated (>= 1 cycle), response-assessable (best response not NE);
- the dose history of the patients analysed (:func:`hcctrial.derive.dose_history.dose_history_rows`,
  the rows of ``dose_history.csv``), for the dose-intensity table.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from hcctrial.report.inputs import (
    Disposition,
    EndpointRecord,
    ReportInputs,
    SubjectRecord,
    SwimmerRecord,
    TumourMeasurement,
)

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.analysis.datasets import AnalysisDatasets
    from hcctrial.analysis.plan import PlanFile
    from hcctrial.derive.endpoints import EndpointRow
    from hcctrial.derive.records import PatientRecords
    from hcctrial.derive.subject import SubjectRow
    from hcctrial.protocol.schema import Regimen

__all__ = ["report_inputs_from_database", "report_inputs_from_derived", "screen_failure_reasons"]

DAYS_PER_MONTH = 30.4375
NOMINAL_CYCLE_DAYS = 28


def _months(a: date, b: date) -> float:
    return (b - a).days / DAYS_PER_MONTH


def _target_changes(rec: PatientRecords, day0: date) -> list[tuple[float, float]]:
    """(months, % change of the target sum) for each post-baseline scan."""
    scans = sorted(rec.imaging, key=lambda i: i.assessment_date)
    sums = []
    for s in scans:
        d = [
            les.diameter_mm
            for les in s.lesions
            if les.kind == "target" and les.diameter_mm is not None
        ]
        sums.append((s.assessment_date, float(sum(d)) if d else None))
    base = [v for dt, v in sums if dt <= day0 and v is not None]
    if not base or base[-1] == 0:
        return []
    b = base[-1]
    return [
        (_months(day0, dt), 100.0 * (v - b) / b) for dt, v in sums if dt > day0 and v is not None
    ]


def report_inputs_from_derived(
    records: tuple[PatientRecords, ...],
    subjects: tuple[SubjectRow, ...],
    endpoints: tuple[EndpointRow, ...],
    *,
    screen_failure_reasons: dict[str, str] | None = None,
    is_demo: bool = False,
    notes: tuple[str, ...] = (),
    datasets: AnalysisDatasets | None = None,
    regimen: Regimen | None = None,
) -> ReportInputs:
    """Return the report inputs from the raw records and their derived analysis rows.

    ``screen_failure_reasons``: study id -> the criterion that failed (for the CONSORT diagram);
    ``datasets``: the analysis datasets derived with the rows (the report analyses those);
    ``regimen``: the regimen of the dose history (default: the seed regimen, as
    ``dose_history.csv``).
    """
    from hcctrial.derive.dose_history import dose_history_rows

    by_id = {r.study_id: r for r in records}
    analysed_ids = {s.study_id for s in subjects}
    ends = tuple(
        EndpointRecord(e.study_id, e.endpoint, float(e.months), int(e.event)) for e in endpoints
    )
    os_rows = {e.study_id: e for e in ends if e.endpoint == "os"}
    subs: list[SubjectRecord] = []
    meas: list[TumourMeasurement] = []
    swim: list[SwimmerRecord] = []
    for s in subjects:
        rec = by_id[s.study_id]
        day0 = s.first_treatment_date
        changes = _target_changes(rec, day0)
        meas += [TumourMeasurement(s.study_id, m, c) for m, c in changes]
        best = min((c for _, c in changes), default=None)
        subs.append(
            SubjectRecord(
                study_id=s.study_id,
                sex=s.sex,
                age_years=float(s.age_years),
                largest_tumour_cm=float(s.largest_cm),
                child_pugh=f"{s.child_pugh_class}{s.child_pugh_score}"
                if s.child_pugh_class != "A"
                else f"A{s.child_pugh_score}",
                bclc=s.bclc_stage,
                ecog=s.ecog,
                vascular_invasion=s.vascular_invasion,
                portal_vein_invasion=s.portal_vein_invasion,
                extrahepatic_spread=s.extrahepatic_spread,
                hbv=s.hbv,
                hbv_dna_high=s.hbv_dna_high,
                cirrhosis=s.cirrhosis,
                afp_ng_ml=s.afp_baseline_ng_ml,
                imaging_modality=s.imaging_modality,
                best_response=s.best_response or None,
                best_change_pct=best,
                worst_grades={k: int(v) for k, v in s.worst_grades.items() if v is not None},
                n_cycles=s.n_cycles,
                major_deviations=sum(1 for d in rec.deviations if d.severity == "major"),
                withdrawn=rec.withdrawal is not None,
            )
        )
        osr = os_rows.get(s.study_id)
        last = osr.time_months if osr is not None else 0.0
        cycles = sorted(c.cycle_date for c in rec.cycles)
        treat = _months(day0, cycles[-1] + timedelta(days=NOMINAL_CYCLE_DAYS)) if cycles else 0.0
        swim.append(
            SwimmerRecord(
                s.study_id,
                min(treat, last) if last > 0 else treat,
                s.n_cycles,
                s.best_response,
                _months(day0, s.best_response_date)
                if s.best_response in ("CR", "PR") and s.best_response_date is not None
                else None,
                _months(day0, s.first_pd_date) if s.first_pd_date is not None else None,
                last if osr is not None and osr.event == 1 else None,
                last,
            )
        )
    enrolled = len(subjects)
    reasons = Counter((screen_failure_reasons or {}).values())
    screened = len(records)
    disp = Disposition(
        screened=screened,
        excluded=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        enrolled=enrolled,
        treated=sum(1 for s in subjects if s.n_cycles >= 1),
        assessable=sum(1 for s in subs if s.best_response not in (None, "NE")),
        analysed=enrolled,
        discontinued=_discontinued(subjects, by_id, os_rows),
        lost_to_follow_up=sum(
            1
            for s in subjects
            if (w := by_id[s.study_id].withdrawal) is not None and w.kind == "lost_to_follow_up"
        ),
    )
    from hcctrial.report.completeness import completeness

    return ReportInputs(
        tuple(subs),
        ends,
        tuple(meas),
        tuple(swim),
        disp,
        is_demo=is_demo,
        notes=notes,
        datasets=datasets,
        completeness=completeness(records),  # the database door adds who is set aside
        dose_history=tuple(
            dose_history_rows(
                [r for r in records if r.enrolled and r.study_id in analysed_ids], regimen
            )
        ),
    )


#: Withdrawal categories in words (the store's ``WithdrawalKind`` values).
_WITHDRAWAL_WORDS = {
    "consent_withdrawn": "Consent withdrawn",
    "adverse_event": "Adverse event",
    "investigator_decision": "Investigator's decision",
    "protocol_violation": "Protocol violation",
    "other": "Other reason",
}


def _discontinued(
    subjects: tuple[SubjectRow, ...],
    by_id: dict[str, PatientRecords],
    os_rows: dict[str, EndpointRecord],
) -> tuple[tuple[str, int], ...]:
    """Treated patients whose treatment ended, by the first reason that applies: a withdrawal
    (its category; lost to follow-up is its own CONSORT box), progression, death."""
    reasons: Counter[str] = Counter()
    for s in subjects:
        if s.n_cycles < 1:
            continue
        w = by_id[s.study_id].withdrawal
        kind = None if w is None else w.kind
        if kind == "lost_to_follow_up":
            continue
        if kind is not None:
            reasons[_WITHDRAWAL_WORDS.get(kind, kind.replace("_", " ").capitalize())] += 1
        elif s.first_pd_date is not None:
            reasons["Disease progression"] += 1
        elif (o := os_rows.get(s.study_id)) is not None and o.event == 1:
            reasons["Death"] += 1
    return tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))


def screen_failure_reasons(session: Any) -> dict[str, str]:
    """Return study id -> the reason in words of every screen failure (the one definition:
    :func:`hcctrial.services.patients.screen_failure_reasons`)."""
    from hcctrial.services.patients import screen_failure_reasons as reasons

    return reasons(session)


def _plan_regimen(plan: PlanFile) -> Regimen | None:
    """The regimen the plan names (None when it cannot be loaded: the seed regimen is used)."""
    from hcctrial.errors import HcctrialError
    from hcctrial.protocol.regimen import load_regimen

    try:
        return load_regimen(plan.plan.regimen)
    except HcctrialError:
        return None


def report_inputs_from_database(
    engine: Any, *, is_demo: bool | None = None, plan: PlanFile | None = None
) -> ReportInputs:
    """Load the raw records of ``engine``'s database, derive the datasets ``plan`` asks for
    (default: the seed plan), return report inputs.

    ``is_demo`` (default: every site's code is ``DEMO``, as the demo generator writes) adds the
    published-vs-reproduced section.
    """
    from sqlalchemy import select

    from hcctrial.analysis.plan import default_plan
    from hcctrial.analysis.trial import derive_trial
    from hcctrial.derive.records import load_patient_records
    from hcctrial.errors import DataValidationError
    from hcctrial.services.locks import dataset_sentence, dataset_state
    from hcctrial.store import models as m
    from hcctrial.store.session import open_session

    with open_session(engine) as session:
        records = load_patient_records(session)
        failures = screen_failure_reasons(session)
        site_codes = set(session.execute(select(m.table_of(m.Site).c.code)).scalars())
        dataset = dataset_sentence(dataset_state(session))  # what this report read (issue 16)
    enrolled = tuple(r for r in records if r.enrolled)
    if not enrolled:
        raise DataValidationError(
            "database: no enrolled patients; expected a trial with at least one enrolled patient "
            "(run `hcctrial demo` or `hcctrial import` first)",
            field="database",
        )
    from dataclasses import replace

    from hcctrial.report.completeness import analysable_records, completeness
    from hcctrial.report.provenance import database_lock_state

    pf = plan or default_plan()
    aside: tuple[tuple[str, str], ...] = ()
    try:
        subjects, endpoints, datasets = derive_trial(records, pf)
    except DataValidationError:
        # mid-trial: set aside the patients the derivations cannot use yet, analyse the others
        usable, aside = analysable_records(records, pf)
        if not any(r.enrolled for r in usable):
            raise DataValidationError(
                f"database: none of the {len(enrolled)} enrolled patients can be analysed yet "
                f"(e.g. {aside[0][0]}: {aside[0][1]}); expected at least one patient with a "
                "baseline record",
                field="database",
            ) from None
        subjects, endpoints, datasets = derive_trial(usable, pf)
        records = usable + tuple(r for r in records if r.study_id in {a for a, _ in aside})
    demo = is_demo if is_demo is not None else site_codes == {"DEMO"}
    analysed = tuple(r for r in records if r.study_id not in {a for a, _ in aside})
    inputs = report_inputs_from_derived(
        analysed,
        subjects,
        endpoints,
        screen_failure_reasons=failures,
        is_demo=demo,
        notes=(dataset,),
        datasets=datasets,
        regimen=_plan_regimen(pf),
    )
    if aside and inputs.disposition is not None:
        reasons = Counter(why for _, why in aside)
        inputs = replace(
            inputs,
            disposition=replace(
                inputs.disposition,
                screened=len(records),
                enrolled=sum(1 for r in records if r.enrolled),
                not_analysed=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
            ),
        )
    return replace(
        inputs,
        lock_state=database_lock_state(engine),
        completeness=completeness(records, aside),
    )
