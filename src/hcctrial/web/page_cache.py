"""Rendered read pages kept until the next write anywhere in the trial.

What: :class:`PageCache` keeps the HTML of a read page (the patient list, the patient page, the
visit-schedule grid) per (audit head, signed-in user, URL path and query, day) and answers a
repeated request with it. The session's CSRF token is the only per-session part of such a page: it
is stored as a placeholder and each answer gets its own session's token back.

Why: a data manager's page is read far more often than the records behind it change, and its
render (the records, the engines' results, a template of several hundred rows for a patient with
100+ labs) costs 10-25 ms of CPU; under 50 clients on two cores that CPU becomes queueing, and the
tail latency with it (issue 19's p95 targets). Access is still checked on every request before the
cache is asked (the route loads the user and the patient first).

Correct under concurrent writers, by a stricter rule than the per-patient memo
(:mod:`hcctrial.web.patient_memo`): every write appends audit entries in its own transaction and
moves the chain head (``audit_chain_head.last_seq``), so a page rendered in a snapshot at head
``h`` is served only to requests whose snapshot is also at ``h``. Any write, to any patient, a
lock, an account or a query, makes every kept page unreachable (they are dropped at the next
store). What these pages show besides audited rows: the user (in the key), today's date (in the
key) and the regimen and plan, which do not change while the application runs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from hcctrial.web.dashboard import audit_head
from hcctrial.web.security import csrf_token

__all__ = ["MAX_BYTES", "PageCache", "cached_page", "page_cache"]

#: The most page bytes kept (least recently used dropped first).
MAX_BYTES = 64 * 2**20
_PLACEHOLDER = b"\x00csrf-token\x00"
#: How long a request waits for another request's render of the same page (s).
_WAIT_S = 10.0


class PageCache:
    """Rendered pages of the current audit head, thread-safe; ``hits``/``misses`` for tests."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._head = -1
        self._pages: OrderedDict[tuple[Any, ...], tuple[int, bytes]] = OrderedDict()
        self._bytes = 0
        self._building: dict[tuple[int, tuple[Any, ...]], threading.Event] = {}
        self.hits = 0
        self.misses = 0

    def lookup(self, head: int, key: tuple[Any, ...]) -> tuple[int, bytes] | None:
        """The (status, body with the placeholder) kept for ``key`` at ``head``, or None."""
        with self._lock:
            found = self._pages.get(key) if head == self._head else None
            if found is None:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return found

    def store(self, head: int, key: tuple[Any, ...], status: int, body: bytes) -> None:
        """Keep ``body`` rendered at ``head``; a newer head drops every older page first."""
        with self._lock:
            if head < self._head:
                return
            if head > self._head:
                self._pages.clear()
                self._bytes = 0
                self._head = head
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])
            self._pages[key] = (status, body)
            self._bytes += len(body)
            while self._bytes > self.max_bytes and self._pages:
                _, (_, dropped) = self._pages.popitem(last=False)
                self._bytes -= len(dropped)


    def claim(self, head: int, key: tuple[Any, ...]) -> threading.Event | None:
        """None when the caller is to render ``key`` at ``head`` (it must :meth:`release` it);
        else the event of the request already rendering it, to wait for (one render per page
        and head when many requests ask for it at once: a cold page under 50 clients)."""
        with self._lock:
            event = self._building.get((head, key))
            if event is None:
                self._building[(head, key)] = threading.Event()
            return event

    def release(self, head: int, key: tuple[Any, ...]) -> None:
        """Wake the requests waiting for the render of ``key`` at ``head`` (done or failed)."""
        with self._lock:
            event = self._building.pop((head, key), None)
        if event is not None:
            event.set()


def page_cache(app_state: Any) -> PageCache:
    """The application's page cache (created at first use)."""
    cache = getattr(app_state, "page_cache", None)
    if cache is None:
        cache = app_state.page_cache = PageCache()
    return cache  # type: ignore[no-any-return]


def cached_page(
    request: Request, session: Any, user: Any, today: Any, build: Callable[[], HTMLResponse]
) -> Response:
    """Answer with the page ``build()`` renders for this request, from the cache when this
    user's page of this URL was rendered at the current audit head today.

    Only successful renders are kept; ``build`` runs in the caller's session and snapshot. When
    another request is already rendering the same page at the same head, this one waits for that
    render instead of repeating it.
    """
    cache = page_cache(request.app.state)
    head = audit_head(session)
    key = (user, request.url.path, request.url.query, today)
    token = csrf_token(request.session).encode()
    found = cache.lookup(head, key)
    if found is None:
        waiting = cache.claim(head, key)
        if waiting is None:
            try:
                response = build()
                if response.status_code == 200 and token:
                    body = bytes(response.body).replace(token, _PLACEHOLDER)
                    cache.store(head, key, 200, body)
                return response
            finally:
                cache.release(head, key)
        waiting.wait(_WAIT_S)
        found = cache.lookup(head, key)
        if found is None:  # the render failed, or was too slow: render it here
            return build()
    status, body = found
    return HTMLResponse(body.replace(_PLACEHOLDER, token), status_code=status)
