"""Every figure passes the layout check at every journal width: from matplotlib's own text
extents, no text leaves the canvas and no two texts overlap; fonts are at least 6 pt on paper;
groups differ by line style as well as colour; every measured patient is visible."""

from __future__ import annotations

import pytest

from hcctrial.analysis.figure_width import figure_width_mm
from hcctrial.report.build import figure_jobs, report_results
from hcctrial.report.figure_style import figure_style, new_figure
from hcctrial.report.layout import layout_problems, visible_texts
from tests.report.synthetic import random_inputs


@pytest.fixture(scope="module")
def trial():
    inputs = random_inputs(66, seed=11)
    return inputs, report_results(inputs)


@pytest.mark.parametrize("width", ["single", "double", "130"])
def test_every_figure_passes_the_layout_check_with_fonts_of_6_pt_or_more(trial, width):
    inputs, results = trial
    style = figure_style(width)
    jobs = figure_jobs(inputs, results, style)
    assert {j.key for j in jobs} >= {"consort", "waterfall", "swimmer", "forest", "figure4"}
    for job in jobs:
        fig = job.draw()
        assert layout_problems(fig) == [], job.key
        sizes = [t.get_fontsize() for t in visible_texts(fig)]
        assert min(sizes) >= 6.0, (job.key, min(sizes))
        w_mm = fig.get_size_inches()[0] * 25.4
        expected = max(style.width_mm, 120.0) if job.key == "forest" else style.width_mm
        assert w_mm == pytest.approx(expected, abs=0.01), job.key
        assert job.alt, job.key


def test_the_layout_check_finds_overlaps_and_text_off_the_canvas():
    fig = new_figure(1.0, figure_style("single"))
    fig.text(0.5, 0.5, "first label", fontsize=8)
    fig.text(0.52, 0.5, "second label", fontsize=8)
    fig.text(0.95, 0.1, "runs off the right edge", fontsize=8)
    problems = layout_problems(fig)
    assert any("overlap" in p and "first label" in p for p in problems)
    assert any("leaves the canvas" in p and "runs off" in p for p in problems)


def test_close_medians_get_labels_that_do_not_collide():
    from hcctrial.report.figures_km import km_figure
    from hcctrial.stats.kaplan_meier import kaplan_meier
    from hcctrial.stats.km_quantiles import median_survival

    # two groups of 4 whose SPSS medians (first time with S <= 0.5: the 2nd of 4 events) are
    # 12.8 and 13.1 months: the case of the overprinted "12.8/13.1"
    a = kaplan_meier([5.0, 12.8, 20.0, 30.0], [1, 1, 1, 1])
    b = kaplan_meier([6.0, 13.1, 21.0, 31.0], [1, 1, 1, 1])
    meds = [median_survival(c, "spss") for c in (a, b)]
    assert [m.estimate for m in meds] == pytest.approx([12.8, 13.1])
    for width in ("single", "double"):
        plot = km_figure(
            [a, b],
            ylabel="OS",
            names=["Arm one", "Arm two"],
            medians=meds,
            style=figure_style(width),
        )
        assert layout_problems(plot.figure) == []
        ax = plot.figure.axes[0]
        styles = {
            line.get_linestyle()
            for line in ax.get_lines()
            if line.get_label() in ("Arm one", "Arm two")
        }
        assert len(styles) == 2  # told apart in grayscale, not by colour alone
        legend = ax.get_legend()
        assert legend is not None and not legend.get_title().get_text()


def test_waterfall_shows_every_measured_patient_with_a_marker_for_no_change():
    from dataclasses import replace

    from hcctrial.report.figures_more import waterfall_figure

    subjects = list(random_inputs(20, seed=3).subjects)
    subjects[0] = replace(subjects[0], best_change_pct=0.0, best_response="PD")
    subjects[1] = replace(subjects[1], best_change_pct=0.0, best_response="SD")
    fig = waterfall_figure(subjects)
    ax = fig.axes[0]
    measured = [s for s in subjects if s.best_change_pct is not None]
    assert len(ax.patches) == len(measured)
    zero_markers = [
        line for line in ax.get_lines() if line.get_marker() == "o" and len(line.get_xdata())
    ]
    assert sum(len(line.get_xdata()) for line in zero_markers) == 2
    texts = {t.get_text() for t in visible_texts(fig)}
    assert {"+20 %", "−30 %"} <= texts
    assert {p.get_hatch() for p in ax.patches} - {None, ""}  # hatched for grayscale


