"""SDTM special-purpose, event and intervention domains from the raw records: DM, DS, SV, EX, AE.

Conventions (``docs/interop.md`` has the full mapping):

- ``USUBJID`` = ``<STUDYID>-<study id>`` (:func:`hcctrial.interop.snapshot.usubjid`, the one way);
  ``--SEQ`` numbers each subject's records 1, 2, ... in the domain's key order;
- dates are ISO 8601 (``YYYY-MM-DD``: the records hold dates without times); study days count
  from ``RFSTDTC`` = day 0 of the analysis (the first TACE-HAIC), day 1 being that date;
- visits (SV, and ``VISITNUM`` elsewhere): SCREENING = 1, CYCLE n = 100 + n, the first scan
  BASELINE IMAGING = 2, later scans TUMOUR ASSESSMENT k = 200 + k, FOLLOW-UP k = 300 + k;
- AE: ``AETOXGR`` is the clinician's CTCAE grade checked by the grading engine
  (:func:`hcctrial.assess.adverse_events.validate_term` and the term's defined grades), ``AEDECOD``
  the CTCAE (MedDRA) term, ``AEBODSYS`` its system organ class from the bundled CTCAE list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from hcctrial.interop.dataset import Dataset, Variable
from hcctrial.interop.sdtm_spec import dataset_spec
from hcctrial.interop.snapshot import TrialSnapshot, study_day, usubjid

__all__ = [
    "ARMCD",
    "ae_domain",
    "dm_domain",
    "ds_domain",
    "ex_domain",
    "iso",
    "spec_dataset",
    "subject_visits",
    "sv_domain",
]

#: The single arm of the trial (code <= 20 characters).
ARMCD = "SORTACEHAIC"
COUNTRIES = {
    "china": "CHN", "hong kong": "HKG", "taiwan": "TWN", "japan": "JPN", "korea": "KOR",
    "south korea": "KOR", "republic of korea": "KOR", "singapore": "SGP", "vietnam": "VNM",
    "thailand": "THA", "india": "IND", "united states": "USA", "usa": "USA",
    "united kingdom": "GBR", "uk": "GBR", "germany": "DEU", "france": "FRA", "italy": "ITA",
    "spain": "ESP", "netherlands": "NLD", "belgium": "BEL", "switzerland": "CHE",
    "austria": "AUT", "canada": "CAN", "australia": "AUS", "brazil": "BRA", "egypt": "EGY",
}


def iso(day: date | None) -> str:
    """Return an ISO 8601 date, '' for none."""
    return "" if day is None else day.isoformat()


def spec_dataset(
    name: str, rows: list[dict[str, Any]], *, seq_key: Callable[[dict[str, Any]], Any] | None = None
) -> Dataset:
    """Return the dataset ``name`` of the SDTM/ADaM specification filled with ``rows``.

    With ``seq_key`` the rows are sorted by (USUBJID, seq_key) and ``<DOMAIN>SEQ`` numbered 1, 2,
    ... per subject. Character variables become ``str`` (None -> ''), numeric ``float``.
    """
    spec = dataset_spec(name)
    if seq_key is not None:
        rows = sorted(rows, key=lambda r: (r["USUBJID"], seq_key(r)))
        counter: dict[str, int] = defaultdict(int)
        for r in rows:
            counter[r["USUBJID"]] += 1
            r[f"{name}SEQ"] = counter[r["USUBJID"]]
    variables = [
        Variable(v.name, v.label, "str" if v.type == "C" else _numeric_kind(v.name))
        for v in spec.variables
    ]
    columns: dict[str, list[Any]] = {}
    for v in spec.variables:
        values = [r.get(v.name) for r in rows]
        if v.type == "C":
            values = [x if type(x) is str else "" if x is None else str(x) for x in values]
        columns[v.name] = values
    return Dataset(name, spec.label, variables, columns, keys=spec.keys)


def _numeric_kind(name: str) -> str:
    """ADaM numeric dates (``--DT``) are SAS dates; other numbers are floats."""
    return "date" if name.endswith("DT") else "float"


def subject_visits(snap: TrialSnapshot) -> dict[int, list[tuple[int, str, date]]]:
    """Return patient id -> [(VISITNUM, VISIT, date)] of every visit that happened."""
    visits: dict[int, list[tuple[int, str, date]]] = defaultdict(list)
    for s in snap.rows("screenings"):
        visits[s["patient_id"]].append((1, "SCREENING", s["screening_date"]))
    for c in snap.rows("treatment_cycles"):
        n = c["cycle_number"]
        visits[c["patient_id"]].append((100 + n, f"CYCLE {n}", c["cycle_date"]))
    scans: dict[int, list[date]] = defaultdict(list)
    for r in snap.rows("imaging_assessments"):
        scans[r["patient_id"]].append(r["assessment_date"])
    for pid, days in scans.items():
        for k, d in enumerate(sorted(days)):
            visits[pid].append((2, "BASELINE IMAGING", d) if k == 0 else
                               (200 + k, f"TUMOUR ASSESSMENT {k}", d))
    contacts: dict[int, list[date]] = defaultdict(list)
    for f in snap.rows("followups"):
        contacts[f["patient_id"]].append(f["contact_date"])
    for pid, days in contacts.items():
        for k, d in enumerate(sorted(days), start=1):
            visits[pid].append((300 + k, f"FOLLOW-UP {k}", d))
    return {pid: sorted(v) for pid, v in visits.items()}


def visit_on(visits: list[tuple[int, str, date]], day: date, prefer: str = "") -> tuple[Any, str]:
    """Return (VISITNUM, VISIT) of the patient's visit on ``day`` (a name starting with
    ``prefer`` first), or (None, '')."""
    best: tuple[bool, int, str] | None = None
    for num, name, d in visits:
        if d == day:
            key = (not name.startswith(prefer), num, name)
            if best is None or key < best:
                best = key
    return (best[1], best[2]) if best else (None, "")


def _country(text: str | None) -> str:
    if not text:
        return ""
    t = text.strip()
    if len(t) == 3 and t.isupper():
        return t
    return COUNTRIES.get(t.lower(), t.upper())


def dm_domain(snap: TrialSnapshot) -> Dataset:
    """Return DM: one row per screened patient (screen failures with ARMNRS)."""
    from hcctrial.protocol.regimen import default_regimen

    arm = default_regimen().name
    sites = snap.by_id("sites")
    baselines = {b["patient_id"]: b for b in snap.rows("baselines")}
    screenings = {s["patient_id"]: s for s in snap.rows("screenings")}
    deaths = _death_dates(snap)
    last_contact = _last_contacts(snap)
    span = snap.cycle_span()
    rows = []
    for p in snap.patients():
        pid, b = p["id"], baselines.get(p["id"])
        treated = pid in span
        enrolled = p["enrolment_date"] is not None
        death = deaths.get(pid)
        first = span[pid][0] if treated else None
        end = death or last_contact.get(pid)
        rows.append(
            {
                "STUDYID": snap.study_id,
                "DOMAIN": "DM",
                "USUBJID": usubjid(snap.study_id, p["study_id"]),
                "SUBJID": p["study_id"],
                "RFSTDTC": iso(snap.day0(p["study_id"]) or first),
                "RFENDTC": iso(end) if enrolled else "",
                "RFXSTDTC": iso(first),
                "RFXENDTC": iso(span[pid][1]) if treated else "",
                "RFICDTC": "",
                "RFPENDTC": iso(end or (screenings[pid]["screening_date"]
                                        if pid in screenings else None)),
                "DTHDTC": iso(death),
                "DTHFL": "Y" if death else "",
                "SITEID": sites[p["site_id"]]["code"],
                "AGE": None if b is None else b["age_years"],
                "AGEU": "" if b is None else "YEARS",
                "SEX": {"male": "M", "female": "F"}.get(b["sex"], "U") if b else "U",
                "RACE": "NOT REPORTED",  # the eCRF does not collect race
                "ARMCD": ARMCD if enrolled else "",
                "ARM": arm if enrolled else "",
                "ACTARMCD": ARMCD if treated else "",
                "ACTARM": arm if treated else "",
                "ARMNRS": ("SCREEN FAILURE" if not enrolled else
                           "" if treated else "ASSIGNED, NOT TREATED"),
                "COUNTRY": _country(sites[p["site_id"]].get("country")),
            }
        )
    return spec_dataset("DM", rows)


def _death_dates(snap: TrialSnapshot) -> dict[int, date]:
    out: dict[int, date] = {}
    for f in snap.rows("followups"):
        if f["vital_status"] == "dead":
            d = f["contact_date"]
            out[f["patient_id"]] = min(d, out.get(f["patient_id"], d))
    return out


def _last_contacts(snap: TrialSnapshot) -> dict[int, date]:
    out: dict[int, date] = {}
    for f in snap.rows("followups"):
        d = f["contact_date"]
        out[f["patient_id"]] = max(d, out.get(f["patient_id"], d))
    return out


_WITHDRAWAL = {
    "consent_withdrawn": "WITHDRAWAL BY SUBJECT",
    "lost_to_follow_up": "LOST TO FOLLOW-UP",
    "adverse_event": "ADVERSE EVENT",
    "investigator_decision": "PHYSICIAN DECISION",
    "protocol_violation": "PROTOCOL VIOLATION",
    "other": "OTHER",
}


def ds_domain(snap: TrialSnapshot) -> Dataset:
    """Return DS: eligibility milestone, screen failure, withdrawal, death, completion."""
    patients = snap.by_id("patients")
    rows: list[dict[str, Any]] = []

    def add(pid: int, term: str, decod: str, cat: str, day: date | None) -> None:
        p = patients[pid]
        rows.append(
            {
                "STUDYID": snap.study_id, "DOMAIN": "DS",
                "USUBJID": usubjid(snap.study_id, p["study_id"]),
                "DSTERM": term, "DSDECOD": decod, "DSCAT": cat,
                "EPOCH": snap.epoch(pid, day), "DSSTDTC": iso(day),
                "DSSTDY": study_day(day, snap.day0(p["study_id"])),
            }
        )

    for s in snap.rows("screenings"):
        p = patients[s["patient_id"]]
        if p["status"] == "screen_failure" or not s["eligible"]:
            add(p["id"], s["notes"] or "Screen failure", "SCREEN FAILURE", "DISPOSITION EVENT",
                s["screening_date"])
        else:
            add(p["id"], "Eligibility criteria met", "ELIGIBILITY CRITERIA MET",
                "PROTOCOL MILESTONE", s["screening_date"])
    for w in snap.rows("withdrawals"):
        add(w["patient_id"], w["reason"], _WITHDRAWAL[w["kind"]], "DISPOSITION EVENT",
            w["withdrawal_date"])
    causes = {f["patient_id"]: f.get("cause_of_death") for f in snap.rows("followups")
              if f["vital_status"] == "dead"}
    for pid, day in _death_dates(snap).items():
        add(pid, causes.get(pid) or "Death", "DEATH", "DISPOSITION EVENT", day)
    last = _last_contacts(snap)
    for p in snap.patients():
        if p["status"] == "completed":
            add(p["id"], "Completed", "COMPLETED", "DISPOSITION EVENT", last.get(p["id"]))
    return spec_dataset("DS", rows, seq_key=lambda r: (r["DSSTDTC"], r["DSDECOD"]))


def sv_domain(snap: TrialSnapshot, visits: dict[int, list[tuple[int, str, date]]]) -> Dataset:
    """Return SV: one row per visit that happened (SVSTDTC = SVENDTC: one-day visits)."""
    patients = snap.by_id("patients")
    rows = []
    for pid, vs in visits.items():
        seen: set[int] = set()
        for num, name, day in vs:
            if num in seen:
                continue
            seen.add(num)
            rows.append(
                {
                    "STUDYID": snap.study_id, "DOMAIN": "SV",
                    "USUBJID": usubjid(snap.study_id, patients[pid]["study_id"]),
                    "VISITNUM": num, "VISIT": name, "EPOCH": snap.epoch(pid, day),
                    "SVSTDTC": iso(day), "SVENDTC": iso(day),
                }
            )
    rows.sort(key=lambda r: (r["USUBJID"], r["VISITNUM"]))
    return spec_dataset("SV", rows)


def _drug_end_day_offsets() -> dict[str, int]:
    """Return drug -> days after day 1 its infusion ends (from the regimen's timetable)."""
    from hcctrial.protocol.regimen import default_regimen

    reg = default_regimen()
    hour, minute = (int(x) for x in reg.cycle.start_clock.split(":"))
    start: dict[str, float] = {}
    ends: dict[str, int] = {}
    for d in reg.drugs:
        if getattr(d, "start_after", None):
            t0 = start[d.start_after] + _duration(reg, d.start_after)
        elif getattr(d, "start_with", None):
            t0 = start[d.start_with]
        else:
            t0 = hour + minute / 60
        start[d.name] = t0
        ends[d.name] = int((t0 + d.duration_h) // 24)
    return ends


def _duration(reg: Any, name: str) -> float:
    return float(next(d.duration_h for d in reg.drugs if d.name == name))


def ex_domain(snap: TrialSnapshot, visits: dict[int, list[tuple[int, str, date]]]) -> Dataset:
    """Return EX: each drug given in each cycle, and sorafenib per interval between cycles."""
    from hcctrial.protocol.regimen import default_regimen

    reg = default_regimen()
    routes = {d.name: d.route.upper() for d in reg.drugs}
    ends = _drug_end_day_offsets()
    patients = snap.by_id("patients")
    cycles = snap.by_id("treatment_cycles")
    rows: list[dict[str, Any]] = []

    def base(pid: int, cycle: dict[str, Any]) -> dict[str, Any]:
        p = patients[pid]
        num, name = visit_on(visits.get(pid, []), cycle["cycle_date"], "CYCLE")
        return {
            "STUDYID": snap.study_id, "DOMAIN": "EX",
            "USUBJID": usubjid(snap.study_id, p["study_id"]), "VISITNUM": num, "VISIT": name,
            "EPOCH": snap.epoch(pid, cycle["cycle_date"]),
            "EXSTDY": study_day(cycle["cycle_date"], snap.day0(p["study_id"])),
        }

    for dose in snap.rows("cycle_doses"):
        c = cycles[dose["cycle_id"]]
        day = c["cycle_date"]
        adjusted = dose["given_mg"] != dose["planned_mg"]
        rows.append(base(c["patient_id"], c) | {
            "EXTRT": dose["drug"].upper(), "EXDOSE": dose["given_mg"], "EXDOSU": "mg",
            "EXDOSFRQ": "ONCE", "EXROUTE": routes.get(dose["drug"], ""),
            "EXADJ": (c["change_reason"] or "dose reduced") if adjusted else "",
            "EXSTDTC": iso(day), "EXENDTC": iso(day + timedelta(days=ends.get(dose["drug"], 0))),
        })
    by_patient: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c in snap.rows("treatment_cycles"):
        by_patient[c["patient_id"]].append(c)
    for pid, cs in by_patient.items():
        cs.sort(key=lambda c: c["cycle_date"])
        for k, c in enumerate(cs):
            if c["sorafenib_daily_mg"] is None:
                continue
            nxt = cs[k + 1]["cycle_date"] - timedelta(days=1) if k + 1 < len(cs) else None
            rows.append(base(pid, c) | {
                "EXTRT": "SORAFENIB", "EXDOSE": c["sorafenib_daily_mg"], "EXDOSU": "mg",
                "EXDOSFRQ": "QD", "EXROUTE": "ORAL", "EXADJ": c["change_reason"] or "",
                "EXSTDTC": iso(c["cycle_date"]), "EXENDTC": iso(nxt),
            })
    return spec_dataset("EX", rows, seq_key=lambda r: (r["EXSTDTC"], r["EXTRT"]))


_AEREL = {
    "unrelated": "NOT RELATED", "unlikely": "UNLIKELY RELATED", "possible": "POSSIBLY RELATED",
    "probable": "PROBABLY RELATED", "definite": "RELATED",
}


def ae_toxicity_grade(term: str, grade: int) -> tuple[str, str, str]:
    """Return (CTCAE term, system organ class, AETOXGR) of a recorded AE, checked by the grading
    engine: the term must be a CTCAE v4.03 term and the grade one CTCAE defines for it."""
    from hcctrial.assess.adverse_events import ctcae_terms, validate_term
    from hcctrial.errors import field_error

    name = validate_term(term)
    entry = ctcae_terms()[name]
    if grade not in entry.valid_grades:
        raise field_error("AETOXGR", grade, f"a grade CTCAE defines for {name}: "
                          f"{list(entry.valid_grades)}")
    return name, entry.soc, str(grade)


def ae_domain(snap: TrialSnapshot) -> Dataset:
    """Return AE: one row per recorded adverse event (CTCAE v4.03 terms and grades)."""
    patients = snap.by_id("patients")
    rows = []
    for ae in snap.rows("adverse_events"):
        p = patients[ae["patient_id"]]
        decod, soc, grade = ae_toxicity_grade(ae["term"], ae["grade"])
        outcome = ("FATAL" if ae["grade"] == 5 else "RECOVERED/RESOLVED"
                   if ae["resolution_date"] else "NOT RECOVERED/NOT RESOLVED")
        rows.append(
            {
                "STUDYID": snap.study_id, "DOMAIN": "AE",
                "USUBJID": usubjid(snap.study_id, p["study_id"]),
                "AETERM": ae["term"], "AEDECOD": decod, "AEBODSYS": soc,
                "AESER": "Y" if ae["serious"] else "N", "AEREL": _AEREL[ae["attribution"]],
                "AEOUT": outcome, "AETOXGR": grade,
                "EPOCH": snap.epoch(p["id"], ae["onset_date"]),
                "AESTDTC": iso(ae["onset_date"]), "AEENDTC": iso(ae["resolution_date"]),
                "AESTDY": study_day(ae["onset_date"], snap.day0(p["study_id"])),
            }
        )
    return spec_dataset("AE", rows, seq_key=lambda r: (r["AESTDTC"], r["AEDECOD"], r["AETOXGR"]))

