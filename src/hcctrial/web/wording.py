"""Words a nurse reads instead of column names and engine paths (issue 19): the analytes of the
forms, and the eligibility engine's input paths (``labs.wbc``, ``tumour.n_nodules``) in messages.

A Jinja filter (``words``) applies :func:`in_words` to a message; :func:`analyte_label` names an
analyte. Display only: the stored values and the engine's paths stay what they are.
"""

from __future__ import annotations

import re

__all__ = [
    "ANALYTE_IN_SENTENCE",
    "ANALYTE_WORDS",
    "PATH_WORDS",
    "analyte_label",
    "analytes_in_words",
    "in_words",
]

ANALYTE_WORDS: dict[str, str] = {
    "wbc": "White blood cells",
    "anc": "Neutrophils (ANC)",
    "platelets": "Platelets",
    "hemoglobin": "Haemoglobin",
    "creatinine": "Creatinine",
    "albumin": "Albumin",
    "bilirubin": "Bilirubin",
    "inr": "INR",
    "pt_prolongation": "Prothrombin time prolongation",
    "afp": "AFP",
    "lvef": "Heart ejection fraction (LVEF)",
    "alt": "ALT",
    "ast": "AST",
}

PATH_WORDS: dict[str, str] = {
    "diagnosis_method": "how the diagnosis was made",
    "age_years": "age",
    "ecog": "ECOG performance status",
    "liver.ascites": "ascites",
    "liver.encephalopathy": "encephalopathy",
    "tumour.n_nodules": "number of nodules",
    "tumour.largest_cm": "largest nodule",
    "tumour.vascular_invasion": "macrovascular invasion",
    "tumour.portal_vein_invasion": "portal vein thrombus",
    "tumour.extrahepatic_spread": "extrahepatic spread",
    "history.other_malignancy": "other malignancy",
    "history.infection": "uncontrolled infection",
    "history.pregnant_or_breastfeeding": "pregnancy or breastfeeding",
    "history.prior_sorafenib": "previous sorafenib",
    "history.severe_allergy_contrast_or_drugs": "severe allergy",
    "child_pugh": "Child-Pugh class",
}

_PATH = re.compile(r"\b(labs\.[a-z_]+|[a-z]+\.[a-z_]+|[a-z]+_[a-z_]+)\b")


def _mid_sentence(label: str) -> str:
    """An analyte's label inside a sentence: "white blood cells", but "ALT", "INR"."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[0].lower() + label[1:]


#: analyte code -> its words inside a sentence, for the codes that differ from their words
#: ("wbc" -> "white blood cells", "alt" -> "ALT"; "platelets" needs nothing).
ANALYTE_IN_SENTENCE: dict[str, str] = {
    code: _mid_sentence(label)
    for code, label in ANALYTE_WORDS.items()
    if code != _mid_sentence(label)
}
_ANALYTE_CODE = re.compile(
    r"\b(" + "|".join(sorted(ANALYTE_IN_SENTENCE, key=len, reverse=True)) + r")\b"
)


def analyte_label(analyte: str) -> str:
    """The analyte's name in words (the code itself when unknown)."""
    return ANALYTE_WORDS.get(analyte, analyte)


def analytes_in_words(text: str) -> str:
    """``text`` with every analyte code written as a whole word ("wbc 5.2") in words."""
    return _ANALYTE_CODE.sub(lambda m: ANALYTE_IN_SENTENCE[m.group(1)], text)


def in_words(text: object) -> str:
    """``text`` with engine paths, column names and analyte codes replaced by words."""

    def word(match: re.Match[str]) -> str:
        token = match.group(1)
        if token.startswith("labs."):
            return analyte_label(token.removeprefix("labs.")).lower().replace("inr", "INR")
        return PATH_WORDS.get(token, token)

    return analytes_in_words(_PATH.sub(word, str(text)))
