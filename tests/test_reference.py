"""The shipped national reference series and its loader.

Spot values are the published national figures as quoted in data/reference/README.md's sources:
MMR 2010 30.0/10万 (S24, 中国妇幼卫生事业发展报告 2011), MMR 2024 14.3 (S18/S20), IMR 2010 13.1‰
(S24), U5MR 2024 5.6‰ and NMR 2024 2.5‰ (S19, NBS 儿童纲要 2024 monitoring), hospital delivery
2022 99.94% (S01, 2022 statistical bulletin).
"""

from __future__ import annotations

import pytest

from mchanalysis.errors import MchError
from mchanalysis.reference import REFERENCE_DIR, load_national_series
from mchanalysis.registry import load_registry


@pytest.fixture(scope="module")
def series():
    return load_national_series()


def _value(series, ind, year, area="total"):
    v = series[(series["indicator_id"] == ind) & (series["year"] == year) & (series["area"] == area)]
    assert len(v) == 1
    return float(v["value"].iloc[0])


@pytest.mark.parametrize(
    "ind, year, expected",
    [("mmr", 2010, 30.0), ("mmr", 2024, 14.3), ("imr", 2010, 13.1), ("u5mr", 2024, 5.6),
     ("nmr", 2024, 2.5), ("hospital_delivery_rate", 2022, 99.94)],
)  # fmt: skip
def test_published_values(series, ind, year, expected):
    assert _value(series, ind, year) == expected


def test_columns_and_ids(series):
    assert list(series.columns) == [
        "year", "indicator_id", "area", "value", "unit", "status", "source_ids", "note"
    ]  # fmt: skip
    assert set(series["indicator_id"]) <= set(load_registry()["id"])
    assert set(series["status"]) == {"confirmed", "derived", "recalled"}
    assert series["source_ids"].str.fullmatch(r"S\d\d(;S\d\d)*").all()
    units = {"mmr": "/10万", "imr": "‰", "nmr": "‰", "u5mr": "‰"}
    for ind, unit in units.items():
        assert set(series.loc[series["indicator_id"] == ind, "unit"]) == {unit}


def test_mortality_complete_total_urban_rural_1991_2022(series):
    for ind in ("mmr", "imr", "nmr", "u5mr"):
        for area in ("total", "urban", "rural"):
            years = set(series[(series["indicator_id"] == ind) & (series["area"] == area)]["year"])
            assert set(range(1991, 2023)) <= years, (ind, area)
        tot = set(series[(series["indicator_id"] == ind) & (series["area"] == "total")]["year"])
        assert {2023, 2024} <= tot


def test_every_source_id_is_listed_in_the_readme(series):
    readme = (REFERENCE_DIR / "README.md").read_text(encoding="utf-8")
    for sid in set(";".join(series["source_ids"]).split(";")):
        n = int(sid[1:])
        assert f"| {sid} |" in readme or (25 <= n <= 28 and "| S25–S28 |" in readme), sid


def test_filters(series):
    mmr = load_national_series(indicators="mmr", status=("confirmed", "derived"))
    assert set(mmr["indicator_id"]) == {"mmr"}
    assert set(mmr["status"]) <= {"confirmed", "derived"}
    assert 0 < len(mmr) < (series["indicator_id"] == "mmr").sum()
    with pytest.raises(MchError, match="not in the national series: mmrr"):
        load_national_series(indicators=["mmrr"])


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(MchError, match="national reference series is missing"):
        load_national_series(tmp_path / "nope.csv")


def test_bad_value_names_row_and_column(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text(
        "year,indicator_id,area,value,unit,status,source_ids,note\n"
        "2010,mmr,total,30.0,/10万,confirmed,S24,\n"
        "2011,mmr,total,abc,/10万,confirmed,S23,\n",
        encoding="utf-8",
    )
    with pytest.raises(MchError) as e:
        load_national_series(p)
    assert e.value.row == 3 and e.value.column == "value"
