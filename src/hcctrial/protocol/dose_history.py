"""Dose history: cumulative dose per drug and relative dose intensity (RDI) over time.

For each cycle given and each drug of the regimen, :func:`dose_history` returns the dose given (mg
and mg/m² of that cycle's BSA), the running cumulative dose (mg and mg/m²; for epirubicin against
its lifetime limit, ``drugs[].cumulative_limit_mg_m2`` of the regimen file), and the relative dose
intensity to date, the usual definition (Hryniuk; Longo et al., J Clin Oncol 1991):

    delivered intensity = cumulative mg/m² given / weeks elapsed,
    weeks elapsed       = (this cycle's day 1 - cycle 1's day 1) / 7 + planned cycle length,
    planned intensity   = cumulative mg/m² of the protocol's full doses / (cycles x planned length),
    RDI                 = delivered / planned.

The planned cycle length is the regimen's ``cycle.min_weeks`` (4 weeks: the shortest interval the
paper allows, "4- to 6-wk cycle"), so that a cycle delayed to week 6 lowers the RDI; this is a
reading of ours (the alternative, 6 weeks, would make every on-time cycle look over-intense), and
every result says so (``planned_weeks``). The full dose is the protocol's dose for the Child-Pugh
class of that cycle at level 0; doses given at a reduced level lower the RDI, which is the point.

Pure arithmetic on what the caller passes (:class:`CycleDoses`), so that the course-engine record
(:func:`dose_history_of_record`) and the database's derived datasets
(:mod:`hcctrial.derive.dose_history`) share one computation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hcctrial.protocol.record import PatientRecord, parse_record
from hcctrial.protocol.schema import Regimen

__all__ = [
    "CycleDoses",
    "DoseHistoryRow",
    "SorafenibHistory",
    "dose_history",
    "dose_history_of_record",
    "pre_cycle_weight",
    "sorafenib_history",
]


@dataclass(frozen=True)
class CycleDoses:
    """One cycle: day 1, BSA (m²), and per drug the dose given and the protocol's full dose (mg)."""

    cycle: int
    day: date
    bsa_m2: float
    given_mg: Mapping[str, float]
    full_dose_mg: Mapping[str, float]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DoseHistoryRow:
    """One drug at one cycle, with the running totals to that cycle."""

    drug: str
    cycle: int
    day: date
    given_mg: float
    given_mg_m2: float
    full_dose_mg_m2: float
    cumulative_mg: float
    cumulative_mg_m2: float
    limit_mg_m2: float | None
    fraction_of_limit: float | None
    delivered_mg_m2_per_week: float
    planned_mg_m2_per_week: float
    relative_dose_intensity: float
    planned_weeks: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form (a row of the derived dataset)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["day"] = self.day.isoformat()
        out["notes"] = list(self.notes)
        return out


def dose_history(cycles: Sequence[CycleDoses], regimen: Regimen) -> tuple[DoseHistoryRow, ...]:
    """Return the dose history of the cycles given (see the module docstring), drug by drug."""
    weeks = regimen.cycle.min_weeks
    limits = {d.name: d.cumulative_limit_mg_m2 for d in regimen.drugs}
    ordered = sorted(cycles, key=lambda c: c.day)
    rows: list[DoseHistoryRow] = []
    for drug in [d.name for d in regimen.drugs]:
        cum_mg = cum_m2 = cum_full = 0.0
        first = None
        for n, c in enumerate(ordered, start=1):
            if drug not in c.given_mg or drug not in c.full_dose_mg:
                continue
            first = first or c.day
            given = float(c.given_mg[drug])
            cum_mg += given
            cum_m2 += given / c.bsa_m2
            full_m2 = float(c.full_dose_mg[drug]) / c.bsa_m2
            cum_full += full_m2
            elapsed = (c.day - first).days / 7 + weeks
            delivered = cum_m2 / elapsed
            planned = cum_full / (n * weeks)
            limit = limits.get(drug)
            rows.append(
                DoseHistoryRow(
                    drug=drug,
                    cycle=c.cycle,
                    day=c.day,
                    given_mg=given,
                    given_mg_m2=round(given / c.bsa_m2, 4),
                    full_dose_mg_m2=round(full_m2, 4),
                    cumulative_mg=round(cum_mg, 4),
                    cumulative_mg_m2=round(cum_m2, 4),
                    limit_mg_m2=limit,
                    fraction_of_limit=None if limit is None else round(cum_m2 / limit, 4),
                    delivered_mg_m2_per_week=round(delivered, 4),
                    planned_mg_m2_per_week=round(planned, 4),
                    relative_dose_intensity=round(delivered / planned, 4) if planned else 0.0,
                    planned_weeks=weeks,
                    notes=c.notes,
                )
            )
    return tuple(rows)


def _full_doses(
    regimen: Regimen, bsa: float, child_pugh: str, level: int
) -> tuple[dict[str, float], dict[str, float]]:
    """(protocol full doses at level 0, doses at the cycle's level) in mg, from the dosing layer."""
    from hcctrial.protocol.dosing import dose_sheet

    full = dose_sheet(regimen, bsa_m2=bsa, child_pugh_class=child_pugh, allow_outside_entry=True)
    at_level = dose_sheet(
        regimen, bsa_m2=bsa, child_pugh_class=child_pugh, level=level, allow_outside_entry=True
    )
    pick = {d.name for d in regimen.drugs}
    return (
        {d.name: d.dose_mg_unrounded for d in full.drugs if d.name in pick},
        {d.name: d.dose_mg for d in at_level.drugs if d.name in pick},
    )


