"""Sign in and sign out (``/login``, ``/logout``), with failed logins rate-limited."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

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
    with db_session(request) as session:
        user = session.scalars(select(m.User).where(m.User.username == username)).first()
        ok = user is not None and user.active and verify_password(user.password_hash, password)
        if ok:
            assert user is not None
            uid, stamp = user.id, password_stamp(user)
    if not ok:
        limiter.failed(*keys)
        return render(
            request,
            "login.html",
            {"error": "User name or password is wrong.", "username": username},
            status_code=401,
        )
    limiter.succeeded(keys[0])
    request.session.clear()  # a new session (and CSRF token) after sign-in: no fixation
    request.session["uid"] = uid
    request.session["pwv"] = stamp
    csrf_token(request.session)  # a fresh token, bound to this session
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
