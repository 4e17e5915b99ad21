"""The trial report built in the background, with progress, and served from a cache for the same
data (issue 19).

A report is keyed by the **content hash** of what it shows: the audit chain's head (its last
sequence number and hash, which covers every row ever written -- any change of the data moves
it), the format and the analysis plan. The first request for a key starts one build in a thread
and answers at once with a progress page (202, refreshing itself); later requests for the same
key see the progress, then get the built file; a build is never started twice for one key. Files
live in a temporary directory of the application; the newest :data:`KEEP` are kept.

Why not build in the request: a report of a 66-patient trial takes ~30 s (figures), longer than a
browser or a proxy waits, with no sign of progress.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["KEEP", "ReportJob", "ReportJobs", "content_key"]

#: Reports kept on disk (the newest ones).
KEEP = 6


@dataclass
class ReportJob:
    """One build: its key and format, the stage reached (``stage``, ``done`` of ``total``), the
    file once built, or the error in words."""

    key: str
    fmt: str
    stage: str = "starting"
    done: int = 0
    total: int = 0
    path: Path | None = None
    error: str | None = None
    #: the HTTP status of the failure: 400 for the data (a named input error), 500 otherwise
    error_status: int = 500
    started: float = 0.0
    finished: float | None = None

    @property
    def ready(self) -> bool:
        return self.path is not None


def content_key(session: Any, fmt: str, plan: Any) -> str:
    """The content hash of the report of the data in ``session`` in ``fmt`` under ``plan``."""
    from hcctrial.store import models as m

    head = session.get(m.AuditChainHead, 1)
    seq, chain = (0, "") if head is None else (head.last_seq, head.last_hash)
    plan_id = repr(sorted(plan.reference().items())) if plan is not None else ""
    text = f"{seq}:{chain}:{fmt}:{plan_id}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


Builder = Callable[[Path, Callable[[str, int, int], None]], Path]


class ReportJobs:
    """The application's report builds (thread-safe)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.dir = directory or Path(tempfile.mkdtemp(prefix="hcctrial-reports-"))
        self._jobs: dict[str, ReportJob] = {}
        self._lock = threading.Lock()
        self.builds = 0

    def job(self, key: str, fmt: str, builder: Builder, *, retry: bool = False) -> ReportJob:
        """The job of ``key``: the one running, done or failed, else a new one started with
        ``builder(out_dir, progress) -> path``; ``retry`` starts a failed one again."""
        with self._lock:
            found = self._jobs.get(key)
            if found is not None and not (retry and found.error is not None):
                return found
            job = ReportJob(key, fmt, started=time.monotonic())
            self._jobs[key] = job
            self.builds += 1
        threading.Thread(target=self._run, args=(job, builder), daemon=True).start()
        return job

    def _run(self, job: ReportJob, builder: Builder) -> None:
        from hcctrial.errors import HcctrialError

        def progress(stage: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = stage, done, total

        out = self.dir / job.key
        try:
            path = builder(out, progress)
        except HcctrialError as exc:
            job.error, job.error_status = exc.message, 400
        except Exception as exc:  # any failure is shown as a failed build and logged
            import logging

            logging.getLogger("hcctrial.web").exception("report build %s failed", job.key)
            job.error = f"The report could not be built ({type(exc).__name__})."
        else:
            job.path = path
        finally:
            job.finished = time.monotonic()
            self._prune()

    def _prune(self) -> None:
        import shutil

        with self._lock:
            done = sorted(
                (j for j in self._jobs.values() if j.finished is not None),
                key=lambda j: j.finished or 0.0,
            )
            for old in done[:-KEEP]:
                self._jobs.pop(old.key, None)
                shutil.rmtree(self.dir / old.key, ignore_errors=True)
