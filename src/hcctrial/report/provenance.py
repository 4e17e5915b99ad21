"""Provenance printed on the report's first page: what made it, from what, and when.

- hcctrial's version, and the git commit of the source when it runs from a checkout (with
  "+ local changes" when the work tree differs from it);
- the SHA-256 of the regimen file and of the statistical analysis plan file (the bytes read);
- a content hash of the data: SHA-256 of the analysis rows the report computed from (subjects
  and endpoint rows in a canonical JSON form), so two reports of the same data carry the same hash
  whatever the database engine;
- the lock state of the database (:func:`hcctrial.services.locks.database_lock_state`);
- the time the report was built (UTC).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hcctrial.report.inputs import ReportInputs

__all__ = [
    "Provenance",
    "data_content_hash",
    "database_lock_state",
    "git_commit",
    "provenance",
]

#: ``module:function`` answering a database's lock state (the locks feature; absent: not locked).
NOT_LOCKED = "not locked"


@dataclass(frozen=True)
class Provenance:
    """The first page's provenance (every hash a hex SHA-256)."""

    version: str
    commit: str | None
    regimen: str
    regimen_sha256: str | None
    plan: str
    plan_sha256: str
    data_sha256: str
    lock_state: str
    built_at: str

    def lines(self) -> tuple[str, ...]:
        """The provenance as lines of text (report first page, Word and PDF)."""
        return (
            f"hcctrial {self.version}"
            + (f", git commit {self.commit}" if self.commit else ", not built from a git checkout"),
            f"Regimen: {self.regimen} (SHA-256 {self.regimen_sha256 or 'not available'})",
            f"Analysis plan: {self.plan} (SHA-256 {self.plan_sha256 or 'not available'})",
            f"Data: content SHA-256 {self.data_sha256}; database {self.lock_state}",
            f"Built {self.built_at}",
        )


def git_commit(where: Path | None = None) -> str | None:
    """The commit of the git checkout holding ``where`` (default: this package), with
    "+ local changes" when the work tree differs; None outside a checkout or without git."""
    here = where or Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head} + local changes" if dirty else head or None


def data_content_hash(inputs: ReportInputs) -> str:
    """SHA-256 of the analysis rows (subjects and endpoint rows) in canonical JSON."""
    rows = {
        "subjects": sorted(
            json.dumps(asdict(s), sort_keys=True, default=str) for s in inputs.subjects
        ),
        "endpoints": sorted(
            f"{e.study_id}|{e.endpoint}|{e.time_months!r}|{e.event}" for e in inputs.endpoints
        ),
    }
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode("utf-8")).hexdigest()


def database_lock_state(engine: Any) -> str:
    """The lock state of ``engine``'s database in words, from
    :func:`hcctrial.services.locks.database_lock_state` ("not locked", or who locked it, when
    and why)."""
    from hcctrial.services.locks import database_lock_state as lock_state
    from hcctrial.store.session import open_session

    with open_session(engine) as session:
        state = lock_state(session)
    if not state["locked"]:
        return NOT_LOCKED
    return f"locked since {state['locked_at']} by {state['locked_by']}: {state['reason']}"


def _regimen_file(name: str) -> tuple[str, str | None]:
    from hcctrial.errors import HcctrialError
    from hcctrial.protocol.regimen import regimen_path

    try:
        path = regimen_path(name)
    except HcctrialError:
        return name, None
    return path.name, hashlib.sha256(path.read_bytes()).hexdigest()


def provenance(inputs: ReportInputs, plan_file: str, plan_sha256: str, regimen: str) -> Provenance:
    """Gather the provenance of a report of ``inputs`` under the plan and regimen named."""
    from hcctrial import __version__

    reg, reg_hash = _regimen_file(regimen)
    return Provenance(
        version=__version__,
        commit=git_commit(),
        regimen=reg,
        regimen_sha256=reg_hash,
        plan=Path(plan_file).name,
        plan_sha256=plan_sha256,
        data_sha256=data_content_hash(inputs),
        lock_state=inputs.lock_state or NOT_LOCKED,
        built_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    )