def test_swimmer_labels_patients_spider_has_a_legend_forest_has_columns(trial):
    inputs, results = trial
    jobs = {j.key: j for j in figure_jobs(inputs, results, figure_style("double"))}
    swim = jobs["swimmer"].draw()
    ids = {t.get_text() for t in swim.axes[0].get_yticklabels()}
    assert ids == {r.study_id for r in inputs.swimmers}
    spider = jobs["spider"].draw()
    assert spider.axes[0].get_legend() is not None
    forest = jobs["forest"].draw()
    texts = {t.get_text() for t in visible_texts(forest)}
    assert {"N", "Events", "HR (95 % CI)", "p", "1 (reference)"} <= texts
    assert any(t.startswith("← favours") for t in texts)


def test_the_figure_width_rule_names_the_value_and_what_is_expected():
    assert figure_width_mm("single") == 85.0
    assert figure_width_mm("double") == 174.0
    assert figure_width_mm("120mm") == 120.0
    with pytest.raises(ValueError, match=r"got 'triple'.*'single' \(85 mm\)"):
        figure_width_mm("triple")


def test_a_plan_with_a_bad_figure_width_is_refused_naming_the_key():
    import tomllib
    from pathlib import Path

    from hcctrial.analysis.plan import default_plan, plan_from_mapping
    from hcctrial.errors import HcctrialError

    data = tomllib.loads(Path(default_plan().path).read_text(encoding="utf-8"))
    data["outputs"]["figure_width"] = "wide"
    with pytest.raises(HcctrialError, match=r"outputs\.figure_width.*got 'wide'"):
        plan_from_mapping(data)
    data["outputs"]["figure_width"] = "single"
    assert plan_from_mapping(data).outputs.figure_width == "single"


def test_a_large_trial_swimmer_shows_the_responders_and_says_so():
    from hcctrial.report.figures_more import SWIMMER_MAX, swimmer_selection
    from hcctrial.report.inputs import SwimmerRecord

    def rec(i: int, resp: str) -> SwimmerRecord:
        return SwimmerRecord(f"P{i:03d}", float(i % 17), 2, resp, None, None, None, 20.0)

    few = [rec(i, "SD") for i in range(SWIMMER_MAX)]
    assert swimmer_selection(few) == (tuple(few), "")
    # 100 patients, every 5th a responder: the 20 responders, named as such
    many = [rec(i, "PR" if i % 5 == 0 else "SD") for i in range(100)]
    shown, which = swimmer_selection(many)
    assert [r.study_id for r in shown] == [f"P{i:03d}" for i in range(0, 100, 5)]
    assert which == "the 20 responders (CR or PR) of 100 patients"
    # more responders than fit: the longest on treatment (time = i mod 17, ties by id)
    lots = [rec(i, "CR") for i in range(200)]
    shown, which = swimmer_selection(lots)
    assert len(shown) == SWIMMER_MAX
    assert min(r.treatment_months for r in shown) >= max(
        r.treatment_months for r in lots if r not in shown
    )
    assert which.startswith(f"the {SWIMMER_MAX} responders longest on treatment")


@pytest.mark.parametrize("width", ["single", "double"])
def test_every_figure_of_the_demo_trial_passes_the_layout_check(width):
    """The real demo data (the session's one demo run): labels of its own lengths, its
    disposition reasons, its close medians (BCLC B / C)."""
    from hcctrial.report.from_database import report_inputs_from_database
    from hcctrial.store.session import make_engine
    from tests.demo.demo_run import demo_output

    out, _ = demo_output()
    engine = make_engine(str(out / "demo.sqlite"))
    try:
        inputs = report_inputs_from_database(engine)
    finally:
        engine.dispose()
    results = report_results(inputs)
    for job in figure_jobs(inputs, results, figure_style(width)):
        assert layout_problems(job.draw()) == [], job.key
