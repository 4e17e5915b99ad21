"""The trial's raw tables and its two analysis datasets as :class:`~hcctrial.interop.dataset.Dataset`.

Raw tables: every audited data table (``hcctrial.store.models.DATA_TABLES``), every column with
the label from the model's column doc, enums as coded variables (value labels = the values in
words), booleans as No/Yes, ordinal levels for ordered scales (ascites, encephalopathy,
attribution, severity, CTCAE grade, ECOG, dose level). ``users.password_hash`` is never exported;
the bookkeeping columns ``version``, ``created_at``, ``updated_at`` are left to the CSV export and
the audit trail.

Analysis datasets: ``subjects`` (one row per enrolled patient, :class:`~hcctrial.derive.subject.
SubjectRow`) and ``endpoints`` (patient x endpoint, :class:`~hcctrial.derive.endpoints.EndpointRow`),
derived by the same functions the analysis uses, as the statistical analysis plan defines them: the
``worst_<row>`` variables are the rows of the plan's adverse-event table (labelled with the row's
label), the endpoint codes are the plan's endpoints (labelled with their labels), months are days
over the plan's days per month.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from hcctrial.interop.dataset import Dataset, Variable

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from hcctrial.analysis.schema import Plan
    from hcctrial.derive.endpoints import EndpointRow
    from hcctrial.derive.subject import SubjectRow

__all__ = [
    "EXCLUDED_COLUMNS",
    "endpoint_dataset",
    "raw_table_datasets",
    "subject_dataset",
    "words",
]

#: Columns never exported to the statistics formats (credentials).
EXCLUDED_COLUMNS = frozenset({("users", "password_hash")})
#: Columns whose values are ordered (SPSS measurement level "ordinal").
_ORDINAL = frozenset(
    {
        "ascites",
        "encephalopathy",
        "attribution",
        "severity",
        "grade",
        "ecog",
        "sorafenib_level",
        "albi_grade",
        "child_pugh_class",
        "bclc_stage",
    }
)


def words(value: str) -> str:
    """Return a code in words for a value label: ``not_met`` -> ``Not met``,
    ``grade-1-2`` -> ``Grade 1-2``."""
    import re

    text = re.sub(r"(?<=[a-z])-(?=\d)", " ", str(value).replace("_", " "))
    return text[:1].upper() + text[1:]


def _variable(table: str, name: str, spec: Any) -> Variable:
    label = f"{name.replace('_', ' ')}: {spec.doc}" if spec.doc else name.replace("_", " ")
    level = "ordinal" if name in _ORDINAL else ""
    if spec.kind == "enum":
        return Variable(
            name,
            label,
            "code",
            codes=spec.enum_values,
            code_labels=tuple(words(v) for v in spec.enum_values),
            level=level or "nominal",
        )
    kind = {"int": "int", "float": "float", "bool": "bool", "date": "date"}.get(spec.kind)
    if kind is None:
        kind = "datetime" if spec.kind == "datetime" else "str"
    return Variable(name, label, kind, level=level, length=spec.max_length)


def raw_table_datasets(session: Session) -> list[Dataset]:
    """Return every data table of the database as a dataset (rows in id order)."""
    from sqlalchemy import select

    from hcctrial.store.models import DATA_TABLES, table_of
    from hcctrial.store.values import MANAGED_COLUMNS, column_specs

    out: list[Dataset] = []
    for model in DATA_TABLES:
        table = table_of(model)
        specs = {
            n: s
            for n, s in column_specs(model).items()
            if (table.name, n) not in EXCLUDED_COLUMNS and n not in MANAGED_COLUMNS
        }
        variables = [_variable(table.name, n, s) for n, s in specs.items()]
        doc = (model.__doc__ or table.name).strip().splitlines()[0]
        columns: dict[str, list[Any]] = {n: [] for n in specs}
        result = session.execute(select(*(table.c[n] for n in specs)).order_by(table.c.id))
        for row in result:
            for n, value in zip(specs, row, strict=True):
                columns[n].append(getattr(value, "value", value))
        out.append(Dataset(table.name, doc, variables, columns, keys=("id",)))
    return out


_SUBJECT_LABELS: dict[str, tuple[str, str]] = {
    # name -> (kind, label)
    "study_id": ("str", "Study id (pseudonymous)"),
    "first_treatment_date": ("date", "Day 0: first TACE-HAIC (else enrolment)"),
    "age_years": ("int", "Age at baseline, years"),
    "sex": ("code", "Sex"),
    "ecog": ("int", "ECOG performance status 0-4"),
    "n_nodules": ("int", "Number of nodules"),
    "largest_cm": ("float", "Largest nodule diameter, cm"),
    "vascular_invasion": ("bool", "Macrovascular invasion"),
    "portal_vein_invasion": ("bool", "Portal vein tumour thrombus"),
    "extrahepatic_spread": ("bool", "Extrahepatic metastasis"),
    "hbv": ("bool", "HBsAg positive"),
    "hbv_dna_high": ("bool", "HBV DNA > 2x10^3 copies/mL"),
    "cirrhosis": ("bool", "Liver cirrhosis"),
    "afp_baseline_ng_ml": ("float", "Baseline AFP, ng/mL"),
    "imaging_modality": ("code", "Baseline imaging modality"),
    "child_pugh_score": ("int", "Child-Pugh score 5-15"),
    "child_pugh_class": ("code", "Child-Pugh class"),
    "albi_score": ("float", "ALBI score"),
    "albi_grade": ("int", "ALBI grade 1-3"),
    "bclc_stage": ("code", "BCLC stage"),
    "best_response": ("code", "Best overall response (mRECIST + protocol rules)"),
    "best_response_date": ("date", "Date of the best overall response"),
    "first_pd_date": ("date", "Date of the first PD"),
    "last_adequate_assessment": ("date", "Last adequate tumour assessment"),
    "n_cycles": ("int", "Number of TACE-HAIC cycles"),
    "overridden": ("str", "Derived values overridden by a person (;-separated)"),
}
_SUBJECT_CODES: dict[str, tuple[str, ...]] = {
    "sex": ("male", "female"),
    "imaging_modality": ("MRI", "CT"),
    "child_pugh_class": ("A", "B", "C"),
    "bclc_stage": ("0", "A", "B", "C", "D"),
    "best_response": ("CR", "PR", "SD", "PD", "NE", "NON-CR/NON-PD", "ND", "MISSING"),
}


def subject_dataset(subjects: tuple[SubjectRow, ...], plan: Plan) -> Dataset:
    """Return the subject-level analysis dataset (one row per enrolled patient); ``worst_<key>``
    is the worst grade of row ``key`` of ``plan``'s adverse-event table."""
    ae_rows = {t.key: t.label for t in plan.adverse_events.terms}
    flat = [s.as_flat_dict() for s in subjects]
    names: list[str] = []
    for row in flat:
        names += [n for n in row if n not in names]
    variables: list[Variable] = []
    for n in names:
        if n.startswith("rdi_"):
            variables.append(
                Variable(n, f"Relative dose intensity, {n[4:]} (given/planned mg)", "float")
            )
        elif n.startswith("worst_"):
            label = ae_rows.get(n[6:], n[6:])
            variables.append(
                Variable(
                    n,
                    f"Worst CTCAE v{plan.adverse_events.ctcae_version} grade: {label}",
                    "int",
                    level="ordinal",
                )
            )
        else:
            kind, label = _SUBJECT_LABELS.get(n, ("str", n))
            codes = _SUBJECT_CODES.get(n, ())
            variables.append(
                Variable(
                    n,
                    label,
                    kind,
                    codes=codes,
                    code_labels=tuple(words(c) for c in codes) if n == "sex" else (),
                    level="ordinal" if n in _ORDINAL else "",
                )
            )
    columns = {v.name: [row.get(v.name) for row in flat] for v in variables}
    return Dataset(
        "subjects", "Subject-level analysis dataset", variables, columns, keys=("study_id",)
    )


