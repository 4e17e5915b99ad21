"""Write the demo trial into a database as raw records, through the application services.

:func:`build_records` turns a :class:`~hcctrial.demo.cohort.DemoCohort` into rows of every table
(pure: no database), and :func:`write_demo_trial` imports them in one transaction through
:func:`hcctrial.services.imports.import_rows`: every rule of the trial applies to the demo as to a
form's save (``docs/rules.md``), so the demo trial is one the rules accept.

What is written is what a research nurse records, never an outcome:

- a site and one user per role;
- every screened patient with the per-criterion verdicts of
  :func:`hcctrial.protocol.eligibility.screen_patient` (screen failures included);
- baseline demographics and tumour burden, and baseline labs *with units* (bilirubin in umol/L,
  albumin in g/L and creatinine in umol/L for every second patient) chosen so that the Child-Pugh
  engine gives the intended A5 / A6 / B7;
- treatment cycles every 28-42 days with planned (full level) and given doses of each drug from
  :func:`hcctrial.protocol.dosing.dose_sheet`: sorafenib 200 mg bid in cycle 1, 400 mg bid from cycle
  2, reduced to 600 / 400 mg/day after hand-foot skin reaction grade 2 / 3; HAIC at level -1 after
  grade 3-4 myelosuppression or transaminase rise; TACE-HAIC stops at PD, at CR, after 8 cycles;
- labs before (day 1) and one week after each cycle, whose CTCAE grades give Table 3's worst grades;
- clinical adverse events with the clinician's grade;
- imaging with each lesion's viable diameter and the AFP, every 2 cycles then every 3 months, the last
  scan on the skeleton's PFS day (the PD scan when the patient progressed);
- follow-up contacts (death on the OS day; survivors seen at the 2018-05-31 cut-off; a first
  contact when response follow-up ended, once the last cycle, lab and adverse event are past) and,
  for patients whose response imaging stopped early, a withdrawal from protocol imaging dated after
  their last clinical record (only vital-status follow-up follows a withdrawal);
- each patient's status as the state machine gives it (deceased, withdrawn, in follow-up; screen
  failures).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from hcctrial.demo.cohort import DATA_CUTOFF, DemoCohort, DemoPatient, build_cohort
from hcctrial.demo.measurements import LAB_SPECS, lab_value, scan_days, target_factors
from hcctrial.demo.screening_files import (
    AFP_ULN_NG_ML,
    baseline_labs,
    failure_input,
    screening_input,
)
from hcctrial.errors import DataValidationError

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.engine import Engine


__all__ = ["AFP_ULN_NG_ML", "DemoSummary", "build_records", "write_demo_trial"]

ACTOR = "demo-generator"


@cache
def _clinical_terms() -> dict[str, str]:
    """Clinical (non-lab) Table 3 rows and the CTCAE term the nurse records: the row's first
    clinical term in the seed plan's adverse-event table (the one definition)."""
    from hcctrial.analysis.plan import default_plan

    rows = default_plan().plan.adverse_events.terms
    return {t.key: t.clinical_terms[0] for t in rows if t.clinical_terms}


