"""The width of the report's figures as journals state it: one keeper for the plan's
``[outputs] figure_width`` and ``hcctrial report --figure-width``.

``single`` = one column, 85 mm; ``double`` = the full text width, 174 mm (the common single/
double column widths of BMJ, Lancet, Elsevier and Springer author guides: 84-90 and 170-180 mm);
or a width in millimetres between 60 and 250 (``"120"``, ``"120mm"``).
"""

from __future__ import annotations

__all__ = ["FIGURE_WIDTHS_MM", "figure_width_mm"]

#: The named presets, in millimetres.
FIGURE_WIDTHS_MM = {"single": 85.0, "double": 174.0}
_MIN_MM, _MAX_MM = 60.0, 250.0


def figure_width_mm(value: str | float) -> float:
    """Return the figure width in mm for ``single``, ``double`` or a number of millimetres.

    Raises ValueError naming the value and what is expected.
    """
    text = str(value).strip().lower()
    if text in FIGURE_WIDTHS_MM:
        return FIGURE_WIDTHS_MM[text]
    number = text.removesuffix("mm").strip()
    try:
        mm = float(number)
    except ValueError:
        mm = float("nan")
    if not _MIN_MM <= mm <= _MAX_MM:
        raise ValueError(
            f"figure width: got {value!r}; expected 'single' (85 mm), 'double' (174 mm) or a "
            f"width in mm from {_MIN_MM:g} to {_MAX_MM:g}"
        )
    return mm
