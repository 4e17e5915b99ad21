"""hcctrial.assess: CTCAE grading of lab values and adverse events, tumour response (mRECIST).

Pure domain core: no I/O beyond reading the bundled criteria files.
"""

from hcctrial.assess.adverse_events import (
    AdverseEvent,
    Attribution,
    TermGradeCounts,
    count_patients_by_worst_grade,
    validate_term,
    worst_grade_by_patient_and_term,
)
from hcctrial.assess.best_response import BorResult, best_overall_response
from hcctrial.assess.ctcae import LAB_TERMS, LabGrade, grade_lab, lab_terms
from hcctrial.assess.mrecist import (
    PatientResponse,
    ProtocolRules,
    TimePointResponse,
    patient_response,
)
from hcctrial.assess.mrecist_input import PatientAssessments, parse_patient
from hcctrial.assess.response_types import Response

__all__ = [
    "LAB_TERMS",
    "AdverseEvent",
    "Attribution",
    "BorResult",
    "LabGrade",
    "PatientAssessments",
    "PatientResponse",
    "ProtocolRules",
    "Response",
    "TermGradeCounts",
    "TimePointResponse",
    "best_overall_response",
    "count_patients_by_worst_grade",
    "grade_lab",
    "lab_terms",
    "parse_patient",
    "patient_response",
    "validate_term",
    "worst_grade_by_patient_and_term",
]
