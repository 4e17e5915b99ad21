"""User management for admins (``/admin/users``): list the accounts, create one with its role and
site, disable or enable it, reset its password.

Only the admin role has :attr:`~hcctrial.web.permissions.Capability.MANAGE_USERS`; everyone else
gets 403. Every write goes through the audited service layer (:func:`hcctrial.store.services.create`
and :func:`~hcctrial.store.services.update`: actor, reason, hash-chained audit entry, optimistic
lock on the version the admin saw). Passwords are stored only as argon2id hashes
(:func:`hcctrial.web.security.hash_password`); the audit entry of a reset holds the old and new
*hashes*, never a password. A disabled account is out at once and a reset password ends the
user's open sessions (the session carries a stamp of the hash, :func:`hcctrial.web.deps.signed_in_user`).

Rules (the same as ``hcctrial user add``): a user name of letters, digits, ``.``, ``_`` or ``-``
(at most 64), not taken; one of the five roles; investigators and coordinators need a site; a
password of at least 10 characters. An admin cannot disable their own account (no lock-out).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from hcctrial.errors import ConflictError, HcctrialError
from hcctrial.store import models as m
from hcctrial.web.deps import db_session, render, require, signed_in_user
from hcctrial.web.permissions import Capability, Principal
from hcctrial.web.security import hash_password, password_problem

router = APIRouter(include_in_schema=False)

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
CREATED = "account created by an admin via web"
SITE_BOUND_ROLES = (m.Role.INVESTIGATOR, m.Role.COORDINATOR)


def _admin(request: Request, session: Any) -> Principal:
    user = signed_in_user(request, session)
    require(user, Capability.MANAGE_USERS)
    return user


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items()}


def _page(
    request: Request,
    session: Any,
    user: Principal,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    row_errors: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    users = list(session.scalars(select(m.User).order_by(m.User.username)))
    sites = list(session.scalars(select(m.Site).order_by(m.Site.code)))
    ctx = {
        "users": users,
        "sites": sites,
        "site_code": {s.id: s.code for s in sites},
        "roles": [r.value for r in m.Role],
        "form": form or {},
        "errors": errors or {},
        "row_errors": row_errors or {},
    }
    return render(request, "users.html", ctx, user=user, status_code=status_code)


@router.get("/admin/users")
def users_page(request: Request) -> Response:
    """Every account with its role, site and state; forms to create, disable/enable, reset."""
    with db_session(request) as session:
        return _page(request, session, _admin(request, session))


def new_user_problems(session: Any, form: dict[str, str]) -> tuple[dict[str, str], int | None]:
    """Return ``({field: message}, site id)`` for the new-user form (empty dict: all fine)."""
    errors: dict[str, str] = {}
    username = form.get("username", "").strip()
    if not USERNAME.match(username):
        errors["username"] = (
            "Please enter a user name: letters, digits, '.', '_' or '-', at most 64 characters."
        )
    elif session.scalars(select(m.User).where(m.User.username == username)).first():
        errors["username"] = f"The user name {username} is already taken."
    role = form.get("role", "")
    if role not in {r.value for r in m.Role}:
        errors["role"] = "Please choose a role."
    site_id: int | None = None
    raw_site = form.get("site_id", "").strip()
    if raw_site:
        site = session.get(m.Site, int(raw_site)) if raw_site.isdigit() else None
        if site is None:
            errors["site_id"] = "Please choose one of the sites."
        else:
            site_id = site.id
    elif role in SITE_BOUND_ROLES:
        errors["site_id"] = f"A {role} works at one site: please choose it."
    problem = password_problem(form.get("password", ""))
    if problem:
        errors["password"] = f"Please enter {problem}."
    return errors, site_id


@router.post("/admin/users/new")
async def user_create(request: Request) -> Response:
    """Create an account (audited; the password stored as an argon2id hash)."""
    return await run_in_threadpool(_user_create, request, await _form(request))


def _user_create(request: Request, form: dict[str, str]) -> Response:
    from hcctrial.store.services import create

    with db_session(request, write=True) as session:
        admin = _admin(request, session)
        errors, site_id = new_user_problems(session, form)
        if errors:
            shown = {k: v for k, v in form.items() if k != "password"}
            return _page(request, session, admin, form=shown, errors=errors, status_code=400)
        create(
            session,
            m.User,
            {
                "username": form["username"].strip(),
                "full_name": form.get("full_name", "").strip() or None,
                "role": form["role"],
                "site_id": site_id,
                "password_hash": hash_password(form["password"]),
                "active": True,
            },
            actor=admin.username,
            reason=CREATED,
        )
    return RedirectResponse("/admin/users", status_code=303)


def _change(
    request: Request,
    user_id: int,
    form: dict[str, str],
    changes_of: Any,
) -> Response:
    """Apply ``changes_of(admin, target, form) -> (changes, problem)`` to user ``user_id`` with
    the form's version and reason, through the audited update."""
    from hcctrial.store.services import update

    with db_session(request, write=True) as session:
        admin = _admin(request, session)
        target = session.get(m.User, user_id)
        if target is None:
            raise HTTPException(status_code=404, detail=f"No user with id {user_id}.")
        reason = form.get("reason", "").strip()
        changes, problem = changes_of(admin, target, form)
        if problem is None and not reason:
            problem = "Please say why (the reason goes into the audit trail)."
        version = int(form["version"]) if form.get("version", "").isdigit() else -1
        status = 400
        if problem is None:
            try:
                update(
                    session,
                    m.User,
                    user_id,
                    changes,
                    expected_version=version,
                    actor=admin.username,
                    reason=reason,
                )
            except ConflictError as exc:
                problem, status = str(exc), 409
            except HcctrialError as exc:
                problem = str(exc)
        if problem is not None:
            return _page(request, session, admin, row_errors={user_id: problem}, status_code=status)
    return RedirectResponse("/admin/users", status_code=303)


def _active_changes(
    admin: Principal, target: Any, form: dict[str, str]
) -> tuple[dict[str, Any], str | None]:
    active = form.get("active", "")
    if active not in ("true", "false"):
        return {}, "Please choose to enable or disable the account."
    if active == "false" and target.id == admin.id:
        return {}, "You cannot disable your own account."
    return {"active": active == "true"}, None


def _password_changes(
    admin: Principal, target: Any, form: dict[str, str]
) -> tuple[dict[str, Any], str | None]:
    problem = password_problem(form.get("password", ""))
    if problem:
        return {}, f"Please enter {problem}."
    return {"password_hash": hash_password(form["password"])}, None


@router.post("/admin/users/{user_id:int}/active")
async def user_set_active(request: Request, user_id: int) -> Response:
    """Disable (``active=false``) or enable (``active=true``) an account, with a reason."""
    form = await _form(request)
    return await run_in_threadpool(_change, request, user_id, form, _active_changes)


@router.post("/admin/users/{user_id:int}/password")
async def user_reset_password(request: Request, user_id: int) -> Response:
    """Set a new password (ends the user's open sessions), with a reason."""
    form = await _form(request)
    return await run_in_threadpool(_change, request, user_id, form, _password_changes)
