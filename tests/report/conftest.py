"""One report built once for the figure, Word and HTML tests (synthetic inputs, all formats)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hcctrial.report.build import ReportPaths, build_report
from hcctrial.report.inputs import ReportInputs
from tests.report.synthetic import random_inputs


@pytest.fixture(scope="session")
def synthetic_inputs() -> ReportInputs:
    return random_inputs(40, seed=11)


@pytest.fixture(scope="session")
def built_report(
    tmp_path_factory: pytest.TempPathFactory, synthetic_inputs: ReportInputs
) -> ReportPaths:
    out: Path = tmp_path_factory.mktemp("report")
    return build_report(synthetic_inputs, out, ("html", "docx", "csv"), published=True)
