"""What must be known before a TACE-HAIC cycle, from the regimen's ``[pre_cycle]`` table.

:func:`pre_cycle_check` returns the reasons a cycle must wait (fail closed) and, when it may go,
the Child-Pugh class and the BSA to dose with:

- every lab of ``pre_cycle.labs`` must have a value in the window (at most ``window_days`` before
  the decision date and after the last cycle) that CTCAE can grade (its limits of normal given);
- the day-1 thresholds of ``dose_modifications.start_cycle_labs`` must hold on the latest value;
- the pre-cycle examination (``pre_cycle.exam``: ECOG and weight) must lie in the window; an ECOG
  above the entry limit (``eligibility.ecog_max``) holds the cycle, whenever it was recorded;
- Child-Pugh is computed from labs inside the window only; class C, or a label outside the entry
  classes (B8, B9), holds the cycle ("outside the protocol's liver function; the paper is silent:
  investigator decision");
- the BSA is recomputed from the pre-cycle weight when it differs from the weight of the BSA in
  use by more than ``dosing.bsa_recompute_weight_change_pct`` (stated on the dose sheet); without a
  height it cannot be, and the cycle waits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from hcctrial.protocol.course_result import DEFAULT_SOURCE, PAPER, PAPER_SOURCE, Reason
from hcctrial.protocol.dosing import OUTSIDE_ENTRY
from hcctrial.protocol.record import PatientRecord
from hcctrial.protocol.schema import Regimen
from hcctrial.protocol.toxicity import GradedLab

__all__ = ["PreCycleCheck", "bsa_for_cycle", "latest_ecog", "pre_cycle_check"]


@dataclass
class PreCycleCheck:
    """Reasons to wait (empty: the cycle may go), the Child-Pugh class and label, the BSA."""

    holds: list[Reason] = field(default_factory=list)
    child_pugh_class: str | None = None
    child_pugh_label: str | None = None
    bsa_m2: float | None = None
    bsa_note: str | None = None


def _compare(x: float, op: str, y: float) -> bool:
    return {">": x > y, ">=": x >= y, "<": x < y, "<=": x <= y}[op]


def _in_window(day: date, start: date, on: date, last: date | None) -> bool:
    return start <= day <= on and (last is None or day > last)


def _since(start: date, on: date, last: date | None) -> str:
    text = f"between {start} and {on}"
    return text + (f" (after the last cycle on {last})" if last is not None else "")


def _required_labs(
    regimen: Regimen, graded: list[GradedLab], start: date, on: date, last: date | None
) -> list[Reason]:
    pc = regimen.pre_cycle
    out = []
    quote = pc.quote
    for analyte in pc.labs:
        rows = [g for g in graded if g.lab.analyte == analyte]
        inside = [g for g in rows if _in_window(g.lab.date, start, on, last)]
        rule = f"pre_cycle_{analyte}"
        if not inside:
            older = [g.lab.date for g in rows if g.lab.date <= on]
            stale = f"; the latest is from {max(older)}" if older else ""
            out.append(
                Reason(
                    rule,
                    f"no {analyte} recorded {_since(start, on, last)}: a required pre-cycle lab "
                    f"is missing in the {pc.window_days}-day window{stale}",
                    quote,
                    pc.source,
                )
            )
            continue
        latest_day = max(g.lab.date for g in inside)
        for i, lab, term, grade, text in inside:
            if lab.date != latest_day or grade is not None:
                continue
            out.append(
                Reason(
                    rule,
                    f"labs[{i}] {analyte} on {latest_day} cannot be graded as {term}: {text}; a "
                    "required pre-cycle lab must be gradable (give its limits of normal)",
                    quote,
                    pc.source,
                )
            )
    return out


def _start_cycle_labs(
    rec: PatientRecord, regimen: Regimen, start: date, on: date, last: date | None
) -> list[Reason]:
    from hcctrial.clinical.units import canonical_value

    out = []
    for req in regimen.dose_modifications.start_cycle_labs:
        vals = [
            x for x in rec.labs if x.analyte == req.analyte and _in_window(x.date, start, on, last)
        ]
        if not vals:
            continue  # reported by the required-labs check (or not required by this regimen)
        x = vals[-1]
        value = canonical_value(x.analyte, x.value, x.unit)
        limit = canonical_value(req.analyte, req.value, req.unit)
        if not _compare(value, req.op, limit):
            unit = f" {x.unit}" if x.unit else ""
            out.append(
                Reason(
                    f"pre_cycle_{req.analyte}",
                    f"{req.analyte} {x.value:g}{unit} on {x.date}; the cycle needs {req.analyte} "
                    f"{req.op} {req.value:g} {req.unit}",
                    f"{req.analyte} {req.op} {req.value:g} {req.unit} on day 1 of a cycle",
                    req.source,
                )
            )
    return out


def latest_ecog(rec: PatientRecord, on: date) -> tuple[int, str] | None:
    """The latest ECOG PS recorded up to ``on`` and where: exams, cycles, else the baseline."""
    dated = [
        (c.date, 0, c.ecog, f"cycles[{i}]") for i, c in enumerate(rec.cycles) if c.ecog is not None
    ]
    dated += [
        (x.date, 1, x.ecog, f"exams[{i}]") for i, x in enumerate(rec.exams) if x.ecog is not None
    ]
    dated = [d for d in dated if d[0] <= on]
    if dated:
        day, _, ecog, where = max(dated, key=lambda d: (d[0], d[1]))
        assert ecog is not None
        return ecog, f"{where} on {day}"
    if rec.patient.ecog is not None:
        return rec.patient.ecog, "patient.ecog (baseline)"
    return None


def _exam(
    rec: PatientRecord, regimen: Regimen, start: date, on: date, last: date | None
) -> tuple[list[Reason], tuple[float, date] | None]:
    pc = regimen.pre_cycle
    holds = []
    e = regimen.eligibility
    known = latest_ecog(rec, on)
    if known is not None and known[0] > e.ecog_max:
        holds.append(
            Reason(
                "ecog_above_entry_limit",
                f"ECOG performance status {known[0]} ({known[1]}): above the entry limit "
                f"0-{e.ecog_max}",
                e.ecog_quote,
                f"{DEFAULT_SOURCE} (the entry limit applied before each cycle: ECOG >= "
                f"{e.ecog_max + 1} holds treatment)",
            )
        )
    inside = [x for x in rec.exams if _in_window(x.date, start, on, last)]
    weight = None
    for item in pc.exam:
        vals = [x for x in inside if getattr(x, item) is not None]
        if not vals:
            what = "ECOG performance status" if item == "ecog" else "weight"
            holds.append(
                Reason(
                    f"pre_cycle_{item}",
                    f"no {what} recorded {_since(start, on, last)}: the pre-cycle examination is "
                    "missing",
                    pc.quote,
                    pc.source,
                )
            )
        elif item == "weight_kg":
            w = vals[-1]
            assert w.weight_kg is not None
            weight = (float(w.weight_kg), w.date)
    return holds, weight


def _weights(rec: PatientRecord) -> list[tuple[date, float]]:
    """Weights recorded on cycle days and examinations, in date order."""
    out = [(c.date, float(c.weight_kg)) for c in rec.cycles if c.weight_kg is not None]
    out += [(x.date, float(x.weight_kg)) for x in rec.exams if x.weight_kg is not None]
    return sorted(out)


def bsa_for_cycle(
    rec: PatientRecord, regimen: Regimen, weight_now: tuple[float, date] | None
) -> tuple[float | None, str, Reason | None]:
    """Return (BSA in m² or None, how it was obtained, reason to wait or None).

    The BSA in use starts from the baseline (``patient.bsa_m2``, else height and weight) and is
    recomputed at each cycle whose weight moved by more than the regimen's percentage from the
    weight it was computed with; the next cycle does the same with the pre-cycle weight.
    """
    from hcctrial.clinical.body import body_surface_area_m2

    p = rec.patient
    d = regimen.dosing
    pct = d.bsa_recompute_weight_change_pct
    history = _weights(rec)
    ref_w = float(p.weight_kg) if p.weight_kg is not None else (history[0][1] if history else None)
    if p.bsa_m2 is not None:
        ref_bsa = float(p.bsa_m2)
        basis = f"BSA {ref_bsa:g} m² as recorded"
    else:
        assert p.height_cm is not None and ref_w is not None
        ref_bsa = body_surface_area_m2(p.height_cm, ref_w, d.bsa_formula)
        basis = f"BSA {ref_bsa:.2f} m² ({d.bsa_formula}) from {p.height_cm:g} cm and {ref_w:g} kg"
    last_cycle = rec.cycles[-1].date if rec.cycles else None
    steps = [(day, w) for day, w in history if last_cycle is not None and day <= last_cycle]
    if weight_now is not None:
        steps.append((weight_now[1], weight_now[0]))
    recomputed_now = False
    for day, w in steps:
        if ref_w is None:
            ref_w = w
            continue
        change = 100.0 * (w - ref_w) / ref_w
        if abs(change) <= pct:
            continue
        if p.height_cm is None:
            why = Reason(
                "bsa_recompute_needs_height",
                f"weight {w:g} kg on {day} differs by {change:+.1f} % from {ref_w:g} kg (more "
                f"than {pct:g} %): the BSA must be recomputed, but the record has no height_cm",
                f"BSA recomputed when the weight changes by more than {pct:g} %",
                d.bsa_recompute_source,
            )
            return None, basis, why
        ref_bsa = body_surface_area_m2(p.height_cm, w, d.bsa_formula)
        basis = (
            f"BSA recomputed to {ref_bsa:.2f} m² ({d.bsa_formula}) from weight {w:g} kg on {day} "
            f"({change:+.1f} % from {ref_w:g} kg, more than {pct:g} %: "
            "dosing.bsa_recompute_weight_change_pct)"
        )
        ref_w = w
        recomputed_now = weight_now is not None and (day, w) == (weight_now[1], weight_now[0])
    if weight_now is not None and ref_w is not None and not recomputed_now:
        change = 100.0 * (weight_now[0] - ref_w) / ref_w
        basis += (
            f"; weight {weight_now[0]:g} kg on {weight_now[1]} ({change:+.1f} % from {ref_w:g} "
            f"kg, within {pct:g} %): BSA kept"
        )
    return ref_bsa, basis, None


def _child_pugh(
    rec: PatientRecord, regimen: Regimen, start: date, on: date, last: date | None
) -> tuple[str | None, str | None, Reason | None]:
    from hcctrial.clinical.scores import child_pugh
    from hcctrial.clinical.units import canonical_value

    latest: dict[str, float] = {}
    for lab in rec.labs:
        if lab.analyte in ("bilirubin", "albumin", "inr", "pt_prolongation") and _in_window(
            lab.date, start, on, last
        ):
            latest[lab.analyte] = canonical_value(lab.analyte, lab.value, lab.unit)
    missing = [a for a in ("bilirubin", "albumin") if a not in latest]
    if "inr" not in latest and "pt_prolongation" not in latest:
        missing.append("inr (or pt_prolongation)")
    if missing:
        finding = f"no {', '.join(missing)} recorded {_since(start, on, last)}: Child-Pugh cannot be computed from labs inside the window"
        return (
            None,
            None,
            Reason("child_pugh_for_dosing", finding, PAPER["child_pugh"], PAPER_SOURCE),
        )
    ascites, enceph = rec.patient.ascites, rec.patient.encephalopathy
    for ex in rec.liver_exams:
        if ex.date <= on:
            ascites, enceph = ex.ascites, ex.encephalopathy
    inr = latest.get("inr")
    cp = child_pugh(
        latest["bilirubin"],
        latest["albumin"],
        ascites,
        enceph,
        inr=inr,
        pt_prolongation_s=None if inr is not None else latest["pt_prolongation"],
    )
    finding = f"Child-Pugh {cp.label} (points {cp.points}) from the labs {_since(start, on, last)}"
    allowed = regimen.eligibility.child_pugh_allowed
    if cp.label in allowed:
        return cp.child_class.value, cp.label, None
    if cp.child_class.value == "C":
        why = Reason(
            "child_pugh_c",
            finding + ": the regimen doses Child-Pugh A and B only",
            PAPER["child_pugh"],
            f"{DEFAULT_SOURCE} (Child-Pugh C has no dose: hold and re-check)",
        )
    else:
        why = Reason(
            "child_pugh_outside_entry",
            f"{finding}: not one of the entry classes {', '.join(allowed)}: {OUTSIDE_ENTRY}",
            regimen.eligibility.child_pugh_quote,
            f"{DEFAULT_SOURCE} (hold while the liver function is outside the entry classes)",
            interpretation=True,
            alternative=f"dose as Child-Pugh class {cp.child_class.value} "
            "(the paper gives a class-B dose but admits only B7)",
        )
    return None, cp.label, why


def pre_cycle_check(
    rec: PatientRecord,
    regimen: Regimen,
    graded: list[GradedLab],
    on: date,
) -> PreCycleCheck:
    """Return what holds the next cycle before it can be dosed, and the dosing inputs."""
    last = rec.cycles[-1].date if rec.cycles else None
    start = on - timedelta(days=regimen.pre_cycle.window_days)
    out = PreCycleCheck()
    out.holds += _required_labs(regimen, graded, start, on, last)
    out.holds += _start_cycle_labs(rec, regimen, start, on, last)
    exam_holds, weight = _exam(rec, regimen, start, on, last)
    out.holds += exam_holds
    cls, label, why = _child_pugh(rec, regimen, start, on, last)
    out.child_pugh_class, out.child_pugh_label = cls, label
    if why is not None:
        out.holds.append(why)
    bsa, note, bsa_why = bsa_for_cycle(rec, regimen, weight)
    out.bsa_m2, out.bsa_note = bsa, note
    if bsa_why is not None:
        out.holds.append(bsa_why)
    return out
