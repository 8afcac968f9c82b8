"""The array shortcuts of :func:`mchanalysis.regions.aggregate_counts` (issue 12).

- ``_text_at`` (a text column taken at some rows by one Arrow take) gives the column a frame
  infers from the same values as Python objects, for every kind of column;
- the table of the children without a value (``missing_children``), which now writes one row
  of measures per child and year, and the whole aggregation, are the same for a table of
  ``str`` columns and for the same table of ``object`` columns, and the incomplete parents
  name exactly the children that lack the measure (the definition, record by record).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import support

from mchanalysis.regions import _text_at, aggregate_counts
from mchanalysis.validation import load_counts


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(["990101", "990102", "990103"], dtype="str"),
        pd.Series(["990101", "990102", "990103"], dtype=object),
        pd.Series(["live_births", "东城区", ""], dtype=object),
        pd.Series(["a", None, "c"], dtype="str"),
        pd.Series(["a", 1, "c"], dtype=object),
        pd.Series([1, 2, 3], dtype=object),
        pd.Series([], dtype=object),
    ],
)
def test_a_text_column_taken_is_what_a_frame_infers_from_its_objects(column):
    at = np.array([2, 0, 0, 1], dtype=np.int64) if len(column) else np.array([], dtype=np.int64)
    got = pd.DataFrame({"x": _text_at(column, at)})["x"]
    plain = pd.DataFrame({"x": column.to_numpy(dtype=object)[at]})["x"]
    pd.testing.assert_series_equal(got, plain)


def _holed_demo() -> pd.DataFrame:
    counts = load_counts(support.DEMO).counts
    rng = np.random.default_rng(5)
    for m in ("live_births", "infant_deaths", "early_registered", "maternal_deaths"):
        counts[m] = counts[m].mask(rng.random(len(counts)) < 0.15)
    return counts


def test_aggregation_of_str_and_object_tables_is_the_same():
    counts = _holed_demo()
    as_object = counts.astype({c: object for c in ("region_code", "region_name", "parent_code", "level")})
    a, b = aggregate_counts(counts), aggregate_counts(as_object)
    for name in ("incomplete", "disagreements", "source"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    assert len(a.incomplete) and len(a.source)


def test_incomplete_parents_name_the_children_without_the_measure():
    counts = _holed_demo()
    agg = aggregate_counts(counts)
    filled = agg.counts.set_index(["region_code", "year"])
    children: dict[str, list[str]] = {}
    for code, parent in counts.drop_duplicates("region_code")[["region_code", "parent_code"]].itertuples(
        index=False
    ):
        if parent:
            children.setdefault(parent, []).append(code)
    for r in agg.incomplete.itertuples(index=False):
        lacking = [
            c
            for c in sorted(children[r.region_code])
            if (c, r.year) not in filled.index or pd.isna(filled.at[(c, r.year), r.measure])
        ]
        assert r.missing_children == ";".join(lacking), r