_HAIC_DRUGS = ("epirubicin", "oxaliplatin", "fluorouracil", "leucovorin")


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`write_demo_trial` wrote: rows per table, and the cohort it came from."""

    rows: dict[str, int]
    cohort: DemoCohort


def _add_pre_cycle_panel(
    ids: Any, pid: int, labs: dict[str, Any], cycle_days: list[int], day: Any
) -> None:
    """The regimen's pre-cycle labs (``[pre_cycle].labs``) inside its window, so that the course
    engine finds what it requires before each cycle: the day before cycle 1 the screening values
    again, before each later cycle the analytes not drawn with the blood counts and liver tests
    (albumin, INR, creatinine) as at screening. No random draw: the rest of the demo (and every
    reproduced figure) is unchanged."""
    required = [str(getattr(a, "value", a)) for a in _regimen().pre_cycle.labs]
    drawn = ("anc", "platelets", "alt", "ast", "bilirubin")  # by the labs-over-time draws
    for n, cd in enumerate(cycle_days, start=1):
        wanted = required if n == 1 else [a for a in required if a not in drawn]
        for analyte in wanted:
            value, unit, uln, lln = labs[analyte]
            ids.add(
                "lab_results",
                {
                    "patient_id": pid,
                    "sample_date": day(cd - 1 if n == 1 else cd),
                    "analyte": analyte,
                    "value_entered": value,
                    "unit_entered": unit,
                    "uln": uln,
                    "lln": lln,
                },
            )


@cache
def _regimen() -> Any:
    from hcctrial.protocol.regimen import default_regimen

    return default_regimen()


@cache
def _sheet(bsa: float, cp_class: str, level: int, sorafenib_level: int | str) -> dict[str, float]:
    from hcctrial.protocol.dosing import dose_sheet

    sheet = dose_sheet(
        _regimen(),
        bsa_m2=bsa,
        child_pugh_class=cp_class,
        level=level,
        sorafenib_level=sorafenib_level,  # type: ignore[arg-type]
    )
    return {d.name: d.dose_mg for d in sheet.drugs}


class _Ids:
    """Explicit ids per table, so children can point at parents before anything is inserted."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def add(self, table: str, row: dict[str, Any]) -> int:
        rows = self.rows.setdefault(table, [])
        row = {"id": len(rows) + 1, **row}
        rows.append(row)
        return int(row["id"])


def _add_screening(ids: _Ids, patient_id: int, day: date, result: Any, notes: str | None) -> None:
    sid = ids.add(
        "screenings",
        {
            "patient_id": patient_id,
            "screening_date": day,
            "eligible": bool(result.eligible),
            "notes": notes,
        },
    )
    for c in result.criteria:
        ids.add(
            "screening_criteria",
            {
                "screening_id": sid,
                "criterion_id": c.id,
                "verdict": c.verdict,  # the engine's verdict, stored as is (one vocabulary)
                "value": None if c.value is None else str(c.value)[:200],
                "threshold": c.threshold[:200],
                "reason": c.reason,
            },
        )


def _cycle_days(rng: random.Random, p: DemoPatient, cr_day: int | None) -> list[int]:
    """Day of each TACE-HAIC cycle: every 28-42 days, at most 8, none on/after PD, none after the
    CR scan, none within 2 weeks of death, none after the last response scan + 4 weeks."""
    limit = p.pfs_days - 1 if p.progressed else p.pfs_days + 28
    if p.died:
        limit = min(limit, p.os_days - 14)
    if cr_day is not None:
        limit = min(limit, cr_day)
    days = [0]
    while len(days) < 8:
        nxt = days[-1] + rng.randint(28, 42)
        if nxt > limit:
            break
        days.append(nxt)
    return days


