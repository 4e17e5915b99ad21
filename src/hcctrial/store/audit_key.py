"""The audit chain's key: where it comes from, how a new one is made, and how it is checked.

Each audit entry's hash is an HMAC-SHA256 under a key kept outside the database
(:mod:`hcctrial.store.audit`), so someone who can write to the database but does not hold the key
cannot forge an entry whose hash verifies. The key is, in this order:

1. ``HCCTRIAL_AUDIT_KEY`` (:attr:`hcctrial.settings.Settings.audit_key`): the key itself, at least
   32 characters (its UTF-8 bytes are the key);
2. ``HCCTRIAL_AUDIT_KEY_FILE``: a file holding the key (surrounding white space ignored);
3. the default key file of the database: ``<state dir>/audit-keys/<chain id>.key``, where the chain
   id is a random name the database's ``audit_chain_head`` row carries (a copy of the database
   keeps it, so a copied SQLite file finds the same key) and the state directory is
   ``HCCTRIAL_STATE_DIR``, else ``$XDG_STATE_HOME/hcctrial``, else ``~/.local/state/hcctrial``.

A key file that does not exist is made only when the chain is anchored (:func:`new_key` from the
migration ``i16_audit``, i.e. ``hcctrial init`` or the demo on a new or upgraded database): 32
random bytes, hex, mode 0600. Afterwards a missing key is an error, never a fresh key.

The *key check* stored in the head, ``HMAC(key, "hcctrial audit key check|<chain id>|<keyed
from>|<hash of the last entry written before keying>")``, lets every writer and the verifier tell
the right key from a wrong one before anything is written or reported, and binds the chain id,
the first keyed entry and the legacy (pre-key) chain's end to the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from hcctrial.errors import DataValidationError

if TYPE_CHECKING:  # pragma: no cover
    from hcctrial.settings import Settings

__all__ = [
    "KEY_MIN_BYTES",
    "AuditKeyError",
    "audit_key",
    "default_key_path",
    "key_check",
    "new_chain_id",
]

#: The shortest key accepted (HMAC-SHA256: a key shorter than the hash's 32 bytes weakens it).
KEY_MIN_BYTES = 32
_CACHE: dict[tuple[str, str], bytes] = {}


class AuditKeyError(DataValidationError):
    """The audit key is missing, too short or not this database's key (exit code 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="audit key")


def new_chain_id() -> str:
    """Return a new random chain id (32 hex digits)."""
    return secrets.token_hex(16)


def key_check(key: bytes, chain_id: str, keyed_from: int, legacy_head: str) -> str:
    """Return the hex HMAC-SHA256 that binds ``key`` to the chain's anchor (see module doc)."""
    message = f"hcctrial audit key check|{chain_id}|{keyed_from}|{legacy_head}"
    return hmac.digest(key, message.encode("utf-8"), "sha256").hex()


def default_key_path(settings: Settings, chain_id: str) -> Path:
    """Return the default key file of the chain ``chain_id`` (in the state directory)."""
    return settings.state_directory() / "audit-keys" / f"{chain_id}.key"


def _configured(settings: Settings, chain_id: str) -> tuple[str, Path | None, bytes | None]:
    """(description of the source, its file or None, the key given inline or None)."""
    if settings.audit_key is not None:
        return "HCCTRIAL_AUDIT_KEY", None, settings.audit_key.get_secret_value().encode("utf-8")
    if settings.audit_key_file is not None:
        path = settings.audit_key_file.expanduser()
        return f"the key file {path} (HCCTRIAL_AUDIT_KEY_FILE)", path, None
    path = default_key_path(settings, chain_id)
    return f"the default key file {path}", path, None


def _checked(key: bytes, source: str) -> bytes:
    if len(key) < KEY_MIN_BYTES:
        raise AuditKeyError(
            f"audit key: {source} holds {len(key)} bytes; expected at least {KEY_MIN_BYTES} "
            "(make one with: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return key


def audit_key(chain_id: str, settings: Settings | None = None) -> bytes:
    """Return the audit key of the chain ``chain_id`` (cached per source; see the module doc).

    Raises :class:`AuditKeyError` naming the file or variable when the key is missing or short.
    """
    from hcctrial.settings import current_settings

    settings = settings or current_settings()
    source, path, inline = _configured(settings, chain_id)
    cache_key = (source, chain_id if path is None else str(path))
    cached = _CACHE.get(cache_key)
    if cached is not None:
        return cached
    if inline is None:
        assert path is not None
        try:
            inline = path.read_bytes().strip()
        except FileNotFoundError:
            raise AuditKeyError(
                f"audit key: {source} does not exist; expected the key this database's audit "
                f"chain (id {chain_id}) was written with. Restore it from your copy, or set "
                "HCCTRIAL_AUDIT_KEY_FILE to where it is kept (docs/database.md)"
            ) from None
        except OSError as exc:
            raise AuditKeyError(f"audit key: cannot read {source}: {exc.strerror}") from None
    key = _checked(inline, source)
    _CACHE[cache_key] = key
    return key


def new_key(chain_id: str, settings: Settings | None = None) -> bytes:
    """Return the key for a chain being anchored now, writing a new key file if none exists.

    A configured key (variable or existing file) is used as it is; a missing key file (the
    configured one or the default one) is created with 32 random bytes in hex, mode 0600.
    """
    from hcctrial.settings import current_settings

    settings = settings or current_settings()
    _source, path, inline = _configured(settings, chain_id)
    if inline is None and path is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
    return audit_key(chain_id, settings)


def key_fingerprint(key: bytes) -> str:
    """Return a short public fingerprint of ``key`` (sha256, 12 hex digits) for messages."""
    return hashlib.sha256(key).hexdigest()[:12]
