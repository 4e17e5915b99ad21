"""One in-memory dataset model for every export: variables with labels, value labels, measurement
levels and lengths, column-oriented values, and the names each file format can hold.

Why our own small model rather than a pandas DataFrame with attributes: the same dataset is
written to SPSS (64-byte names, numeric codes with value labels, measurement levels), Stata
(32-character names, value labels), SAS transport v5 (8-character names, 40-character labels,
no value labels), SDTM/ADaM (fixed names), define.xml and the conformance check, and each needs
the metadata, not just the values. pandas frames are built from it only at the writer
(:mod:`hcctrial.interop.stat_files`).

Kinds: ``str``, ``int``, ``float``, ``date`` (a :class:`datetime.date`), ``datetime`` (UTC),
``bool`` (written as 0/1 with labels No/Yes where value labels exist), ``code`` (a text value of a
closed list, written as 1..k with value labels where the format has them, as the text in XPT).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FORMAT_LIMITS",
    "Dataset",
    "Variable",
    "file_names",
    "short_name",
]

#: file format -> (most characters (bytes for SPSS) in a variable name, in a label, in a dataset
#: name). SPSS: 64-byte names, 256-byte labels; Stata 14+: 32-character names, 80-character labels;
#: SAS transport v5: 8-character upper-case names, 40-character labels, 8-character member names.
FORMAT_LIMITS: dict[str, tuple[int, int, int]] = {
    "sav": (64, 256, 64),
    "dta": (32, 80, 32),
    "xpt": (8, 40, 8),
}

_VOWELS = set("AEIOU")


@dataclass(frozen=True)
class Variable:
    """One variable: its hcctrial name, label, kind, value codes and measurement level.

    ``codes`` (kind ``code``) are the allowed text values in order; they are numbered 1..k in the
    order given (value labels ``code_labels``, default the values themselves). ``level`` is the
    SPSS measurement level: ``nominal``, ``ordinal`` or ``scale`` (default: scale for numbers and
    dates, nominal otherwise). ``length`` is the most characters of a text variable (SDTM/XPT).
    """

    name: str
    label: str
    kind: str
    codes: tuple[str, ...] = ()
    code_labels: tuple[str, ...] = ()
    level: str = ""
    length: int | None = None
    int_labels: tuple[tuple[int, str], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in {"str", "int", "float", "date", "datetime", "bool", "code"}:
            raise ValueError(f"variable {self.name}: unknown kind {self.kind!r}")
        if self.kind == "code" and not self.codes:
            raise ValueError(f"variable {self.name}: a coded variable needs its codes")
        if self.code_labels and len(self.code_labels) != len(self.codes):
            raise ValueError(f"variable {self.name}: one label per code")

    @property
    def measure(self) -> str:
        """The SPSS measurement level (nominal / ordinal / scale)."""
        if self.level:
            return self.level
        return "scale" if self.kind in {"int", "float", "date", "datetime"} else "nominal"

    def value_labels(self) -> dict[int, str]:
        """Return number -> label of a coded, boolean or labelled integer variable, else {}."""
        if self.kind == "bool":
            return {0: "No", 1: "Yes"}
        if self.kind == "code":
            labels = self.code_labels or self.codes
            return {k: str(lab) for k, lab in enumerate(labels, start=1)}
        return dict(self.int_labels)

    def code_number(self, value: Any) -> int | None:
        """Return the number of a code (1..k), None for no value; raise for an unknown code."""
        if value is None or value == "":
            return None
        text = getattr(value, "value", value)
        try:
            return self.codes.index(str(text)) + 1
        except ValueError:
            raise ValueError(
                f"variable {self.name}: value {text!r} is not one of {list(self.codes)}"
            ) from None


@dataclass
class Dataset:
    """A named table: variables in order and one list of values per variable (same length)."""

    name: str
    label: str
    variables: list[Variable]
    columns: dict[str, list[Any]] = field(default_factory=dict)
    keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for v in self.variables:
            self.columns.setdefault(v.name, [])
        lengths = {len(self.columns[v.name]) for v in self.variables}
        if len(lengths) > 1:
            raise ValueError(f"dataset {self.name}: columns of unequal length {sorted(lengths)}")

    @property
    def n_rows(self) -> int:
        """The number of rows."""
        return len(self.columns[self.variables[0].name]) if self.variables else 0

    def variable(self, name: str) -> Variable:
        """Return the variable named ``name``."""
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(f"{self.name}.{name}")

    def append(self, row: dict[str, Any]) -> None:
        """Append one row (missing variables get None; unknown keys are an error)."""
        unknown = set(row) - set(self.columns)
        if unknown:
            raise KeyError(f"dataset {self.name}: unknown variables {sorted(unknown)}")
        for v in self.variables:
            self.columns[v.name].append(row.get(v.name))

    def rows(self) -> list[dict[str, Any]]:
        """Return the rows as dicts (variable name -> value)."""
        names = [v.name for v in self.variables]
        return [dict(zip(names, vals, strict=True)) for vals in zip(*(self.columns[n] for n in names), strict=True)]


def short_name(name: str, limit: int, *, upper: bool = False) -> str:
    """Return ``name`` made valid in a format whose names hold ``limit`` characters.

    Letters, digits and ``_`` only, starting with a letter; a name that fits is kept. A longer
    name loses, word by word from the last, the vowels after each word's first letter; then the
    ``_`` separators; then it is cut at ``limit``. (``enrolment_date`` -> ``ENRLMNTD`` at 8.)
    Collisions are resolved by :func:`file_names`.
    """
    text = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not text or not text[0].isalpha():
        text = "V" + text
    if upper:
        text = text.upper()
    if len(text) <= limit:
        return text
    words = text.split("_")
    for i in range(len(words) - 1, -1, -1):
        w = words[i]
        words[i] = w[:1] + "".join(c for c in w[1:] if c.upper() not in _VOWELS)
        if len("_".join(words)) <= limit:
            return "_".join(words)
    return "".join(words)[:limit]


def file_names(names: list[str], fmt: str) -> dict[str, str]:
    """Return hcctrial name -> name in format ``fmt`` (``sav``, ``dta``, ``xpt``), unique.

    Names are compared case-insensitively (SPSS and SAS ignore case); a clash is resolved by
    replacing the end of the later name with its number (``ENRLMNT2``).
    """
    limit = FORMAT_LIMITS[fmt][0]
    upper = fmt == "xpt"
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        candidate = short_name(name, limit, upper=upper)
        k = 1
        while candidate.lower() in used:
            k += 1
            suffix = str(k)
            candidate = short_name(name, limit, upper=upper)[: limit - len(suffix)] + suffix
        used.add(candidate.lower())
        out[name] = candidate
    return out
