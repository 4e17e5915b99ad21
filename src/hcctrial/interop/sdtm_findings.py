"""SDTM findings domains from the raw records: LB, VS, TU, TR, RS.

- **LB**: one row per lab result. ``LBORRES``/``LBORRESU`` as the laboratory reported them;
  ``LBSTRESN`` the canonical value of :mod:`hcctrial.clinical.units` in CDISC units (``ug/L`` for
  AFP's ng/mL, which CDISC lists as the same unit); normal limits converted with the same unit
  layer; ``LBTOXGR`` the CTCAE v4.03 grade of :func:`hcctrial.assess.ctcae.grade_lab` (the worse
  of the two terms of analytes graded both ways, e.g. potassium), empty when not gradable;
  ``LBLOBXFL`` = Y on each analyte's last value before day 0.
- **VS**: height and weight of the baseline visit.
- **TU / TR**: every lesion (``TULNKID`` = its label, identified at its first scan) and, per scan,
  its viable diameter (``LDIAM``, mm; mRECIST measures the arterially enhancing part) or its
  status (``TUMSTATE``).
- **RS**: each follow-up scan's overall response (``OVRLRESP``, the protocol's rules), the target
  and non-target responses, and one best overall response (``BESTRESP``) per enrolled patient,
  all from :func:`hcctrial.assess.mrecist.patient_response` as the analysis uses it; a person's
  override of the best response (``derived_overrides``) replaces the engine's value.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cache
from typing import Any

from hcctrial.interop.dataset import Dataset
from hcctrial.interop.sdtm_domains import iso, spec_dataset, visit_on
from hcctrial.interop.snapshot import TrialSnapshot, study_day, usubjid

__all__ = ["LAB_TESTS", "lb_domain", "rs_domain", "tr_domain", "tu_domain", "vs_domain"]

#: analyte -> (LBTESTCD, LBTEST, LBCAT). CDISC CT C65047/C67154 except PTPROL and LVEF (sponsor).
LAB_TESTS: dict[str, tuple[str, str, str]] = {
    "bilirubin": ("BILI", "Bilirubin", "CHEMISTRY"),
    "albumin": ("ALB", "Albumin", "CHEMISTRY"),
    "creatinine": ("CREAT", "Creatinine", "CHEMISTRY"),
    "hemoglobin": ("HGB", "Hemoglobin", "HEMATOLOGY"),
    "wbc": ("WBC", "Leukocytes", "HEMATOLOGY"),
    "anc": ("NEUT", "Neutrophils", "HEMATOLOGY"),
    "lymphocytes": ("LYM", "Lymphocytes", "HEMATOLOGY"),
    "platelets": ("PLAT", "Platelets", "HEMATOLOGY"),
    "inr": ("INR", "Prothrombin Intl. Normalized Ratio", "COAGULATION"),
    "pt_prolongation": ("PTPROL", "Prothrombin Time Prolongation", "COAGULATION"),
    "afp": ("AFP", "Alpha Fetoprotein", "CHEMISTRY"),
    "alt": ("ALT", "Alanine Aminotransferase", "CHEMISTRY"),
    "ast": ("AST", "Aspartate Aminotransferase", "CHEMISTRY"),
    "alp": ("ALP", "Alkaline Phosphatase", "CHEMISTRY"),
    "ggt": ("GGT", "Gamma Glutamyl Transferase", "CHEMISTRY"),
    "sodium": ("SODIUM", "Sodium", "CHEMISTRY"),
    "potassium": ("K", "Potassium", "CHEMISTRY"),
    "lvef": ("LVEF", "Left Ventricular Ejection Fraction", "CARDIAC FUNCTION"),
}
#: canonical unit of :mod:`hcctrial.clinical.units` -> CDISC UNIT (C71620) submission value
_STD_UNITS = {
    "mg/dL": "mg/dL", "g/dL": "g/dL", "giga_per_liter": "10^9/L", "dimensionless": "",
    "second": "s", "ng/mL": "ug/L", "U/L": "U/L", "mmol/L": "mmol/L", "percent": "%",
}


@cache
def _lab_terms() -> dict[str, tuple[str, ...]]:
    """analyte -> the CTCAE v4.03 lab terms graded from it."""
    from hcctrial.assess.ctcae import lab_criteria

    out: dict[str, list[str]] = defaultdict(list)
    for name, crit in lab_criteria("4.03").items():
        if crit.analyte is not None:
            out[crit.analyte].append(name)
    return {a: tuple(sorted(t)) for a, t in out.items()}


@cache
def _lab_grade(analyte: str, value: float, unit: str, uln: float | None,
               lln: float | None) -> tuple[str, str]:
    """Return (LBTOX, LBTOXGR) of one value: the worst grade over the analyte's CTCAE terms."""
    from hcctrial.assess.ctcae import grade_lab

    best: tuple[str, str] = ("", "")
    worst = -1
    for term in _lab_terms().get(analyte, ()):
        g = grade_lab(term, value, unit, uln=uln, lln=lln).grade
        if g is not None and g > worst:
            worst, best = g, (term, str(g))
    return best


