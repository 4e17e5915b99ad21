"""The analysis datasets (:class:`hcctrial.analysis.datasets.AnalysisDatasets`) from the derived
rows: each subject row becomes the subject variables the plan may name, each endpoint row a
time-to-event row (days, status 0 / 1 / 2).

:func:`subject_data` is the one mapping from a derived :class:`~hcctrial.derive.subject.SubjectRow`
(and the patient's raw records, for protocol deviations and withdrawal) to the vocabulary
:data:`hcctrial.analysis.datasets.SUBJECT_VARIABLES`.
"""

from __future__ import annotations

from collections.abc import Sequence

from hcctrial.analysis.datasets import AnalysisDatasets, SubjectData, TimeToEvent, Value
from hcctrial.derive.endpoints import EndpointRow
from hcctrial.derive.records import PatientRecords
from hcctrial.derive.subject import SubjectRow

__all__ = ["analysis_datasets", "subject_data", "time_to_event"]


def subject_data(subject: SubjectRow, rec: PatientRecords | None = None) -> SubjectData:
    """Return one patient's subject variables (``rec`` gives deviations and withdrawal; without
    it they are not recorded: None)."""
    values: dict[str, Value] = {
        "sex": subject.sex,
        "age_years": subject.age_years,
        "ecog": subject.ecog,
        "n_nodules": subject.n_nodules,
        "largest_tumour_cm": subject.largest_cm,
        "vascular_invasion": subject.vascular_invasion,
        "portal_vein_invasion": subject.portal_vein_invasion,
        "extrahepatic_spread": subject.extrahepatic_spread,
        "hbv": subject.hbv,
        "hbv_dna_high": subject.hbv_dna_high,
        "cirrhosis": subject.cirrhosis,
        "afp_ng_ml": subject.afp_baseline_ng_ml,
        "imaging": subject.imaging_modality,
        "child_pugh_class": subject.child_pugh_class,
        "child_pugh_score": subject.child_pugh_score,
        "albi_grade": subject.albi_grade,
        "bclc": subject.bclc_stage,
        "best_response": subject.best_response or "NE",
        "n_cycles": subject.n_cycles,
        "major_deviations": None,
        "withdrawn": None,
    }
    if rec is not None:
        values["major_deviations"] = sum(1 for d in rec.deviations if d.severity == "major")
        values["withdrawn"] = rec.withdrawal is not None
    return SubjectData(subject.study_id, values, dict(subject.worst_grades))


def time_to_event(row: EndpointRow) -> TimeToEvent:
    """Return an endpoint row as the analysis reads it (days and status)."""
    return TimeToEvent(row.study_id, row.endpoint, float(row.days), int(row.event))


def analysis_datasets(
    subjects: Sequence[SubjectRow],
    endpoints: Sequence[EndpointRow],
    records: Sequence[PatientRecords] = (),
    *,
    n_screened: int | None = None,
    source: str = "trial database",
) -> AnalysisDatasets:
    """Return the analysis datasets of derived subject and endpoint rows."""
    by_id = {r.study_id: r for r in records}
    return AnalysisDatasets(
        tuple(subject_data(s, by_id.get(s.study_id)) for s in subjects),
        tuple(time_to_event(e) for e in endpoints),
        n_screened,
        source,
    )
