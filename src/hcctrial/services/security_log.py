"""Security events as structured log lines: one JSON object per line on the logger
``hcctrial.security`` (python :mod:`logging`).

Events: ``login.success``, ``login.failure``, ``login.locked`` (a key reached its limit),
``login.refused`` (an attempt while locked), ``access.denied`` (a 403), ``session.ended``,
``account.role``/``account.password``/``account.active`` (changes of an account; the change
itself is also an audited row of ``users``), ``token.issued``/``token.revoked``,
``cli.auth.failure``, ``totp.added``. Each line holds ``event``, ``at`` (UTC, ISO 8601 with ``Z``)
and the event's fields (user name, client address, reason ...), never a password, a token or a
hash. ``hcctrial serve`` writes them to stderr; a deployment routes the logger where it keeps
its logs (a SIEM, journald).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

__all__ = ["LOGGER_NAME", "security_event"]

LOGGER_NAME = "hcctrial.security"
_LOG = logging.getLogger(LOGGER_NAME)
_LOG.addHandler(logging.NullHandler())  # silent until a program routes it (``serve``: stderr)
_WARNINGS = frozenset(
    {"login.failure", "login.locked", "login.refused", "access.denied", "cli.auth.failure"}
)


def security_event(event: str, **fields: object) -> None:
    """Write one security event ``event`` with ``fields`` as a JSON line (warning level for
    failures and refusals, info otherwise)."""
    at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    line = json.dumps({"event": event, "at": at, **fields}, sort_keys=True, default=str)
    _LOG.log(logging.WARNING if event in _WARNINGS else logging.INFO, line)
