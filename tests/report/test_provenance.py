"""Provenance on the first page: version, commit, regimen and plan file hashes (of the bytes on
disk, hashed here independently), the data's content hash and its lock state, the time."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from hcctrial import __version__
from hcctrial.analysis.plan import default_plan
from hcctrial.protocol.regimen import regimen_path
from hcctrial.report.provenance import data_content_hash, provenance
from tests.report.synthetic import random_inputs


def test_provenance_names_version_hashes_lock_state_and_time():
    inputs = random_inputs(12, seed=5)
    plan = default_plan()
    prov = provenance(inputs, plan.path, plan.sha256, plan.plan.regimen)
    lines = prov.lines()
    assert lines[0].startswith(f"hcctrial {__version__}")
    reg = regimen_path(plan.plan.regimen)
    assert hashlib.sha256(reg.read_bytes()).hexdigest() in lines[1]
    assert hashlib.sha256(Path(plan.path).read_bytes()).hexdigest() in lines[2]
    assert f"content SHA-256 {data_content_hash(inputs)}" in lines[3]
    assert "database not locked" in lines[3]
    assert lines[4].startswith("Built 20") and lines[4].endswith("UTC")


def test_the_data_hash_follows_the_content_not_the_order():
    inputs = random_inputs(12, seed=5)
    same = replace(inputs, subjects=tuple(reversed(inputs.subjects)))
    assert data_content_hash(same) == data_content_hash(inputs)
    s0 = replace(inputs.subjects[0], age_years=(inputs.subjects[0].age_years or 0) + 1)
    changed = replace(inputs, subjects=(s0, *inputs.subjects[1:]))
    assert data_content_hash(changed) != data_content_hash(inputs)
    locked = replace(inputs, lock_state="locked by the data manager on 2026-12-01")
    plan = default_plan()
    assert "database locked by" in provenance(locked, plan.path, plan.sha256, "x").lines()[3]


def test_the_first_page_of_html_and_word_carries_the_provenance(built_report):
    from docx import Document

    html = built_report.html.read_text(encoding="utf-8")
    head = html[: html.index("<nav>")]
    assert 'class="provenance"' in head and "SHA-256" in head
    paras = [p.text for p in Document(str(built_report.docx)).paragraphs[:10]]
    assert any(p.startswith("hcctrial ") for p in paras)
    assert any("content SHA-256" in p for p in paras)
