"""What the report reads: the analysis datasets as plain frozen records (no database, no ORM).

The report is an interface layer: it receives one row per patient (:class:`SubjectRecord`), one row
per patient x time-to-event endpoint (:class:`EndpointRecord`, months), the tumour measurements over
time (:class:`TumourMeasurement`, for the spider plot), treatment timelines (:class:`SwimmerRecord`)
and the trial disposition (:class:`Disposition`, for the CONSORT diagram), bundled in
:class:`ReportInputs`. :mod:`hcctrial.derive` produces these from the raw records;
:func:`report_inputs_from_mappings` accepts the same fields as dicts (CSV exports, tests).

Endpoint names: ``pfs_paper`` (PFS as the seed paper defined it: progression only, deaths without
progression censored), ``pfs`` (progression or death) and ``os`` (death from any cause).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from hcctrial.assess.ae_table import AE_TABLE_TERMS
from hcctrial.errors import DataValidationError

__all__ = [
    "DEFAULT_AE_TERMS",
    "ENDPOINTS",
    "AdverseEventTerm",
    "Disposition",
    "EndpointRecord",
    "ReportInputs",
    "SubjectRecord",
    "SwimmerRecord",
    "TumourMeasurement",
    "report_inputs_from_mappings",
]

#: Endpoint key -> label used in tables and figures.
ENDPOINTS: dict[str, str] = {
    "pfs_paper": "PFS (as the paper defined it: progression only)",
    "pfs": "PFS (standard: progression or death)",
    "os": "Overall survival",
}

BEST_RESPONSES: tuple[str, ...] = ("CR", "PR", "SD", "PD", "NE")


@dataclass(frozen=True)
class AdverseEventTerm:
    """A Table 3 row: the term key (as in the worst-grade maps), its printed label and category."""

    key: str
    label: str
    category: str  # "Haematological" or "Non-haematological"


#: The seed paper's Table 3 rows in its order (keys as in published.json ``table3.rows``): the
#: one definition, :data:`hcctrial.assess.ae_table.AE_TABLE_TERMS`.
DEFAULT_AE_TERMS: tuple[AdverseEventTerm, ...] = tuple(
    AdverseEventTerm(t.key, t.label, t.category) for t in AE_TABLE_TERMS
)


@dataclass(frozen=True)
class SubjectRecord:
    """One enrolled patient's analysis row. None = not recorded (shown as a "Missing" row).

    Units: age in years, ``largest_tumour_cm`` in cm, ``afp_ng_ml`` in ng/mL, times in months.
    ``child_pugh``: the class with its score as derived (``A5``, ``A6``, ``B7``...); ``bclc``: stage
    letter; ``best_response``: CR/PR/SD/PD/NE (mRECIST); ``best_change_pct``: best (most negative)
    % change of the target-lesion sum from baseline; ``worst_grades``: worst CTCAE grade (1-5) per
    term for the patient (terms never seen are absent or 0).
    """

    study_id: str
    sex: str | None = None
    age_years: float | None = None
    largest_tumour_cm: float | None = None
    child_pugh: str | None = None
    bclc: str | None = None
    ecog: int | None = None
    vascular_invasion: bool | None = None
    portal_vein_invasion: bool | None = None
    extrahepatic_spread: bool | None = None
    hbv: bool | None = None
    hbv_dna_high: bool | None = None
    cirrhosis: bool | None = None
    afp_ng_ml: float | None = None
    imaging_modality: str | None = None
    best_response: str | None = None
    best_change_pct: float | None = None
    worst_grades: Mapping[str, int] = field(default_factory=dict)
    n_cycles: int | None = None


@dataclass(frozen=True)
class EndpointRecord:
    """One patient x endpoint: time in months from the first TACE-HAIC, event 1 or censored 0."""

    study_id: str
    endpoint: str
    time_months: float
    event: int


@dataclass(frozen=True)
class TumourMeasurement:
    """A response assessment: months from the first TACE-HAIC and % change of the target sum."""

    study_id: str
    months: float
    change_pct: float


@dataclass(frozen=True)
class SwimmerRecord:
    """One patient's timeline (months): time on treatment, cycles, response onset, PD, death.

    ``response_months``: first CR/PR (None if never); ``progression_months``/``death_months``: None
    if not observed; ``last_contact_months``: end of follow-up (death or censoring).
    """

    study_id: str
    treatment_months: float
    n_cycles: int
    best_response: str | None
    response_months: float | None
    progression_months: float | None
    death_months: float | None
    last_contact_months: float


@dataclass(frozen=True)
class Disposition:
    """The flow from screening to analysis (counts of patients), for the CONSORT diagram.

    ``excluded``: (reason, count) of screened patients not enrolled; the other counts are nested:
    screened >= enrolled >= treated >= assessable; ``analysed`` = patients in the ITT analysis.
    """

    screened: int
    excluded: tuple[tuple[str, int], ...]
    enrolled: int
    treated: int
    assessable: int
    analysed: int
    not_assessable: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report reads. ``title`` heads the documents; ``notes`` are data notes
    (e.g. the demo generator's forced compromises) printed in the report's methods section."""

    subjects: tuple[SubjectRecord, ...]
    endpoints: tuple[EndpointRecord, ...]
    measurements: tuple[TumourMeasurement, ...] = ()
    swimmers: tuple[SwimmerRecord, ...] = ()
    disposition: Disposition | None = None
    ae_terms: tuple[AdverseEventTerm, ...] = DEFAULT_AE_TERMS
    title: str = "Sorafenib + TACE-HAIC (FOLFOX) for intermediate and advanced HCC: trial report"
    notes: tuple[str, ...] = ()
    is_demo: bool = False

    def endpoint_data(self, endpoint: str) -> tuple[list[str], list[float], list[int]]:
        """Return (study ids, times in months, events) of ``endpoint`` in subject order."""
        rows = {r.study_id: r for r in self.endpoints if r.endpoint == endpoint}
        if not rows:
            raise DataValidationError(
                f"endpoint: no rows for {endpoint!r}; expected one of {sorted(ENDPOINTS)}",
                field="endpoint",
            )
        ids = [s.study_id for s in self.subjects if s.study_id in rows]
        return ids, [rows[i].time_months for i in ids], [rows[i].event for i in ids]


