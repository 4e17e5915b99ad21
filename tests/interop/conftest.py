"""Fixtures of the data-exchange tests: the demo trial in a SQLite file and its export in every
format (built once per test session; the tests only read them)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

FORMATS = ("csv", "sav", "dta", "xpt", "sdtm", "adam", "odm", "redcap")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the 66-patient demo trial (82 screened)."""
    from hcctrial.demo.generate import write_demo_trial
    from hcctrial.store.migrations import upgrade_to_head
    from hcctrial.store.session import make_engine

    path = tmp_path_factory.mktemp("interop-demo") / "demo.sqlite"
    engine = make_engine(str(path))
    upgrade_to_head(engine)
    write_demo_trial(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def exported(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo trial exported in every format: format -> directory (sdtm and adam side by side
    under one parent, as ``cdisc check`` finds them)."""
    from hcctrial.interop.export import export_database
    from hcctrial.store.session import make_engine, open_session

    root = tmp_path_factory.mktemp("interop-export")
    engine = make_engine(str(demo_db))
    out: dict[str, Path] = {}
    with open_session(engine) as session:
        for fmt in FORMATS:
            out[fmt] = root / fmt
            export_database(session, out[fmt], fmt)
    engine.dispose()
    return out


@pytest.fixture(scope="session")
def demo_analysis(demo_db: Path) -> Any:
    """The report's analysis of the demo database (hcctrial.derive.analysis)."""
    from hcctrial.derive.analysis import analyse_database

    from hcctrial.store.session import make_engine

    engine = make_engine(str(demo_db))
    try:
        return analyse_database(engine)
    finally:
        engine.dispose()


RSCRIPT = shutil.which("Rscript")


def r_has_haven() -> bool:
    """Whether R and its haven package are installed."""
    import subprocess

    if RSCRIPT is None:
        return False
    return subprocess.run([RSCRIPT, "-e", "library(haven)"], capture_output=True).returncode == 0
