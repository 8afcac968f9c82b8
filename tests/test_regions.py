"""Aggregation up the region tree (:func:`mchanalysis.regions.aggregate_counts`) on small trees
whose sums are worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from mchanalysis.errors import MchError
from mchanalysis.regions import aggregate_counts

TREE = {  # code: (name, parent, level)
    "100": ("省", "", "province"),
    "110": ("甲市", "100", "prefecture"),
    "111": ("甲一县", "110", "county"),
    "112": ("甲二县", "110", "county"),
    "120": ("乙市", "100", "prefecture"),
    "121": ("乙一县", "120", "county"),
}


def _table(values: dict[tuple[str, int], int | None], measure: str = "live_births") -> pd.DataFrame:
    rows = [
        {
            "region_code": code,
            "region_name": TREE[code][0],
            "parent_code": TREE[code][1],
            "level": TREE[code][2],
            "year": year,
            measure: value,
        }
        for (code, year), value in values.items()
    ]
    t = pd.DataFrame(rows)
    t[measure] = pd.array(list(values.values()), dtype="Int64")
    return t


def test_three_levels_filled_bottom_up_with_incomplete_and_disagreement():
    v = {("111", 2020): 10, ("112", 2020): 20, ("121", 2020): 5, ("110", 2020): None}
    v |= {("120", 2020): None, ("100", 2020): None}
    v |= {("111", 2021): 10, ("112", 2021): None, ("121", 2021): 5, ("110", 2021): None}
    v |= {("120", 2021): 7, ("100", 2021): None}
    agg = aggregate_counts(_table(v))
    got = agg.counts.set_index(["region_code", "year"])["live_births"]
    assert got[("110", 2020)] == 30 and got[("120", 2020)] == 5 and got[("100", 2020)] == 35
    assert pd.isna(got[("110", 2021)]) and got[("120", 2021)] == 7 and pd.isna(got[("100", 2021)])
    assert agg.incomplete.values.tolist() == [
        ["100", 2021, "live_births", "110"],
        ["110", 2021, "live_births", "112"],
    ]
    assert agg.disagreements.values.tolist() == [["120", 2021, "live_births", 7, 5, 2]]
    src = {(r.region_code, r.year): r.source for r in agg.source.itertuples()}
    assert src == {
        ("100", 2020): "sum_of_children",
        ("110", 2020): "sum_of_children",
        ("120", 2020): "sum_of_children",
        ("120", 2021): "reported",
    }
    assert agg.counts["region_code"].tolist() == sorted(agg.counts["region_code"].tolist())


def test_sums_are_exact_beyond_float_precision():
    big = 2**53 + 1  # not representable as a float64
    agg = aggregate_counts(
        _table({("100", 2020): None, ("110", 2020): None, ("111", 2020): big, ("112", 2020): 2})
    )
    got = agg.counts.set_index(["region_code", "year"])["live_births"]
    assert got[("110", 2020)] == big + 2


def test_a_second_record_of_a_region_year_is_a_clear_error():
    t = _table({("100", 2020): None, ("110", 2020): None, ("111", 2020): 3, ("112", 2020): 2})
    t = pd.concat([t, t.iloc[[2]]], ignore_index=True)
    with pytest.raises(MchError, match="region 111 has more than one record for 2020"):
        aggregate_counts(t)


def test_the_last_result_is_reused_only_for_an_equal_table_and_never_shared():
    v = {("100", 2020): None, ("110", 2020): None, ("111", 2020): 3, ("112", 2020): 2}
    first = aggregate_counts(_table(v))
    # a caller changing its result does not change the next caller's
    first.counts.loc[0, "live_births"] = 999
    first.source.loc[0, "source"] = "changed"
    again = aggregate_counts(_table(v))  # an equal table, built again
    assert again.counts.set_index("region_code").loc["100", "live_births"] == 5
    assert "changed" not in again.source["source"].tolist()
    # a table that differs in one cell, a dtype, the attrs or the index is summed afresh
    other = _table(v | {("112", 2020): 4})
    assert aggregate_counts(other).counts.set_index("region_code").loc["100", "live_births"] == 7
    wider = _table(v).astype({"live_births": "float64"})
    assert aggregate_counts(_table(v)).counts["live_births"].dtype == "Int64"
    assert aggregate_counts(wider).counts["live_births"].dtype == "Int64"
    marked = _table(v)
    marked.attrs["not_carried_out"] = [("111", 2020, "live_births")]
    assert aggregate_counts(marked).counts.attrs == marked.attrs
    assert aggregate_counts(_table(v)).counts.attrs == {}
    # the table a caller passed and then changed is not the one remembered
    t = _table(v)
    aggregate_counts(t)
    t.loc[t["region_code"] == "111", "live_births"] = 10
    assert aggregate_counts(t).counts.set_index("region_code").loc["100", "live_births"] == 12