@cache
def _std_limit(analyte: str, limit: float | None, unit: str) -> float | None:
    from hcctrial.clinical.units import ANALYTES, convert

    if limit is None:
        return None
    return convert(limit, unit, ANALYTES[analyte].canonical_unit, analyte=analyte)


def _num_text(x: float | None) -> str:
    return "" if x is None else f"{x:g}" if abs(x) < 1e15 else repr(x)


def lb_domain(snap: TrialSnapshot, visits: dict[int, list[tuple[int, str, date]]]) -> Dataset:
    """Return LB (see the module docstring)."""
    from hcctrial.clinical.units import ANALYTES

    patients = snap.by_id("patients")
    last_before: dict[tuple[int, str], tuple[date, int]] = {}
    labs = snap.rows("lab_results")
    for lab in labs:
        day0 = snap.day0(patients[lab["patient_id"]]["study_id"])
        if day0 is not None and lab["sample_date"] < day0:
            key = (lab["patient_id"], lab["analyte"])
            if key not in last_before or (lab["sample_date"], lab["id"]) > last_before[key]:
                last_before[key] = (lab["sample_date"], lab["id"])
    rows = []
    for lab in labs:
        p = patients[lab["patient_id"]]
        analyte = lab["analyte"]
        code, test, cat = LAB_TESTS[analyte]
        unit = lab["unit_entered"]
        lo = _std_limit(analyte, lab["lln"], unit)
        hi = _std_limit(analyte, lab["uln"], unit)
        value = lab["canonical_value"]
        nrind = ("LOW" if lo is not None and value < lo else
                 "HIGH" if hi is not None and value > hi else
                 "NORMAL" if lo is not None or hi is not None else "")
        tox, grade = _lab_grade(analyte, lab["value_entered"], unit, lab["uln"], lab["lln"])
        num, name = visit_on(visits.get(p["id"], []), lab["sample_date"])
        flag = last_before.get((p["id"], analyte), (None, None))[1] == lab["id"]
        rows.append(
            {
                "STUDYID": snap.study_id, "DOMAIN": "LB",
                "USUBJID": usubjid(snap.study_id, p["study_id"]),
                "LBTESTCD": code, "LBTEST": test, "LBCAT": cat,
                "LBORRES": _num_text(lab["value_entered"]), "LBORRESU": unit,
                "LBORNRLO": _num_text(lab["lln"]), "LBORNRHI": _num_text(lab["uln"]),
                "LBSTRESC": _num_text(value), "LBSTRESN": value,
                "LBSTRESU": _STD_UNITS.get(ANALYTES[analyte].canonical_unit,
                                           ANALYTES[analyte].canonical_unit),
                "LBSTNRLO": lo, "LBSTNRHI": hi, "LBNRIND": nrind,
                "LBTOX": tox, "LBTOXGR": grade, "LBLOBXFL": "Y" if flag else "",
                "VISITNUM": num, "VISIT": name, "EPOCH": snap.epoch(p["id"], lab["sample_date"]),
                "LBDTC": iso(lab["sample_date"]),
                "LBDY": study_day(lab["sample_date"], snap.day0(p["study_id"])),
                "_id": lab["id"],
            }
        )
    return spec_dataset("LB", rows, seq_key=lambda r: (r["LBDTC"], r["LBTESTCD"], r["_id"]))


