"""The rules that compare the records of one patient, each a function of the patient's chart.

Every check is registered under its rule's id (``@chart_check("RULE-ID")``) and returns the
:class:`~hcctrial.services.rules.Finding` s of one chart. The unit of work runs every check on the
charts a change touches, before and after the change, and refuses the change when it brings a
finding that was not there before (:func:`new_findings`): a record saved before a rule existed
does not block unrelated work on the same patient, and the rules themselves never depend on how
the records arrived (form, API, import, demo).

The numbers the rules need beside the records -- today's date and its tolerance, the regimen's
drugs and full doses -- come in a :class:`RuleContext`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from hcctrial.services.charts import CHART_TABLES, DATE_COLUMNS, Chart
from hcctrial.services.rules import Finding, finding, rule
from hcctrial.services.states import ACCEPTS, STATE_TABLES, consistent_statuses
from hcctrial.store.models import PatientStatus, Verdict, VitalStatus

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.protocol.schema import Regimen

__all__ = [
    "CHART_CHECKS",
    "MAX_BSA_M2",
    "MAX_GIVEN_RATIO",
    "RuleContext",
    "chart_check",
    "chart_findings",
    "new_findings",
]

#: The largest body surface area a planned dose may be computed for, m² (DOSE-PLAUSIBLE).
MAX_BSA_M2 = 3.0
#: A given dose may exceed the planned dose by at most this factor (DOSE-PLAUSIBLE).
MAX_GIVEN_RATIO = 1.25


@dataclass(frozen=True)
class RuleContext:
    """What the rules read beside the records: the date and the regimen's drugs and doses.

    ``max_planned_mg``: per drug, the largest plausible planned dose in mg (the regimen's full
    dose at BSA :data:`MAX_BSA_M2` for the Child-Pugh class with the larger dose; the largest
    fixed dose; sorafenib's full daily dose).
    """

    today: date
    future_tolerance_days: int
    max_planned_mg: Mapping[str, float]

    @property
    def latest_date(self) -> date:
        """The latest date a record may carry (today plus the tolerance)."""
        return self.today + timedelta(days=self.future_tolerance_days)

    @classmethod
    def of(cls, regimen: Regimen, today: date, future_tolerance_days: int) -> RuleContext:
        """The context for ``regimen`` on ``today``."""
        return cls(today, future_tolerance_days, _max_planned_mg(regimen))


_MAX_PLANNED: dict[int, tuple[Regimen, dict[str, float]]] = {}


def _max_planned_mg(regimen: Regimen) -> dict[str, float]:
    """The largest plausible planned dose per drug of ``regimen`` (computed once per regimen)."""
    known = _MAX_PLANNED.get(id(regimen))
    if known is not None and known[0] is regimen:
        return known[1]
    out = _max_planned_of(regimen)
    _MAX_PLANNED[id(regimen)] = (regimen, out)
    return out


def _max_planned_of(regimen: Regimen) -> dict[str, float]:
    out: dict[str, float] = {}
    for drug in regimen.drugs:
        if drug.fixed_dose is not None:
            out[drug.name] = float(drug.fixed_dose.max_mg)
        else:
            assert drug.dose_per_m2 is not None
            per_m2 = max(drug.dose_per_m2.A, drug.dose_per_m2.B)
            factor = 1000.0 if drug.dose_unit == "g" else 1.0
            out[drug.name] = per_m2 * factor * MAX_BSA_M2
    if regimen.sorafenib is not None:
        out["sorafenib"] = max(level.daily_mg for level in regimen.sorafenib.levels)
    return out


ChartCheck = Callable[[Chart, RuleContext], Iterable[Finding]]

#: "patients" in a check's scope or context: the patient row (its dates, its status).
PATIENT = "patients"
_DATED = frozenset(DATE_COLUMNS)
_ALL = frozenset(CHART_TABLES) | {PATIENT}


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: the function, the tables whose rows its findings are on (``scope``)
    and the other tables it reads (``context``).

    The promise a check makes (a test holds it to it): the findings on a row of a ``scope`` table
    depend only on that table's rows and the ``context`` tables. So a change to other tables
    cannot change them, and the unit of work loads and checks only what a change can affect.
    """

    rule: str
    fn: ChartCheck
    scope: frozenset[str]
    context: frozenset[str]

    def tables_for(self, changed: frozenset[str]) -> frozenset[str] | None:
        """The tables to load to re-check after a change of ``changed`` tables (None: the
        change cannot affect this check's findings)."""
        if changed & self.context:
            return self.scope | self.context
        touched = changed & self.scope
        return touched | self.context if touched else None


#: rule id -> the registered check of one chart that enforces it
CHART_CHECKS: dict[str, CheckSpec] = {}


def chart_check(
    rule_id: str, *, scope: Iterable[str], context: Iterable[str] = ()
) -> Callable[[ChartCheck], ChartCheck]:
    """Register a check of one chart under ``rule_id`` (which must be in the rule registry),
    with the tables its findings are on and the other tables it reads (:class:`CheckSpec`)."""
    rule(rule_id)

    def register(fn: ChartCheck) -> ChartCheck:
        CHART_CHECKS[rule_id] = CheckSpec(rule_id, fn, frozenset(scope), frozenset(context))
        return fn

    return register


def checks_for(changed: Iterable[str]) -> tuple[list[CheckSpec], frozenset[str]]:
    """The checks a change of the ``changed`` tables can affect, and the tables they need."""
    changed = frozenset(changed)
    chosen: list[CheckSpec] = []
    tables: set[str] = set()
    for spec in CHART_CHECKS.values():
        needed = spec.tables_for(changed)
        if needed is not None:
            chosen.append(spec)
            tables |= needed
    return chosen, frozenset(tables)


def chart_findings(
    chart: Chart, ctx: RuleContext, specs: Iterable[CheckSpec] | None = None
) -> list[Finding]:
    """Every finding of the checks ``specs`` (default: every registered check) on ``chart``."""
    out: list[Finding] = []
    for spec in CHART_CHECKS.values() if specs is None else specs:
        out.extend(spec.fn(chart, ctx))
    return out


def _key(f: Finding) -> tuple[str, str, int | None, str | None]:
    return (f.rule, f.table, f.row, f.field)


def new_findings(before: Iterable[Finding], after: Iterable[Finding]) -> list[Finding]:
    """The findings of ``after`` that ``before`` did not have (same rule, record and field)."""
    seen = {_key(f) for f in before}
    return [f for f in after if _key(f) not in seen]


def _dated(chart: Chart, tables: Iterable[str]) -> Iterator[tuple[str, dict[str, Any], str, date]]:
    """(table, row, column, date) of every date of ``tables`` in ``chart`` (patient included)."""
    for table in tables:
        rows = [chart.patient] if table == "patients" else chart.of(table)
        for column in DATE_COLUMNS[table]:
            for row in rows:
                value = row.get(column)
                if value is not None:
                    yield table, row, column, value


def _sid(chart: Chart) -> str:
    return str(chart.patient.get("study_id", chart.patient.get("id")))


# ------------------------------------------------------------------------------------ dates
@chart_check("DATE-FUTURE", scope=_DATED)
def _future(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    limit = ctx.latest_date
    for table, row, column, value in _dated(chart, DATE_COLUMNS):
        if value > limit:
            yield finding(
                "DATE-FUTURE",
                table,
                row["id"],
                column,
                table=table,
                field=column,
                value=value,
                limit=limit,
            )


@chart_check("DATE-BEFORE-SCREENING", scope=_DATED - {"screenings"}, context={"screenings"})
def _before_screening(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    screening = chart.screening
    if screening is None:
        return
    first = screening["screening_date"]
    for table, row, column, value in _dated(chart, [t for t in DATE_COLUMNS if t != "screenings"]):
        if value < first:
            yield finding(
                "DATE-BEFORE-SCREENING",
                table,
                row["id"],
                column,
                table=table,
                field=column,
                value=value,
                screening=first,
            )


_AFTER_DEATH_TABLES = tuple(t for t in DATE_COLUMNS if t != "followups")


@chart_check("AFTER-DEATH", scope=_DATED - {"followups"}, context={"followups"})
def _after_death(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    death = chart.death_date()
    if death is None:
        return
    for table, row, column, value in _dated(chart, _AFTER_DEATH_TABLES):
        if value > death:
            yield finding(
                "AFTER-DEATH",
                table,
                row["id"],
                column,
                table=table,
                field=column,
                value=value,
                death=death,
            )


@chart_check("DEATH-UNIQUE", scope={"followups"})
def _death_unique(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    deaths = [r for r in chart.of("followups") if r["vital_status"] is VitalStatus.DEAD]
    for row in deaths[1:]:
        yield finding(
            "DEATH-UNIQUE",
            "followups",
            row["id"],
            "vital_status",
            study_id=_sid(chart),
            death=deaths[0]["contact_date"],
        )


@chart_check("FOLLOW-UP-AFTER-DEATH", scope={"followups"})
def _alive_after_death(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    death = chart.death_date()
    if death is None:
        return
    for row in chart.of("followups"):
        if row["vital_status"] is VitalStatus.ALIVE and row["contact_date"] >= death:
            yield finding(
                "FOLLOW-UP-AFTER-DEATH",
                "followups",
                row["id"],
                "contact_date",
                value=row["contact_date"],
                death=death,
            )


_AFTER_WITHDRAWAL = (
    ("patients", "enrolment_date"),
    ("baselines", "assessment_date"),
    ("lab_results", "sample_date"),
    ("cycle_exams", "exam_date"),
    ("treatment_cycles", "cycle_date"),
    ("adverse_events", "onset_date"),
    ("imaging_assessments", "assessment_date"),
    ("protocol_deviations", "deviation_date"),
)


@chart_check("AFTER-WITHDRAWAL", scope={t for t, _ in _AFTER_WITHDRAWAL}, context={"withdrawals"})
def _after_withdrawal(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    withdrawals = chart.of("withdrawals")
    if not withdrawals:
        return
    day = min(w["withdrawal_date"] for w in withdrawals)
    for table, column in _AFTER_WITHDRAWAL:
        rows = [chart.patient] if table == "patients" else chart.of(table)
        for row in rows:
            value = row.get(column)
            if value is not None and value > day:
                yield finding(
                    "AFTER-WITHDRAWAL",
                    table,
                    row["id"],
                    column,
                    table=table,
                    field=column,
                    value=value,
                    withdrawal=day,
                )


@chart_check("AE-RESOLUTION-ORDER", scope={"adverse_events"})
def _resolution_order(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    for row in chart.of("adverse_events"):
        end = row.get("resolution_date")
        if end is not None and end < row["onset_date"]:
            yield finding(
                "AE-RESOLUTION-ORDER",
                "adverse_events",
                row["id"],
                "resolution_date",
                value=end,
                onset=row["onset_date"],
            )


# ---------------------------------------------------------------------------- the patient's state
@chart_check("STATE-ACCEPTS", scope=_ALL - {PATIENT}, context={PATIENT})
def _accepts(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    status = chart.patient.get("status")
    if not isinstance(status, PatientStatus):
        return
    accepted = ACCEPTS.get(status)
    if accepted is None:
        return
    for table, rows in chart.rows.items():
        if table in accepted:
            continue
        for row in rows:
            yield finding(
                "STATE-ACCEPTS",
                table,
                row["id"],
                None,
                study_id=_sid(chart),
                status=status.value.replace("_", " "),
                record=_WORDS.get(table, table),
            )


_WORDS = {
    "baselines": "a baseline",
    "treatment_cycles": "a treatment cycle",
    "cycle_doses": "a dose line",
    "adverse_events": "an adverse event",
    "imaging_assessments": "a scan",
    "lesion_measurements": "a lesion measurement",
    "followups": "a follow-up contact",
    "protocol_deviations": "a protocol deviation",
    "withdrawals": "a withdrawal",
}


@chart_check("STATUS-RECORDS", scope={PATIENT}, context=STATE_TABLES)
def _status_records(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    status = chart.patient.get("status")
    allowed = consistent_statuses(chart)
    if status not in allowed:
        yield finding(
            "STATUS-RECORDS",
            "patients",
            chart.patient["id"],
            "status",
            study_id=_sid(chart),
            value=getattr(status, "value", status),
            expected=" or ".join(sorted(s.value for s in allowed))
            + " (the state the patient's records give)",
        )


@chart_check("ENROL-ELIGIBLE", scope={PATIENT}, context={"screenings"})
def _enrol_eligible(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    screening = chart.screening
    enrolled = chart.patient.get("enrolment_date")
    eligible = screening is not None and bool(screening["eligible"])
    if enrolled is not None and not eligible:
        why = (
            "no screening"
            if screening is None
            else "a screening that found the patient not eligible"
        )
        yield finding(
            "ENROL-ELIGIBLE",
            "patients",
            chart.patient["id"],
            "enrolment_date",
            value=enrolled,
            expected=f"none: the patient has {why} (enrolment needs an eligible screening)",
        )
    elif enrolled is None and eligible:
        yield finding(
            "ENROL-ELIGIBLE",
            "patients",
            chart.patient["id"],
            "enrolment_date",
            value=None,
            expected="the enrolment date: the screening found the patient eligible",
        )


@chart_check("SCREEN-VERDICTS", scope={"screenings"}, context={"screening_criteria"})
def _screen_verdicts(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    screening = chart.screening
    criteria = chart.of("screening_criteria")
    if screening is None or not criteria:
        return
    verdicts = {c["verdict"] for c in criteria}
    if Verdict.NOT_MET in verdicts:
        expected, ok = "not eligible (a criterion is not met)", not screening["eligible"]
    elif Verdict.NOT_EVALUABLE in verdicts:
        expected, ok = "undecided (a criterion is not evaluable)", False
    else:
        expected, ok = "eligible (every criterion is met)", bool(screening["eligible"])
    if not ok:
        yield finding(
            "SCREEN-VERDICTS",
            "screenings",
            screening["id"],
            "eligible",
            value=screening["eligible"],
            expected=expected,
        )


# --------------------------------------------------------------------------- one of a kind
#: table -> (the columns that identify a record once, words for it)
_ONCE: dict[str, tuple[tuple[str, ...], str]] = {
    "screenings": ((), "a screening of this patient"),
    "baselines": ((), "a baseline of this patient"),
    "withdrawals": ((), "a withdrawal of this patient"),
    "screening_criteria": (("screening_id", "criterion_id"), "this criterion's verdict"),
    "cycle_doses": (("cycle_id", "drug"), "a dose line of this drug in this cycle"),
    "lesion_measurements": (("imaging_id", "lesion_id"), "this lesion on this scan"),
    "imaging_assessments": (("assessment_date",), "a scan of this patient on this date"),
    "cycle_exams": (("exam_date",), "a pre-cycle examination of this patient on this date"),
}


@chart_check("RECORD-UNIQUE", scope=_ONCE)
def _unique(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    for table, (columns, what) in _ONCE.items():
        seen: set[tuple[Any, ...]] = set()
        for row in chart.of(table):
            key = tuple(row.get(c) for c in columns)
            if key in seen:
                shown = ", ".join(f"{c} {row.get(c)}" for c in columns) or f"patient {_sid(chart)}"
                yield finding(
                    "RECORD-UNIQUE",
                    table,
                    row["id"],
                    columns[-1] if columns else None,
                    what=what[0].upper() + what[1:],
                    key=shown,
                )
            seen.add(key)


@chart_check("LAB-DUPLICATE", scope={"lab_results"})
def _lab_duplicate(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    seen: set[tuple[Any, ...]] = set()
    for row in chart.of("lab_results"):
        key = (row["sample_date"], row["analyte"], row["value_entered"], row["unit_entered"])
        if key in seen:
            yield finding(
                "LAB-DUPLICATE",
                "lab_results",
                row["id"],
                "sample_date",
                analyte=row["analyte"],
                value=row["value_entered"],
                unit=row["unit_entered"],
                date=row["sample_date"],
                study_id=_sid(chart),
            )
        seen.add(key)


# ------------------------------------------------------------------------------ treatment
def _cycles(chart: Chart) -> list[dict[str, Any]]:
    return sorted(chart.of("treatment_cycles"), key=lambda r: (r["cycle_number"], r["id"] < 0))


@chart_check("CYCLE-CONSECUTIVE", scope={"treatment_cycles"})
def _consecutive(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    for expected, row in enumerate(_cycles(chart), start=1):
        if row["cycle_number"] != expected:
            yield finding(
                "CYCLE-CONSECUTIVE",
                "treatment_cycles",
                row["id"],
                "cycle_number",
                value=row["cycle_number"],
                expected=f"{expected} (cycles are numbered 1, 2, 3, ... without gaps)",
            )


@chart_check("CYCLE-ORDER", scope={"treatment_cycles"})
def _cycle_order(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    cycles = _cycles(chart)
    for prev, row in pairwise(cycles):
        if row["cycle_date"] <= prev["cycle_date"]:
            yield finding(
                "CYCLE-ORDER",
                "treatment_cycles",
                row["id"],
                "cycle_date",
                value=row["cycle_date"],
                number=row["cycle_number"],
                previous=prev["cycle_number"],
                previous_date=prev["cycle_date"],
            )


@chart_check("CYCLE-AFTER-FOLLOW-UP", scope={"treatment_cycles"}, context={"followups"})
def _cycle_after_follow_up(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    alive = [
        r["contact_date"] for r in chart.of("followups") if r["vital_status"] is VitalStatus.ALIVE
    ]
    if not alive:
        return
    first = min(alive)
    for row in chart.of("treatment_cycles"):
        if row["cycle_date"] > first:
            yield finding(
                "CYCLE-AFTER-FOLLOW-UP",
                "treatment_cycles",
                row["id"],
                "cycle_date",
                value=row["cycle_date"],
                follow_up=first,
            )


@chart_check("DOSE-DRUG", scope={"cycle_doses"})
def _dose_drug(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    for row in chart.of("cycle_doses"):
        if row["drug"] not in ctx.max_planned_mg:
            yield finding(
                "DOSE-DRUG",
                "cycle_doses",
                row["id"],
                "drug",
                value=row["drug"],
                drugs=", ".join(sorted(ctx.max_planned_mg)),
            )


@chart_check("DOSE-PLAUSIBLE", scope={"cycle_doses"})
def _dose_plausible(chart: Chart, ctx: RuleContext) -> Iterator[Finding]:
    for row in chart.of("cycle_doses"):
        top = ctx.max_planned_mg.get(row["drug"])
        if top is None:
            continue  # DOSE-DRUG says so
        planned, given = row["planned_mg"], row["given_mg"]
        if planned > top:
            yield finding(
                "DOSE-PLAUSIBLE",
                "cycle_doses",
                row["id"],
                "planned_mg",
                field="planned_mg",
                value=planned,
                drug=row["drug"],
                limit=f"{top:g}",
                why=f"the regimen's full dose at BSA {MAX_BSA_M2:g} m²",
            )
        elif given > MAX_GIVEN_RATIO * planned:
            yield finding(
                "DOSE-PLAUSIBLE",
                "cycle_doses",
                row["id"],
                "given_mg",
                field="given_mg",
                value=given,
                drug=row["drug"],
                limit=f"{MAX_GIVEN_RATIO * planned:g}",
                why=f"{MAX_GIVEN_RATIO:g} x the planned {planned:g} mg",
            )


from hcctrial.services import checks_exams as _exams  # noqa: E402,F401  (registers its checks)
from hcctrial.services import checks_scans as _scans  # noqa: E402,F401  (registers its checks)