def endpoint_dataset(endpoints: tuple[EndpointRow, ...], plan: Plan) -> Dataset:
    """Return the endpoint-level analysis dataset (one row per patient and endpoint of ``plan``,
    coded in the plan's order and labelled with its labels)."""
    competing = any(e.competing for e in plan.endpoints.values())
    status = ((0, "Censored"), (1, "Event")) + (((2, "Competing event"),) if competing else ())
    variables = [
        Variable("study_id", "Study id (pseudonymous)", "str"),
        Variable(
            "endpoint",
            "Endpoint",
            "code",
            codes=tuple(plan.endpoints),
            code_labels=tuple(e.label for e in plan.endpoints.values()),
        ),
        Variable("start_date", "Time origin (day 0)", "date"),
        Variable("end_date", "Event or censoring date", "date"),
        Variable(
            "event",
            "Event (1), censored (0)" + (" or competing event (2)" if competing else ""),
            "int",
            int_labels=status,
        ),
        Variable("days", "Time, days", "int"),
        Variable("months", f"Time, months (days / {plan.days_per_month():g})", "float"),
        Variable("reason", "Why event or censored", "str"),
        Variable("unit", "Unit of months", "str"),
    ]
    rows = [asdict(e) for e in endpoints]
    columns = {v.name: [r[v.name] for r in rows] for v in variables}
    return Dataset(
        "endpoints", "Time-to-event analysis dataset", variables, columns,
        keys=("study_id", "endpoint"),
    )
