"""Charts drawn at their printed size (issue 17 item 3): every figure of a city's and a county's
report is as wide as it is placed in the Word document, saved at 300 dpi, and no text on it is
smaller than 8 pt there."""

from __future__ import annotations

import io

import pytest
from docx import Document
from PIL import Image
from support import DEMO  # noqa: E402

from mchanalysis import report
from mchanalysis.plots import DPI, FIGURE_WIDTH_CM, FIGURE_WIDTH_IN, MIN_TEXT_PT
from mchanalysis.plots.small_multiples import columns_for


@pytest.fixture(scope="module", params=["990100", "990106"])
def ctx(request):
    return report.build_context(
        DEMO, year=2024, region_code=request.param, target_set="national_2030", lang="zh"
    )


def _texts(fig):
    from matplotlib.text import Text

    fig.canvas.draw()
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_every_figure_is_drawn_at_its_placed_width_with_text_of_8pt_or_more(ctx):
    assert ctx.figures
    for name, f in ctx.figures.items():
        fig = f["figure"]
        w, _ = fig.get_size_inches()
        assert w == pytest.approx(FIGURE_WIDTH_IN), name
        small = [(t.get_text(), t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() < MIN_TEXT_PT]
        assert not small, (name, small[:5])
        img = Image.open(io.BytesIO(f["png"]))
        assert img.size[0] == pytest.approx(FIGURE_WIDTH_IN * DPI, abs=2), name
        assert round(img.info["dpi"][0]) == DPI, name


def test_word_places_each_figure_at_its_drawn_width(ctx):
    doc = Document(
        io.BytesIO(
            report.docx_bytes(ctx)
            if hasattr(report, "docx_bytes")
            else __import__("mchanalysis.report.docx", fromlist=["x"]).docx_bytes(ctx)
        )
    )
    widths = [int(x) for x in doc.element.body.xpath(".//wp:extent/@cx")]
    assert widths
    for cx in widths:  # EMU: 360000 per cm
        assert cx / 360000 == pytest.approx(FIGURE_WIDTH_CM, abs=0.02)


def test_small_multiples_choose_columns_from_the_number_of_regions():
    assert [columns_for(n) for n in (1, 2, 4, 5, 9, 10, 16)] == [1, 2, 2, 3, 3, 4, 4]


def test_english_scorecard_lays_out_at_the_placed_width():
    """Long English names and statuses must not squeeze the axes to nothing at 15 cm."""
    import warnings

    from mchanalysis.plots.scorecard import plot_scorecard

    ctx = report.build_context(
        DEMO, year=2024, region_code="990103", target_set="national_2030", lang="en", figures=False
    )
    fig = plot_scorecard(ctx.scorecard, lang="en")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.canvas.draw()
    for ax in fig.axes:
        assert ax.get_position().width > 0.4
    assert not [t for t in _texts(fig) if t.get_fontsize() < MIN_TEXT_PT]
