"""Load and validate regimen files (TOML, see :mod:`hcctrial.protocol.schema`).

A regimen is named either by a path to a ``.toml`` file or by the name of a bundled regimen
(``sorafenib_tace_haic_folfox``, ``tace_haic_folfox``; see :func:`list_regimens`). Malformed TOML
and schema violations raise :class:`~hcctrial.errors.ProtocolError` naming the file and the key path
(``drugs[2].dose_per_m2.B: Input should be a valid number``).

>>> default_regimen().cycle.max_haic_cycles
8
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hcctrial.errors import DataValidationError, ProtocolError, validation_problems
from hcctrial.protocol.schema import Regimen

__all__ = [
    "DEFAULT_REGIMEN",
    "default_regimen",
    "list_regimens",
    "load_regimen",
    "regimen_from_mapping",
    "regimen_path",
    "trial_ctcae_version",
]

#: the seed paper's regimen
DEFAULT_REGIMEN = "sorafenib_tace_haic_folfox"


def _bundled_dir() -> Path:
    return Path(str(resources.files("hcctrial.protocol") / "regimens"))


def list_regimens() -> list[str]:
    """Return the names of the bundled regimen files (without ``.toml``), sorted."""
    return sorted(p.stem for p in _bundled_dir().glob("*.toml"))


def regimen_path(path_or_name: str | Path) -> Path:
    """Return the file a regimen name or path designates (a path wins over a bundled name)."""
    p = Path(path_or_name)
    if p.suffix == ".toml" or p.exists() or "/" in str(path_or_name):
        if not p.is_file():
            raise ProtocolError(
                f"regimen: file {str(p)!r} not found; expected a .toml regimen file or one of "
                f"{list_regimens()}",
                field="regimen",
            )
        return p
    bundled = _bundled_dir() / f"{path_or_name}.toml"
    if not bundled.is_file():
        raise ProtocolError(
            f"regimen: got {str(path_or_name)!r}; expected a .toml file or one of {list_regimens()}",
            field="regimen",
        )
    return bundled


def _describe(exc: ValidationError, origin: str) -> str:
    problems = validation_problems(exc, unknown_key="unknown key (not part of the regimen schema)")
    return f"regimen {origin}: " + "; ".join(f"{w or '(top level)'}: {m}" for w, m in problems)


def regimen_from_mapping(data: dict[str, Any], *, origin: str = "(mapping)") -> Regimen:
    """Return a validated :class:`Regimen` from already-parsed TOML data."""
    try:
        return Regimen.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(_describe(exc, origin), field="regimen") from exc


def _load_file(path: Path) -> Regimen:
    from hcctrial.input_files import read_toml_file

    try:
        data = read_toml_file(path, what="regimen", field="regimen")
    except DataValidationError as exc:
        raise ProtocolError(exc.message, field="regimen") from None
    return regimen_from_mapping(data, origin=str(path))


@cache
def _load_bundled(name: str) -> Regimen:
    return _load_file(_bundled_dir() / f"{name}.toml")


def load_regimen(path_or_name: str | Path) -> Regimen:
    """Return the validated regimen of a file path or of a bundled regimen name.

    Raises :class:`ProtocolError` (CLI exit code 2) naming the file and key path when the file is
    missing, is not valid TOML, or does not fit the schema.
    """
    path = regimen_path(path_or_name)
    if path.parent.resolve() == _bundled_dir().resolve():
        return _load_bundled(path.stem)
    return _load_file(path)


def default_regimen() -> Regimen:
    """Return the seed paper's regimen (sorafenib + TACE followed by HAIC-FOLFOX)."""
    return load_regimen(DEFAULT_REGIMEN)


def trial_ctcae_version(regimen: Regimen | None = None) -> str:
    """The trial's CTCAE version: ``assessment.ctcae_version`` of ``regimen`` (the trial's regimen
    file; the default regimen's when None).

    The one place every door asks which CTCAE version grades a lab and names an adverse event at
    entry -- the services' value checks, the forms' live previews, the patient page, the JSON
    API's grade preview -- so that a sister trial graded by CTCAE v5.0 is a new regimen file, not
    a fork (the course engine reads the same field). The command line's ``--ctcae`` flag keeps
    its own default (a fixed contract)."""
    return (regimen or default_regimen()).assessment.ctcae_version
