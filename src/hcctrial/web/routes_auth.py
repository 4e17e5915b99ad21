"""Sign in and sign out (``/login``, ``/logout``).

A sign-in attempt, in order:

1. it is reserved, per account name and per client address, before anything is checked
   (:func:`hcctrial.services.signin.reserve_attempt`, its own committed transaction): a locked
   account or address, or one with too many attempts in flight, is answered 429 with
   ``Retry-After``, without checking the password; the outcome settles the reservation
   (:func:`~hcctrial.services.signin.record_attempt`: a failure counts and may lock);
2. the password is checked with argon2 off the event loop; an unknown or disabled account is
   checked against a dummy hash of the same cost, so every wrong answer takes as long
   (no user enumeration by timing);
3. an account with a second factor (or an admin while ``totp_for_admins``) must give the
   current TOTP code (:mod:`hcctrial.services.totp`);
4. a new server-side session starts (:mod:`hcctrial.services.sessions`); the cookie holds its
   random token, and a fresh CSRF token.

Each outcome is a security event (``login.success``, ``login.failure``; the counters log
``login.locked``/``login.refused``). Sign-out ends the server-side session: the cookie, even
copied, opens nothing afterwards.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from hcctrial.services.security_log import security_event
from hcctrial.store import models as m
from hcctrial.web.deps import client_of, db_session, password_stamp, render, state_of
from hcctrial.web.security import csrf_token

router = APIRouter(include_in_schema=False)

_WRONG = "User name, password or one-time code is wrong."


@router.get("/login")
def login_page(request: Request) -> Response:
    """The sign-in form."""
    return render(request, "login.html", {"error": None, "username": ""})


def _refuse(request: Request, username: str, error: str, status: int) -> Response:
    return render(
        request, "login.html", {"error": error, "username": username}, status_code=status
    )


@router.post("/login")
async def login(request: Request) -> Response:
    """Count the attempt, check the password (and code); on success start a fresh session."""
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    code = str(form.get("code") or "")
    client = client_of(request)
    wait = await run_in_threadpool(_reserve, request, username, client)
    if wait:
        minutes = wait // 60 + 1
        response = _refuse(
            request,
            username,
            f"Too many failed sign-ins. Please wait {minutes} minute{'s' * (minutes > 1)} and "
            "try again.",
            429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    found = await run_in_threadpool(_check_password, request, username, password)
    if found is None:
        await run_in_threadpool(_record, request, username, client, False)
        security_event("login.failure", user=username, client=client, why="password")
        return _refuse(request, username, _WRONG, 401)
    uid, stamp = found
    started = await run_in_threadpool(
        _second_factor_and_start, request, uid, username, code, client
    )
    if started.startswith("!"):
        security_event("login.failure", user=username, client=client, why=started[1:])
        if started == "!totp-missing":
            return _refuse(
                request,
                username,
                "This admin account needs a second factor. Ask an admin to add one "
                "(hcctrial user totp add), then sign in with its code.",
                403,
            )
        return _refuse(request, username, _WRONG, 401)
    request.session.clear()  # a new session (and CSRF token) after sign-in: no fixation
    request.session["sid"] = started
    request.session["uid"] = uid
    request.session["pwv"] = stamp
    csrf_token(request.session)  # a fresh token, bound to this session
    security_event("login.success", user=username, client=client)
    return RedirectResponse("/", status_code=303)


def _reserve(request: Request, username: str, client: str) -> int:
    """Count the attempt (committed before the password is checked); seconds to wait or 0."""
    from hcctrial.services.signin import attempt_keys, reserve_attempt

    state = state_of(request)
    with db_session(request, write=True) as session:
        return reserve_attempt(
            session, attempt_keys(username, client), state.limits, state.clock(), client
        )


def _record(request: Request, username: str, client: str, ok: bool) -> None:
    """Settle the attempt's reservation: a failure counts (and may lock), a success does not."""
    from hcctrial.services.signin import attempt_keys, record_attempt

    state = state_of(request)
    with db_session(request, write=True) as session:
        record_attempt(
            session, attempt_keys(username, client), ok, state.limits, state.clock(), client
        )


def _check_password(request: Request, username: str, password: str) -> tuple[int, str] | None:
    """(user id, password stamp) if the password is right. The same argon2 work is done for
    an unknown or disabled account as for a known one (argon2 runs here, off the event loop)."""
    from hcctrial.services.identity import password_matches

    with db_session(request) as session:
        user = session.scalars(select(m.User).where(m.User.username == username)).first()
        hashed = None if user is None else user.password_hash
        ok = password_matches(hashed, password, state_of(request).hasher)
        if user is None or not ok or not user.active:
            return None
        return int(user.id), password_stamp(user)


def _second_factor_and_start(
    request: Request, uid: int, username: str, code: str, client: str
) -> str:
    """Check the TOTP code if the account needs one, settle the attempt and start the session;
    return its token, or ``"!totp"`` (a wrong code: a failure) / ``"!totp-missing"``."""
    from hcctrial.services.sessions import start_session
    from hcctrial.services.signin import attempt_keys, record_attempt
    from hcctrial.services.totp import totp_needed, verify_totp

    state = state_of(request)
    now = state.clock()
    keys = attempt_keys(username, client)
    with db_session(request, write=True) as session:
        user = session.get(m.User, uid)
        needed = totp_needed(session, uid, user.role, state.settings.totp_for_admins)
        ok = needed is None or (needed == "code" and verify_totp(session, uid, code, now))
        record_attempt(session, keys, ok or needed == "missing", state.limits, now, client)
        if needed == "missing":
            return "!totp-missing"
        if not ok:
            return "!totp"
        return start_session(session, uid, client, now)


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session, on the server too: the cookie opens nothing afterwards."""
    from hcctrial.services.sessions import end_session

    token = request.session.get("sid")
    if isinstance(token, str) and token:
        with db_session(request, write=True) as session:
            end_session(session, token, "signed out")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
