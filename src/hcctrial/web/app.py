"""The application factory: :func:`create_app` wires the database, sessions, CSRF and routers.

Nothing is created at import time. ``create_app(settings)`` takes the typed settings
(:mod:`hcctrial.settings`: database URL, secret key, argon2 cost, session lifetime) and makes its
own engine (SQLite file by default, PostgreSQL by URL, :func:`hcctrial.store.session.make_engine`)
and password hasher; the database must already be at the newest schema (``hcctrial init``). Error
mapping, in one place (:func:`hcctrial.web.deps.refusal_status`):

- a refusal by a rule of the trial (:class:`hcctrial.errors.RuleRefusal`) -> its rule's kind:
  403 authorization, 409 state, 422 values; a stale version (:class:`~hcctrial.errors.
  ConflictError`) -> 409; any other :class:`~hcctrial.errors.HcctrialError` -> 400 (JSON
  ``{"detail", "field", "rule"}`` for ``/api``, a page otherwise);
- a request body the API cannot read (wrong type, unknown key) -> 422 with rule FIELD-VALUE;
- a missing session -> 401 (API) or a redirect to ``/login`` (pages);
- a refused CSRF token or a role/site without access -> 403;
- any other exception -> 500 showing only a reference id; the traceback goes to the server log
  (logger ``hcctrial.web``) under the same id.
"""

from __future__ import annotations

import html
import logging
import secrets
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from hcctrial.errors import HcctrialError
from hcctrial.services.security_log import security_event
from hcctrial.settings import Settings
from hcctrial.web.deps import NotSignedIn, WebState, refusal_status, render
from hcctrial.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    UNSAFE_METHODS,
    csrf_valid,
    password_hasher,
)

__all__ = ["create_app"]

HERE = Path(__file__).resolve().parent
_LOG = logging.getLogger("hcctrial.web")

_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


