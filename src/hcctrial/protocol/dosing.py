"""Per-cycle doses and the infusion timetable of days 1-2, read from a regimen file.

:func:`dose_sheet` returns, for one cycle, every drug's dose (mg) and its start/end:

- BSA-based drugs: ``dose = BSA (m²) x dose_per_m2[Child-Pugh class] x level factor``, in mg,
  rounded half-up to ``dosing.round_to_mg``. The BSA is first rounded to ``dosing.bsa_decimals``
  and capped at ``dosing.bsa_cap_m2`` when the file sets a cap (the seed paper sets none).
  Example (seed regimen, BSA 1.8 m², Child-Pugh A): oxaliplatin 1.8 x 75 = 135 mg,
  5-FU 1.8 x 1.5 g = 2700 mg, leucovorin 1.8 x 200 = 360 mg.
- Fixed-dose drugs (TACE epirubicin 20-40 mg): the file's ``default_mg``, with the range.
- Sorafenib (oral, continuous): the daily dose of the chosen sorafenib level.

Dose levels (``level``): 0 is the full dose; -1, -2, ... are the HAIC reduction levels of the
file (seed regimen: 80 % and 60 % of the full dose), applied to every drug marked
``reducible`` (oxaliplatin and 5-FU; not leucovorin, not epirubicin). ``sorafenib_level`` is
``"start"`` (the starting dose, 200 mg twice daily), or 0 (full, 800 mg/day), -1 (600 mg/day),
-2 (400 mg/day) in the seed regimen.

Timetable: the first drug starts on the first TACE-HAIC day at ``start`` (or at the file's
``cycle.start_clock``); ``start_after`` chains a drug to the end of another, ``start_with`` to its
start. Seed regimen from 08:00: TACE 08:00-10:00, oxaliplatin 10:00-16:00, 5-FU 16:00-10:00 (day 2),
leucovorin 16:00-18:00.

Decimal arithmetic is used so that 1.8 x 75 is 135 exactly, not 134.99999999999997.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from hcctrial.errors import DataValidationError, field_error
from hcctrial.protocol.schema import Drug, Regimen

__all__ = [
    "DoseSheet",
    "DrugDose",
    "SorafenibLevelArg",
    "bsa_for_dosing",
    "dose_sheet",
    "round_dose_mg",
]

SorafenibLevelArg = int | Literal["start"]

#: plausible limits of a BSA given directly (m²)
_BSA_MIN, _BSA_MAX = 0.3, 4.0


@dataclass(frozen=True)
class DrugDose:
    """One drug of the cycle: dose in mg, route, and timing.

    ``start_offset_h``/``end_offset_h`` are hours from the start of day 1 of the cycle (00:00);
    ``start``/``end`` are clock datetimes when the cycle start is known. Sorafenib is continuous:
    its ``dose_mg`` is the daily dose and it has no duration or end.
    """

    name: str
    component: str
    route: str
    dose_mg: float
    dose_mg_unrounded: float
    dose_per_m2_mg: float | None
    level_factor: float
    dose_range_mg: tuple[float, float] | None
    duration_h: float | None
    start_offset_h: float
    end_offset_h: float | None
    start: datetime | None
    end: datetime | None
    schedule: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form used by ``hcctrial dose --json``."""

        def day_clock(offset: float | None) -> tuple[int | None, str | None]:
            if offset is None:
                return None, None
            minutes = round(offset * 60)
            day, rest = divmod(minutes, 24 * 60)
            return day + 1, f"{rest // 60:02d}:{rest % 60:02d}"

        sd, sc = day_clock(self.start_offset_h)
        ed, ec = day_clock(self.end_offset_h)
        return {
            "name": self.name,
            "component": self.component,
            "dose_mg": self.dose_mg,
            "dose_mg_unrounded": self.dose_mg_unrounded,
            "dose_per_m2_mg": self.dose_per_m2_mg,
            "level_factor": self.level_factor,
            "dose_range_mg": None if self.dose_range_mg is None else list(self.dose_range_mg),
            "route": self.route,
            "duration_h": self.duration_h,
            "start": None if self.start is None else self.start.isoformat(timespec="minutes"),
            "end": None if self.end is None else self.end.isoformat(timespec="minutes"),
            "start_day": sd,
            "start_clock": sc,
            "end_day": ed,
            "end_clock": ec,
            "schedule": self.schedule,
            "note": self.note,
        }


