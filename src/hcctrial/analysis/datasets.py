"""What the analysis reads: one row per patient (subject variables, worst AE grades) and one row per
patient and time-to-event endpoint (time in days, status 0 / 1 / 2), plus the rules that select
patients from them (populations, subgroup levels, Cox covariates).

The analysis datasets are plain frozen values, made by :mod:`hcctrial.derive.datasets` from the
trial database (the only producer of real data) or by :func:`hcctrial.report.inputs.analysis_datasets`
from the report's record mappings (CSV, tests). Nothing here knows of the database.

**Subject variables** (:data:`SUBJECT_VARIABLES`) are the vocabulary a plan may name in population
rules, subgroups and Cox covariates; :mod:`hcctrial.analysis.schema` refuses any other name when
the plan is loaded, with the key path. A value the data do not hold is ``None``.

**Rules over the data** (:func:`condition_holds`, :func:`subgroup_level`, :func:`covariate_value`)
are a fixed set of comparisons of one variable with constants (``==``, ``!=``, ``<``, ``<=``,
``>``, ``>=``, ``in``, ``not in``), all of which must hold: a table of conditions, not an
expression language. A patient whose variable is missing satisfies no condition (he is left out
of the population, and counted as left out for that reason).

**Times** are in days from the endpoint's origin; the plan's time unit converts them
(:attr:`hcctrial.analysis.schema.TimeUnit.days_per_unit`). ``status``: 0 censored, 1 the event of
interest, 2 a competing event (only in cumulative-incidence endpoints).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from hcctrial.errors import DataValidationError

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.analysis.schema import Condition, Covariate, Subgroup

__all__ = [
    "SUBJECT_VARIABLES",
    "AnalysisDatasets",
    "SubjectData",
    "TimeToEvent",
    "Value",
    "VariableKind",
    "check_datasets",
    "condition_holds",
    "covariate_value",
    "select_population",
    "subgroup_level",
    "subgroup_levels",
]

#: A subject variable's value: a category (str), a number, a flag, or None (not recorded).
Value = str | int | float | bool | None
VariableKind = Literal["category", "number", "boolean"]

#: The subject variables a plan may name: name -> (kind, meaning with unit).
SUBJECT_VARIABLES: dict[str, tuple[VariableKind, str]] = {
    "sex": ("category", "sex: male / female"),
    "age_years": ("number", "age at enrolment, years"),
    "ecog": ("number", "ECOG performance status at baseline, 0-4"),
    "n_nodules": ("number", "number of liver nodules at baseline"),
    "largest_tumour_cm": ("number", "largest tumour diameter at baseline, cm"),
    "vascular_invasion": ("boolean", "macrovascular invasion at baseline"),
    "portal_vein_invasion": ("boolean", "portal-vein invasion at baseline"),
    "extrahepatic_spread": ("boolean", "extrahepatic spread (metastasis) at baseline"),
    "hbv": ("boolean", "hepatitis B virus infection"),
    "hbv_dna_high": ("boolean", "HBV DNA > 2 x 10^3 copies/mL"),
    "cirrhosis": ("boolean", "cirrhosis"),
    "afp_ng_ml": ("number", "alpha-fetoprotein at baseline, ng/mL"),
    "imaging": ("category", "response imaging modality: MRI / CT"),
    "child_pugh_class": ("category", "Child-Pugh class derived at baseline: A / B / C"),
    "child_pugh_score": ("number", "Child-Pugh points derived at baseline, 5-15"),
    "albi_grade": ("number", "ALBI grade derived at baseline, 1-3"),
    "bclc": ("category", "BCLC stage derived at baseline: 0 / A / B / C / D"),
    "best_response": ("category", "best overall response (mRECIST): CR / PR / SD / PD / NE"),
    "n_cycles": ("number", "TACE-HAIC cycles given"),
    "major_deviations": ("number", "major protocol deviations recorded"),
    "withdrawn": ("boolean", "withdrawn from the protocol before its planned end"),
}


@dataclass(frozen=True)
class SubjectData:
    """One enrolled patient: subject variables by name and the worst CTCAE grade per AE-table row
    of the plan (0 = none recorded, None = lab values recorded but none gradable)."""

    study_id: str
    values: Mapping[str, Value]
    worst_grades: Mapping[str, int | None] = field(default_factory=dict)

    def value(self, name: str) -> Value:
        """Return variable ``name`` (None when not recorded)."""
        return self.values.get(name)


@dataclass(frozen=True)
class TimeToEvent:
    """One patient's time for one endpoint: days from the endpoint's origin and the status
    (0 censored, 1 event of interest, 2 competing event)."""

    study_id: str
    endpoint: str
    days: float
    status: int


@dataclass(frozen=True)
class AnalysisDatasets:
    """The analysis datasets: enrolled patients, their endpoint rows, and how many were screened
    (None when unknown). ``source`` says where they come from (shown in the results)."""

    subjects: tuple[SubjectData, ...]
    events: tuple[TimeToEvent, ...]
    n_screened: int | None = None
    source: str = ""

    @cached_property
    def _by_endpoint(self) -> dict[str, dict[str, TimeToEvent]]:
        out: dict[str, dict[str, TimeToEvent]] = {}
        for r in self.events:
            out.setdefault(r.endpoint, {})[r.study_id] = r
        return out

    def endpoint_rows(self, endpoint: str) -> dict[str, TimeToEvent]:
        """Return study id -> row of ``endpoint`` (empty when the endpoint was not derived)."""
        return dict(self._by_endpoint.get(endpoint, {}))

    def endpoints(self) -> frozenset[str]:
        """Return the endpoint keys present in the datasets."""
        return frozenset(self._by_endpoint)


def check_datasets(data: AnalysisDatasets) -> None:
    """Raise :class:`DataValidationError` on a duplicate patient, an endpoint row of an unknown
    patient or a duplicate one, a negative or non-finite time, or a status other than 0, 1, 2."""
    import math

    seen: set[str] = set()
    for s in data.subjects:
        if s.study_id in seen:
            raise DataValidationError(
                f"subjects: study_id {s.study_id!r} appears twice; expected one row per patient",
                field="study_id",
            )
        seen.add(s.study_id)
    pairs: set[tuple[str, str]] = set()
    for r in data.events:
        where = f"endpoint {r.endpoint!r}, patient {r.study_id!r}"
        if r.study_id not in seen:
            raise DataValidationError(
                f"{where}: no subject row; expected endpoint rows of enrolled patients only",
                field="study_id",
            )
        if (r.study_id, r.endpoint) in pairs:
            raise DataValidationError(
                f"{where}: two rows; expected one row per patient and endpoint", field="endpoint"
            )
        pairs.add((r.study_id, r.endpoint))
        if not (isinstance(r.days, int | float) and math.isfinite(r.days) and r.days >= 0):
            raise DataValidationError(
                f"{where}: time {r.days!r} days; expected a finite time >= 0", field="days"
            )
        if r.status not in (0, 1, 2):
            raise DataValidationError(
                f"{where}: status {r.status!r}; expected 0 (censored), 1 (event) or 2 "
                "(competing event)",
                field="status",
            )


def _as_number(v: Value) -> float | None:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return None
    return float(v)


def _key(v: object) -> tuple[str, object]:
    """A comparison key that does not confuse True with 1 or "B" with "b " (categories compare
    case-insensitively after trimming, as the derived data spell them)."""
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, int | float):
        return ("n", float(v))
    if isinstance(v, str):
        return ("s", v.strip().lower())
    return ("o", repr(v))


def _predicate(cond: Condition) -> Callable[[Value], bool | None]:
    """The test of ``cond`` on one value (None when it cannot be decided: value missing)."""
    if cond.op in ("in", "not in", "==", "!="):
        values = cond.value if isinstance(cond.value, list) else [cond.value]
        keys = {_key(c) for c in values}
        inside = cond.op in ("in", "==")
        return lambda v: None if v is None else (_key(v) in keys) == inside
    c = _as_number(cond.value)  # type: ignore[arg-type]
    compare: Callable[[float, float], bool] = {
        "<": lambda x, y: x < y,
        "<=": lambda x, y: x <= y,
        ">": lambda x, y: x > y,
        ">=": lambda x, y: x >= y,
    }[cond.op]

    def test(v: Value) -> bool | None:
        x = _as_number(v)
        return None if x is None or c is None else compare(x, c)

    return test


def condition_holds(subject: SubjectData, cond: Condition) -> bool | None:
    """Return whether ``subject`` satisfies ``cond``; None when the variable is not recorded."""
    return _predicate(cond)(subject.value(cond.variable))


def subgroup_levels(subjects: Sequence[SubjectData], sg: Subgroup) -> list[str | None]:
    """Return each patient's level label of subgroup ``sg`` (None: missing or in no level).

    Levels by values: the first level listing the patient's value. Levels by cut points
    c1 < c2 < ...: (-inf, c1], (c1, c2], ..., (ck, inf), "<= c" closed on the right as Table 1
    bins tumour size ("<= 5", "> 5 to 10", "> 10").
    """
    labels = sg.level_labels()
    out: list[str | None] = []
    if sg.cut_points:
        for s in subjects:
            x = _as_number(s.value(sg.variable))
            out.append(None if x is None else labels[sum(1 for c in sg.cut_points if x > c)])
        return out
    lookup: dict[tuple[str, object], str] = {}
    for level in sg.levels:
        for c in level.values:
            lookup.setdefault(_key(c), level.label)
    for s in subjects:
        v = s.value(sg.variable)
        out.append(None if v is None else lookup.get(_key(v)))
    return out


def subgroup_level(subject: SubjectData, sg: Subgroup) -> str | None:
    """Return the label of ``subject``'s level of subgroup ``sg`` (see :func:`subgroup_levels`)."""
    return subgroup_levels([subject], sg)[0]