def _patient_records(ids: _Ids, rng: random.Random, p: DemoPatient, site_id: int) -> None:
    from hcctrial.clinical.body import body_surface_area_m2
    from hcctrial.protocol.eligibility import screen_patient
    from hcctrial.store.models import (
        Ascites,
        Attribution,
        Encephalopathy,
        ImagingModality,
        LesionKind,
        LesionStatus,
        PatientStatus,
        Sex,
        VitalStatus,
        WithdrawalKind,
    )

    start = p.start_date

    def day(n: int) -> date:
        return start + timedelta(days=n)

    status = PatientStatus.DECEASED if p.died else PatientStatus.FOLLOW_UP
    if not p.died and not p.progressed and p.os_days - p.pfs_days > 120:
        status = PatientStatus.WITHDRAWN  # see the withdrawal below
    pid = ids.add(
        "patients",
        {"study_id": p.study_id, "site_id": site_id, "enrolment_date": start, "status": status},
    )
    labs = baseline_labs(rng, p)
    ascites = "slight" if p.child_pugh == "B7" else "none"
    screen = screen_patient(screening_input(p, labs, ascites), _regimen())
    intended_cp = screen.child_pugh.label if screen.child_pugh else None
    if screen.eligible is not True or intended_cp != p.child_pugh:
        raise DataValidationError(
            f"demo patient {p.study_id}: screening gave eligible={screen.eligible}, Child-Pugh "
            f"{intended_cp}; expected eligible and {p.child_pugh}",
            field="cohort",
        )
    screening_day = day(-14)
    _add_screening(ids, pid, screening_day, screen, None)
    ids.add(
        "baselines",
        {
            "patient_id": pid,
            "assessment_date": day(-10),
            "age_years": p.age_years,
            "sex": Sex(p.sex),
            "height_cm": p.height_cm,
            "weight_kg": p.weight_kg,
            "n_nodules": p.n_nodules,
            "largest_cm": p.largest_cm,
            "vascular_invasion": p.vascular_invasion,
            "portal_vein_invasion": p.portal_vein_invasion,
            "extrahepatic_spread": p.extrahepatic_spread,
            "hbv": p.hbv,
            # > 2 x 10^3 copies/mL is >= 1,000 IU/mL here and <= 200 IU/mL otherwise (1 IU ~ 5-6
            # copies), so the Table 1 split does not depend on the conversion factor
            "hbv_dna_iu_ml": (
                round(rng.uniform(1_000, 500_000))
                if p.hbv_dna_high
                else round(rng.uniform(20, 200))
            )
            if p.hbv
            else None,
            "cirrhosis": p.cirrhosis,
            "ecog": p.ecog,
            "imaging_modality": ImagingModality(p.imaging.lower()),
            "ascites": Ascites(ascites),
            "encephalopathy": Encephalopathy.NONE,
        },
    )
    for analyte, (value, unit, uln, lln) in labs.items():
        ids.add(
            "lab_results",
            {
                "patient_id": pid,
                "sample_date": screening_day,
                "analyte": analyte,
                "value_entered": value,
                "unit_entered": unit,
                "uln": uln,
                "lln": lln,
            },
        )

    # ----------------------------------------------------------------- imaging (measurements)
    plan = scan_days(rng, p.pfs_days, p.pd_at_first_scan, p.best_response)
    factors = target_factors(rng, len(plan.days), p.best_response, p.progressed, plan.cr_index)
    cr_day = plan.days[plan.cr_index] if plan.cr_index is not None else None
    t1 = round(p.largest_cm * 10, 1)
    targets = {"T1": t1}
    if p.n_nodules >= 2:
        targets["T2"] = round(min(t1, rng.uniform(12, 35)), 1)
    non_targets = []
    if p.vascular_invasion:
        non_targets.append(("NT1", "liver"))  # tumour thrombus
    if p.extrahepatic_spread:
        non_targets.append(("NT2", "lung"))
    modality = ImagingModality(p.imaging.lower())
    afp0 = labs["afp"][0]
    new_lesion_pd = p.progressed and (p.best_response == "CR" or rng.random() < 0.5)
    scans = [(-7, 1.0), *list(zip(plan.days, factors, strict=True))]
    for k, (d, f) in enumerate(scans):
        is_pd_scan = p.progressed and k == len(scans) - 1
        in_cr = f == 0.0 and not is_pd_scan
        if is_pd_scan and new_lesion_pd and p.best_response != "CR":
            f = factors[-2] if len(factors) > 1 else 1.0  # targets unchanged; a new nodule
        afp = (
            round(rng.uniform(2.0, 15.0), 1)
            if in_cr
            else round(max(afp0 * (max(f, 0.05) ** 1.5) * (1.6 if is_pd_scan else 1.0), 1.5), 1)
        )
        iid = ids.add(
            "imaging_assessments",
            {"patient_id": pid, "assessment_date": day(d), "modality": modality, "afp_ng_ml": afp},
        )
        for lid, base in targets.items():
            ids.add(
                "lesion_measurements",
                {
                    "imaging_id": iid,
                    "lesion_id": lid,
                    "kind": LesionKind.TARGET,
                    "organ": "liver",
                    "diameter_mm": round(base * f, 1),
                    "status": None,
                    "typical_pattern": True,
                },
            )
        for lid, organ in non_targets:
            st = LesionStatus.ABSENT if in_cr or (f == 0.0 and k > 0) else LesionStatus.PRESENT
            ids.add(
                "lesion_measurements",
                {
                    "imaging_id": iid,
                    "lesion_id": lid,
                    "kind": LesionKind.NON_TARGET,
                    "organ": organ,
                    "diameter_mm": None,
                    "status": st,
                    "typical_pattern": None,
                },
            )
        if is_pd_scan and new_lesion_pd:
            ids.add(
                "lesion_measurements",
                {
                    "imaging_id": iid,
                    "lesion_id": "N1",
                    "kind": LesionKind.NEW,
                    "organ": "liver",
                    "diameter_mm": round(rng.uniform(14, 25), 1),
                    "status": LesionStatus.PRESENT,
                    "typical_pattern": True,
                },
            )

    # ------------------------------------------------------------------ cycles and doses
    cycles = _cycle_days(rng, p, cr_day)
    grades = p.worst_grades
    tox_cycle = min(len(cycles), rng.randint(1, 3))  # after which cycle the worst grades occur
    bsa = round(body_surface_area_m2(p.height_cm, p.weight_kg), 2)
    cp_class = p.child_pugh[0]
    hfsr = grades["hand_foot_skin_reaction"]
    myelo = max(
        grades["platelet_count_decreased"],
        grades["neutrophil_count_decreased"],
        grades["transaminase_increased"],
    )
    for n, cd in enumerate(cycles, start=1):
        after_tox = n > tox_cycle
        level = -1 if after_tox and myelo >= 3 else 0
        sorafenib: int | str = "start" if n == 1 else 0
        reason = "sorafenib 200 mg twice daily before escalation" if n == 1 else None
        if n == 2:
            reason = "sorafenib escalated to 400 mg twice daily (tolerated)"
        if after_tox and hfsr >= 2:
            sorafenib = -1 if hfsr == 2 else -2
            reason = f"sorafenib reduced after hand-foot skin reaction grade {hfsr}"
        if level < 0:
            reason = (
                reason + "; " if reason else ""
            ) + "HAIC doses reduced one level after grade 3-4 toxicity"
        # the pre-cycle examination the day before (ECOG and weight as at baseline): what the
        # course engine reads before each cycle (no random draw, so the rest of the demo is kept)
        exam = {"exam_date": day(cd - 1), "ecog": p.ecog, "weight_kg": p.weight_kg}
        ids.add("cycle_exams", {"patient_id": pid, **exam})
        given = _sheet(bsa, cp_class, level, sorafenib)
        planned = _sheet(bsa, cp_class, 0, 0)
        sor_level = None if sorafenib == "start" else int(sorafenib)
        cid = ids.add(
            "treatment_cycles",
            {
                "patient_id": pid,
                "cycle_number": n,
                "cycle_date": day(cd),
                "sorafenib_daily_mg": given["sorafenib"],
                "sorafenib_level": sor_level,
                "change_reason": reason,
            },
        )
        for drug in (*_HAIC_DRUGS, "sorafenib"):
            ids.add(
                "cycle_doses",
                {
                    "cycle_id": cid,
                    "drug": drug,
                    "planned_mg": planned[drug],
                    "given_mg": given[drug],
                },
            )

    # ------------------------------------------------------------------ labs over time
    # the pre-cycle panel first: its rows before cycle 1 then follow the screening labs in id
    # order, as an export by visit (REDCap's events) orders them
    _add_pre_cycle_panel(ids, pid, labs, [c for c in cycles if c < p.os_days], day)
    draws = []  # (day, is the toxicity draw)
    for n, cd in enumerate(cycles, start=1):
        if n > 1:
            draws.append((cd, False))
        draws.append((cd + 7, n == tox_cycle))
    draws = [(d, t) for d, t in draws if d < p.os_days]
    if not any(t for _, t in draws):
        draws[-1] = (draws[-1][0], True)
    si = p.index % 2 == 0
    lab_grades = {
        "platelets": grades["platelet_count_decreased"],
        "anc": grades["neutrophil_count_decreased"],
        "alt": grades["transaminase_increased"],
        "ast": rng.randint(0, grades["transaminase_increased"]),
        "bilirubin": grades["blood_bilirubin_increased"],
    }
    for d, is_tox in draws:
        for analyte, worst in lab_grades.items():
            spec = LAB_SPECS[analyte]
            g = worst if is_tox else (rng.randint(0, worst - 1) if worst > 0 else 0)
            unit, ref = spec.unit, spec.ref
            if analyte == "bilirubin" and si:
                unit, ref = "umol/L", 21.0
            value = lab_value(rng, spec, g, ref if spec.relative else None)
            ids.add(
                "lab_results",
                {
                    "patient_id": pid,
                    "sample_date": day(d),
                    "analyte": analyte,
                    "value_entered": value,
                    "unit_entered": unit,
                    "uln": ref if spec.relative else None,
                    "lln": None if spec.relative else spec.ref,
                },
            )

    # ------------------------------------------------------------------ clinical AEs
    last_day = min(p.os_days - 1, cycles[-1] + 28)
    ae_onsets: list[int] = []
    for key, term in _clinical_terms().items():
        g = grades[key]
        if g == 0:
            continue
        onset = min(cycles[tox_cycle - 1] + rng.randint(1, 6), last_day)
        ae_onsets.append(onset)
        ids.add(
            "adverse_events",
            {
                "patient_id": pid,
                "term": term,
                "grade": g,
                "onset_date": day(onset),
                "resolution_date": day(min(onset + rng.randint(3, 14), p.os_days)),
                "attribution": Attribution.PROBABLE,
                "serious": False,
            },
        )
        if g >= 2 and len(cycles) > tox_cycle:  # a milder recurrence in a later cycle
            onset2 = min(cycles[tox_cycle] + rng.randint(1, 6), last_day)
            ae_onsets.append(onset2)
            ids.add(
                "adverse_events",
                {
                    "patient_id": pid,
                    "term": term,
                    "grade": g - 1,
                    "onset_date": day(onset2),
                    "resolution_date": None,
                    "attribution": Attribution.POSSIBLE,
                    "serious": False,
                },
            )

    # ------------------------------------------------------------------ follow-up
    # Response follow-up ends on the PFS day; the first follow-up contact is dated once the last
    # cycle, lab and adverse event are past (a cycle after the first contact, or any clinical
    # record after a withdrawal, would break CYCLE-AFTER-FOLLOW-UP / AFTER-WITHDRAWAL).
    last_record = max([*cycles, *(d for d, _ in draws), *(d for d, _ in scans), *ae_onsets])
    first_contact = max(p.pfs_days, last_record)
    if first_contact < p.os_days:
        ids.add(
            "followups",
            {
                "patient_id": pid,
                "contact_date": day(first_contact),
                "vital_status": VitalStatus.ALIVE,
                "cause_of_death": None,
            },
        )
    end = day(p.os_days)
    if p.died:
        cause = "tumour progression" if p.progressed else "liver failure (no progression seen)"
        ids.add(
            "followups",
            {
                "patient_id": pid,
                "contact_date": end,
                "vital_status": VitalStatus.DEAD,
                "cause_of_death": cause,
            },
        )
    else:
        if end != DATA_CUTOFF:
            raise DataValidationError(
                f"demo patient {p.study_id}: last contact {end}; expected the cut-off "
                f"{DATA_CUTOFF}",
                field="cohort",
            )
        ids.add(
            "followups",
            {
                "patient_id": pid,
                "contact_date": end,
                "vital_status": VitalStatus.ALIVE,
                "cause_of_death": None,
            },
        )
    if not p.progressed and p.os_days - p.pfs_days > 120:
        ids.add(
            "withdrawals",
            {
                "patient_id": pid,
                "withdrawal_date": day(max(p.pfs_days, last_record) + 1),
                "kind": WithdrawalKind.OTHER,
                "reason": "stopped protocol response imaging; followed for survival only",
            },
        )


