"""Sign in and sign out (``/login``, ``/logout``), with failed logins rate-limited."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from hcctrial.store import models as m
from hcctrial.web.deps import db_session, password_stamp, render, state_of
from hcctrial.web.security import csrf_token, verify_password

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request) -> Response:
    """The sign-in form."""
    return render(request, "login.html", {"error": None, "username": ""})


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the user name and password; on success start a fresh session."""
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    limiter = state_of(request).limiter
    client = request.client.host if request.client else "?"
    keys = (f"user:{username.lower()}", f"ip:{client}")
    wait = limiter.retry_after(*keys)
    if wait:
        response = render(
            request,
            "login.html",
            {
                "error": f"Too many failed sign-ins. Please wait {wait // 60 + 1} minutes and "
                "try again.",
                "username": username,
            },
            status_code=429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    found = await run_in_threadpool(_check_password, request, username, password)
    if found is None:
        limiter.failed(*keys)
        return render(
            request,
            "login.html",
            {"error": "User name or password is wrong.", "username": username},
            status_code=401,
        )
    uid, stamp = found
    limiter.succeeded(keys[0])
    request.session.clear()  # a new session (and CSRF token) after sign-in: no fixation
    request.session["uid"] = uid
    request.session["pwv"] = stamp
    csrf_token(request.session)  # a fresh token, bound to this session
    return RedirectResponse("/", status_code=303)


def _check_password(request: Request, username: str, password: str) -> tuple[int, str] | None:
    """(user id, password stamp) if the password is right (argon2 runs here, off the event loop)."""
    with db_session(request) as session:
        user = session.scalars(select(m.User).where(m.User.username == username)).first()
        hasher = state_of(request).hasher
        if (
            user is None
            or not user.active
            or not verify_password(hasher, user.password_hash, password)
        ):
            return None
        return int(user.id), password_stamp(user)


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
