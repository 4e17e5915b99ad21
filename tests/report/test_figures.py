"""Figures: every file written, non-empty, PNG at 300 dpi; the risk table prints the engine's
at-risk grid at the same ticks (and the counts a hand count gives)."""

from __future__ import annotations

import pytest

from hcctrial.report.figures import km_figure
from hcctrial.stats.kaplan_meier import kaplan_meier, risk_grid

EXPECTED_FIGURES = {
    "consort",
    "waterfall",
    "spider",
    "swimmer",
    "forest",
    "figure4",
    "km_pfs_paper",
    "km_os",
} | {
    f"km_{e}_{s}"
    for e in ("pfs_paper", "os")
    for s in ("bclc", "pvi", "ehs", "afp", "child_pugh", "imaging")
}


def test_every_figure_is_written_as_png_and_svg_and_non_empty(built_report):
    keys = {f.key for f in built_report.figures}
    assert keys == EXPECTED_FIGURES
    for f in built_report.figures:
        assert f.png.stat().st_size > 10_000, f.png
        assert f.svg.stat().st_size > 5_000, f.svg
        assert f.svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_png_figures_are_300_dpi(built_report):
    from PIL import Image

    for f in built_report.figures:
        with Image.open(f.png) as im:
            dpi = im.info["dpi"]
        assert dpi[0] == pytest.approx(300, abs=0.5), f.png


def _drawn_counts(plot, prefix: str) -> dict[tuple[int, int], str]:
    axt = plot.figure.axes[1]
    out = {}
    for t in axt.texts:
        gid = t.get_gid()
        if gid and gid.startswith(prefix):
            _, k, i = gid.split("-")
            out[(int(k), int(i))] = t.get_text()
    return out


def test_risk_table_counts_by_hand():
    # times 2 4 6 8 10 12; at risk at tick t = times >= t: t=0 -> 6, t=6 -> 4 (6 8 10 12),
    # t=12 -> 1; events 1 0 1 1 0 1: by 6 two events (2, 6) and one censored (4); by 12 four
    # events and two censored
    curve = kaplan_meier([2, 4, 6, 8, 10, 12], [1, 0, 1, 1, 0, 1])
    plot = km_figure([curve], title="t", ylabel="OS", ticks=[0, 6, 12])
    risk = _drawn_counts(plot, "risk-")
    assert [risk[(0, i)] for i in range(3)] == ["6", "4", "1"]
    ev = _drawn_counts(plot, "evcens-")
    assert [ev[(0, i)] for i in range(3)] == ["0/0", "2/1", "4/2"]


def test_risk_table_prints_the_engine_grid_at_the_plot_ticks(synthetic_inputs):
    from hcctrial.report.build import report_results

    res = report_results(synthetic_inputs)
    for sg in res.subgroups_of("os"):
        plot = km_figure(sg.curves, title="t", ylabel="OS")
        ticks = [float(x) for x in plot.figure.axes[0].get_xticks()]
        risk = _drawn_counts(plot, "risk-")
        ev = _drawn_counts(plot, "evcens-")
        for k, c in enumerate(sg.curves):
            g = risk_grid(c, ticks)
            assert [risk[(k, i)] for i in range(len(ticks))] == [str(v) for v in g.n_risk]
            assert [ev[(k, i)] for i in range(len(ticks))] == [
                f"{a}/{b}" for a, b in zip(g.cum_event, g.cum_censor, strict=True)
            ]
            # a direct count: subjects with time >= tick (R's at-risk convention)
            times = c.time.repeat(c.n_event + c.n_censor)
            assert g.n_risk == tuple(int((times >= t).sum()) for t in ticks)


def _pixels(png):
    import numpy as np
    from PIL import Image

    with Image.open(png) as im:
        im.verify()  # chunk CRCs and structure
    with Image.open(png) as im:
        return im.mode, np.asarray(im), im.info["dpi"]


@pytest.mark.parametrize("facecolor", ["white", (1.0, 1.0, 1.0, 0.0)])
def test_write_png_gives_matplotlibs_own_pixels_at_300_dpi(tmp_path, facecolor):
    """The fast PNG writer against matplotlib's ``savefig`` on the same Figure: same pixels (RGB
    for an opaque figure, RGBA with its alpha for a transparent one) and 300 dpi in the file."""
    import numpy as np

    from hcctrial.report.figures import figure_style, new_figure, write_png

    fig = new_figure(2.0, figure_style("76.2"))  # 76.2 mm = 3.0 in wide, 2.0 in high
    fig.patch.set_facecolor(facecolor)
    ax = fig.add_axes((0.15, 0.15, 0.8, 0.75))
    ax.step([0, 1, 2, 3], [1.0, 0.8, 0.5, 0.4], where="post", color="#0072B2")
    ax.fill_between([0, 3], [0.2, 0.2], [0.4, 0.4], color="#D55E00", alpha=0.3)
    ax.set_title("Kaplan–Meier", loc="left")
    ours, theirs = tmp_path / "ours.png", tmp_path / "theirs.png"
    write_png(fig, ours, 300)
    fig.savefig(theirs, dpi=300)
    mode, got, dpi = _pixels(ours)
    _, want, _ = _pixels(theirs)
    assert dpi[0] == pytest.approx(300, abs=0.5)
    assert fig.dpi == 100  # the figure's own dpi is restored
    if mode == "RGB":
        assert np.array_equal(got, want[:, :, :3]) and (want[:, :, 3] == 255).all()
    else:
        assert mode == "RGBA" and np.array_equal(got, want)
