"""Request-scoped helpers shared by the routers: the app state, the database session, the
signed-in user, access checks and template rendering.

Access errors are raised as :class:`fastapi.HTTPException` 403 (the app's handlers render them as
a page or as JSON); an anonymous request raises :class:`NotSignedIn` (pages redirect to
``/login``, the API answers 401).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hcctrial.store import models as m
from hcctrial.web.permissions import Capability, Principal, can, sees_site
from hcctrial.web.security import CSRF_FIELD, LoginRateLimiter, csrf_token

__all__ = [
    "NotSignedIn",
    "WebState",
    "db_session",
    "load_patient",
    "render",
    "require",
    "signed_in_user",
    "state_of",
]


class NotSignedIn(Exception):
    """The request has no valid session."""


@dataclass
class WebState:
    """What the application holds for its lifetime (created by :func:`create_app`)."""

    engine: Any
    sessions: Any
    regimen: Any
    limiter: LoginRateLimiter
    templates: Jinja2Templates
    today: Callable[[], date]
    testing: bool
    dashboard_cache: Any
    #: Held for the whole of each writing transaction: this process's writers queue here, in
    #: order, instead of fighting for SQLite's database lock (whose busy handler sleeps and
    #: retries, a source of long tail latencies). Other processes still meet SQLite's lock.
    write_lock: threading.Lock = field(default_factory=threading.Lock)


def state_of(request: Request) -> WebState:
    """Return the application's :class:`WebState`."""
    state: WebState = request.app.state.web
    return state


@contextmanager
def db_session(request: Request, *, write: bool = False) -> Iterator[Any]:
    """Yield a database session in one transaction (committed on success, rolled back on error).

    ``write=True`` (every endpoint that saves): the transaction runs under the process's write
    lock (:attr:`WebState.write_lock`), so it is short and never waits on SQLite's lock for
    another thread of this process. Blocking work: call this from a sync (``def``) endpoint or
    through :func:`starlette.concurrency.run_in_threadpool`, never on the event loop.
    """
    state = state_of(request)
    if write:
        with state.write_lock, state.sessions() as session, session.begin():
            yield session
    else:
        with state.sessions() as session, session.begin():
            yield session


def signed_in_user(request: Request, session: Any) -> Principal:
    """Return the signed-in, active user of ``request`` or raise :class:`NotSignedIn`."""
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        raise NotSignedIn
    user = session.get(m.User, uid)
    if user is None or not user.active or request.session.get("pwv") != _password_stamp(user):
        request.session.pop("uid", None)
        raise NotSignedIn
    return Principal(user.id, user.username, user.role, user.site_id)


def _password_stamp(user: Any) -> str:
    """A short digest of the password hash: a session ends when the password changes."""
    import hashlib

    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def password_stamp(user: Any) -> str:
    """Public alias of the session's password stamp (set at login)."""
    return _password_stamp(user)


def require(user: Principal, capability: Capability) -> None:
    """Raise 403 unless ``user`` has ``capability``."""
    if not can(user, capability):
        raise HTTPException(
            status_code=403,
            detail=f"Your role ({user.role.value}) does not allow this ({capability.value}).",
        )


def load_patient(session: Any, user: Principal, patient_id: int) -> Any:
    """Return patient ``patient_id`` if ``user`` may see it; 404 if absent, 403 otherwise."""
    require(user, Capability.VIEW_PATIENTS)
    patient = session.get(m.Patient, patient_id)
    if patient is None:
        raise HTTPException(status_code=404, detail=f"No patient with id {patient_id}.")
    if not sees_site(user, patient.site_id):
        raise HTTPException(status_code=403, detail="This patient belongs to another site.")
    return patient


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` with the user, the CSRF token and ``context``."""
    ctx = {
        "user": user,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request.session),
        "can": (lambda cap: user is not None and can(user, Capability(cap))),
        **(context or {}),
    }
    return state_of(request).templates.TemplateResponse(
        request, template, ctx, status_code=status_code
    )