def covariate_value(subject: SubjectData, cov: Covariate) -> float | None:
    """Return the design-matrix value of ``cov`` for ``subject`` (None when missing).

    ``indicator``: 1 when the value is one of ``values``, else 0; ``above``: 1 when the value is
    greater than ``threshold``; ``continuous``: the value itself (a number).
    """
    v = subject.value(cov.variable)
    if v is None:
        return None
    if cov.coding == "indicator":
        return 1.0 if _key(v) in {_key(c) for c in cov.values} else 0.0
    x = _as_number(v)
    if x is None:
        return None
    if cov.coding == "above":
        assert cov.threshold is not None
        return 1.0 if x > cov.threshold else 0.0
    return x


def select_population(
    subjects: Sequence[SubjectData], conditions: Sequence[Condition]
) -> tuple[tuple[SubjectData, ...], int, int]:
    """Return (patients meeting every condition, number failing one, number left out because a
    variable the rule needs is not recorded)."""
    kept: list[SubjectData] = []
    failed = missing = 0
    tests = [(c.variable, _predicate(c)) for c in conditions]
    for s in subjects:
        verdicts = [test(s.value(name)) for name, test in tests]
        if all(v is True for v in verdicts):
            kept.append(s)
        elif any(v is False for v in verdicts):
            failed += 1
        else:
            missing += 1
    return tuple(kept), failed, missing
