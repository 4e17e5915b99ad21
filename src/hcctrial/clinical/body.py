"""Body-surface area (BSA), in m², from height (cm) and weight (kg).

Formulas (height H in cm, weight W in kg):

- Mosteller (1987), the default: ``sqrt(H * W / 3600)``;
- DuBois & DuBois (1916): ``0.007184 * W**0.425 * H**0.725``;
- Haycock (1978): ``0.024265 * W**0.5378 * H**0.3964``.

Each is a one-line formula; no library of the field offers them with input checks, so they are here.
"""

from __future__ import annotations

import math
from enum import StrEnum

from hcctrial.errors import field_error

__all__ = ["BsaFormula", "body_surface_area_m2"]


class BsaFormula(StrEnum):
    """The BSA formulas hcctrial knows."""

    MOSTELLER = "mosteller"
    DUBOIS = "dubois"
    HAYCOCK = "haycock"


def body_surface_area_m2(
    height_cm: float, weight_kg: float, formula: BsaFormula | str = BsaFormula.MOSTELLER
) -> float:
    """Return the body-surface area in m² (unrounded).

    Heights outside 50–250 cm and weights outside 2–350 kg are refused as impossible.

    >>> body_surface_area_m2(180, 80)
    2.0
    """
    if not (
        isinstance(height_cm, (int, float)) and math.isfinite(height_cm) and 50 <= height_cm <= 250
    ):
        raise field_error("height_cm", height_cm, "a height between 50 and 250 cm")
    if not (
        isinstance(weight_kg, (int, float)) and math.isfinite(weight_kg) and 2 <= weight_kg <= 350
    ):
        raise field_error("weight_kg", weight_kg, "a weight between 2 and 350 kg")
    try:
        f = BsaFormula(formula)
    except ValueError as exc:
        raise field_error("formula", formula, "one of mosteller, dubois, haycock") from exc
    if f is BsaFormula.MOSTELLER:
        return math.sqrt(height_cm * weight_kg / 3600.0)
    if f is BsaFormula.DUBOIS:
        return 0.007184 * weight_kg**0.425 * height_cm**0.725
    return 0.024265 * weight_kg**0.5378 * height_cm**0.3964
