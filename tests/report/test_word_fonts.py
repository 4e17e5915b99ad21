"""Word font presets (issue 17, item 3): each preset names the body and heading fonts on the
reference document's named styles -- never on a run -- and LibreOffice prints the document in
those families (or in the families fontconfig substitutes for them on this machine)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hcctrial.analysis.word_fonts import WORD_FONTS, word_fonts
from hcctrial.report.document import ReportDocument, Section
from hcctrial.report.render_docx import render_docx
from hcctrial.report.tables import Row, Table

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

#: Written out by hand from the presets' definition (body size s: title s + 4, heading 1 s + 2,
#: heading 2 s + 1, heading 3 s, caption s - 2; tables 8.5 pt, notes/header/footer 8 pt).
EXPECTED = {
    "times": {
        "Normal": ("Times New Roman", 12),
        "Caption": ("Times New Roman", 10),
        "Figure": ("Times New Roman", 12),
        "Title": ("Arial", 16),
        "Heading 1": ("Arial", 14),
        "Heading 2": ("Arial", 13),
        "Heading 3": ("Arial", 12),
        "Table Text": ("Arial", 8.5),
        "Table Number": ("Arial", 8.5),
        "Table Heading": ("Arial", 8.5),
        "Table Note": ("Arial", 8),
        "Three Line Table": ("Arial", 8.5),
        "Header": ("Arial", 8),
        "Footer": ("Arial", 8),
    },
    "arial": {
        "Normal": ("Arial", 11),
        "Caption": ("Arial", 9),
        "Figure": ("Arial", 11),
        "Title": ("Arial", 15),
        "Heading 1": ("Arial", 13),
        "Heading 2": ("Arial", 12),
        "Heading 3": ("Arial", 11),
        "Table Text": ("Arial", 8.5),
        "Table Number": ("Arial", 8.5),
        "Table Heading": ("Arial", 8.5),
        "Table Note": ("Arial", 8),
        "Three Line Table": ("Arial", 8.5),
        "Header": ("Arial", 8),
        "Footer": ("Arial", 8),
    },
    "calibri": {
        "Normal": ("Calibri", 11),
        "Caption": ("Calibri", 9),
        "Figure": ("Calibri", 11),
        "Title": ("Calibri", 15),
        "Heading 1": ("Calibri", 13),
        "Heading 2": ("Calibri", 12),
        "Heading 3": ("Calibri", 11),
        "Table Text": ("Calibri", 8.5),
        "Table Number": ("Calibri", 8.5),
        "Table Heading": ("Calibri", 8.5),
        "Table Note": ("Calibri", 8),
        "Three Line Table": ("Calibri", 8.5),
        "Header": ("Calibri", 8),
        "Footer": ("Calibri", 8),
    },
}


def _model() -> ReportDocument:
    table = Table(
        key="t",
        title="Best tumour response",
        columns=("Response", "n (%), N = 66"),
        rows=(
            Row("Patients", ("66",)),
            Row("Responses", ("",), heading=True),
            Row("Complete response", ("9 (13.6)",), 1),
        ),
        footnotes=("CI, confidence interval.",),
    )
    section = Section(
        key="s",
        title="Efficacy",
        paragraphs=("Patients were treated on a four-week cycle.",),
        tables=(table,),
    )
    return ReportDocument(title="Trial report", subtitle="Sorafenib", sections=(section,))


@pytest.fixture(scope="module")
def docx_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("fonts")
    return {name: render_docx(_model(), out / f"{name}.docx", name) for name in WORD_FONTS}


def test_the_presets_are_the_three_documented_ones():
    assert set(WORD_FONTS) == set(EXPECTED)
    assert word_fonts(" Arial ").name == "arial"
    with pytest.raises(ValueError, match=r"got 'comic'; expected one of 'times' \(Times New"):
        word_fonts("comic")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_named_style_carries_the_preset_font_and_size(docx_files, name):
    from docx import Document

    doc = Document(str(docx_files[name]))
    for style, (family, size) in EXPECTED[name].items():
        st = doc.styles[style]
        assert st.font.name == family, (name, style)
        assert st.font.size is not None and st.font.size.pt == size, (name, style)
        fonts = st.element.rPr.find(W + "rFonts")
        # every script names the family (East Asian and complex scripts too), no theme font
        for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
            assert fonts.get(W + attr) == family, (name, style, attr)
        assert not any("Theme" in k or "theme" in k for k in fonts.attrib), (name, style)
        assert st.element.rPr.find(W + "szCs").get(W + "val") == str(round(2 * size))
    defaults = doc.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert defaults.get(W + "ascii") == EXPECTED[name]["Normal"][0]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_run_carries_a_font_of_its_own(docx_files, name):
    from docx import Document

    doc = Document(str(docx_files[name]))
    sec = doc.sections[0]
    paragraphs = [
        *doc.paragraphs,
        *(p for t in doc.tables for c in t._cells for p in c.paragraphs),
        *sec.header.paragraphs,
        *sec.footer.paragraphs,
    ]
    runs = [r for p in paragraphs for r in p.runs]
    assert len(runs) > 10
    for r in runs:
        assert r.font.name is None and r.font.size is None, (name, r.text)
    styles = {p.style.name for p in paragraphs}
    assert {"Title", "Heading 1", "Caption", "Table Text", "Header", "Footer"} <= styles


def test_the_full_report_has_no_direct_font_on_any_run(built_report):
    from docx import Document

    doc = Document(str(built_report.docx))
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [r for t in doc.tables for c in t._cells for p in c.paragraphs for r in p.runs]
    assert all(r.font.name is None and r.font.size is None for r in runs)
    assert doc.styles["Normal"].font.name == "Times New Roman"  # the plan's default, times


def _fc_family(family: str) -> str:
    """The family fontconfig prints ``family`` in on this machine (itself when installed)."""
    out = subprocess.run(
        ["fc-match", "-f", "%{family[0]}", family], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def _pdf_families(pdf: Path) -> set[str]:
    """Families of the fonts embedded in ``pdf`` (``ABCDEF+DejaVuSans-Bold`` -> ``DejaVuSans``)."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    names = [line.split()[0] for line in out.stdout.splitlines()[2:] if line.strip()]
    return {re.sub(r"-.*$", "", n.split("+")[-1]) for n in names}


