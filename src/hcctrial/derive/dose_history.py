"""The dose-history analysis dataset: per patient, drug and cycle, the dose given, the cumulative
dose (epirubicin against its lifetime limit in mg/m²) and the relative dose intensity to date.

One row per (patient, drug, cycle) from the database's raw records
(:class:`hcctrial.derive.records.PatientRecords`), computed by
:func:`hcctrial.protocol.dose_history.dose_history` (the definitions are there). The BSA is the
baseline's (height and weight, the regimen's formula and rounding). The database now keeps a weight
per cycle (``cycle_exams``), which the patient page's dose history follows by the regimen's weight
rule (:mod:`hcctrial.web.dose_history_view`); :class:`~hcctrial.derive.records.PatientRecords`
does not carry the examinations yet, so this dataset does not; the protocol's full dose is that of the patient's Child-Pugh class at baseline
(computed from the labs before cycle 1 as in :mod:`hcctrial.derive.subject`, or the recorded
override), class A when it cannot be computed (the row says so).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hcctrial.derive.records import PatientRecords
from hcctrial.protocol.schema import Regimen

__all__ = ["dose_history_rows"]


def _child_pugh_class(rec: PatientRecords) -> tuple[str, str | None]:
    """(class letter, note): the recorded override, else computed from the baseline labs."""
    from hcctrial.clinical.scores import child_pugh
    from hcctrial.derive.subject import _baseline_lab, first_day

    if "child_pugh_class" in rec.overrides:
        return rec.overrides["child_pugh_class"], None
    b = rec.baseline or {}
    day0 = first_day(rec)
    labs = {a: _baseline_lab(rec, a, day0) for a in ("bilirubin", "albumin", "inr")}
    if None in labs.values() or "ascites" not in b or "encephalopathy" not in b:
        return "A", "Child-Pugh at baseline not computable: class A full doses assumed"
    cp = child_pugh(
        float(labs["bilirubin"] or 0.0),
        float(labs["albumin"] or 0.0),
        getattr(b["ascites"], "value", b["ascites"]),
        getattr(b["encephalopathy"], "value", b["encephalopathy"]),
        inr=float(labs["inr"] or 0.0),
    )
    return cp.child_class.value, None


def dose_history_rows(
    records: Iterable[PatientRecords], regimen: Regimen | None = None
) -> list[dict[str, Any]]:
    """Return the dose-history rows of every patient with cycles (see the module docstring)."""
    from hcctrial.clinical.body import body_surface_area_m2
    from hcctrial.protocol.dose_history import CycleDoses, dose_history
    from hcctrial.protocol.dosing import bsa_for_dosing, dose_sheet
    from hcctrial.protocol.regimen import default_regimen

    reg = regimen or default_regimen()
    rows: list[dict[str, Any]] = []
    for rec in records:
        b = rec.baseline
        if not rec.cycles or b is None or b.get("height_cm") is None or b.get("weight_kg") is None:
            continue
        exact = body_surface_area_m2(
            float(b["height_cm"]), float(b["weight_kg"]), reg.dosing.bsa_formula
        )
        bsa = bsa_for_dosing(reg, exact)[0]
        cls, note = _child_pugh_class(rec)
        if cls == "C":
            cls, note = "B", "Child-Pugh C at baseline: class B full doses used for the RDI"
        sheet = dose_sheet(reg, bsa_m2=bsa, child_pugh_class=cls, allow_outside_entry=True)
        full = {d.name: d.dose_mg_unrounded for d in sheet.drugs if d.name != "sorafenib"}
        cycles = [
            CycleDoses(
                c.number,
                c.cycle_date,
                bsa,
                {drug: given for drug, (_, given) in c.doses.items() if drug in full},
                full,
                (note,) if note else (),
            )
            for c in rec.cycles
        ]
        for row in dose_history(cycles, reg):
            rows.append({"study_id": rec.study_id, "child_pugh_class": cls, **row.to_dict()})
    return rows
