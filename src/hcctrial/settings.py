"""The typed settings of hcctrial: read from the environment here, and nowhere else.

One :class:`Settings` object (pydantic-settings) holds everything a deployment chooses: the
database, the web application's secret key, password-hashing cost and session lifetime, the rules'
tolerances and the paths of input files. :func:`load_settings` reads the ``HCCTRIAL_*`` environment
variables once; the CLI commands and :func:`hcctrial.web.create_app` receive the object and pass it
down (no module reads ``os.environ`` itself, and no module global is replaced at run time).

========================================  =======================================================
variable                                  meaning (default)
========================================  =======================================================
``HCCTRIAL_DATABASE_URL``                 SQLAlchemy URL or SQLite file (``./hcctrial.sqlite``)
``HCCTRIAL_SECRET_KEY``                   signs the web session cookies (>= 32 bytes; required)
``HCCTRIAL_ARGON2_TIME_COST``             argon2id passes (3, argon2-cffi's RFC 9106 low-memory)
``HCCTRIAL_ARGON2_MEMORY_KIB``            argon2id memory, KiB (65536)
``HCCTRIAL_ARGON2_PARALLELISM``           argon2id lanes (4)
``HCCTRIAL_SESSION_LIFETIME_S``           web session lifetime, seconds (28800 = 8 h)
``HCCTRIAL_FUTURE_TOLERANCE_DAYS``        how far past today a date may lie (1 day: time zones)
``HCCTRIAL_DEMO_SKELETON``                the demo's fitted survival skeleton (the bundled file)
``HCCTRIAL_BUSY_TIMEOUT_S``               how long a SQLite connection waits for a lock (10 s)
``HCCTRIAL_SAP``                          the statistical analysis plan the web app follows (seed)
``HCCTRIAL_LOG_DIR``                      crash logs ($XDG_STATE_HOME/hcctrial, ~/.local/state/...)
``HCCTRIAL_TOKEN``                        API token of the CLI's ``--user`` (else password on stdin)
``HCCTRIAL_IDLE_TIMEOUT_S``               web session idle timeout, seconds (1800)
``HCCTRIAL_TRUSTED_PROXIES``              proxies whose X-Forwarded-For is believed (none)
``HCCTRIAL_LOGIN_MAX_FAILURES_ACCOUNT``   failed sign-ins before an account is locked (5)
``HCCTRIAL_LOGIN_MAX_FAILURES_ADDRESS``   failed sign-ins before an address is locked (50)
``HCCTRIAL_LOGIN_WINDOW_S``               window of the failure counts, seconds (900)
``HCCTRIAL_LOCKOUT_S``                    first lockout, doubled each time (60 s, at most 3600)
``HCCTRIAL_TOTP_FOR_ADMINS``              admins need a TOTP second factor (false)
``HCCTRIAL_AUDIT_KEY``                    the audit chain's HMAC key itself, >= 32 characters
``HCCTRIAL_AUDIT_KEY_FILE``               a file holding that key (docs/database.md)
``HCCTRIAL_STATE_DIR``                    where default audit keys live ($XDG_STATE_HOME/hcctrial)
========================================  =======================================================

Example::

    settings = load_settings(database_url="sqlite:///trial.sqlite")
    app = create_app(settings)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "current_settings", "load_settings"]


class Settings(BaseSettings):
    """What a deployment of hcctrial chooses (frozen; make a new one with ``model_copy``)."""

    model_config = SettingsConfigDict(env_prefix="HCCTRIAL_", extra="ignore", frozen=True)

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL or SQLite file path; None: hcctrial.sqlite in the working "
        "directory",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="signs the web session cookies (at least 32 bytes: `python -c 'import "
        "secrets; print(secrets.token_urlsafe(32))'`); the server refuses to start without "
        "one unless `serve --dev`",
    )
    argon2_time_cost: int = Field(default=3, ge=1, description="argon2id passes")
    argon2_memory_kib: int = Field(default=65_536, ge=8, description="argon2id memory, KiB")
    argon2_parallelism: int = Field(default=4, ge=1, description="argon2id lanes")
    session_lifetime_s: int = Field(
        default=8 * 3600, ge=60, description="web session lifetime, seconds"
    )
    future_tolerance_days: int = Field(
        default=1,
        ge=0,
        le=7,
        description="days a recorded date may lie after today's date (the server's and the "
        "site's time zones differ)",
    )
    busy_timeout_s: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description="seconds a SQLite connection waits for another writer's lock before the "
        "command fails with a named error",
    )
    sap: str | None = Field(
        default=None,
        description="the statistical analysis plan (a plans/*.toml file or a bundled plan's name) "
        "the web application's dashboard, API and report follow; None: the seed trial's plan",
    )
    log_dir: Path | None = Field(
        default=None,
        description="where the command line writes crash logs; None: $XDG_STATE_HOME/hcctrial, "
        "else ~/.local/state/hcctrial",
    )
    demo_skeleton: Path | None = Field(
        default=None, description="the demo's fitted survival skeleton; None: the bundled file"
    )
    # -- sign-in and identity (issue 16)
    token: SecretStr | None = Field(
        default=None,
        description="the API token a command-line write proves its --user with (issued by "
        "`hcctrial user token issue`); None: the password is read from stdin",
    )
    idle_timeout_s: int = Field(
        default=30 * 60, ge=60, description="a web session ends after this many seconds unused"
    )
    trusted_proxies: str = Field(
        default="",
        description="addresses or networks (comma-separated, e.g. '127.0.0.1, 10.0.0.0/8') of "
        "the reverse proxies whose X-Forwarded-For names the client; empty: the peer address is "
        "the client",
    )
    login_max_failures_account: int = Field(
        default=5, ge=1, description="failed sign-ins of one account before it is locked"
    )
    login_max_failures_address: int = Field(
        default=50,
        ge=1,
        description="failed sign-ins from one client address (any account) before it is locked",
    )
    login_window_s: int = Field(
        default=15 * 60, ge=1, description="the window failed sign-ins are counted in, seconds"
    )
    lockout_s: int = Field(
        default=60,
        ge=1,
        description="the first lockout, seconds; each further lockout of the same key doubles it",
    )
    lockout_max_s: int = Field(default=3600, ge=1, description="the longest lockout, seconds")
    totp_for_admins: bool = Field(
        default=False,
        description="admins must sign in with a TOTP second factor (RFC 6238) besides the "
        "password",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        """Refuse, at load time, a trusted proxy that is not an address or a network."""
        import ipaddress

        for part in value.replace(",", " ").split():
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: got {part!r}; expected an IP address or network"
                ) from None
        return value

    def trusted_proxy_networks(self) -> tuple[Any, ...]:
        """The trusted proxies as :mod:`ipaddress` networks."""
        import ipaddress

        parts = self.trusted_proxies.replace(",", " ").split()
        return tuple(ipaddress.ip_network(p, strict=False) for p in parts)

    audit_key: SecretStr | None = Field(
        default=None,
        description="the HMAC-SHA256 key of the audit chain (at least 32 characters); None: "
        "audit_key_file, else the default key file of the database in state_dir",
    )
    audit_key_file: Path | None = Field(
        default=None,
        description="a file holding the audit chain's key (created with mode 0600 by `hcctrial "
        "init` when missing on a new database); None: the default key file",
    )
    state_dir: Path | None = Field(
        default=None,
        description="where the default audit keys are kept (audit-keys/<chain id>.key); None: "
        "$XDG_STATE_HOME/hcctrial, else ~/.local/state/hcctrial",
    )

    def crash_log_dir(self) -> Path:
        """Return the directory of crash logs: ``log_dir``, else $XDG_STATE_HOME/hcctrial, else
        ~/.local/state/hcctrial (the XDG base-directory convention)."""
        if self.log_dir is not None:
            return self.log_dir
        return self.state_directory()

    def state_directory(self) -> Path:
        """Return where hcctrial keeps state of its own (default audit keys): ``state_dir``, else
        $XDG_STATE_HOME/hcctrial, else ~/.local/state/hcctrial."""
        if self.state_dir is not None:
            return self.state_dir
        state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        return Path(state) / "hcctrial"


def load_settings(**overrides: Any) -> Settings:
    """Return the settings from the ``HCCTRIAL_*`` environment, with ``overrides`` (not None) on top.

    >>> load_settings(database_url="sqlite:///x.sqlite").database_url
    'sqlite:///x.sqlite'
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**given)


_REMEMBERED: dict[tuple[tuple[str, str], ...], Settings] = {}


def current_settings() -> Settings:
    """Return :func:`load_settings` of the current environment, remembered while the ``HCCTRIAL_*``
    (and ``XDG_STATE_HOME``) variables stay the same: cheap enough to call per transaction (the
    audit key of every write), where building the settings anew costs a millisecond."""
    snapshot = tuple(
        sorted(
            (k, v)
            for k, v in os.environ.items()
            if k.upper().startswith("HCCTRIAL_") or k == "XDG_STATE_HOME"
        )
    )
    found = _REMEMBERED.get(snapshot)
    if found is None:
        if len(_REMEMBERED) > 64:
            _REMEMBERED.clear()
        found = _REMEMBERED[snapshot] = load_settings()
    return found
