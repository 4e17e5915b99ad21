"""The adverse-event table of the trial (the seed paper's Table 3): its rows, defined once.

Each row (:class:`AeTableTerm`) has the key the worst-grade maps use (``published.json``
``table3.rows``), the label the report prints (CTCAE wording) and the label the paper printed, its
category, the CTCAE v4.03 lab terms it counts
with the analyte each is graded from, and the clinical CTCAE terms it counts (a recorded adverse
event's term). The derivation of worst grades (:mod:`hcctrial.derive.subject`), the report's
Table 3 (:mod:`hcctrial.report.inputs`), the dashboard and the demo cohort
(:mod:`hcctrial.demo.cohort`) all read :data:`AE_TABLE_TERMS`.

Pooling follows the paper: ALT and AST are one row ("Transaminases (ALT/AST) increased"), nausea
and vomiting one row; "pain" is the abdominal pain of TACE (CTCAE "Abdominal pain").
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AE_TABLE_TERMS", "AeTableTerm", "ae_table_term"]


@dataclass(frozen=True)
class AeTableTerm:
    """One row of the adverse-event table.

    ``lab_terms``: (CTCAE term, analyte of :mod:`hcctrial.clinical.units`) graded from lab values;
    ``clinical_terms``: CTCAE terms of recorded adverse events. The first clinical term is the one
    a nurse records for the row (the demo writes it).
    """

    key: str
    label: str
    paper_label: str  # the row as the seed paper's Table 3 prints it
    category: str  # "Haematological" or "Non-haematological"
    lab_terms: tuple[tuple[str, str], ...] = ()
    clinical_terms: tuple[str, ...] = ()


#: The rows of Table 3, in the paper's order.
AE_TABLE_TERMS: tuple[AeTableTerm, ...] = (
    AeTableTerm(
        "platelet_count_decreased",
        "Platelet count decreased",
        "Decreased platelet count",
        "Haematological",
        (("Platelet count decreased", "platelets"),),
        (),
    ),
    AeTableTerm(
        "neutrophil_count_decreased",
        "Neutrophil count decreased",
        "Decreased neutrophil count",
        "Haematological",
        (("Neutrophil count decreased", "anc"),),
        (),
    ),
    AeTableTerm(
        "transaminase_increased",
        "Transaminases (ALT/AST) increased",
        "Elevated ALT/AST",
        "Non-haematological",
        (
            ("Alanine aminotransferase increased", "alt"),
            ("Aspartate aminotransferase increased", "ast"),
        ),
        (),
    ),
    AeTableTerm(
        "blood_bilirubin_increased",
        "Blood bilirubin increased",
        "Elevated serum bilirubin",
        "Non-haematological",
        (("Blood bilirubin increased", "bilirubin"),),
        (),
    ),
    AeTableTerm(
        "nausea_vomiting",
        "Nausea and vomiting",
        "Nausea and vomiting",
        "Non-haematological",
        (),
        ("Nausea", "Vomiting"),
    ),
    AeTableTerm(
        "pain",
        "Pain",
        "Pain",
        "Non-haematological",
        (),
        ("Abdominal pain",),
    ),
    AeTableTerm(
        "fever",
        "Fever",
        "Fever",
        "Non-haematological",
        (),
        ("Fever",),
    ),
    AeTableTerm(
        "diarrhea",
        "Diarrhoea",
        "Diarrhoea",
        "Non-haematological",
        (),
        ("Diarrhea",),
    ),
    AeTableTerm(
        "hand_foot_skin_reaction",
        "Hand-foot skin reaction",
        "Hand-foot skin reaction",
        "Non-haematological",
        (),
        ("Palmar-plantar erythrodysesthesia syndrome",),
    ),
    AeTableTerm(
        "neurotoxicity",
        "Neurotoxicity",
        "Neurotoxicity",
        "Non-haematological",
        (),
        ("Peripheral sensory neuropathy",),
    ),
)

_BY_KEY = {t.key: t for t in AE_TABLE_TERMS}


def ae_table_term(key: str) -> AeTableTerm:
    """Return the row ``key`` (KeyError for an unknown key)."""
    return _BY_KEY[key]
