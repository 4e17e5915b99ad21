"""Request-scoped helpers shared by the routers: the app state, the database session, the
signed-in user, read access checks, the unit of work of a write, refusals as form errors, and
template rendering.

Reads check access here (:func:`load_patient`, with the rules of
:mod:`hcctrial.services.permissions`); every write goes through a trial action of
:mod:`hcctrial.services` on a :func:`unit_of_work`, which checks access itself. Read access errors
are raised as :class:`fastapi.HTTPException` 403 (the app's handlers render them as a page or as
JSON); an anonymous request raises :class:`NotSignedIn` (pages redirect to ``/login``, the API
answers 401). A refusal's HTTP status is :func:`refusal_status`, the one mapping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hcctrial.errors import ConflictError, HcctrialError, RuleRefusal
from hcctrial.services.permissions import Actor, Capability, can, sees_site
from hcctrial.services.rules import KIND_STATUS, rule
from hcctrial.services.unit_of_work import UnitOfWork
from hcctrial.store import models as m
from hcctrial.web.security import CSRF_FIELD, csrf_token

__all__ = [
    "InvalidForm",
    "NotSignedIn",
    "WebState",
    "client_of",
    "db_session",
    "form_errors",
    "load_patient",
    "refusal_status",
    "render",
    "require",
    "save_or_refuse",
    "signed_in_user",
    "state_of",
    "unit_of_work",
]


class NotSignedIn(Exception):
    """The request has no valid session."""


class InvalidForm(Exception):
    """A form's fields could not be read (not a number, not a date): ``errors`` says which, in
    the nurse's words; answered like a refusal of values (422, FIELD-VALUE)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class WebState:
    """What the application holds for its lifetime (created by :func:`create_app`)."""

    engine: Any
    sessions: Any
    regimen: Any
    templates: Jinja2Templates
    today: Callable[[], date]
    settings: Any
    hasher: Any
    dashboard_cache: Any
    #: Held for the whole of each writing transaction: this process's writers queue here, in
    #: order, instead of fighting for SQLite's database lock (whose busy handler sleeps and
    #: retries, a source of long tail latencies). Other processes still meet SQLite's lock.
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    #: The time sessions and sign-in counters are judged at (tests replace it).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    #: The failed sign-in limits (:class:`hcctrial.services.signin.Limits`).
    limits: Any = None
    #: The client-address networks whose X-Forwarded-For is believed (settings).
    trusted_proxies: tuple[Any, ...] = ()


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
            request.state.writing = session
            try:
                yield session
            finally:
                request.state.writing = None
    else:
        with state.sessions() as session, session.begin():
            yield session


def client_of(request: Request) -> str:
    """The client's address: the peer, or what a trusted proxy says (settings
    ``trusted_proxies``; :func:`hcctrial.services.signin.client_address`)."""
    from hcctrial.services.signin import client_address

    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    return client_address(peer, forwarded, state_of(request).trusted_proxies)


def _session_user_id(request: Request, session: Any) -> int | None:
    """The user id of the request's valid server-side session, else None (checked once per
    request, in the caller's transaction: no extra round trip). A session ended (sign-out, new
    password, disabled account), idle too long or too old is refused; a replayed cookie of an
    ended session is worth nothing. The time of use is written at most once a minute, and an
    expired session ended, in the request's writing transaction if it has one, else in a short
    one of its own behind the process's write lock (:mod:`hcctrial.services.sessions`)."""
    from hcctrial.services.sessions import apply_check, check_session

    known = getattr(request.state, "session_uid", False)
    if known is not False:
        return known  # type: ignore[no-any-return]
    token = request.session.get("sid")
    uid: int | None = None
    if isinstance(token, str) and token:
        state = state_of(request)
        now = state.clock()
        check = check_session(
            session,
            token,
            lifetime_s=state.settings.session_lifetime_s,
            idle_s=state.settings.idle_timeout_s,
            now=now,
        )
        if check.write is not None:  # once a minute: in the writing transaction, or queued
            in_write = getattr(request.state, "writing", None) is session
            if in_write:
                apply_check(session, token, check, now)
            else:
                with state.write_lock, state.sessions() as own, own.begin():
                    apply_check(own, token, check, now)
        uid = check.user_id
    request.state.session_uid = uid
    return uid


def signed_in_user(request: Request, session: Any) -> Actor:
    """Return the signed-in, active user of ``request`` or raise :class:`NotSignedIn`."""
    uid = _session_user_id(request, session)
    if uid is None or request.session.get("uid") != uid:
        raise NotSignedIn
    user = session.get(m.User, uid)
    if user is None or not user.active or request.session.get("pwv") != _password_stamp(user):
        request.session.pop("uid", None)
        raise NotSignedIn
    request.state.uid = uid
    return Actor(user.id, user.username, user.role, user.site_id)


