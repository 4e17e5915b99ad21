"""The Word report opens with python-docx and holds every table with the model's cells,
numbered captions (SEQ fields) and the figures."""

from __future__ import annotations

from hcctrial.report.build import build_document, report_results


def _model_tables(built_report, synthetic_inputs):
    res = report_results(synthetic_inputs)
    doc = build_document(synthetic_inputs, res, built_report.figures, published=True)
    return doc.tables()


def test_docx_opens_and_holds_every_table_cell_for_cell(built_report, synthetic_inputs):
    from docx import Document

    d = Document(str(built_report.docx))
    model = _model_tables(built_report, synthetic_inputs)
    assert len(d.tables) == len(model)
    for wt, mt in zip(d.tables, model, strict=True):
        assert [c.text for c in wt.rows[0].cells] == list(mt.columns)
        assert len(wt.rows) == 1 + len(mt.rows)
        for wr, mr in zip(wt.rows[1:], mt.rows, strict=True):
            assert [c.text for c in wr.cells] == [mr.label, *mr.cells]


def test_docx_has_numbered_captions_footnotes_and_figures(built_report, synthetic_inputs):
    from docx import Document

    d = Document(str(built_report.docx))
    xml = d.element.xml
    model = _model_tables(built_report, synthetic_inputs)
    assert xml.count("SEQ Table") == len(model)
    assert xml.count("SEQ Figure") == len(built_report.figures)
    captions = [p.text for p in d.paragraphs if p.style.name == "Caption"]
    table_caps = [c for c in captions if c.startswith("Table ")]
    assert table_caps == [f"Table {k}. {t.title}" for k, t in enumerate(model, start=1)]
    texts = [p.text for p in d.paragraphs]
    assert model[1].footnotes[0] in texts  # Table 2's denominator note under the table
    assert len(d.inline_shapes) == len(built_report.figures)
