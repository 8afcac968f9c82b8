"""The notebooks' composite helpers: memo by content, copies, selections, composition."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from mchanalysis.errors import MchError
from mchanalysis import analysis as A
from mchanalysis.pipeline.params import repo_root

DEMO = repo_root() / "data" / "demo" / "counts.csv"


@pytest.fixture(scope="module")
def data():
    return A.load_analysis_data(DEMO)


def test_memo_hands_out_copies_so_a_notebook_cannot_change_the_next_regions_tables():
    data = A.load_analysis_data(DEMO)
    data.indicators.loc[:, "value"] = -1.0
    data.counts.loc[:, "live_births"] = 0
    again = A.load_analysis_data(DEMO)
    assert (again.indicators["value"].dropna() >= 0).all() and again.counts["live_births"].max() > 0


def test_memo_is_keyed_by_the_file_bytes_not_its_name(tmp_path, data):
    copy = tmp_path / "counts.csv"
    shutil.copy(DEMO, copy)
    assert A.load_analysis_data(copy).sha256 == data.sha256
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    where = (raw["region_code"] == "990105") & (raw["year"] == "2024")
    raw.loc[where, "cesarean_deliveries"] = str(int(raw.loc[where, "cesarean_deliveries"].iloc[0]) + 1)
    raw.to_csv(copy, index=False)
    changed = A.load_analysis_data(copy)
    assert changed.sha256 != data.sha256
    old, new = (d.indicators[(d.indicators["region_code"] == "990105") & (d.indicators["year"] == 2024)
                             & (d.indicators["indicator"] == "cesarean_rate")]["numerator"].iloc[0]
                for d in (A.load_analysis_data(DEMO), changed))
    assert new == old + 1


def test_region_summary_names_the_missing_year(data, tmp_path):
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    raw = raw[~((raw["region_code"] == "990106") & (raw["year"] == "2024"))]
    path = tmp_path / "c.csv"
    raw.to_csv(path, index=False)
    gap = A.load_analysis_data(path)
    with pytest.raises(MchError, match="990106 .*has no row for 2024"):
        A.region_summary(gap, "990106", 2024)
    s = A.region_summary(A.load_analysis_data(DEMO), "990100", 2024)
    assert s.loc[0, "parent_code"] == "990000" and s.loc[0, "subregions"] == 5


def test_quality_findings_cover_the_region_and_everything_below_it_only(data):
    f = A.quality_findings(data, "990100", lang="en")
    assert set(f["region_code"]) <= {"990100", "990102", "990103", "990104", "990105", "990106"}
    assert len(f) == data.quality["region_code"].isin(A.region_codes_below(data, "990100")).sum()
    assert f["message"].tolist() == data.quality.set_index(["region_code", "year", "item", "check"]).loc[
        list(zip(f["region_code"], f["year"], f["item"], f["check"])), "message_en"].tolist()


def test_indicator_series_holds_the_region_its_parent_and_the_nation(data):
    s = A.indicator_series(data, "990105", "imr")
    assert set(s["series"]) == {"region", "parent", "national"}
    assert set(s.loc[s["series"] == "parent", "region_code"]) == {"990100"}
    own = data.indicators[(data.indicators["region_code"] == "990105") & (data.indicators["indicator"] == "imr")]
    assert np.allclose(s.loc[s["series"] == "region", "value"].to_numpy(), own.sort_values("year")["value"].to_numpy())


def test_per_indicator_tables_are_the_package_functions_applied_to_the_regions_series(data):
    from mchanalysis.trends import loglinear_trend

    t = A.mortality_trends(data, "990100")
    assert list(t["indicator"]) == list(A.MORTALITY)
    s = data.indicators[(data.indicators["region_code"] == "990100") & (data.indicators["indicator"] == "imr")]
    ref = loglinear_trend(s["year"], s["numerator"], s["denominator"]).to_frame()
    assert t.loc[t["indicator"] == "imr", "apc"].iloc[0] == ref["apc"].iloc[0]


def test_county_compares_with_its_siblings_and_has_no_subregions(data):
    parent, codes = A.comparison_regions(data, "990105")
    assert parent == "990100" and "990105" in codes and len(codes) == 5
    assert A.smoothed_subregions(data, "990105", 2024).empty
    assert A.shrinkage_figure(data, "990105", 2024) is None
    assert A.comparison_regions(data, "990100") == ("990100", codes)


def test_saved_tables_and_figures_are_byte_reproducible(data, tmp_path):
    t = A.indicator_year_table(data, "990105", 2024)
    a = A.save_table(t, tmp_path / "a", "x").read_bytes()
    b = A.save_table(t.copy(), tmp_path / "b", "x").read_bytes()
    assert a == b and b"\r\n" not in a
    img1 = A.save_figure(A.funnel_figure(data, "990105", 2024), tmp_path / "a", "f")
    img2 = A.save_figure(A.funnel_figure(data, "990105", 2024), tmp_path / "b", "f")
    assert img1.data == img2.data == (tmp_path / "a" / "figures" / "f.png").read_bytes()
    assert A.save_figure(None, tmp_path, "none") is None


def test_synthetic_notice_only_for_demo_codes():
    assert "模拟" in A.synthetic_notice("990105") and "Synthetic" in A.synthetic_notice("990105", "en")
    assert A.synthetic_notice("110101") == ""


def test_policy_break_table_names_each_term(data):
    """Every ITS row says which parameter it is (the table once carried an empty term column)."""
    t = A.policy_breaks(data, "990000", indicators=["imr"])
    assert list(t["term"]) == ["level_change", "apc_before", "apc_after", "slope_ratio", "apc_difference"]


def test_show_speaks_the_language_and_rounds_as_the_report(data):
    """Notebook tables: Chinese column names and coded values in zh, one message column,
    p-values as '<0.001', counts without decimals."""
    t = A.policy_breaks(data, "990000", indicators=["imr"])
    html = A.show(t, "zh").to_html()
    assert "断点水平变化（率比）" in html and "level_change" not in html and "P值" in html
    r = A.period_ratios(data, "990000", indicators=["imr"])
    html = A.show(r, "zh").to_html()
    assert "<0.001" in html.replace("&lt;", "<") and f">{int(r['events_first'].iloc[0])}<" in html
    w = pd.DataFrame({"check": ["over_100"], "severity": ["warning"], "message": ["m-en"], "message_zh": ["m-zh"]})
    zh, en = A.show(w, "zh").to_html(), A.show(w, "en").to_html()
    assert "m-zh" in zh and "m-en" not in zh and "超过100%" in zh and "警告" in zh
    assert "m-en" in en and "m-zh" not in en and "over 100%" in en