def vs_domain(snap: TrialSnapshot, visits: dict[int, list[tuple[int, str, date]]]) -> Dataset:
    """Return VS: height (cm) and weight (kg) at the baseline assessment."""
    patients = snap.by_id("patients")
    rows = []
    for b in snap.rows("baselines"):
        p = patients[b["patient_id"]]
        num, name = visit_on(visits.get(p["id"], []), b["assessment_date"])
        for code, test, value, unit in (("HEIGHT", "Height", b["height_cm"], "cm"),
                                        ("WEIGHT", "Weight", b["weight_kg"], "kg")):
            rows.append(
                {
                    "STUDYID": snap.study_id, "DOMAIN": "VS",
                    "USUBJID": usubjid(snap.study_id, p["study_id"]),
                    "VSTESTCD": code, "VSTEST": test, "VSORRES": _num_text(value),
                    "VSORRESU": unit, "VSSTRESC": _num_text(value), "VSSTRESN": value,
                    "VSSTRESU": unit, "VSLOBXFL": "Y", "VISITNUM": num, "VISIT": name,
                    "VSDTC": iso(b["assessment_date"]),
                }
            )
    return spec_dataset("VS", rows, seq_key=lambda r: (r["VSDTC"], r["VSTESTCD"]))


_METHOD = {"mri": "MRI", "ct": "CT SCAN"}
_KIND = {"target": "TARGET", "non_target": "NON-TARGET", "new": "NEW"}
_STATE = {"present": "PRESENT", "absent": "ABSENT",
          "unequivocal_progression": "UNEQUIVOCAL PROGRESSION", "not_evaluable": "NOT EVALUABLE"}


def _scans(snap: TrialSnapshot) -> dict[int, list[dict[str, Any]]]:
    scans: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in snap.rows("imaging_assessments"):
        scans[r["patient_id"]].append(r)
    for v in scans.values():
        v.sort(key=lambda r: (r["assessment_date"], r["id"]))
    return scans


def tu_domain(snap: TrialSnapshot, visits: dict[int, list[tuple[int, str, date]]]) -> Dataset:
    """Return TU: each lesion once, at the scan where it was first recorded."""
    patients = snap.by_id("patients")
    lesions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for les in snap.rows("lesion_measurements"):
        lesions[les["imaging_id"]].append(les)
    rows = []
    for pid, scans in _scans(snap).items():
        p = patients[pid]
        seen: set[str] = set()
        for scan in scans:
            for les in sorted(lesions.get(scan["id"], []), key=lambda r: r["lesion_id"]):
                if les["lesion_id"] in seen:
                    continue
                seen.add(les["lesion_id"])
                num, name = visit_on(visits.get(pid, []), scan["assessment_date"], "TUMOUR")
                kind = _KIND[les["kind"]]
                rows.append(
                    {
                        "STUDYID": snap.study_id, "DOMAIN": "TU",
                        "USUBJID": usubjid(snap.study_id, p["study_id"]),
                        "TULNKID": les["lesion_id"], "TUTESTCD": "TUMIDENT",
                        "TUTEST": "Tumor Identification", "TUORRES": kind, "TUSTRESC": kind,
                        "TULOC": les["organ"].upper(), "TUMETHOD": _METHOD[scan["modality"]],
                        "TUEVAL": "INVESTIGATOR", "VISITNUM": num, "VISIT": name,
                        "TUDTC": iso(scan["assessment_date"]),
                    }
                )
    return spec_dataset("TU", rows, seq_key=lambda r: (r["TUDTC"], r["TULNKID"]))