async def csrf_protect(request: Request) -> None:
    """Refuse (403) a state-changing request that does not echo the session's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER)
    if not given:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not csrf_valid(request.session, given):
        raise HTTPException(
            status_code=403,
            detail="The form's security token is missing or out of date. Reload the page and "
            "try again.",
        )


#: The largest id a path may name: ids are 32-bit INTEGER columns on PostgreSQL (SQLite takes
#: 64 bits); a larger one names no record (404), it is not sent to the database (a 500 before).
MAX_ID = 2**31 - 1


async def ids_in_range(request: Request) -> None:
    """Answer 404 for a path id no record can have (out of the database's integer range)."""
    for name, value in request.path_params.items():
        text = str(value)
        is_id = (name == "id" or name.endswith("_id")) and text.lstrip("-").isdigit()
        if is_id and (len(text) > 12 or not 0 < int(text) <= MAX_ID):
            raise HTTPException(status_code=404, detail=f"No record with {name} {text}.")


class OversizedIds:
    """Pure ASGI middleware answering 404 for a path segment of more than 12 digits, before
    routing: Starlette's ``{x:int}`` converter would turn 5,000 digits into a ``ValueError``
    (Python's int-parsing limit) and a 500. Ids are at most 10 digits (:data:`MAX_ID`)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and any(
            len(part) > 12 and part.isdigit() for part in str(scope.get("path", "")).split("/")
        ):
            response = JSONResponse({"detail": "No record with that id."}, status_code=404)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _secret_key(settings: Settings, dev: bool) -> str:
    """The session-signing key: the settings' key of at least 32 bytes; refused (named error,
    exit 2 from ``serve``) when missing or shorter, unless ``dev`` (a random key per process,
    said on stderr)."""
    from hcctrial.errors import DataValidationError

    secret = settings.secret_key
    key = secret.get_secret_value() if secret is not None else ""
    if len(key.encode("utf-8")) >= 32:
        return key
    if dev:
        _LOG.warning("development mode: a random session key (sessions end at restart)")
        return secrets.token_urlsafe(32)
    got = "no key" if not key else f"a key of {len(key.encode('utf-8'))} bytes"
    raise DataValidationError(
        f"HCCTRIAL_SECRET_KEY: got {got}; expected at least 32 bytes (make one with: python3 -c "
        "'import secrets; print(secrets.token_urlsafe(32))'), or `hcctrial serve --dev` on a "
        "development machine",
        field="secret_key",
    )


class SecurityHeaders:
    """Pure ASGI middleware adding :data:`_SECURITY_HEADERS` to every HTTP response (not
    ``@app.middleware("http")``: that wraps each request in an extra task and stream, a measurable
    cost per request under load)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in _SECURITY_HEADERS.items():
                    key = name.lower().encode("latin-1")
                    if key in present:
                        continue
                    headers.append((key, value.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(settings: Settings, *, dev: bool = False) -> FastAPI:
    """Return the web application for ``settings`` (:func:`hcctrial.settings.load_settings`).

    The settings must give a secret key of at least 32 bytes; only ``dev`` (``serve --dev``)
    lets a random key per process sign the session cookies instead.
    """
    from hcctrial.analysis.plan import load_plan
    from hcctrial.clinical.units import unit_registry
    from hcctrial.protocol.regimen import default_regimen
    from hcctrial.services.identity import dummy_hash
    from hcctrial.services.signin import Limits
    from hcctrial.store.session import make_engine, session_factory
    from hcctrial.web.dashboard_cache import DashboardCache

    key = _secret_key(settings, dev)
    engine = make_engine(settings.database_url)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["fmt"] = _fmt
    from hcctrial.web.wording import analyte_label, in_words

    templates.env.filters["words"] = in_words
    templates.env.filters["analyte"] = analyte_label
    from hcctrial.web.decision_words import finding_in_words, next_step_words, rule_in_words

    templates.env.filters["next_step_words"] = next_step_words
    templates.env.filters["rule_words"] = rule_in_words
    templates.env.filters["finding_words"] = finding_in_words
    from hcctrial.web.message_words import message_in_words

    templates.env.filters["message_words"] = message_in_words
    from hcctrial.web.record_words import ACTION_WORDS, field_label, record_name, stored_value

    templates.env.filters["record_name"] = record_name
    templates.env.filters["field_label"] = field_label
    templates.env.filters["stored_value"] = stored_value
    templates.env.filters["audit_action"] = lambda a: ACTION_WORDS.get(str(a), str(a))
    state = WebState(
        engine=engine,
        sessions=session_factory(engine),
        regimen=default_regimen(),
        templates=templates,
        today=date.today,
        settings=settings,
        hasher=password_hasher(settings),
        dashboard_cache=DashboardCache(plan=load_plan(settings.sap)),
        limits=Limits.of(settings),
        trusted_proxies=settings.trusted_proxy_networks(),
    )
    dummy_hash(state.hasher)  # made now, not during the first sign-in of an unknown name
    unit_registry()  # pint's registry built now (~0.5 s), not during the first lab a page grades
    app = FastAPI(
        title="hcctrial",
        summary="Electronic case report forms and protocol decisions for the sorafenib + "
        "TACE-HAIC (FOLFOX) trial.",
        version="0.1.0",
        dependencies=[Depends(ids_in_range), Depends(csrf_protect)],
        docs_url=None,  # no Swagger UI: it loads its scripts from a CDN (offline, CSP)
        redoc_url=None,
        openapi_url=None,  # served below, to signed-in users only
    )
    app.state.web = state

    app.add_middleware(OversizedIds)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_lifetime_s,
        same_site="strict",
        https_only=True,
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "Not signed in."}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HcctrialError)
    async def hcctrial_error(request: Request, exc: HcctrialError) -> Response:
        status = refusal_status(exc)
        if status == 403:
            _denied(request, exc.rule or "refused")
        if _is_api(request):
            body: dict[str, object] = {"detail": exc.message, "field": exc.field, "rule": exc.rule}
            findings = getattr(exc, "findings", None)
            if findings:
                body["findings"] = list(findings)
            return JSONResponse(jsonable_encoder(body), status_code=status)
        return render(request, "error.html", {"message": exc.message}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def unreadable_body(request: Request, exc: RequestValidationError) -> Response:
        from hcctrial.errors import validation_problems

        problems = validation_problems(exc, unknown_key="not a field of this record")
        shown = [(where.removeprefix("body.").removeprefix("body"), msg) for where, msg in problems]
        detail = "; ".join(f"{where}: {msg}" if where else msg for where, msg in shown)
        field = shown[0][0].split(".")[-1] or None if shown else None
        body = {"detail": f"[FIELD-VALUE] {detail}", "field": field, "rule": "FIELD-VALUE"}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 403:
            _denied(request, str(exc.detail)[:120])
        if _is_api(request) or exc.status_code < 400:
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return render(request, "error.html", {"message": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        return server_error_response(request, exc)

    from hcctrial.web import (
        routes_admin,
        routes_api,
        routes_api_datamgmt,
        routes_audit,
        routes_auth,
        routes_dashboard,
        routes_datamgmt,
        routes_exports,
        routes_forms,
        routes_pages,
        routes_part11,
        routes_records,
    )

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_schema(request: Request) -> JSONResponse:
        """The API's OpenAPI schema, for signed-in users (no Swagger UI is served)."""
        from hcctrial.web.deps import db_session, signed_in_user

        with db_session(request) as session:
            signed_in_user(request, session)
        return JSONResponse(app.openapi())

    for module in (
        routes_auth,
        routes_pages,
        routes_records,
        routes_forms,
        routes_admin,
        routes_dashboard,
        routes_api,
        routes_api_datamgmt,
        routes_part11,
        routes_audit,
        routes_datamgmt,
        routes_exports,
    ):
        app.include_router(module.router)
    return app


def _denied(request: Request, why: str) -> None:
    """Write the security event of a refused access (403)."""
    security_event(
        "access.denied",
        uid=getattr(request.state, "uid", None),
        method=request.method,
        path=request.url.path,
        why=why,
    )


def server_error_response(request: Request, exc: BaseException) -> Response:
    """Log ``exc`` with its traceback under a new reference id; return a 500 naming only the id.

    The page is plain HTML (no template, no database): whatever failed must not fail it again.
    """
    reference = secrets.token_hex(6)
    _LOG.error(
        "internal error, reference %s: %s %s",
        reference,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    message = (
        f"Something went wrong on the server (reference {reference}). The details are in the "
        "server log; please give this reference when you report it."
    )
    if _is_api(request):
        return JSONResponse({"detail": message, "reference": reference}, status_code=500)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Server error</title>'
        f'</head><body><h1>Sorry, that did not work</h1><p id="error-message">'
        f'{html.escape(message)}</p><p><a href="/">Back to the start page</a></p></body></html>'
    )
    return HTMLResponse(page, status_code=500)


def _fmt(value: Any, digits: int = 3) -> str:
    """Format a number for display (``None`` -> an em dash, floats to ``digits`` significant;
    a float of more integer digits than that whole, never in exponent notation)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 10**digits:  # 1500.0 reads "1500", not "1.5e+03"
            return f"{value:.0f}"
        return f"{value:.{digits}g}"
    return str(value)