def pre_cycle_weight(rec: PatientRecord, on: date) -> tuple[float, date] | None:
    """The weight (kg, date) the BSA rule reads for a cycle on ``on`` after the cycles of
    ``rec``: the latest examined since the last cycle and on or before ``on``, else None. (A
    weight recorded on the cycle itself, ``cycles[].weight_kg``, is the caller's to prefer.)"""
    last = rec.cycles[-1].date if rec.cycles else None
    weights = [
        (float(x.weight_kg), x.date)
        for x in rec.exams
        if x.weight_kg is not None and x.date <= on and (last is None or x.date > last)
    ]
    return weights[-1] if weights else None


def dose_history_of_record(
    record: PatientRecord | dict[str, Any], regimen: Regimen
) -> tuple[DoseHistoryRow, ...]:
    """Return the dose history of a course-engine record (:mod:`hcctrial.protocol.record`).

    Doses given are the cycles' ``doses_mg``; a drug without a recorded dose is counted at the
    dose of the cycle's HAIC level (noted). The BSA of each cycle follows the regimen's weight
    rule (:func:`hcctrial.protocol.pre_cycle.bsa_for_cycle`); the Child-Pugh class is computed
    from the labs in the pre-cycle window of each cycle, else class A is assumed (noted).
    """
    from hcctrial.protocol.dosing import bsa_for_dosing
    from hcctrial.protocol.pre_cycle import _child_pugh, bsa_for_cycle

    rec = parse_record(record, ctcae_version=regimen.assessment.ctcae_version)
    out: list[CycleDoses] = []
    for i, c in enumerate(rec.cycles):
        notes: list[str] = []
        upto = rec.model_copy(update={"cycles": rec.cycles[:i]})
        last = rec.cycles[i - 1].date if i else None
        weight = (
            (float(c.weight_kg), c.date)
            if c.weight_kg is not None
            else pre_cycle_weight(upto, c.date)
        )
        exact, _, _problem = bsa_for_cycle(upto, regimen, weight)
        if exact is None:
            continue  # the BSA cannot be known (weight changed, no height): not counted
        bsa = bsa_for_dosing(regimen, exact)[0]
        start = c.date - timedelta(days=regimen.pre_cycle.window_days)
        cls, _, _ = _child_pugh(upto, regimen, start, c.date, last)
        if cls is None:
            cls = "A"
            notes.append(
                f"cycle {c.cycle}: Child-Pugh not computable from the labs; class A assumed"
            )
        full, at_level = _full_doses(regimen, bsa, cls, c.haic_level)
        given = {k: float(v) for k, v in c.doses_mg.items() if k in full}
        for drug in full:
            if drug not in given:
                given[drug] = at_level[drug]
                notes.append(f"cycle {c.cycle}: {drug} not recorded; the level {c.haic_level} dose")
        out.append(CycleDoses(c.cycle, c.date, bsa, given, full, tuple(notes)))
    return dose_history(out, regimen)


@dataclass(frozen=True)
class SorafenibHistory:
    """Sorafenib taken from its first day to ``until``: days, cumulative mg, the full dose's mg
    (level 0 every day) and the relative dose intensity (cumulative / full)."""

    first_day: date
    until: date
    days: int
    cumulative_mg: float
    full_dose_mg: float
    relative_dose_intensity: float

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "first_day": self.first_day.isoformat(),
            "until": self.until.isoformat(),
            "days": self.days,
            "cumulative_mg": self.cumulative_mg,
            "full_dose_mg": self.full_dose_mg,
            "relative_dose_intensity": self.relative_dose_intensity,
        }


def sorafenib_history(
    record: PatientRecord | dict[str, Any], regimen: Regimen, until: date
) -> SorafenibHistory | None:
    """Return the sorafenib taken by the patient of ``record`` up to ``until`` (inclusive).

    Each day counts the daily dose of the level in effect (the starting dose, a level, 0 while
    paused or after a stop), from ``treatment_start`` (else the first recorded level). None when
    the regimen has no sorafenib or the record no start.
    """
    from hcctrial.protocol.course_sorafenib import _timeline, daily_mg

    if regimen.sorafenib is None:
        return None
    rec = parse_record(record, ctcae_version=regimen.assessment.ctcae_version)
    timeline = _timeline(rec)
    first = rec.treatment_start or (timeline[0][0] if timeline else None)
    if first is None or until < first:
        return None
    total = 0.0
    level: object = "start"
    changes = sorted(timeline, key=lambda t: t[0])
    day = first
    k = 0
    while day <= until:
        while k < len(changes) and changes[k][0] <= day:
            level = changes[k][1]
            k += 1
        if level not in ("paused", "stopped"):
            total += daily_mg(regimen, level)  # type: ignore[arg-type]
        day += timedelta(days=1)
    days = (until - first).days + 1
    full = days * daily_mg(regimen, 0)
    return SorafenibHistory(first, until, days, total, full, round(total / full, 4))
