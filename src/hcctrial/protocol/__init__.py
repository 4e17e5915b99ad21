"""The treatment protocol as data: regimen files, eligibility screening, dosing and calendar.

>>> from hcctrial.protocol import default_regimen, dose_sheet
>>> dose_sheet(default_regimen(), bsa_m2=1.8, child_pugh_class="A").drug("fluorouracil").dose_mg
2700.0
"""

from __future__ import annotations

from hcctrial.protocol.dosing import DoseSheet, DrugDose, bsa_for_dosing, dose_sheet, round_dose_mg
from hcctrial.protocol.eligibility import (
    CriterionResult,
    PatientScreeningInput,
    ScreeningResult,
    Verdict,
    parse_patient,
    screen_patient,
)
from hcctrial.protocol.regimen import (
    DEFAULT_REGIMEN,
    default_regimen,
    list_regimens,
    load_regimen,
    regimen_from_mapping,
    regimen_path,
)
from hcctrial.protocol.schedule import (
    CycleWindow,
    add_months,
    haic_cycles_remaining,
    imaging_due_after_cycle,
    imaging_due_date,
    next_afp_after_cr,
    next_cycle_window,
    next_imaging_after_cr,
    next_maintenance_imaging,
)
from hcctrial.protocol.schema import Regimen

__all__ = [
    "DEFAULT_REGIMEN",
    "CriterionResult",
    "CycleWindow",
    "DoseSheet",
    "DrugDose",
    "PatientScreeningInput",
    "Regimen",
    "ScreeningResult",
    "Verdict",
    "add_months",
    "bsa_for_dosing",
    "default_regimen",
    "dose_sheet",
    "haic_cycles_remaining",
    "imaging_due_after_cycle",
    "imaging_due_date",
    "list_regimens",
    "load_regimen",
    "next_afp_after_cr",
    "next_cycle_window",
    "next_imaging_after_cr",
    "next_maintenance_imaging",
    "parse_patient",
    "regimen_from_mapping",
    "regimen_path",
    "round_dose_mg",
    "screen_patient",
]