def build_records(
    cohort: DemoCohort, *, seed: int | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Return the demo trial's rows per table name (explicit ids; parents before children)."""
    from hcctrial.protocol.eligibility import screen_patient
    from hcctrial.store.models import PatientStatus, Role

    rng = random.Random(cohort.seed if seed is None else seed)
    ids = _Ids()
    site_id = ids.add(
        "sites", {"code": "DEMO", "name": "Demo Cancer Centre (synthetic data)", "country": "China"}
    )
    for role in Role:
        ids.add(
            "users",
            {
                "username": f"demo_{role.value}",
                "full_name": f"Demo {role.value}",
                "role": role,
                "site_id": site_id,
                "password_hash": None,
                "active": True,
            },
        )
    # the account the demo writes as: a system account, named as such (no password: no sign-in)
    from hcctrial.services.identity import SYSTEM_ACCOUNT_PREFIX

    ids.add(
        "users",
        {
            "username": ACTOR,
            "full_name": SYSTEM_ACCOUNT_PREFIX + "the demo generator (synthetic data)",
            "role": Role.ADMIN,
            "site_id": None,
            "password_hash": None,
            "active": True,
        },
    )
    template: dict[str, Any] | None = None
    for p in cohort.patients:
        _patient_records(ids, rng, p, site_id)
        if template is None:
            labs = baseline_labs(random.Random(0), p)
            template = screening_input(p, labs, "none")
    assert template is not None
    for f in cohort.screen_failures:
        data = failure_input(f.criterion, template)
        data["patient_id"] = f.study_id
        result = screen_patient(data, _regimen())
        if result.eligible is not False:
            raise DataValidationError(
                f"screen failure {f.study_id}: the eligibility engine did not exclude it "
                f"({f.criterion})",
                field="cohort",
            )
        pid = ids.add(
            "patients",
            {
                "study_id": f.study_id,
                "site_id": site_id,
                "enrolment_date": None,
                "status": PatientStatus.SCREEN_FAILURE,
            },
        )
        _add_screening(ids, pid, f.screening_date, result, f.description)
    return ids.rows


def write_demo_trial(
    engine: Engine,
    cohort: DemoCohort | None = None,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> DemoSummary:
    """Build the demo trial and import it into ``engine``'s database (migrated to head) in one
    transaction through the services (:func:`hcctrial.services.imports.import_rows`: every rule
    applies); return the row counts.

    ``progress(table, done, total)`` is called once the trial is written, per table.
    """
    from hcctrial.services.imports import import_rows
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store.models import DATA_TABLES
    from hcctrial.store.session import open_session

    cohort = cohort or build_cohort()
    rows = build_records(cohort)
    names = {m.__tablename__ for m in DATA_TABLES}
    unknown = set(rows) - names
    if unknown:
        raise DataValidationError(f"demo: unknown tables {sorted(unknown)}", field="tables")
    order = [m.__tablename__ for m in DATA_TABLES if m.__tablename__ in rows]
    with open_session(engine) as session:
        # the demo's system account (a users row of these rows, :func:`build_records`)
        uow = UnitOfWork(session, Actor.system(ACTOR))
        import_rows(uow, rows, reason="demo trial generated (synthetic data)")
    if progress is not None:
        for k, name in enumerate(order, start=1):
            progress(name, k, len(order))
    return DemoSummary({name: len(rows[name]) for name in order}, cohort)