@pytest.mark.skipif(
    shutil.which("soffice") is None
    or shutil.which("pdffonts") is None
    or shutil.which("fc-match") is None,
    reason="LibreOffice, poppler-utils and fontconfig are installed by .ci/run",
)
def test_libreoffice_prints_each_preset_in_its_families(docx_files, tmp_path):
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *(str(p) for p in docx_files.values()),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    for name, (body, heading) in {
        "times": ("Times New Roman", "Arial"),
        "arial": ("Arial", "Arial"),
        "calibri": ("Calibri", "Calibri"),
    }.items():
        # LibreOffice prints a family that is not installed in the one fontconfig substitutes:
        # on Debian with only fonts-dejavu-core (what .ci/run installs) Times New Roman -> DejaVu
        # Serif, Arial and Calibri -> DejaVu Sans; with fonts-liberation / fonts-crosextra-carlito,
        # the metric-compatible Liberation Serif/Sans and Carlito. So "arial" and "calibri" may
        # print alike here; the styles test above tells them apart.
        expected = {_fc_family(body).replace(" ", ""), _fc_family(heading).replace(" ", "")}
        assert _pdf_families(tmp_path / f"{name}.pdf") == expected, name


@pytest.mark.parametrize(("override", "family"), [(None, "Calibri"), ("arial", "Arial")])
def test_the_plan_chooses_the_preset_and_the_option_overrides_it(
    tmp_path, monkeypatch, override, family
):
    from docx import Document

    import hcctrial.report.build as build
    from hcctrial.analysis.plan import default_plan, load_plan
    from tests.report.synthetic import tiny_inputs

    text = Path(default_plan().path).read_text(encoding="utf-8")
    assert 'word_fonts = "times"' in text  # the seed plan states the default
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(text.replace('word_fonts = "times"', 'word_fonts = "calibri"'))
    monkeypatch.setattr(build, "figure_jobs", lambda *a, **k: ())  # fonts only: no figures
    paths = build.build_report(
        tiny_inputs(), tmp_path / "out", ("docx",), plan=load_plan(plan_file), word_fonts=override
    )
    assert paths.docx is not None
    assert Document(str(paths.docx)).styles["Normal"].font.name == family
