"""The plan run on a trial database: load the raw records, derive the datasets the plan asks for,
analyse them (what ``hcctrial analyze`` and ``hcctrial demo`` do)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hcctrial.analysis.datasets import AnalysisDatasets
from hcctrial.analysis.plan import PlanFile, default_plan
from hcctrial.analysis.results import AnalysisResults

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.derive.endpoints import EndpointRow
    from hcctrial.derive.records import PatientRecords
    from hcctrial.derive.subject import SubjectRow

__all__ = ["DerivedTrial", "analyse_database", "derive_trial"]


@dataclass(frozen=True)
class DerivedTrial:
    """The derived rows of one database, the analysis datasets made of them and the plan's
    result. ``records``: every patient's raw records as loaded (screen failures too), so that a
    caller (the demo's report) can reuse them instead of loading and deriving again."""

    subjects: tuple[SubjectRow, ...]
    endpoints: tuple[EndpointRow, ...]
    datasets: AnalysisDatasets
    result: AnalysisResults
    records: tuple[PatientRecords, ...] = ()


def derive_trial(
    records: tuple[PatientRecords, ...], plan: PlanFile
) -> tuple[tuple[SubjectRow, ...], tuple[EndpointRow, ...], AnalysisDatasets]:
    """Return the subject rows, endpoint rows and analysis datasets of the enrolled patients of
    ``records``, derived as ``plan`` defines its endpoints and adverse-event table."""
    from hcctrial.derive.datasets import analysis_datasets
    from hcctrial.derive.endpoints import derive_endpoints
    from hcctrial.derive.subject import derive_subjects

    enrolled = tuple(r for r in records if r.enrolled)
    subjects = derive_subjects(enrolled, plan.plan.adverse_events.terms)
    endpoints = derive_endpoints(enrolled, subjects, plan.plan)
    data = analysis_datasets(subjects, endpoints, enrolled, n_screened=len(records))
    return subjects, endpoints, data


def analyse_database(engine: Any, plan: PlanFile | None = None) -> DerivedTrial:
    """Load the raw records of ``engine``'s database, derive the datasets and run ``plan``
    (default: the seed plan)."""
    from hcctrial.analysis.run import analyse
    from hcctrial.derive.records import load_patient_records
    from hcctrial.store.session import open_session

    pf = plan or default_plan()
    with open_session(engine) as session:
        records = load_patient_records(session)
    subjects, endpoints, data = derive_trial(records, pf)
    return DerivedTrial(subjects, endpoints, data, analyse(pf, data), records)
