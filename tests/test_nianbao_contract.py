"""Every measure the registry names is a measure of the data contract with a Chinese header
(issue 16): ``mch validate`` and the reports then name it in Chinese, never by its id."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from mchanalysis.cells import canonical_column
from mchanalysis.data_entry_workbook import template_headers
from mchanalysis.indicators import compute_indicators, load_registry
from mchanalysis.schema import (
    ALL_MEASURES,
    ALL_MEASURES_EN,
    MEASURE_DEFINITIONS,
    MEASURES,
    NIANBAO_MEASURES,
    SCREENING_POPULATION_MEASURES,
)
from mchanalysis.validation import known_measures, load_counts

_CJK = re.compile("[\u4e00-\u9fff]")


def test_every_measure_the_registry_references_is_in_the_schema_with_a_chinese_name():
    reg = load_registry()
    referenced = set(reg["numerator"]) | set(reg["denominator"])
    missing = sorted(referenced - set(ALL_MEASURES))
    assert missing == [], f"registry measures not in the schema: {missing}"
    for m in referenced:
        assert _CJK.search(ALL_MEASURES[m]), (m, ALL_MEASURES[m])
        assert ALL_MEASURES_EN[m] and ALL_MEASURES_EN[m] != m, m
        assert canonical_column(ALL_MEASURES[m]) == m, m  # the Chinese header reads back


def test_known_measures_add_nothing_beyond_the_schema():
    # before the 35–64 counts were named they were appended as "a user's own measures"
    assert known_measures() == list(ALL_MEASURES)


def test_the_screening_population_counts_extend_and_keep_the_old_column_order():
    assert not set(SCREENING_POPULATION_MEASURES) & (set(MEASURES) | set(NIANBAO_MEASURES))
    assert not set(SCREENING_POPULATION_MEASURES.values()) & (
        set(MEASURES.values()) | set(NIANBAO_MEASURES.values())
    )
    # the order the counts table had them in (registry order) is kept
    assert list(ALL_MEASURES)[-3:] == [
        "cervical_screened_35_64_5y",
        "women_35_64",
        "breast_screened_35_64_2y",
    ]
    for m in SCREENING_POPULATION_MEASURES:
        assert "35" in MEASURE_DEFINITIONS[m][0] and "64" in MEASURE_DEFINITIONS[m][0]
    assert "5年" in MEASURE_DEFINITIONS["cervical_screened_35_64_5y"][0]
    assert "2年" in MEASURE_DEFINITIONS["breast_screened_35_64_2y"][0]
    assert set(SCREENING_POPULATION_MEASURES.values()) <= set(template_headers("zh"))


def test_design_spellings_are_read_as_aliases():
    assert canonical_column("cervical_screened_interval") == "cervical_screened_35_64_5y"
    assert canonical_column("breast_screened_interval") == "breast_screened_35_64_2y"
    assert canonical_column("35～64岁妇女数") == "women_35_64"


def test_a_file_in_chinese_headers_gives_the_population_screening_rates(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame(
        [
            {
                "行政区划代码": "990101",
                "地区": "甲县",
                "上级代码": "",
                "级别": "县区级",
                "年份": 2024,
                "活产数": 1000,
                "35-64岁妇女数": 20000,
                "35-64岁妇女近5年宫颈癌筛查人数": 11000,
                "35-64岁妇女近2年乳腺癌筛查人数": 9000,
            }
        ]
    ).to_csv(path, index=False)
    table = compute_indicators(load_counts(path).counts, aggregate=False).set_index("indicator")
    assert table.loc["cervical_screening_rate", "value"] == pytest.approx(55.0, abs=1e-9)
    assert table.loc["breast_screening_rate", "value"] == pytest.approx(45.0, abs=1e-9)


def test_validate_names_the_absent_counts_in_chinese(tmp_path, capsys):
    from mchanalysis.cli import main

    path = tmp_path / "c.csv"
    pd.DataFrame(
        [
            {
                "行政区划代码": "990101",
                "地区": "甲县",
                "上级代码": "",
                "级别": "县区级",
                "年份": 2024,
                "活产数": 1000,
            }
        ]
    ).to_csv(path, index=False)
    assert main(["validate", "--lang", "zh", str(path)]) == 0
    out = capsys.readouterr().out
    for m in SCREENING_POPULATION_MEASURES:
        assert m not in out, m
        assert ALL_MEASURES[m] in out, m
