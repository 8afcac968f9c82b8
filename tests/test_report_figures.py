"""The 地区比较 section shows the sub-regions' trends as small multiples (issue 6 item 3)."""

import pytest
from support import DEMO  # noqa: E402

from mchanalysis import report


@pytest.fixture(scope="module")
def city():

    return report.build_context(DEMO, year=2024, region_code="990100", target_set="national_2030", lang="zh")


def test_city_report_has_small_multiples_of_its_counties(city):
    figs = {k: v for k, v in city.figures.items() if v["section"] == "comparison"}
    sm = [k for k in figs if k.startswith("small_multiples_")]
    assert len(sm) == 1
    fig = figs[sm[0]]["figure"]
    titles = [
        "".join(ax.get_title(loc=loc) for loc in ("left", "center", "right"))
        for ax in fig.axes
        if ax.get_visible()
    ]
    assert sorted(t for t in titles if t) == sorted(city.subregions[sm[0].split("_", 2)[2]]["region_name"])
    assert figs[sm[0]]["png"].startswith(b"\x89PNG")
    assert "所辖各地区" in figs[sm[0]]["caption"] and "灰线为全市水平" in figs[sm[0]]["caption"]
    html = report.render_section(city, "comparison")
    assert html.count("<img") == 2 and "所辖各地区" in html


def test_county_report_has_no_comparison_figures():

    ctx = report.build_context(DEMO, year=2024, region_code="990102", target_set="national_2030", lang="zh")
    assert not [k for k, v in ctx.figures.items() if v["section"] == "comparison"]


def test_comparison_charts_take_at_most_half_the_text_block(city):
    """Funnel and small multiples are drawn no taller than half the 225 mm text block less a
    two-line caption, so one that does not fit under the text before it never leaves that page
    under half full, and the two share a page (issue 17)."""
    import io

    from PIL import Image

    from mchanalysis.plots import MIN_TEXT_PT
    from mchanalysis.report.figures import MAX_HEIGHT_IN, TEXT_BLOCK_HEIGHT_IN

    assert MAX_HEIGHT_IN + 2 * 28.95 / 72 <= TEXT_BLOCK_HEIGHT_IN / 2
    figs = {k: v for k, v in city.figures.items() if v["section"] == "comparison"}
    assert len(figs) == 2
    for name, f in figs.items():
        w, h = f["figure"].get_size_inches()
        assert h <= MAX_HEIGHT_IN + 1e-9, name
        im = Image.open(io.BytesIO(f["png"]))
        assert abs(im.size[1] / 300 - h) < 0.02  # the PNG is drawn at that height
        sizes = [t.get_fontsize() for ax in f["figure"].axes for t in ax.texts + ax.get_xticklabels()]
        assert min(sizes) >= MIN_TEXT_PT - 1e-9  # text keeps its printed size
