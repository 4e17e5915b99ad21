"""Rendered read pages kept until the next write (web/page_cache.py): a repeated request is
answered from the cache with the session's own CSRF token; any write, to any patient, is shown at
once; access is checked before the cache is asked; the cache's own rules by hand."""

from __future__ import annotations

import gc
import re
from typing import Any

import pytest

from hcctrial.web.page_cache import PageCache, page_cache
from tests.web.flows import add_baseline, enrol, post_form


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m is not None
    return m.group(1)


def test_a_repeated_page_comes_from_the_cache_with_each_sessions_own_token(
    app: Any, login: Any
) -> None:
    first, second = login("coord_gz"), login("coord_gz")  # one user, two sessions
    pid = enrol(first, "GZ-601")
    add_baseline(first, pid)
    a = first.get(f"/patients/{pid}")
    cache = page_cache(app.state)
    hits = cache.hits
    b = second.get(f"/patients/{pid}")
    assert cache.hits == hits + 1
    assert _token(a.text) == first.csrf and _token(b.text) == second.csrf != first.csrf
    assert b.text.replace(second.csrf, first.csrf) == a.text  # the same page otherwise
    # the token in the cached page is the one its session's forms are accepted with
    r = post_form(second, f"/patients/{pid}/labs/new", _lab("2026-01-20"))
    assert r.status_code == 303, r.text[:800]


def _lab(day: str, value: str = "0.9") -> dict[str, str]:
    return {
        "sample_date": day,
        "analyte": "bilirubin",
        "value_entered": value,
        "unit_entered": "mg/dL",
        "uln": "1.2",
        "lln": "0.2",
    }


def test_any_write_shows_at_once_on_every_cached_page(app: Any, login: Any) -> None:
    site = login("coord_gz")
    a, b = enrol(site, "GZ-602"), enrol(site, "GZ-603")
    add_baseline(site, a)
    add_baseline(site, b)
    for url in (f"/patients/{a}", f"/patients/{a}/schedule", "/patients"):
        site.get(url)
    # a lab for B (another patient): A's pages are rendered again, the list shows B's change
    assert post_form(site, f"/patients/{b}/labs/new", _lab("2026-01-21", "1.05")).status_code == 303
    cache = page_cache(app.state)
    misses = cache.misses
    site.get(f"/patients/{a}")
    site.get("/patients")
    assert cache.misses == misses + 2
    assert "1.05" in site.get(f"/patients/{b}").text
    # a lab for A after A's page was cached: the new page shows it
    site.get(f"/patients/{a}")
    assert post_form(site, f"/patients/{a}/labs/new", _lab("2026-01-22", "1.15")).status_code == 303
    assert "1.15" in site.get(f"/patients/{a}").text


def test_access_is_checked_before_the_cache(app: Any, login: Any) -> None:
    gz, sh = login("coord_gz"), login("inv_sh")
    pid = enrol(gz, "GZ-604")
    assert gz.get(f"/patients/{pid}").status_code == 200  # cached for coord_gz
    assert sh.get(f"/patients/{pid}").status_code in (403, 404)  # another site: refused
    assert sh.get(f"/patients/{pid}/schedule").status_code in (403, 404)
    assert "GZ-604" not in sh.get("/patients").text


def test_the_cache_keeps_one_head_and_a_byte_budget() -> None:
    cache = PageCache(max_bytes=10)
    cache.store(5, ("u", "/a"), 200, b"aaaa")
    assert cache.lookup(5, ("u", "/a")) == (200, b"aaaa")
    assert cache.lookup(6, ("u", "/a")) is None  # a later snapshot: not served
    cache.store(4, ("u", "/b"), 200, b"bb")  # rendered in an older snapshot: not kept
    assert cache.lookup(5, ("u", "/b")) is None
    cache.store(5, ("u", "/c"), 200, b"cccc")
    cache.store(5, ("u", "/d"), 200, b"dddd")  # 12 bytes > 10: the least recently used goes
    assert cache.lookup(5, ("u", "/a")) is None and cache.lookup(5, ("u", "/d")) is not None
    cache.store(6, ("u", "/e"), 200, b"e")  # a newer head: every older page goes
    assert cache.lookup(6, ("u", "/c")) is None and cache.lookup(6, ("u", "/e")) == (200, b"e")


def test_one_render_per_page_when_many_ask_at_once() -> None:
    # the first request claims the render; the others get its event and wait for it
    cache = PageCache()
    assert cache.claim(7, ("u", "/p")) is None
    waiting = cache.claim(7, ("u", "/p"))
    assert waiting is not None and not waiting.is_set()
    assert cache.claim(8, ("u", "/p")) is None  # another head: its own render
    cache.store(7, ("u", "/p"), 200, b"page")
    cache.release(7, ("u", "/p"))
    assert waiting.is_set() and cache.lookup(7, ("u", "/p")) == (200, b"page")
    assert cache.claim(7, ("u", "/p")) is None  # released: a later miss may render again


def test_the_start_up_warm_up_computes_every_schedule_the_list_would(app: Any, login: Any) -> None:
    from hcctrial.web.patient_memo import patient_memo, warm_up_in_background
    from tests.web.conftest import TODAY

    site = login("coord_gz")
    ids = [enrol(site, f"GZ-70{k}") for k in range(3)]
    add_baseline(site, ids[0])
    try:
        warm_up_in_background(app.state).join(timeout=60)
        assert gc.get_freeze_count() > 0  # the warm-up's last step: the start-up heap frozen
    finally:
        gc.unfreeze()  # this test process goes on making apps; a server's would not
    memo = patient_memo(app.state)
    found = [memo.lookup("schedule", pid, TODAY) for pid in ids]
    assert all(ok for ok, _ in found)
    # the same schedules the page computes itself (a fresh memo, nothing warmed)
    app.state.patient_memo = None
    app.state.page_cache = None
    site.get("/patients")
    fresh = patient_memo(app.state)
    for pid, (_, warmed) in zip(ids, found, strict=True):
        ok, computed = fresh.lookup("schedule", pid, TODAY)
        assert ok and computed == warmed


def test_freezing_the_start_up_heap_takes_it_out_of_full_collections() -> None:
    from hcctrial.web.patient_memo import freeze_start_up_heap

    class Node:
        pass

    kept = Node()
    kept.me = kept  # type: ignore[attr-defined]  # a cycle: only the collector could free it
    try:
        frozen = freeze_start_up_heap()
        assert frozen == gc.get_freeze_count() > 0
        tracked = {id(o) for o in gc.get_objects()}
        assert id(kept) not in tracked  # a full collection no longer walks it
        after = Node()
        assert id(after) in {id(o) for o in gc.get_objects()}  # new objects are collected as usual
    finally:
        gc.unfreeze()
    assert id(kept) in {id(o) for o in gc.get_objects()}


def test_every_page_template_compiles_at_warm_up(app: Any) -> None:
    from hcctrial.web.patient_memo import compile_templates

    env = app.state.web.templates.env
    assert compile_templates(app.state) == len(env.list_templates()) >= 20
    assert env.cache is not None and len(env.cache) >= 20  # kept, not compiled again per request


def test_the_warm_up_computes_a_patient_page_once_when_there_is_a_patient(
    app: Any, login: Any
) -> None:
    from hcctrial.web.patient_memo import warm_patient_page

    assert warm_patient_page(app.state) is False  # nobody enrolled yet: nothing to warm with
    site = login("coord_gz")
    pid = enrol(site, "GZ-711")
    add_baseline(site, pid)
    assert warm_patient_page(app.state) is True
    assert site.get(f"/patients/{pid}").status_code == 200