def _build(cls: type[Any], row: Mapping[str, Any], what: str, index: int) -> Any:
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(row) - names)
    if unknown:
        raise DataValidationError(
            f"{what} row {index + 1}: unknown field(s) {unknown}; expected fields among "
            f"{sorted(names)}",
            field=what,
        )
    try:
        return cls(**row)
    except TypeError as exc:
        raise DataValidationError(f"{what} row {index + 1}: {exc}", field=what) from None


def report_inputs_from_mappings(
    subjects: Iterable[Mapping[str, Any]],
    endpoints: Iterable[Mapping[str, Any]],
    *,
    measurements: Iterable[Mapping[str, Any]] = (),
    swimmers: Iterable[Mapping[str, Any]] = (),
    disposition: Mapping[str, Any] | None = None,
    **options: Any,
) -> ReportInputs:
    """Return :class:`ReportInputs` from dict rows with the record classes' field names."""
    subj = tuple(_build(SubjectRecord, r, "subjects", i) for i, r in enumerate(subjects))
    ends = tuple(_build(EndpointRecord, r, "endpoints", i) for i, r in enumerate(endpoints))
    meas = tuple(
        _build(TumourMeasurement, r, "measurements", i) for i, r in enumerate(measurements)
    )
    swim = tuple(_build(SwimmerRecord, r, "swimmers", i) for i, r in enumerate(swimmers))
    disp = None
    if disposition is not None:
        d = dict(disposition)
        for key in ("excluded", "not_assessable"):
            if key in d:
                d[key] = tuple((str(a), int(b)) for a, b in _pairs(d[key]))
        disp = _build(Disposition, d, "disposition", 0)
    inputs = ReportInputs(subj, ends, meas, swim, disp, **options)
    check_inputs(inputs)
    return inputs


def _pairs(value: Any) -> Sequence[tuple[Any, Any]]:
    if isinstance(value, Mapping):
        return list(value.items())
    return [tuple(v) for v in value]


def check_inputs(inputs: ReportInputs) -> None:
    """Raise :class:`DataValidationError` on duplicate ids, unknown endpoints or responses."""
    seen: set[str] = set()
    for s in inputs.subjects:
        if s.study_id in seen:
            raise DataValidationError(
                f"subjects: study_id {s.study_id!r} appears twice; expected one row per patient",
                field="study_id",
            )
        seen.add(s.study_id)
        if s.best_response is not None and s.best_response not in BEST_RESPONSES:
            raise DataValidationError(
                f"best_response: got {s.best_response!r} for {s.study_id}; expected one of "
                f"{list(BEST_RESPONSES)} or None",
                field="best_response",
            )
    for e in inputs.endpoints:
        if e.endpoint not in ENDPOINTS:
            raise DataValidationError(
                f"endpoint: got {e.endpoint!r} for {e.study_id}; expected one of {sorted(ENDPOINTS)}",
                field="endpoint",
            )
        if e.study_id not in seen:
            raise DataValidationError(
                f"endpoints: study_id {e.study_id!r} has no subject row", field="study_id"
            )
