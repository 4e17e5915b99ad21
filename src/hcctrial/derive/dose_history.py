"""The dose-history analysis dataset: per patient, drug and cycle, the dose given, the cumulative
dose (epirubicin against its lifetime limit in mg/m²) and the relative dose intensity to date.

One row per (patient, drug, cycle) from the database's raw records
(:class:`hcctrial.derive.records.PatientRecords`), computed by
:func:`hcctrial.protocol.dose_history.dose_history` (the definitions are there). The BSA of each
cycle follows the regimen's weight rule over the pre-cycle examinations (``cycle_exams``: the
baseline's BSA, recomputed from a weight that moved by more than
``dosing.bsa_recompute_weight_change_pct``), as the course engine and the patient page apply it.
The protocol's full dose is that of the patient's Child-Pugh class at baseline (computed from the
labs before cycle 1 as in :mod:`hcctrial.derive.subject`, or the recorded override), class A
when it cannot be computed (the row says so).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hcctrial.derive.records import PatientRecords
from hcctrial.protocol.schema import Regimen

__all__ = ["dose_history_rows", "write_dose_history_csv"]


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


def _cycle_bsas(rec: PatientRecords, reg: Regimen) -> list[float | None]:
    """The BSA (m², rounded as the regimen says) of each cycle by the regimen's weight rule over
    the pre-cycle examinations (:func:`hcctrial.protocol.pre_cycle.bsa_for_cycle`, as the course
    engine and the patient page apply it); None where it cannot be known."""
    from hcctrial.protocol.dose_history import pre_cycle_weight
    from hcctrial.protocol.dosing import bsa_for_dosing
    from hcctrial.protocol.pre_cycle import bsa_for_cycle
    from hcctrial.protocol.record import parse_record

    b = rec.baseline or {}
    exams = [
        {"date": x.exam_date.isoformat()}
        | ({"ecog": x.ecog} if x.ecog is not None else {})
        | ({"weight_kg": float(x.weight_kg)} if x.weight_kg is not None else {})
        for x in rec.exams
    ]
    record = parse_record(
        {
            "patient": {"height_cm": float(b["height_cm"]), "weight_kg": float(b["weight_kg"])},
            "cycles": [
                {"cycle": i, "date": c.cycle_date.isoformat()}
                for i, c in enumerate(rec.cycles, start=1)
            ],
            "exams": exams,
        }
    )
    out: list[float | None] = []
    for i, c in enumerate(record.cycles):
        upto = record.model_copy(update={"cycles": record.cycles[:i]})
        exact, _, _ = bsa_for_cycle(upto, reg, pre_cycle_weight(upto, c.date))
        out.append(None if exact is None else bsa_for_dosing(reg, exact)[0])
    return out


def dose_history_rows(
    records: Iterable[PatientRecords], regimen: Regimen | None = None
) -> list[dict[str, Any]]:
    """Return the dose-history rows of every patient with cycles (see the module docstring)."""
    from hcctrial.protocol.dose_history import CycleDoses, dose_history
    from hcctrial.protocol.dosing import dose_sheet
    from hcctrial.protocol.regimen import default_regimen

    reg = regimen or default_regimen()
    rows: list[dict[str, Any]] = []
    for rec in records:
        b = rec.baseline
        if not rec.cycles or b is None or b.get("height_cm") is None or b.get("weight_kg") is None:
            continue
        bsas = _cycle_bsas(rec, reg)
        cls, note = _child_pugh_class(rec)
        if cls == "C":
            cls, note = "B", "Child-Pugh C at baseline: class B full doses used for the RDI"
        cycles = []
        for c, bsa in zip(rec.cycles, bsas, strict=True):
            if bsa is None:
                continue  # the BSA cannot be known (weight changed, no height): not counted
            sheet = dose_sheet(reg, bsa_m2=bsa, child_pugh_class=cls, allow_outside_entry=True)
            full = {d.name: d.dose_mg_unrounded for d in sheet.drugs if d.name != "sorafenib"}
            given = {drug: g for drug, (_, g) in c.doses.items() if drug in full}
            cycles.append(
                CycleDoses(c.number, c.cycle_date, bsa, given, full, (note,) if note else ())
            )
        for row in dose_history(cycles, reg):
            rows.append({"study_id": rec.study_id, "child_pugh_class": cls, **row.to_dict()})
    return rows


def write_dose_history_csv(
    records: Iterable[PatientRecords], out_dir: Any, regimen: Regimen | None = None
) -> Any:
    """Write ``dose_history.csv`` (one row per patient, drug and cycle: :func:`dose_history_rows`)
    into ``out_dir`` beside ``subjects.csv`` and ``endpoints.csv``; return its path. Notes are
    joined with "; ", missing values empty."""
    import csv
    from pathlib import Path

    rows = dose_history_rows([r for r in records if r.enrolled], regimen)
    path = Path(out_dir) / "dose_history.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        fields = list(rows[0]) if rows else ["study_id", "drug", "cycle"]
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {
                    k: "; ".join(v) if isinstance(v, list) else ("" if v is None else v)
                    for k, v in r.items()
                }
            )
    return path