@dataclass(frozen=True)
class DoseSheet:
    """The doses and timetable of one cycle."""

    regimen_id: str
    bsa_m2: float
    bsa_m2_given: float
    bsa_capped: bool
    child_pugh_class: str
    level: int
    level_factor: float
    sorafenib_level: SorafenibLevelArg | None
    start: datetime | None
    drugs: tuple[DrugDose, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def drug(self, name: str) -> DrugDose:
        """Return the dose of drug ``name`` (KeyError when the sheet has none)."""
        for d in self.drugs:
            if d.name == name:
                return d
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form used by ``hcctrial dose --json``."""
        return {
            "regimen": self.regimen_id,
            "bsa_m2": self.bsa_m2,
            "bsa_m2_given": self.bsa_m2_given,
            "bsa_capped": self.bsa_capped,
            "child_pugh": self.child_pugh_class,
            "level": self.level,
            "level_factor": self.level_factor,
            "sorafenib_level": self.sorafenib_level,
            "start": None if self.start is None else self.start.isoformat(timespec="minutes"),
            "drugs": [d.to_dict() for d in self.drugs],
            "notes": list(self.notes),
        }


def _dec(x: float | int | str) -> Decimal:
    return Decimal(str(x))


def round_dose_mg(dose_mg: float | Decimal, step_mg: float) -> float:
    """Return ``dose_mg`` rounded half-up to a multiple of ``step_mg`` (e.g. 134.5 -> 135 for 1 mg)."""
    step = _dec(step_mg)
    d = dose_mg if isinstance(dose_mg, Decimal) else _dec(dose_mg)
    return float((d / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step)


def bsa_for_dosing(regimen: Regimen, bsa_m2: float) -> tuple[float, bool]:
    """Return (BSA used for dosing, whether the cap applied): rounded, then capped per the file."""
    if (
        isinstance(bsa_m2, bool)
        or not isinstance(bsa_m2, int | float)
        or not (_BSA_MIN <= bsa_m2 <= _BSA_MAX)
    ):
        raise field_error(
            "bsa_m2", bsa_m2, f"a body-surface area between {_BSA_MIN} and {_BSA_MAX} m²"
        )
    q = Decimal(1).scaleb(-regimen.dosing.bsa_decimals)
    rounded = _dec(bsa_m2).quantize(q, rounding=ROUND_HALF_UP)
    cap = regimen.dosing.bsa_cap_m2
    if cap != "none" and rounded > _dec(cap):
        return float(_dec(cap)), True
    return float(rounded), False


#: The words of a decision on a Child-Pugh class outside the protocol's entry classes.
OUTSIDE_ENTRY = "outside the protocol's liver function; the paper is silent: investigator decision"


def _child_pugh_key(
    child_pugh_class: object, regimen: Regimen, *, allow_outside_entry: bool
) -> tuple[Literal["A", "B"], str | None]:
    """Return (class letter, note) for a Child-Pugh class or label ("A", "B7").

    A label whose letter contradicts its points is refused ("B10", "A9"); class C has no dose; a
    label outside the entry classes (B8, B9) is refused unless ``allow_outside_entry`` (then the
    sheet carries a note): the paper doses "Child-Pugh B" but admits only B7.
    """
    from hcctrial.clinical.scores import parse_child_pugh_label

    value = getattr(child_pugh_class, "value", child_pugh_class)
    cls, total = parse_child_pugh_label(child_pugh_class, field="child_pugh")
    if cls.value == "C":
        raise DataValidationError(
            f"child_pugh: got {value!r}; Child-Pugh C is not eligible for TACE-HAIC and has no "
            "dose in the regimen; expected A or B",
            field="child_pugh",
        )
    allowed = regimen.eligibility.child_pugh_allowed
    note = None
    if total is not None and f"{cls.value}{total}" not in allowed:
        words = (
            f"Child-Pugh {cls.value}{total} is not one of the entry classes {', '.join(allowed)} "
            f"({regimen.eligibility.child_pugh_quote!r}): {OUTSIDE_ENTRY}"
        )
        if not allow_outside_entry:
            raise DataValidationError(f"child_pugh: got {value!r}; {words}", field="child_pugh")
        note = words + "; dosed as class " + cls.value + " at the investigator's decision"
    return ("A" if cls.value == "A" else "B"), note


def _drug_dose(
    drug: Drug, bsa: Decimal, cp: Literal["A", "B"], factor: Decimal, step: float
) -> tuple[float, float, float | None, tuple[float, float] | None]:
    f = factor if drug.reducible else Decimal(1)
    if drug.dose_per_m2 is not None:
        per_m2 = _dec(getattr(drug.dose_per_m2, cp)) * (1000 if drug.dose_unit == "g" else 1)
        exact = bsa * per_m2 * f
        return round_dose_mg(exact, step), float(exact), float(per_m2), None
    assert drug.fixed_dose is not None
    fd = drug.fixed_dose
    exact = _dec(fd.default_mg) * f
    return round_dose_mg(exact, step), float(exact), None, (fd.min_mg, fd.max_mg)


def _sorafenib_dose(
    regimen: Regimen,
    sorafenib_level: SorafenibLevelArg,
    start_offset: float,
    start: datetime | None,
) -> DrugDose:
    s = regimen.sorafenib
    assert s is not None
    if sorafenib_level == "start":
        daily, schedule = s.start_daily_mg, s.start_schedule
        note = f"starting dose; {s.escalate_when}"
    else:
        levels = {lv.level: lv for lv in s.levels}
        if isinstance(sorafenib_level, bool) or sorafenib_level not in levels:
            raise field_error(
                "sorafenib_level",
                sorafenib_level,
                "'start' or one of the sorafenib levels of the regimen "
                f"{sorted(levels, reverse=True)}",
            )
        lv = levels[sorafenib_level]
        daily, schedule = lv.daily_mg, lv.schedule
        note = "full dose" if sorafenib_level == 0 else "reduced dose"
    return DrugDose(
        name="sorafenib",
        component="sorafenib",
        route=s.route,
        dose_mg=float(daily),
        dose_mg_unrounded=float(daily),
        dose_per_m2_mg=None,
        level_factor=1.0,
        dose_range_mg=None,
        duration_h=None,
        start_offset_h=start_offset,
        end_offset_h=None,
        start=start,
        end=None,
        schedule=f"{schedule}, continuous (daily dose {daily:g} mg)",
        note=note,
    )


def dose_sheet(
    regimen: Regimen,
    *,
    bsa_m2: float,
    child_pugh_class: object,
    level: int = 0,
    sorafenib_level: SorafenibLevelArg = "start",
    start: datetime | None = None,
    allow_outside_entry: bool = False,
    bsa_note: str | None = None,
) -> DoseSheet:
    """Return the doses (mg) and timetable of one TACE-HAIC cycle under ``regimen``.

    ``bsa_m2``: body-surface area in m² (rounded and capped per the file); ``child_pugh_class``:
    "A" or "B" (a ChildPughClass or "A6"/"B7" also work; C is refused); ``level``: HAIC dose
    level of the file (0 = full); ``sorafenib_level``: "start" or a sorafenib level of the file
    (ignored when the regimen has no sorafenib); ``start``: date and clock time of day 1 (the
    first drug's start); when None the file's ``cycle.start_clock`` gives the clock times and
    ``start``/``end`` datetimes stay None. A Child-Pugh label outside the regimen's entry classes
    (B8, B9) is refused unless ``allow_outside_entry``; ``bsa_note`` (how the BSA was obtained, e.g.
    recomputed from the cycle's weight) is printed among the sheet's notes.

    >>> from hcctrial.protocol.regimen import default_regimen
    >>> dose_sheet(default_regimen(), bsa_m2=1.8, child_pugh_class="A").drug("oxaliplatin").dose_mg
    135.0
    """
    cp, cp_note = _child_pugh_key(
        child_pugh_class, regimen, allow_outside_entry=allow_outside_entry
    )
    if isinstance(level, bool) or not isinstance(level, int):
        raise field_error("level", level, "an integer dose level (0 = full dose)")
    try:
        lv = regimen.haic_level(level)
    except KeyError:
        levels = sorted((x.level for x in regimen.dosing.haic_levels), reverse=True)
        raise field_error(
            "level", level, f"one of the HAIC dose levels of regimen {regimen.id!r}: {levels}"
        ) from None
    bsa, capped = bsa_for_dosing(regimen, bsa_m2)
    factor = _dec(lv.factor)
    step = regimen.dosing.round_to_mg

    first_day = regimen.cycle.tace_haic_days[0]
    if start is None:
        hh, mm = (int(x) for x in regimen.cycle.start_clock.split(":"))
        clock = time(hh, mm)
    else:
        clock = start.time()
    day1_origin = (start - timedelta(days=first_day - 1)) if start is not None else None
    base_offset = (first_day - 1) * 24 + clock.hour + clock.minute / 60 + clock.second / 3600
    midnight = (
        None
        if day1_origin is None
        else datetime.combine(day1_origin.date(), time(0, 0), tzinfo=day1_origin.tzinfo)
    )

    def at(offset: float | None) -> datetime | None:
        if midnight is None or offset is None:
            return None
        return midnight + timedelta(hours=offset)

    timing: dict[str, tuple[float, float]] = {}
    doses: list[DrugDose] = []
    for drug in regimen.drugs:
        if drug.start_after:
            begin = timing[drug.start_after][1]
        elif drug.start_with:
            begin = timing[drug.start_with][0]
        else:
            begin = base_offset
        finish = begin + drug.duration_h
        timing[drug.name] = (begin, finish)
        dose, exact, per_m2, rng = _drug_dose(drug, _dec(bsa), cp, factor, step)
        f = float(factor) if drug.reducible else 1.0
        note = drug.vehicle
        if drug.fixed_dose is not None:
            note = "; ".join(
                x
                for x in (
                    f"fixed dose {drug.fixed_dose.min_mg:g}-{drug.fixed_dose.max_mg:g} mg",
                    drug.fixed_dose.default_source,
                    drug.vehicle,
                )
                if x
            )
        doses.append(
            DrugDose(
                name=drug.name,
                component=drug.component,
                route=drug.route,
                dose_mg=dose,
                dose_mg_unrounded=exact,
                dose_per_m2_mg=per_m2,
                level_factor=f,
                dose_range_mg=rng,
                duration_h=drug.duration_h,
                start_offset_h=begin,
                end_offset_h=finish,
                start=at(begin),
                end=at(finish),
                schedule=f"{drug.route} over {drug.duration_h:g} h",
                note=note,
            )
        )
    notes = [n for n in (bsa_note, cp_note) if n]
    if capped:
        notes.append(f"BSA {bsa_m2:g} m² capped at {bsa:g} m² (dosing.bsa_cap_m2)")
    s_level: SorafenibLevelArg | None = None
    if regimen.sorafenib is not None:
        s_level = sorafenib_level
        doses.append(_sorafenib_dose(regimen, sorafenib_level, base_offset, at(base_offset)))
    return DoseSheet(
        regimen_id=regimen.id,
        bsa_m2=bsa,
        bsa_m2_given=float(bsa_m2),
        bsa_capped=capped,
        child_pugh_class=cp,
        level=level,
        level_factor=float(factor),
        sorafenib_level=s_level,
        start=start,
        drugs=tuple(doses),
        notes=tuple(notes),
    )
