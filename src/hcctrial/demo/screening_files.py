"""Screening-visit inputs of the demo patients: baseline labs with units, and eligibility files.

:func:`baseline_labs` chooses screening lab values (SI units -- bilirubin umol/L, albumin g/L,
creatinine umol/L -- for every second patient, conventional units otherwise) such that the
Child-Pugh engine gives the intended class (A5: every component 1 point; A6: albumin 3.1-3.4 g/dL;
B7: albumin 3.1-3.4 g/dL and slight ascites). :func:`screening_input` writes them as the
eligibility engine's patient file; :func:`failure_input` alters an eligible file so that exactly the
named criterion fails (the screen failures of the CONSORT flow).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from hcctrial.demo.cohort import DemoPatient

__all__ = ["AFP_ULN_NG_ML", "LabEntry", "baseline_labs", "failure_input", "screening_input"]

#: The laboratory's AFP upper limit of normal (ng/mL) recorded with every AFP value.
AFP_ULN_NG_ML = 20.0
#: (value, unit, ULN, LLN) of one lab value as the laboratory reports it.
LabEntry = tuple[float, str, float | None, float | None]


def baseline_labs(rng: random.Random, p: DemoPatient) -> dict[str, LabEntry]:
    """analyte -> (value, unit, uln, lln) at screening; SI units for every second patient."""
    si = p.index % 2 == 0
    cp = p.child_pugh
    albumin_g_dl = round(rng.uniform(3.1, 3.4) if cp in ("A6", "B7") else rng.uniform(3.7, 4.5), 1)
    bili_mg = round(rng.uniform(0.4, 1.0), 2)
    creat_mg = round(rng.uniform(0.6, 1.1), 2)
    labs: dict[str, LabEntry] = {
        "wbc": (round(rng.uniform(4.0, 8.5), 1), "10^9/L", 10.0, 4.0),
        "anc": (round(rng.uniform(2.4, 5.5), 1), "10^9/L", 7.5, 2.0),
        "platelets": (float(rng.randint(140, 280)), "10^9/L", 350.0, 125.0),
        "hemoglobin": (round(rng.uniform(11.5, 15.5), 1), "g/dL", 17.0, 12.0),
        "inr": (round(rng.uniform(0.95, 1.25), 2), "1", 1.2, 0.8),
        "alt": (float(rng.randint(15, 38)), "U/L", 40.0, None),
        "ast": (float(rng.randint(15, 38)), "U/L", 40.0, None),
        "lvef": (float(rng.randint(55, 70)), "%", None, 50.0),
    }
    if si:
        labs["bilirubin"] = (round(bili_mg * 17.1, 1), "umol/L", 21.0, None)
        labs["albumin"] = (round(albumin_g_dl * 10, 0), "g/L", 55.0, 35.0)
        labs["creatinine"] = (round(creat_mg * 88.4, 0), "umol/L", 106.0, 53.0)
    else:
        labs["bilirubin"] = (bili_mg, "mg/dL", 1.2, None)
        labs["albumin"] = (albumin_g_dl, "g/dL", 5.5, 3.5)
        labs["creatinine"] = (creat_mg, "mg/dL", 1.2, 0.6)
    afp = rng.uniform(150, 25_000) if p.afp_high else rng.uniform(2.5, 95)
    labs["afp"] = (round(afp, 1), "ng/mL", AFP_ULN_NG_ML, None)
    return labs


def screening_input(p: DemoPatient, labs: dict[str, LabEntry], ascites: str) -> dict[str, Any]:
    def text(a: str) -> str | float:
        value, unit, _, _ = labs[a]
        return value if unit == "1" else f"{value:g} {unit}"

    return {
        "patient_id": p.study_id,
        "age_years": p.age_years,
        "sex": p.sex,
        "diagnosis_method": "pathology" if p.index % 3 == 0 else "aasld_noninvasive",
        "ecog": p.ecog,
        "labs": {
            a: text(a)
            for a in (
                "wbc",
                "anc",
                "platelets",
                "creatinine",
                "albumin",
                "bilirubin",
                "inr",
                "alt",
                "ast",
                "afp",
                "lvef",
            )
        },
        "liver": {"ascites": ascites, "encephalopathy": "none"},
        "tumour": {
            "n_nodules": p.n_nodules,
            "largest_cm": p.largest_cm,
            "vascular_invasion": p.vascular_invasion,
            "portal_vein_invasion": p.portal_vein_invasion,
            "extrahepatic_spread": p.extrahepatic_spread,
        },
        "history": {
            "other_malignancy": False,
            "infection": {"present": False},
            "pregnant_or_breastfeeding": False,
            "prior_sorafenib": False,
            "severe_allergy_contrast_or_drugs": False,
        },
    }


def failure_input(kind: str, template: dict[str, Any]) -> dict[str, Any]:
    """A screening file that fails ``kind`` (the template is an eligible patient's file)."""
    d: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in template.items()}
    labs, liver, tumour, history = d["labs"], d["liver"], d["tumour"], d["history"]
    changes: dict[str, Callable[[], None]] = {
        "age": lambda: d.update(age_years=77),
        "ecog": lambda: d.update(ecog=3),
        "wbc": lambda: labs.update(wbc="2.6 10^9/L"),
        "anc": lambda: labs.update(anc="1.2 10^9/L"),
        "creatinine": lambda: labs.update(creatinine="212 umol/L"),
        "albumin": lambda: labs.update(albumin="28 g/L"),
        "lvef": lambda: labs.update(lvef="41 %"),
        "no_other_malignancy": lambda: history.update(other_malignancy=True),
        "no_prior_sorafenib": lambda: history.update(prior_sorafenib=True),
        "no_severe_allergy": lambda: history.update(severe_allergy_contrast_or_drugs=True),
        "bclc": lambda: tumour.update(
            n_nodules=1,
            largest_cm=4.2,
            vascular_invasion=False,
            portal_vein_invasion=False,
            extrahepatic_spread=False,
        ),
        "child_pugh": lambda: labs.update(bilirubin="2.6 mg/dL", albumin="3.2 g/dL"),
    }
    changes[kind]()
    if kind == "child_pugh":
        liver["ascites"] = "moderate"
    if kind == "bclc":
        d["ecog"] = 0
    return d
