"""The trial's eCRF as a REDCap project: data dictionary, events and the field <-> column mapping.

One instrument (REDCap "form") per clinical table, fields named ``<prefix>_<column>``; the record
id is the patient's study id. Longitudinal: three events (``screening_arm_1``,
``treatment_arm_1``, ``follow_up_arm_1``); per-visit tables are repeating instruments.

=====================  ======================  ======  =========  ===========================
instrument             table                   prefix  repeating  events
=====================  ======================  ======  =========  ===========================
patient                patients                pat     no         screening
screening              screenings              scr     no         screening
screening_criterion    screening_criteria      crit    yes        screening
baseline               baselines               bl      no         screening
lab_result             lab_results             lab     yes        screening, treatment
treatment_cycle        treatment_cycles        cyc     yes        treatment
cycle_dose             cycle_doses             dose    yes        treatment
adverse_event          adverse_events          ae      yes        treatment
imaging                imaging_assessments     img     yes        treatment
lesion                 lesion_measurements     les     yes        treatment
deviation              protocol_deviations     dev     yes        treatment
cycle_exam             cycle_exams             pce     yes        treatment
followup               followups               fu      yes        follow_up
withdrawal             withdrawals             wd      no         follow_up
override               derived_overrides       ovr     yes        follow_up
=====================  ======================  ======  =========  ===========================

Links that are ids in hcctrial are natural keys in REDCap: ``pat_site`` = the site's code,
``dose_cycle_number`` = the cycle's number, ``les_scan_date`` = the date of the lesion's scan. The
baseline's five yes/no findings are one checkbox field ``bl_findings`` (``bl_findings___1`` ..
``___5`` in a records export). Enums are radio buttons (dropdowns past five choices) whose codes
are hcctrial's values; booleans are ``yesno``; numbers ``integer``/``number`` with the column's
bounds; dates ``date_ymd``. ``lab_results.canonical_value`` is not a field (computed on import).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CHECKBOX_FINDINGS",
    "DICTIONARY_COLUMNS",
    "EVENTS",
    "FORMS",
    "RedcapField",
    "fields",
    "write_dictionary",
]

#: (instrument, table, prefix, repeating, events)
FORMS: tuple[tuple[str, str, str, bool, tuple[str, ...]], ...] = (
    ("patient", "patients", "pat", False, ("screening",)),
    ("screening", "screenings", "scr", False, ("screening",)),
    ("screening_criterion", "screening_criteria", "crit", True, ("screening",)),
    ("baseline", "baselines", "bl", False, ("screening",)),
    ("lab_result", "lab_results", "lab", True, ("screening", "treatment")),
    ("treatment_cycle", "treatment_cycles", "cyc", True, ("treatment",)),
    ("cycle_dose", "cycle_doses", "dose", True, ("treatment",)),
    ("adverse_event", "adverse_events", "ae", True, ("treatment",)),
    ("imaging", "imaging_assessments", "img", True, ("treatment",)),
    ("lesion", "lesion_measurements", "les", True, ("treatment",)),
    ("deviation", "protocol_deviations", "dev", True, ("treatment",)),
    ("cycle_exam", "cycle_exams", "pce", True, ("treatment",)),
    ("followup", "followups", "fu", True, ("follow_up",)),
    ("withdrawal", "withdrawals", "wd", False, ("follow_up",)),
    ("override", "derived_overrides", "ovr", True, ("follow_up",)),
)
EVENTS = {"screening": "screening_arm_1", "treatment": "treatment_arm_1",
          "follow_up": "follow_up_arm_1"}
#: checkbox code -> baselines column
CHECKBOX_FINDINGS = {
    "1": "vascular_invasion", "2": "portal_vein_invasion", "3": "extrahepatic_spread",
    "4": "hbv", "5": "cirrhosis",
}
_FINDING_LABELS = {
    "1": "Macrovascular invasion", "2": "Portal vein tumour thrombus",
    "3": "Extrahepatic metastasis", "4": "HBsAg positive", "5": "Liver cirrhosis",
}
#: Columns that are not fields (keys, managed, derived, or the record itself).
_NOT_FIELDS = frozenset({"id", "version", "created_at", "updated_at", "patient_id",
                         "screening_id", "canonical_value", "study_id"})
#: table.column -> (field name, type, label): links by natural key
_LINKS = {
    ("patients", "site_id"): ("pat_site", "text", "Site code"),
    ("cycle_doses", "cycle_id"): ("dose_cycle_number", "integer", "Cycle number"),
    ("lesion_measurements", "imaging_id"): ("les_scan_date", "date_ymd", "Date of the scan"),
}
DICTIONARY_COLUMNS = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
)


@dataclass(frozen=True)
class RedcapField:
    """One REDCap field and the hcctrial column it holds (``column`` '' for record_id/checkbox).

    ``field_type``: text, notes, radio, dropdown, yesno, checkbox; ``validation``: integer,
    number, date_ymd or ''; ``choices``: (code, label) pairs.
    """

    name: str
    form: str
    table: str
    column: str
    field_type: str
    label: str
    validation: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    minimum: str = ""
    maximum: str = ""
    required: bool = False
    note: str = ""

    def row(self) -> list[str]:
        """The dictionary row of this field (columns of :data:`DICTIONARY_COLUMNS`)."""
        choices = " | ".join(f"{c}, {lab}" for c, lab in self.choices)
        return [self.name, self.form, "", self.field_type, self.label, choices, self.note,
                self.validation, self.minimum, self.maximum,
                "y" if self.name == "record_id" else "", "", "y" if self.required else "",
                "", "", "", "", ""]


def _bound(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def fields() -> list[RedcapField]:
    """Return every field of the project, in dictionary order (record_id first)."""
    from hcctrial.interop.raw_datasets import words
    from hcctrial.store.models import DATA_TABLES
    from hcctrial.store.values import column_specs

    models = {m.__tablename__: m for m in DATA_TABLES}
    out = [RedcapField("record_id", "patient", "patients", "study_id", "text",
                       "Study id (pseudonymous)", required=True)]
    for form, table, prefix, _, _ in FORMS:
        for name, spec in column_specs(models[table]).items():
            if name in _NOT_FIELDS:
                continue
            if (table, name) in _LINKS:
                fname, validation, label = _LINKS[(table, name)]
                ftype = "text"
                out.append(RedcapField(fname, form, table, name, ftype, label,
                                       "" if validation == "text" else validation,
                                       required=True))
                continue
            if table == "baselines" and name in CHECKBOX_FINDINGS.values():
                if name == "vascular_invasion":
                    out.append(RedcapField(
                        "bl_findings", form, table, "", "checkbox",
                        "Baseline findings (tick all that apply)",
                        choices=tuple(_FINDING_LABELS.items())))
                continue
            label = (spec.doc or name).strip()
            label = f"{words(name)}: {label}" if label != name else words(name)
            common = {"name": f"{prefix}_{name}", "form": form, "table": table, "column": name,
                      "label": label, "required": not spec.nullable}
            if spec.kind == "enum":
                choices = tuple((v, words(v)) for v in spec.enum_values)
                out.append(RedcapField(field_type="radio" if len(choices) <= 5 else "dropdown",
                                       choices=choices, **common))  # type: ignore[arg-type]
            elif spec.kind == "bool":
                out.append(RedcapField(field_type="yesno", **common))  # type: ignore[arg-type]
            elif spec.kind in ("int", "float", "date"):
                validation = {"int": "integer", "float": "number", "date": "date_ymd"}[spec.kind]
                out.append(RedcapField(field_type="text", validation=validation,
                                       minimum=_bound(spec.minimum), maximum=_bound(spec.maximum),
                                       **common))  # type: ignore[arg-type]
            else:
                ftype = "text" if spec.max_length else "notes"
                out.append(RedcapField(field_type=ftype, **common))  # type: ignore[arg-type]
    return out


def write_dictionary(out: Path) -> tuple[Path, Path, int]:
    """Write the data dictionary to ``out`` and the instrument-event mapping beside it
    (``<stem>_instrument_event_mapping.csv``); return both paths and the number of fields."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fs = fields()
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(DICTIONARY_COLUMNS)
        writer.writerows(f.row() for f in fs)
    mapping = out.with_name(f"{out.stem}_instrument_event_mapping.csv")
    with mapping.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["arm_num", "unique_event_name", "form"])
        for event_key, event in EVENTS.items():
            for form, _, _, _, events in FORMS:
                if event_key in events:
                    writer.writerow(["1", event, form])
    return out, mapping, len(fs)