def _password_stamp(user: Any) -> str:
    """A short digest of the password hash: a session ends when the password changes."""
    import hashlib

    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def password_stamp(user: Any) -> str:
    """Public alias of the session's password stamp (set at login)."""
    return _password_stamp(user)


def require(user: Actor, capability: Capability) -> None:
    """Raise 403 unless ``user`` has ``capability``."""
    if not can(user, capability):
        raise HTTPException(
            status_code=403,
            detail=f"Your role ({user.role.value}) does not allow this ({capability.value}).",
        )


def load_patient(session: Any, user: Actor, patient_id: int) -> Any:
    """Return patient ``patient_id`` if ``user`` may see it; 404 if absent, 403 otherwise."""
    require(user, Capability.VIEW_PATIENTS)
    patient = session.get(m.Patient, patient_id)
    if patient is None:
        raise HTTPException(status_code=404, detail=f"No patient with id {patient_id}.")
    if not sees_site(user, patient.site_id):
        raise HTTPException(status_code=403, detail="This patient belongs to another site.")
    return patient


def unit_of_work(request: Request, session: Any, user: Actor) -> UnitOfWork:
    """The unit of work of ``user`` on ``session``: today's date from the application's clock,
    the settings' tolerance and the regimen."""
    state = state_of(request)
    return UnitOfWork(
        session, user, today=state.today(), settings=state.settings, regimen=state.regimen
    )


def refusal_status(exc: HcctrialError) -> int:
    """The HTTP status of a refusal: its rule's kind (403 authorization, 409 state or stale
    version, 422 values), 409 for a stale version, 400 for any other input error."""
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, RuleRefusal) and exc.rule is not None:
        return KIND_STATUS[rule(exc.rule).kind]
    return 400


def form_errors(
    exc: HcctrialError, fields: set[str] | frozenset[str] = frozenset()
) -> dict[str, str]:
    """``{field: message}`` of a refusal for a form: a finding of one of ``fields`` beside that
    field, everything else at the top of the form (``_form``); each message ends with its rule's
    id, as every door names it."""
    from hcctrial.web.message_words import message_in_words

    findings = getattr(exc, "findings", ()) or ()
    if not findings:
        tag = f" [{exc.rule}]" if exc.rule and f"[{exc.rule}]" not in exc.message else ""
        return {"_form": message_in_words(exc.message) + tag}
    out: dict[str, str] = {}
    for f in findings:
        field = f.get("field")
        key = str(field) if field in fields else "_form"
        said = _in_words(f) if key != "_form" else message_in_words(str(f["message"]))
        text = f"{said} [{f['rule']}]"
        out[key] = f"{out[key]} {text}" if key in out else text
    return out


def _in_words(f: Mapping[str, Any]) -> str:
    """A value's problem as a nurse reads it beside the field ("This is required. Please enter
    a date YYYY-MM-DD."); other findings keep the rule's message."""
    from hcctrial.web.message_words import message_in_words

    expected = f.get("expected")
    if expected is None:
        return message_in_words(str(f["message"]), label=False)
    wanted = str(expected).replace(" (required)", "")
    if " is not possible" in wanted:  # the units layer's sentence (LAB-PLAUSIBLE) says it all
        return message_in_words(wanted, label=False)
    please = f"Please enter {wanted}." if wanted else "Please check this value."
    value = f.get("value")
    if value in (None, ""):
        return "This is required. " + please
    return f"“{value}” does not fit here. {please}"


def save_or_refuse(
    request: Request,
    write: Callable[[Any, Actor], Any],
    show_form: Callable[[Any, Actor, dict[str, str], int], Any],
    fields: set[str] | frozenset[str] = frozenset(),
) -> Any:
    """Run ``write(session, user)`` in one writing transaction and return its response; when the
    form cannot be read (:class:`InvalidForm`) or a rule refuses the action, the transaction is
    rolled back and ``show_form(session, user, errors, status)`` renders the form again with the
    errors beside ``fields`` (the others on top) and the refusal's status. An authorization
    refusal is not a form problem: it propagates (403 page)."""
    try:
        with db_session(request, write=True) as session:
            return write(session, signed_in_user(request, session))
    except InvalidForm as exc:
        errors, status = exc.errors, 422
    except HcctrialError as exc:
        status = refusal_status(exc)
        if status == 403:
            raise
        errors = form_errors(exc, fields)
    with db_session(request) as session:
        return show_form(session, signed_in_user(request, session), errors, status)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: Actor | None = None,
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
