"""The 地区比较 section shows the sub-regions' trends as small multiples (issue 6 item 3)."""

import pytest

from mchanalysis import report

from support import DEMO  # noqa: E402


@pytest.fixture(scope="module")
def city():

    return report.build_context(DEMO, year=2024,
                                region_code="990100", target_set="national_2030", lang="zh")


def test_city_report_has_small_multiples_of_its_counties(city):
    figs = {k: v for k, v in city.figures.items() if v["section"] == "comparison"}
    sm = [k for k in figs if k.startswith("small_multiples_")]
    assert len(sm) == 1
    fig = figs[sm[0]]["figure"]
    titles = ["".join(ax.get_title(loc=loc) for loc in ("left", "center", "right"))
              for ax in fig.axes if ax.get_visible()]
    assert sorted(t for t in titles if t) == sorted(city.subregions[sm[0].split("_", 2)[2]]["region_name"])
    assert figs[sm[0]]["png"].startswith(b"\x89PNG")
    assert "所辖各地区" in figs[sm[0]]["caption"] and "灰线为全市水平" in figs[sm[0]]["caption"]
    html = report.render_section(city, "comparison")
    assert html.count("<img") == 2 and "所辖各地区" in html


def test_county_report_has_no_comparison_figures():

    ctx = report.build_context(DEMO, year=2024,
                               region_code="990102", target_set="national_2030", lang="zh")
    assert not [k for k, v in ctx.figures.items() if v["section"] == "comparison"]
