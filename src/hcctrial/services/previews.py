"""What a form may show before it saves: the column checks of typed values, and nothing written.

The live previews of the web forms (a lab's grade, a baseline's scores, a scan's response) need
the typed values converted and checked as the save will check them; :func:`checked_values` is that
check, without a unit of work and without a write. The save itself runs the trial's action.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hcctrial.services import persistence
from hcctrial.store.models import Record
from hcctrial.store.values import FieldProblem

__all__ = ["checked_values"]


def checked_values(
    model: type[Record],
    values: Mapping[str, object],
    *,
    partial: bool = False,
    ctcae_version: str | None = None,
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Return the converted values of one row of ``model`` and the problems found (each with
    its rule id); ``partial``: only the columns given are checked; ``ctcae_version``: the
    trial's CTCAE version (:func:`hcctrial.protocol.regimen.trial_ctcae_version`) an adverse
    event is checked against."""
    return persistence.prepare_row(model, values, partial=partial, ctcae_version=ctcae_version)
