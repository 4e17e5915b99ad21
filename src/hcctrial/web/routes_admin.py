"""User management for admins (``/admin/users``): list the accounts, create one with its role and
site, disable or enable it, reset its password.

Only the admin role has :attr:`~hcctrial.services.permissions.Capability.MANAGE_USERS`; everyone
else gets 403. Every write is an action of :mod:`hcctrial.services.accounts` (the same as
``hcctrial user add``), which holds the rules: a user name of letters, digits, ``.``, ``_`` or
``-`` (at most 64), not taken; one of the roles; investigators and coordinators need a site;
a password of at least 12 characters (not the user name, not a common password); an admin cannot disable their own account (no lock-out) --
audited, with an optimistic lock on the version the admin saw. Passwords are stored only as
argon2id hashes; the audit entry of a reset holds the old and new *hashes*, never a password. A
disabled account is out at once and a reset password ends the user's open sessions (the session
carries a stamp of the hash, :func:`hcctrial.web.deps.signed_in_user`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from hcctrial.services.permissions import Actor, Capability
from hcctrial.store import models as m
from hcctrial.web.deps import (
    InvalidForm,
    db_session,
    render,
    require,
    save_or_refuse,
    signed_in_user,
    state_of,
    unit_of_work,
)
from hcctrial.web.security import hash_password

router = APIRouter(include_in_schema=False)

CREATED = "account created by an admin via web"


def _admin(request: Request, session: Any) -> Actor:
    user = signed_in_user(request, session)
    require(user, Capability.MANAGE_USERS)
    return user


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items()}


def _page(
    request: Request,
    session: Any,
    user: Actor,
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


@router.post("/admin/users/new")
async def user_create(request: Request) -> Response:
    """Create an account (audited; the password stored as an argon2id hash)."""
    return await run_in_threadpool(_user_create, request, await _form(request))


def _user_create(request: Request, form: dict[str, str]) -> Response:
    from hcctrial.services.accounts import add_user

    hasher = state_of(request).hasher

    def write(session: Any, admin: Actor) -> Response:
        raw_site = form.get("site_id", "").strip()
        if raw_site and not raw_site.isdigit():
            raise InvalidForm({"site_id": "Please choose one of the sites."})
        add_user(
            unit_of_work(request, session, admin),
            username=form.get("username", "").strip(),
            role=form.get("role", ""),
            site_id=int(raw_site) if raw_site else None,
            password=form.get("password", ""),
            hash_password=lambda pw: hash_password(hasher, pw),
            full_name=form.get("full_name", "").strip() or None,
            reason=CREATED,
        )
        return RedirectResponse("/admin/users", status_code=303)

    def show_form(session: Any, admin: Actor, errors: dict[str, str], status: int) -> Response:
        shown = {k: v for k, v in form.items() if k != "password"}
        return _page(request, session, admin, form=shown, errors=errors, status_code=status)

    fields = frozenset({"username", "role", "site_id", "password", "full_name"})
    return save_or_refuse(request, write, show_form, fields)  # type: ignore[no-any-return]


def _change(
    request: Request,
    user_id: int,
    form: dict[str, str],
    apply: Any,
) -> Response:
    """Apply ``apply(unit of work, target id, version, reason)`` to user ``user_id`` with the
    form's version and reason (an action of :mod:`hcctrial.services.accounts`)."""
    reason = form.get("reason", "").strip()
    version = int(form["version"]) if form.get("version", "").isdigit() else -1

    def write(session: Any, admin: Actor) -> Response:
        if session.get(m.User, user_id) is None:
            raise HTTPException(status_code=404, detail=f"No user with id {user_id}.")
        apply(unit_of_work(request, session, admin), user_id, version, reason)
        return RedirectResponse("/admin/users", status_code=303)

    def show_form(session: Any, admin: Actor, errors: dict[str, str], status: int) -> Response:
        problem = " ".join(errors.values())
        return _page(request, session, admin, row_errors={user_id: problem}, status_code=status)

    return save_or_refuse(request, write, show_form)  # type: ignore[no-any-return]


def _set_active(form: dict[str, str]) -> Any:
    from hcctrial.services.accounts import set_user_active

    def apply(uow: Any, user_id: int, version: int, reason: str) -> None:
        active = form.get("active", "")
        if active not in ("true", "false"):
            raise InvalidForm({"active": "Please choose to enable or disable the account."})
        set_user_active(uow, user_id, active == "true", expected_version=version, reason=reason)

    return apply


def _set_password(request: Request, form: dict[str, str]) -> Any:
    from hcctrial.services.accounts import set_user_password

    hasher = state_of(request).hasher

    def apply(uow: Any, user_id: int, version: int, reason: str) -> None:
        set_user_password(
            uow,
            user_id,
            form.get("password", ""),
            hash_password=lambda pw: hash_password(hasher, pw),
            expected_version=version,
            reason=reason,
        )

    return apply


@router.post("/admin/users/{user_id:int}/active")
async def user_set_active(request: Request, user_id: int) -> Response:
    """Disable (``active=false``) or enable (``active=true``) an account, with a reason."""
    form = await _form(request)
    return await run_in_threadpool(_change, request, user_id, form, _set_active(form))


@router.post("/admin/users/{user_id:int}/password")
async def user_reset_password(request: Request, user_id: int) -> Response:
    """Set a new password (ends the user's open sessions), with a reason."""
    form = await _form(request)
    return await run_in_threadpool(_change, request, user_id, form, _set_password(request, form))
