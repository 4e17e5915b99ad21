"""``assessment_problems`` names every assessment ``parse_patient`` would refuse, each with
``parse_patient``'s own words (the rule SCAN-ASSESSABLE says which scan is refused with them)."""

from __future__ import annotations

from typing import Any

import pytest

from hcctrial.assess.mrecist_input import (
    BASELINE_NOT_ASSESSABLE,
    assessment_problems,
    parse_patient,
)
from hcctrial.errors import DataValidationError


def _scan(day: str, **lesions: Any) -> dict[str, Any]:
    return {"date": day, "modality": "MRI", **lesions}


BASE = _scan("2026-01-06", target=[{"id": "T1", "organ": "liver", "diameter_mm": 50}])
GOOD = _scan("2026-02-20", target=[{"id": "T1", "diameter_mm": 30}])
T3 = _scan("2026-03-20", target=[{"id": "T3", "diameter_mm": 30}])


def test_every_refused_assessment_is_named_with_the_parsers_words() -> None:
    scans = [BASE, GOOD, T3]
    assert assessment_problems(scans) == {
        2: "assessments[2].target[0].id 'T3': not a baseline target lesion"
    }
    with pytest.raises(DataValidationError) as err:
        parse_patient({"afp_uln_ng_ml": 20, "assessments": scans})
    assert err.value.message == assessment_problems(scans)[2]
    assert assessment_problems([BASE, GOOD]) == {}


def test_a_baseline_the_engine_cannot_read_refuses_its_follow_ups() -> None:
    # 8 mm < 10 mm: not measurable at baseline (mRECIST / RECIST 1.1)
    small = _scan("2026-01-06", target=[{"id": "T1", "organ": "liver", "diameter_mm": 8}])
    found = assessment_problems([small, GOOD])
    assert found[1] == BASELINE_NOT_ASSESSABLE
    assert found[0].startswith("assessments[0].target[0].id 'T1': diameter 8 mm < 10 mm")
