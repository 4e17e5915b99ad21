"""An unexpected error in a web request: 500 with a reference id only (no traceback, no exception
text in the page), the traceback in the server log under the same id."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def failing_app(tmp_path: Path) -> Any:
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.session import make_engine
    from hcctrial.web import create_app

    url = f"sqlite:///{tmp_path / 'trial.sqlite'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    from tests.web.conftest import web_settings

    app = create_app(web_settings(url))

    def broken() -> None:
        raise RuntimeError("secret internal detail 1234")

    app.add_api_route("/api/broken", broken)
    app.add_api_route("/broken", broken)
    yield app
    app.state.web.engine.dispose()


@pytest.mark.parametrize("path", ["/broken", "/api/broken"])
def test_a_500_shows_a_reference_and_logs_the_traceback_under_it(
    failing_app: Any, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(failing_app, base_url="https://testserver", raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="hcctrial.web"):
        res = client.get(path)
    assert res.status_code == 500
    found = re.search(r"reference ([0-9a-f]{12})", res.text)
    assert found is not None, res.text
    assert "Traceback" not in res.text and "secret internal detail" not in res.text
    if path.startswith("/api/"):
        assert res.json()["reference"] == found.group(1)
    records = [r for r in caplog.records if found.group(1) in r.getMessage()]
    assert len(records) == 1 and records[0].exc_info is not None
    assert "secret internal detail 1234" in caplog.text and "Traceback" in caplog.text


def test_each_error_gets_its_own_reference(failing_app: Any) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(failing_app, base_url="https://testserver", raise_server_exceptions=False)
    refs = {client.get("/api/broken").json()["reference"] for _ in range(3)}
    assert len(refs) == 3
