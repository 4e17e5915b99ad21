"""The one small exception hierarchy of hcctrial.

Every error a user can cause derives from :class:`HcctrialError`. The CLI maps all of them to exit
code 2 with the message (no traceback) in one place (``hcctrial.cli.main``); the web layer maps them
to HTTP statuses in one place too. Messages name the field, the value given and what was expected.
"""

from __future__ import annotations


class HcctrialError(Exception):
    """Base class of every error hcctrial raises on bad input or a broken rule."""

    exit_code: int = 2
    #: The id of the rule of the trial that refused the action (``hcctrial.services.rules``), if any.
    rule: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return self.message


class DataValidationError(HcctrialError, ValueError):
    """Input data are malformed, missing, out of range or inconsistent."""


class UnitError(DataValidationError):
    """A quantity has an unknown unit, a unit of the wrong dimension, or an impossible value."""


class ProtocolError(HcctrialError):
    """A regimen file is malformed, or a protocol rule cannot be applied."""


class ConflictError(HcctrialError):
    """Two people edited the same record: the later write is refused (optimistic locking)."""

    exit_code = 3
    rule = "VERSION-STALE"


class RuleRefusal(HcctrialError):
    """An action refused by a named rule of the trial (:mod:`hcctrial.services.rules`).

    ``rule`` is the rule's id (``docs/rules.md``); ``findings`` every violation found, when more
    than one (each a mapping with ``rule``, ``table``, ``row``, ``field``, ``message``). The
    subclass says which kind of refusal it is: who may act (:class:`AuthorizationError`), the
    patient's state (:class:`StateConflictError`) or the values (:class:`RuleViolation`).
    """

    def __init__(
        self,
        message: str,
        *,
        rule: str,
        field: str | None = None,
        findings: tuple[dict[str, object], ...] = (),
    ) -> None:
        super().__init__(message, field=field)
        self.rule = rule
        self.findings = findings


class AuthorizationError(RuleRefusal):
    """The acting user may not do this, or not on this site's records (HTTP 403)."""


class StateConflictError(RuleRefusal):
    """The patient's state does not allow this action or record (HTTP 409)."""


class RuleViolation(RuleRefusal, DataValidationError):
    """A value, or two records together, break a rule of the trial (HTTP 422)."""


class IntegrityError(HcctrialError):
    """The audit trail or the data it covers were changed behind the application's back."""

    exit_code = 1


def field_error(field: str, value: object, expected: str) -> DataValidationError:
    """Return a :class:`DataValidationError` that names the field, the value and what was expected.

    >>> str(field_error("albumin", "35 g/dL", "a value between 0.5 and 7 g/dL"))
    "albumin: got '35 g/dL'; expected a value between 0.5 and 7 g/dL"
    """
    return DataValidationError(f"{field}: got {value!r}; expected {expected}", field=field)


_UNION_BRANCH_TAGS = frozenset({"float", "int", "str", "bool", "list", "dict"})


def key_path(loc: tuple[int | str, ...]) -> str:
    """Return a pydantic error location as a key path: ``("drugs", 2, "dose")`` -> ``drugs[2].dose``.

    Union-branch tags that pydantic puts in locations (``constrained-float``, ``literal['none']``,
    ``function-after[...]``) are not keys of the input and are left out.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not (any(c in part for c in "-[]'\"") or part in _UNION_BRANCH_TAGS):
            out += ("." if out else "") + part
    return out


def validation_problems(exc: object, *, unknown_key: str = "unknown key") -> list[tuple[str, str]]:
    """Return ``(key path, message)`` for each error of a pydantic ``ValidationError``.

    One wording for every input file of hcctrial (patient files, patient records, regimen files):
    a missing key says so, an unknown key says so, any other message shows the value given
    (scalars only; a whole object or list is not repeated). Duplicates are dropped, order kept.
    Duck-typed on ``exc.errors()`` so that this module does not import pydantic.
    """
    problems: dict[tuple[str, str], None] = {}
    try:
        errors = exc.errors(include_url=False)  # type: ignore[attr-defined]
    except TypeError:  # FastAPI's RequestValidationError.errors() takes no arguments
        errors = exc.errors()  # type: ignore[attr-defined]
    for err in errors:
        where = key_path(tuple(err["loc"]))
        if err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] == "extra_forbidden":
            msg = unknown_key
        elif "input" in err and not isinstance(err["input"], dict | list):
            msg = f"{err['msg']} (got {err['input']!r})"
        else:
            msg = str(err["msg"])
        problems[(where, msg)] = None
    return list(problems)
