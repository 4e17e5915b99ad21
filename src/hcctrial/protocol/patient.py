"""The patient screening file: the pydantic model of what ``hcctrial screen`` reads.

Every key is optional (a missing value makes the criteria that need it *not evaluable*); unknown
keys, wrong types ("yes" for a boolean, "1" for an integer) and impossible values are errors
(:class:`~hcctrial.errors.DataValidationError`) naming the field. Lab values are text with their
unit ("4.2 x10^9/L"), converted later by :mod:`hcctrial.clinical.units`. The format is documented
in ``examples/README.md``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from hcctrial.dates import TrialDate
from hcctrial.errors import DataValidationError, validation_problems

__all__ = [
    "History",
    "Infection",
    "Labs",
    "Liver",
    "PatientScreeningInput",
    "Tumour",
    "parse_patient",
]

# --------------------------------------------------------------------------------------------------

LabValue = StrictStr | StrictInt | StrictFloat


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Labs(_In):
    """Lab values as text with their unit ("4.2 x10^9/L", "1.1 mg/dL"); INR and LVEF may be bare."""

    wbc: LabValue | None = None
    anc: LabValue | None = None
    platelets: LabValue | None = None
    hemoglobin: LabValue | None = None
    creatinine: LabValue | None = None
    albumin: LabValue | None = None
    bilirubin: LabValue | None = None
    inr: LabValue | None = None
    pt_prolongation: LabValue | None = None
    alt: LabValue | None = None
    ast: LabValue | None = None
    afp: LabValue | None = None
    lvef: LabValue | None = None


class Liver(_In):
    """Clinical Child-Pugh components."""

    ascites: str | None = None
    encephalopathy: str | None = None


class Tumour(_In):
    """Tumour burden for BCLC staging."""

    n_nodules: StrictInt | None = Field(default=None, ge=1)
    largest_cm: float | None = Field(default=None, gt=0)
    vascular_invasion: StrictBool | None = None
    portal_vein_invasion: StrictBool | None = None
    extrahepatic_spread: StrictBool | None = None


class Infection(_In):
    """An infection at screening."""

    present: StrictBool
    ctcae_grade: StrictInt | None = Field(default=None, ge=1, le=5)
    needs_antibiotics_or_surgery: StrictBool | None = None
    life_threatening: StrictBool | None = None


class History(_In):
    """Answers for the exclusion criteria (true = the excluding condition is present)."""

    other_malignancy: StrictBool | None = None
    infection: Infection | None = None
    pregnant_or_breastfeeding: StrictBool | None = None
    prior_sorafenib: StrictBool | None = None
    severe_allergy_contrast_or_drugs: StrictBool | None = None


class PatientScreeningInput(_In):
    """One patient's screening file (see ``examples/README.md``)."""

    patient_id: str | None = None
    age_years: StrictInt | None = Field(default=None, ge=0, le=130)
    birth_date: TrialDate | None = None
    screening_date: TrialDate | None = None
    sex: Literal["male", "female"] | None = None
    diagnosis_method: Literal["pathology", "aasld_noninvasive", "other"] | None = None
    ecog: StrictInt | None = Field(default=None, ge=0, le=5)
    #: False when an ECOG PS of 1-2 is due to cirrhosis or another illness (does not upstage BCLC)
    ecog_cancer_related: StrictBool = True
    ecog_attributed_by: str | None = None
    labs: Labs = Field(default_factory=Labs)
    liver: Liver = Field(default_factory=Liver)
    tumour: Tumour = Field(default_factory=Tumour)
    history: History = Field(default_factory=History)


def parse_patient(data: PatientScreeningInput | dict[str, Any]) -> PatientScreeningInput:
    """Return the validated patient; raise :class:`DataValidationError` naming the bad field."""
    if isinstance(data, PatientScreeningInput):
        return data
    if not isinstance(data, dict):
        raise DataValidationError(
            f"patient: got {type(data).__name__}; expected a JSON object", field="patient"
        )
    try:
        return PatientScreeningInput.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc)
        raise DataValidationError(
            "patient file: " + "; ".join(f"{w or 'patient'}: {m}" for w, m in problems),
            field=problems[0][0] or "patient",
        ) from exc
