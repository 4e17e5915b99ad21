"""Form payloads and steps shared by the web tests (values of examples/patients/eligible_bclc_b.json)."""

from __future__ import annotations

import re
from typing import Any

#: The screening form of examples/patients/eligible_bclc_b.json (EX-001), as a nurse fills it in.
ELIGIBLE = {
    "screening_date": "2026-01-05",
    "age_years": "54",
    "sex": "male",
    "diagnosis_method": "pathology",
    "ecog": "0",
    "lab_wbc": "5.2",
    "unit_wbc": "x10^9/L",
    "lab_anc": "3100",
    "unit_anc": "/uL",
    "lab_platelets": "142",
    "unit_platelets": "x10^9/L",
    "lab_creatinine": "80",
    "unit_creatinine": "umol/L",
    "lab_albumin": "38",
    "unit_albumin": "g/L",
    "lab_bilirubin": "0.9",
    "unit_bilirubin": "mg/dL",
    "lab_inr": "1.1",
    "unit_inr": "1",
    "lab_afp": "850",
    "unit_afp": "ng/mL",
    "lab_lvef": "62",
    "unit_lvef": "%",
    "ascites": "none",
    "encephalopathy": "none",
    "n_nodules": "3",
    "largest_cm": "6.5",
    "vascular_invasion": "no",
    "portal_vein_invasion": "no",
    "extrahepatic_spread": "no",
    "other_malignancy": "no",
    "infection_present": "no",
    "prior_sorafenib": "no",
    "severe_allergy_contrast_or_drugs": "no",
    "pregnant_or_breastfeeding": "no",
}

BASELINE = {
    "assessment_date": "2026-01-05",
    "age_years": "54",
    "sex": "male",
    "height_cm": "170",
    "weight_kg": "65",
    "ecog": "0",
    "n_nodules": "3",
    "largest_cm": "6.5",
    "vascular_invasion": "false",
    "portal_vein_invasion": "false",
    "extrahepatic_spread": "false",
    "hbv": "true",
    "hbv_dna_iu_ml": "",
    "cirrhosis": "true",
    "imaging_modality": "mri",
    "ascites": "none",
    "encephalopathy": "none",
}


def post_form(client: Any, url: str, data: dict[str, str]) -> Any:
    """POST a form with the client's CSRF token; do not follow the redirect."""
    return client.post(url, data={**data, "csrf_token": client.csrf}, follow_redirects=False)


def patient_id_of(response: Any) -> int:
    """The patient id of a redirect to /patients/{id}."""
    assert response.status_code == 303, response.text[:2000]
    m = re.fullmatch(r"/patients/(\d+)", response.headers["location"])
    assert m is not None, response.headers["location"]
    return int(m.group(1))


def enrol(client: Any, study_id: str, **changes: str) -> int:
    """Save an eligible screening for ``study_id``; return the new patient's id."""
    return patient_id_of(
        post_form(client, "/patients/new", {**ELIGIBLE, "study_id": study_id, **changes})
    )


def add_baseline(client: Any, pid: int) -> None:
    r = post_form(client, f"/patients/{pid}/baseline/new", BASELINE)
    assert r.status_code == 303, r.text[:2000]
