"""Tumour-response categories shared by the mRECIST time-point rules and best overall response.

One enum, :class:`Response`, holds every value a response record or a derived best overall
response can take. The values are the CDISC/admiralonco codes (``"NON-CR/NON-PD"``, ``"ND"``,
``"MISSING"``), so records read from a database map one-to-one:

* ``CR``, ``PR``, ``SD``, ``PD``, ``NE`` — the RECIST 1.1 / mRECIST categories;
* ``NON-CR/NON-PD`` — the overall response of a patient without target disease whose
  non-target lesions persist (RECIST 1.1 Table 5);
* ``ND`` — assessment not done (admiralonco keeps it apart from NE);
* ``MISSING`` — only ever a *best* overall response: the patient has no assessment at all
  (admiralonco's ``missing_as_ne = FALSE``).

:data:`BOR_ORDER` is admiralonco's order of preference (``aval_resp``: CR = 1 … MISSING = 7,
ND ranked after NE as in ``derive_param_confirmed_bor``).
"""

from __future__ import annotations

from enum import StrEnum

from hcctrial.errors import field_error


class Response(StrEnum):
    """A tumour-response category (time point or best overall)."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON-CR/NON-PD"
    PD = "PD"
    NE = "NE"
    ND = "ND"
    MISSING = "MISSING"

    @classmethod
    def parse(cls, value: object, *, field: str) -> Response:
        """Return the category written as ``value`` (case-insensitive); raise naming ``field``."""
        if isinstance(value, Response):
            return value
        if isinstance(value, str):
            text = value.strip().upper()
            for member in cls:
                if member.value == text:
                    return member
        raise field_error(
            field, value, "one of " + ", ".join(m.value for m in cls if m is not cls.MISSING)
        )


#: admiralonco's order of preference for best overall response, best first.
BOR_ORDER: tuple[Response, ...] = (
    Response.CR,
    Response.PR,
    Response.SD,
    Response.NON_CR_NON_PD,
    Response.PD,
    Response.NE,
    Response.ND,
    Response.MISSING,
)


def response_rank(response: Response) -> int:
    """Return the rank of ``response`` in :data:`BOR_ORDER` (0 = CR, the best)."""
    return BOR_ORDER.index(response)
