"""The report's year-on-year verdicts computed in one vectorised call per kind
(:func:`mchanalysis.report.context._verdicts`), its row lookups from one index
(:class:`~mchanalysis.report.context._Rows`) and its quality section from the findings about the
region only: the same answers as one call / one filter each / the whole file's findings combined,
which is what the report did before (issue 12, per-region cost)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import DEMO, counts_frame

from mchanalysis import stats
from mchanalysis.report import context as C


def _one_at_a_time(key, level):
    """The verdict as the report computed it before: one call with Python ints."""
    kind, x1, n1, x2, n2, mult = key
    fn = stats.compare_proportions if kind == "proportion" else stats.compare_rates
    return str(fn(x1, n1, x2, n2, multiplier=mult, level=level)["verdict"].iloc[0])


@pytest.mark.parametrize("level", [0.95, 0.998])
def test_vectorised_verdicts_equal_one_call_per_pair(level):
    rng = np.random.default_rng(20261204)
    keys = []
    for _ in range(1500):
        n1, n2 = (int(v) for v in rng.integers(1, 20_000, size=2))
        if rng.random() < 0.5:  # rare events: 0-5 deaths, the small-number cases
            d1, d2 = (int(v) for v in rng.integers(0, 6, size=2))
            keys.append(("rate", d1, n1, d2, n2, float(rng.choice([1000.0, 100_000.0]))))
        else:
            x1, x2 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n2 + 1))
            if rng.random() < 0.2:  # all or none, and above the denominator (over_100)
                x1, x2 = n1, int(rng.choice([0, n2, n2 + 3]))
            keys.append(("proportion", x1, n1, x2, n2, 100.0))
    got = C._verdicts(keys, level)
    assert set(got) == set(keys)
    want = {k: _one_at_a_time(k, level) for k in set(keys)}
    assert got == want
    # every kind of verdict is among them (the test covers each branch)
    assert set(want.values()) >= {"rise", "fall", "no_significant_change"}


def test_a_pair_not_computed_beforehand_is_computed_alone():
    cur = {"numerator": 3, "denominator": 1000}
    prev = {"numerator": 30, "denominator": 1000}
    key = C._pair_key("rate", cur, prev, 1000)
    assert C._compare_pair("rate", cur, prev, 0.95, 1000) == _one_at_a_time(key, 0.95) == "fall"
    assert C._compare_pair("rate", cur, prev, 0.95, 1000, known={key: "rise"}) == "rise"  # looked up
    assert C._compare_pair("rate", cur, {"numerator": pd.NA, "denominator": 10}, 0.95, 1000) is None
    assert C._compare_pair("rate", cur, {"numerator": 1, "denominator": 0}, 0.95, 1000) is None


def test_indexed_rows_equal_the_filtered_row():
    t = pd.DataFrame(
        {
            "region_code": ["110101", "110101", "110101", "110100", "110101"],
            "year": [2023, 2024, 2024, 2024, 2022],
            "indicator": ["imr", "imr", "imr", "imr", "mmr"],
            "numerator": pd.array([1, 2, 9, pd.NA, 0], dtype="Int64"),
            "value": [1.5, 2.5, 9.0, np.nan, 0.0],
        }
    )
    t["region_code"] = t["region_code"].astype("string")
    rows = C._Rows(t)
    for code in ("110101", "110100", "999999"):
        for year in (2021, 2022, 2023, 2024):
            for ind in ("imr", "mmr"):
                a, b = rows.row(code, year, ind), C._row_dict(t, code, year, ind)
                assert (a is None) == (b is None)
                if a is not None:
                    assert list(a) == list(b)
                    assert all(
                        (pd.isna(a[k]) and pd.isna(b[k])) or (a[k] == b[k] and type(a[k]) is type(b[k]))
                        for k in a
                    )


def _gappy_county() -> pd.DataFrame:
    rows = []
    for year in (2016, 2017, 2019, 2020, 2021, 2023, 2024):  # gaps in 2018 and 2022
        rows.append(
            {
                "region_code": "420102",
                "region_name": "江岸区",
                "parent_code": "",
                "level": "county",
                "year": year,
                "live_births": 2400 + 37 * (year - 2016),
                "maternal_deaths": [0, 1, 0, 0, 2, 0, 1][year % 7],
                "infant_deaths": 3 + year % 4,
                "neonatal_deaths": 1 + year % 3,
                "under5_deaths": 5 + year % 4,
                "deliveries": 2380 + 37 * (year - 2016),
                "hospital_deliveries": 2375 + 37 * (year - 2016),
            }
        )
    return counts_frame(rows)


@pytest.mark.parametrize(
    "data,code",
    [(DEMO, "990102"), (DEMO, "990100"), (DEMO, "990000"), ("gappy", "420102")],
    ids=["demo-county", "demo-city", "demo-province", "gappy-county"],
)
def test_every_pair_the_report_compares_was_computed_beforehand(data, code, monkeypatch):
    # a pair missed by _change_keys is computed alone: right, but the batching would be lost
    alone = []
    real = C._verdicts

    def counting(keys, level):
        if len(keys) == 1:
            alone.append(keys[0])
        return real(keys, level)

    monkeypatch.setattr(C, "_verdicts", counting)
    data = _gappy_county() if data == "gappy" else data
    ctx = C.build_context(data, year=2024, region_code=code, figures=False, national=None)
    assert alone == []
    changes = [f["change1"] for f in ctx.facts.values() if f.get("change1")]
    assert changes and any(c.get("verdict") for c in changes)


@pytest.mark.parametrize("code", ["990000", "990100", "990102", "990203"])
def test_quality_section_from_the_regions_findings_equals_the_whole_file_combined(code, monkeypatch):
    # _quality combines only the findings about the region, its sub-regions and no region: the
    # same list as combining the whole file's findings first (as it did before)
    from mchanalysis.analysis.data import load_analysis_data

    adata = load_analysis_data(DEMO)
    extra = adata.quality.copy()  # findings of other regions and of none, to be left out or kept
    extra.loc[: len(extra) // 2, "region_code"] = pd.NA
    quality = pd.concat([adata.quality, extra], ignore_index=True)
    region = {"code": code}
    args = (adata.indicators, region, 2024, "zh", adata.warnings, quality, 4)
    got = C._quality(*args)
    monkeypatch.setattr(C, "_about", lambda findings, codes: findings)
    want = C._quality(*args)
    assert got == want
    assert len(got) > 0