def tr_domain(snap: TrialSnapshot, visits: dict[int, list[tuple[int, str, date]]]) -> Dataset:
    """Return TR: per scan, each lesion's viable diameter (LDIAM) or status (TUMSTATE)."""
    patients = snap.by_id("patients")
    scans = snap.by_id("imaging_assessments")
    rows = []
    for les in snap.rows("lesion_measurements"):
        scan = scans[les["imaging_id"]]
        p = patients[scan["patient_id"]]
        num, name = visit_on(visits.get(p["id"], []), scan["assessment_date"], "TUMOUR")
        common = {
            "STUDYID": snap.study_id, "DOMAIN": "TR",
            "USUBJID": usubjid(snap.study_id, p["study_id"]), "TRLNKID": les["lesion_id"],
            "TRMETHOD": _METHOD[scan["modality"]], "TREVAL": "INVESTIGATOR",
            "VISITNUM": num, "VISIT": name, "TRDTC": iso(scan["assessment_date"]),
        }
        if les["kind"] in ("target", "new") or les["diameter_mm"] is not None:
            d = les["diameter_mm"]
            rows.append(common | {
                "TRTESTCD": "LDIAM", "TRTEST": "Longest Diameter", "TRORRES": _num_text(d),
                "TRORRESU": "mm" if d is not None else "", "TRSTRESC": _num_text(d),
                "TRSTRESN": d, "TRSTRESU": "mm" if d is not None else "",
                "TRSTAT": "NOT DONE" if d is None else "",
            })
        if les["status"] is not None:
            state = _STATE[les["status"]]
            rows.append(common | {
                "TRTESTCD": "TUMSTATE", "TRTEST": "Tumor State", "TRORRES": state,
                "TRSTRESC": state,
            })
    return spec_dataset("TR", rows, seq_key=lambda r: (r["TRDTC"], r["TRLNKID"], r["TRTESTCD"]))


_RS_TESTS = {"OVRLRESP": "Overall Response", "TRGRESP": "Target Response",
             "NTRGRESP": "Non-target Response", "BESTRESP": "Best Overall Response"}


def rs_domain(snap: TrialSnapshot, visits: dict[int, list[tuple[int, str, date]]]) -> Dataset:
    """Return RS: mRECIST time-point responses (protocol rules) and the best overall response."""
    patients = {p["study_id"]: p for p in snap.rows("patients")}
    rows: list[dict[str, Any]] = []
    for rec in snap.records:
        subject = snap.subjects.get(rec.study_id)
        if subject is None:
            continue
        pid = patients[rec.study_id]["id"]
        base = {"STUDYID": snap.study_id, "DOMAIN": "RS",
                "USUBJID": usubjid(snap.study_id, rec.study_id),
                "RSCAT": "MRECIST LENCIONI LIVER CANCER 2010", "RSEVAL": "INVESTIGATOR"}

        def add(code: str, result: str, day: date | None, _base: dict[str, Any] = base,
                _pid: int = pid, _d0: date = subject.first_treatment_date) -> None:
            num, name = (visit_on(visits.get(_pid, []), day, "TUMOUR") if day else (None, ""))
            rows.append(_base | {
                "RSTESTCD": code, "RSTEST": _RS_TESTS[code], "RSORRES": result,
                "RSSTRESC": result, "VISITNUM": num, "VISIT": name, "RSDTC": iso(day),
                "RSDY": study_day(day, _d0),
            })

        for tp in snap.time_points.get(rec.study_id, ()):
            add("OVRLRESP", tp.response.value, tp.date)
            if tp.target_response is not None:
                add("TRGRESP", tp.target_response.value, tp.date)
            if tp.non_target_response is not None:
                add("NTRGRESP", tp.non_target_response.value, tp.date)
        add("BESTRESP", subject.best_response, subject.best_response_date)
    return spec_dataset(
        "RS", rows,
        seq_key=lambda r: (r["RSTESTCD"] == "BESTRESP", r["RSDTC"], r["RSTESTCD"]),
    )
