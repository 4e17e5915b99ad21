"""What the report reads: the analysis datasets as plain frozen records (no database, no ORM).

The report is an interface layer: it receives one row per patient (:class:`SubjectRecord`), one row
per patient x time-to-event endpoint (:class:`EndpointRecord`, months), the tumour measurements over
time (:class:`TumourMeasurement`, for the spider plot), treatment timelines (:class:`SwimmerRecord`)
and the trial disposition (:class:`Disposition`, for the CONSORT diagram), bundled in
:class:`ReportInputs`. :mod:`hcctrial.derive` produces these from the raw records;
:func:`report_inputs_from_mappings` accepts the same fields as dicts (CSV exports, tests).

Every statistic comes from the plan's one analysis (:func:`hcctrial.analysis.run.analyse`) of the
analysis datasets: those derived from the database travel with the inputs (``datasets``); for
inputs given as records, :func:`analysis_datasets` makes them from the records.

Endpoint names are the plan's (the seed plan: ``pfs_paper``, PFS as the paper defined it --
progression only, deaths without progression censored; ``pfs``, progression or death; ``os``;
``ttp``, ``dor``, ``ttf``, ``cif_progression``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from hcctrial.analysis.datasets import AnalysisDatasets, SubjectData, TimeToEvent, Value
from hcctrial.errors import DataValidationError

__all__ = [
    "DAYS_PER_MONTH",
    "Disposition",
    "EndpointRecord",
    "ReportInputs",
    "SubjectRecord",
    "SwimmerRecord",
    "TumourMeasurement",
    "analysis_datasets",
    "report_inputs_from_mappings",
]

#: The months of :class:`EndpointRecord` (days / 30.4375, as :mod:`hcctrial.derive` writes them).
DAYS_PER_MONTH = 30.4375

BEST_RESPONSES: tuple[str, ...] = ("CR", "PR", "SD", "PD", "NE")


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
    major_deviations: int | None = None
    withdrawn: bool | None = None


@dataclass(frozen=True)
class EndpointRecord:
    """One patient x endpoint: time in months (days / 30.4375) from the endpoint's origin, event
    1, censored 0, or 2 a competing event."""

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
    #: Treated patients whose treatment ended, by reason (withdrawal, progression, death).
    discontinued: tuple[tuple[str, int], ...] = ()
    lost_to_follow_up: int = 0
    #: Enrolled patients not analysed yet (mid-trial), by the record they lack.
    not_analysed: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Completeness:
    """Counts of enrolled patients by the records they have, and those not analysed yet.

    ``set_aside``: (study id, reason) of enrolled patients the derivations cannot use yet.
    """

    enrolled: int
    with_baseline: int
    treated: int
    assessed: int
    followed: int
    set_aside: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report reads. ``title`` heads the documents; ``notes`` are data notes
    (e.g. the demo generator's forced compromises) printed in the report's methods section;
    ``datasets``: the analysis datasets derived with the records (None: made from the records)."""

    subjects: tuple[SubjectRecord, ...]
    endpoints: tuple[EndpointRecord, ...]
    measurements: tuple[TumourMeasurement, ...] = ()
    swimmers: tuple[SwimmerRecord, ...] = ()
    disposition: Disposition | None = None
    title: str = "Sorafenib + TACE-HAIC (FOLFOX) for intermediate and advanced HCC: trial report"
    notes: tuple[str, ...] = ()
    is_demo: bool = False
    datasets: AnalysisDatasets | None = None
    #: The database's lock state as the locks feature states it (None: not locked / no feature).
    lock_state: str | None = None
    #: Records per enrolled patient and the patients not analysed yet (None: not from a database).
    completeness: Completeness | None = None
    #: The dose-history rows of the patients analysed (:mod:`hcctrial.derive.dose_history`, as
    #: ``dose_history.csv``; one per patient, drug and cycle), for the dose-intensity table
    #: (None: not derived from the records, the table is left out).
    dose_history: tuple[Mapping[str, Any], ...] | None = None

    def endpoint_data(self, endpoint: str) -> tuple[list[str], list[float], list[int]]:
        """Return (study ids, times in months, events) of ``endpoint`` in subject order."""
        rows = {r.study_id: r for r in self.endpoints if r.endpoint == endpoint}
        if not rows:
            raise DataValidationError(
                f"endpoint: no rows for {endpoint!r}; expected one of "
                f"{sorted({r.endpoint for r in self.endpoints})}",
                field="endpoint",
            )
        ids = [s.study_id for s in self.subjects if s.study_id in rows]
        return ids, [rows[i].time_months for i in ids], [rows[i].event for i in ids]


def _child_pugh_class(cp: str | None) -> str | None:
    return None if not cp else cp.strip().upper()[:1]


def _child_pugh_score(cp: str | None) -> int | None:
    digits = "".join(c for c in (cp or "") if c.isdigit())
    return int(digits) if digits else None


def subject_values(s: SubjectRecord) -> dict[str, Value]:
    """Return a report subject record as the analysis' subject variables (None: not recorded)."""
    return {
        "sex": s.sex,
        "age_years": s.age_years,
        "ecog": s.ecog,
        "n_nodules": None,
        "largest_tumour_cm": s.largest_tumour_cm,
        "vascular_invasion": s.vascular_invasion,
        "portal_vein_invasion": s.portal_vein_invasion,
        "extrahepatic_spread": s.extrahepatic_spread,
        "hbv": s.hbv,
        "hbv_dna_high": s.hbv_dna_high,
        "cirrhosis": s.cirrhosis,
        "afp_ng_ml": s.afp_ng_ml,
        "imaging": None if s.imaging_modality is None else s.imaging_modality.upper(),
        "child_pugh_class": _child_pugh_class(s.child_pugh),
        "child_pugh_score": _child_pugh_score(s.child_pugh),
        "albi_grade": None,
        "bclc": None if s.bclc is None else s.bclc.upper(),
        "best_response": s.best_response or "NE",
        "n_cycles": s.n_cycles,
        "major_deviations": s.major_deviations,
        "withdrawn": s.withdrawn,
    }


def analysis_datasets(inputs: ReportInputs) -> AnalysisDatasets:
    """Return the analysis datasets of ``inputs``: those derived with them, else made from the
    records (times back in days: months x 30.4375)."""
    if inputs.datasets is not None:
        return inputs.datasets
    return AnalysisDatasets(
        tuple(
            SubjectData(s.study_id, subject_values(s), dict(s.worst_grades))
            for s in inputs.subjects
        ),
        tuple(
            TimeToEvent(e.study_id, e.endpoint, e.time_months * DAYS_PER_MONTH, int(e.event))
            for e in inputs.endpoints
        ),
        inputs.disposition.screened if inputs.disposition is not None else None,
        "report inputs",
    )


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
        if e.event not in (0, 1, 2):
            raise DataValidationError(
                f"event: got {e.event!r} for {e.study_id} ({e.endpoint}); expected 0 (censored), "
                "1 (event) or 2 (competing event)",
                field="event",
            )
        if e.study_id not in seen:
            raise DataValidationError(
                f"endpoints: study_id {e.study_id!r} has no subject row", field="study_id"
            )
