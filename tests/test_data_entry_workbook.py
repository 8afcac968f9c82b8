"""The XLSX data-entry template: headers, instructions, cell formats and validation; a filled
template validates."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from mchanalysis.cli import main
from mchanalysis.data_entry_workbook import template_headers, write_template
from mchanalysis.errors import MchError
from mchanalysis.schema import ALL_MEASURES, ID_COLUMNS
from mchanalysis.validation import load_counts


@pytest.fixture(scope="module")
def template_zh(tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "模板.xlsx"
    assert main(["template", "--out", str(path)]) == 0
    return path


def test_data_sheet_comes_first_with_the_chinese_headers_of_the_design(template_zh):
    wb = openpyxl.load_workbook(template_zh)
    assert wb.sheetnames == ["数据", "说明"]
    header = [c.value for c in wb["数据"][1]]
    assert header[:5] == ["行政区划代码", "地区", "上级代码", "级别", "年份"]
    assert header[5:] == list(ALL_MEASURES.values())
    assert header == template_headers("zh")


def test_instructions_explain_every_column_and_the_rules(template_zh):
    ws = openpyxl.load_workbook(template_zh)["说明"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "空白 = 未报告" in text and "每个地区每年一行" in text and "文本" in text
    ids = {row[1].value for row in ws.iter_rows()}
    assert set(ID_COLUMNS) | set(ALL_MEASURES) <= ids


def test_codes_are_text_cells_and_counts_are_validated(template_zh):
    ws = openpyxl.load_workbook(template_zh)["数据"]
    assert ws["A2"].number_format == "@" and ws["C500"].number_format == "@"
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    level = rules["D2:D2001"]
    assert level.type == "list" and level.formula1 == '"省级,地市级,县区级"'
    year = rules["E2:E2001"]
    assert year.type == "whole" and (year.formula1, year.formula2) == ("1949", "2100")
    last = openpyxl.utils.get_column_letter(5 + len(ALL_MEASURES))
    counts = rules[f"F2:{last}2001"]
    assert counts.type == "whole" and counts.operator == "greaterThanOrEqual" and counts.formula1 == "0"
    assert counts.allow_blank


def test_a_filled_template_validates(template_zh, tmp_path):
    wb = openpyxl.load_workbook(template_zh)
    ws = wb["数据"]
    col = {name: i for i, name in enumerate(template_headers("zh"), start=1)}
    rows = [
        ("010000", "样例省", None, "省级", 2024, {"活产数": 1500, "婴儿死亡数": 6, "新生儿死亡数": 3}),
        ("010100", "样例市", "010000", "地市级", 2024, {}),  # a parent's counts may be empty
        (
            "010101",
            "东城区",
            "010100",
            "县区级",
            2024,
            {"活产数": 800, "婴儿死亡数": 4, "新生儿死亡数": 2, "产前筛查人数": 0},
        ),
        ("010102", "西山县", "010100", "县区级", 2024, {"活产数": 700, "婴儿死亡数": 2, "新生儿死亡数": 1}),
    ]
    for r, (code, name, parent, level, year, measures) in enumerate(rows, start=2):
        for header, value in (
            ("行政区划代码", code),
            ("地区", name),
            ("上级代码", parent),
            ("级别", level),
            ("年份", year),
            *measures.items(),
        ):
            ws.cell(row=r, column=col[header], value=value)
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)

    result = load_counts(filled)  # raises on any error
    counts = result.counts.set_index("region_code")
    assert list(counts.index) == ["010000", "010100", "010101", "010102"]
    assert counts.loc["010101", "level"] == "county" and counts.loc["010100", "parent_code"] == "010000"
    assert counts.loc["010101", "live_births"] == 800
    assert counts.loc["010101", "prenatal_screened"] == 0  # a typed 0 stays 0
    assert counts.loc["010102", "prenatal_screened"] is pd.NA  # empty stays not reported
    assert counts.loc["010100", "live_births"] is pd.NA
    assert main(["validate", str(filled)]) == 0


def test_english_template_uses_ids_and_validates_when_filled(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(path, lang="en", rows=20)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["data", "instructions"]
    ws = wb["data"]
    assert [c.value for c in ws[1]] == [*ID_COLUMNS, *ALL_MEASURES]
    ws.append(["990000", "Demo", None, "province", 2024, 100])
    wb.save(path)
    assert load_counts(path).counts.loc[0, "live_births"] == 100


def test_template_refuses_other_suffixes_and_languages(tmp_path, capsys):
    with pytest.raises(MchError, match=r"\.xlsx"):
        write_template(tmp_path / "t.csv")
    with pytest.raises(MchError, match="language"):
        write_template(tmp_path / "t.xlsx", lang="fr")
    assert main(["template", "--out", str(tmp_path / "t.csv")]) == 1
    assert ".xlsx" in capsys.readouterr().err
