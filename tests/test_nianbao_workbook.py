"""The 年报 as exported (issue 16): title and 统计时段 lines above the header, merged two-row
headers, a 合计 row, -2 cells, 卫统41 and 卫统42 on two sheets joined by region and year.

The workbooks are built here with openpyxl, laid out as the direct-reporting system exports them;
the same numbers written as one flat table must give the same counts and indicators."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from mchanalysis.errors import MchError
from mchanalysis.indicators import compute_indicators
from mchanalysis.io import read_raw
from mchanalysis.nianbao_workbook import is_exported_workbook
from mchanalysis.validation import load_counts

PERIOD = "2023年10月1日至2024年9月30日"

# region rows: code, name, parent, level
REGIONS = [
    ("990100", "示例市", "", "地市级"),
    ("990101", "甲县", "990100", "县区级"),
    ("990102", "乙县", "990100", "县区级"),
    ("990103", "丙县", "990100", "县区级"),
]
# 卫统41 numbers per county: live births by sex (男, 女, 性别不明), deliveries by 户籍 / 非户籍,
# 围产儿数, 死胎死产, 早期新生儿死亡, 围产儿死亡, 孕产妇死亡, 新生儿死亡, 婴儿死亡, HIV tested
W41 = {
    "990101": dict(
        lb=(620, 590, 0), dl=(1150, 45), peri=1218, sb=6, enn=3, pd=9, md=0, nn=4, inf=6, hiv=1190
    ),
    "990102": dict(lb=(410, 395, 1), dl=(790, 10), peri=810, sb=4, enn=1, pd=5, md=1, nn=2, inf=3, hiv=-2),
    "990103": dict(
        lb=(1010, 960, 2), dl=(1920, 40), peri=1979, sb=7, enn=5, pd=12, md=0, nn=6, inf=9, hiv=1950
    ),
}
# 卫统42 per county: 活产数 (again), 5岁以下儿童死亡数, weighed, underweight, 0-6 eye checked, 7岁以下儿童数
W42 = {
    "990101": dict(u5d=8, weighed=5200, uw=61, eye=6400, u7=7000),
    "990102": dict(u5d=4, weighed=3300, uw=-2, eye=3900, u7=4200),
    "990103": dict(u5d=11, weighed=8100, uw=97, eye=9800, u7=10500),
}


def _sum(key, part=None):
    return sum((v[key][part] if part is not None else v[key]) for v in {**W41, **W42}.values() if key in v)


def _write_41(ws, *, broken_part=False, broken_total=False):
    ws.title = "卫统41"
    ws["A1"] = "2024年孕产妇保健和健康情况年报表（卫统41表）"
    ws.merge_cells("A1:T1")
    ws["A2"] = "填报单位：示例市卫生健康委员会"
    ws["H2"] = f"统计时段：{PERIOD}"
    singles = {"A": "行政区划代码", "B": "地区", "C": "上级代码", "D": "级别"}
    for col, text in singles.items():
        ws[f"{col}3"] = text
        ws.merge_cells(f"{col}3:{col}4")
    ws["E3"] = "活产数"
    ws.merge_cells("E3:H3")
    for col, text in zip("EFGH", ("合计", "男", "女", "性别不明")):
        ws[f"{col}4"] = text
    ws["I3"] = "产妇数"
    ws.merge_cells("I3:K3")
    for col, text in zip("IJK", ("合计", "户籍", "非户籍")):
        ws[f"{col}4"] = text
    for col, text in zip(
        "LMNOP", ("围产儿数", "死胎死产数", "早期新生儿死亡数", "围产儿死亡数", "孕产妇死亡数")
    ):
        ws[f"{col}3"] = text
        ws.merge_cells(f"{col}3:{col}4")
    ws["Q3"] = "新生儿"  # a group header over 死亡数: 新生儿死亡数
    ws["Q4"] = "死亡数"
    ws["R3"] = "婴儿"
    ws["R4"] = "死亡数"
    ws["S3"] = "孕产妇艾滋病检测人数"
    ws.merge_cells("S3:S4")
    row = 5
    for code, name, parent, level in REGIONS:
        for col, v in zip("ABCD", (code, name, parent, level)):
            ws[f"{col}{row}"] = v
        if code in W41:
            d = W41[code]
            lb = list(d["lb"])
            total = sum(lb) + (1 if broken_part and code == "990102" else 0)
            values = [
                total,
                *lb,
                sum(d["dl"]),
                *d["dl"],
                d["peri"],
                d["sb"],
                d["enn"],
                d["pd"],
                d["md"],
                d["nn"],
                d["inf"],
                d["hiv"],
            ]
            for col, v in zip("EFGHIJKLMNOPQRS", values):
                ws[f"{col}{row}"] = v
        row += 1
    ws[f"B{row}"] = "合计"
    totals = {
        "E": sum(sum(d["lb"]) for d in W41.values()),
        "L": sum(d["peri"] for d in W41.values()),
        "P": sum(d["md"] for d in W41.values()),
        "S": 1190 + 1950,
    }
    if broken_total:
        totals["L"] += 10
    for col, v in totals.items():
        ws[f"{col}{row}"] = v
    ws[f"A{row + 2}"] = "单位负责人：        填表人：        报出日期：2024年10月15日"
    return row  # the 合计 row


def _write_42(
    ws, *, order=("990103", "990101", "990102"), extra_region=False, live_births_off=False, bad_cell=False
):
    ws.title = "卫统42"
    ws["A1"] = "2024年七岁以下儿童保健和健康情况年报表（卫统42表）"
    ws["A2"] = f"填报单位：示例市卫生健康委员会    统计时段：{PERIOD}"
    ws.append(
        [
            "行政区划代码",
            "地区",
            "活产数",
            "5岁以下儿童死亡数",
            "5岁以下儿童体重检查人数",
            "5岁以下儿童低体重人数",
            "0～6岁儿童眼保健和视力检查人数",
            "7岁以下儿童数",
        ]
    )
    codes = list(order) + (["990109"] if extra_region else [])
    rows = []
    for code in codes:
        d = W42.get(code, W42["990101"])
        lb = sum(W41.get(code, W41["990101"])["lb"]) + (5 if live_births_off and code == "990101" else 0)
        name = {c: n for c, n, _p, _l in REGIONS}.get(code, "某县")
        rows.append([code, name, lb, d["u5d"], d["weighed"], d["uw"], d["eye"], d["u7"]])
        ws.append(rows[-1])
    if bad_cell:
        ws["F6"] = "61.5"  # 990102's 低体重 on 卫统42
    # the 合计 row as the system writes it: the sum of the rows, -2 (未开展) adding nothing;
    # one column (眼保健) left empty
    total = [sum(max(r[j], 0) for r in rows) for j in range(2, 8)]
    total[4] = None
    if bad_cell:
        total[3] = None
    ws.append(["", "合计", *total])


def _workbook(path, *, instructions=True, **kw):
    wb = openpyxl.Workbook()
    k41 = {k: kw.pop(k) for k in ("broken_part", "broken_total") if k in kw}
    _write_41(wb.active, **k41)
    _write_42(wb.create_sheet(), **kw)
    if instructions:
        ws = wb.create_sheet("填表说明")
        ws["A1"] = "填表说明"
        ws["A2"] = "1. 未开展的项目填 -2。"
    wb.save(path)
    return path


def _flat(path):
    rows = []
    for code, name, parent, level in REGIONS:
        row = {"行政区划代码": code, "地区": name, "上级代码": parent, "级别": level, "年份": 2024}
        if code in W41:
            d, e = W41[code], W42[code]
            row.update(
                {
                    "活产数": sum(d["lb"]),
                    "产妇数": sum(d["dl"]),
                    "围产儿数": d["peri"],
                    "死胎死产数": d["sb"],
                    "早期新生儿死亡数": d["enn"],
                    "围产儿死亡数": d["pd"],
                    "孕产妇死亡数": d["md"],
                    "新生儿死亡数": d["nn"],
                    "婴儿死亡数": d["inf"],
                    "孕产妇艾滋病检测人数": d["hiv"],
                    "5岁以下儿童死亡数": e["u5d"],
                    "5岁以下儿童体重检查人数": e["weighed"],
                    "5岁以下儿童低体重人数": e["uw"],
                    "0～6岁儿童眼保健和视力检查人数": e["eye"],
                    "7岁以下儿童数": e["u7"],
                }
            )
        rows.append({k: str(v) for k, v in row.items()})
    pd.DataFrame(rows).fillna("").to_csv(path, index=False, encoding="utf-8")
    return path


def _errors(findings):
    return findings[findings["severity"] == "error"]


# --- the workbook reads, and reads as the flat table ------------------------------------------


def test_the_exported_workbook_validates_and_gives_the_flat_tables_indicators(tmp_path):
    book = _workbook(tmp_path / "nianbao.xlsx")
    flat = _flat(tmp_path / "flat.csv")
    a, b = load_counts(book), load_counts(flat)
    assert _errors(a.findings).empty, _errors(a.findings)[["row", "column", "message"]].to_string()
    pd.testing.assert_frame_equal(a.counts, b.counts)
    assert a.counts.attrs["not_carried_out"] == b.counts.attrs["not_carried_out"]
    ta, tb = compute_indicators(a.counts), compute_indicators(b.counts)
    pd.testing.assert_frame_equal(ta, tb)
    # the new indicators are there, computed on the region tree (the city from its counties)
    t = ta.set_index(["region_code", "indicator"])
    assert t.loc[("990100", "perinatal_mortality_rate"), "numerator"] == 9 + 5 + 12
    assert t.loc[("990100", "perinatal_mortality_rate"), "denominator"] == 1218 + 810 + 1979
    assert t.loc[("990101", "eye_vision_check_coverage_0_6"), "value"] == pytest.approx(6400 / 7000 * 100)
    assert len(a.counts) == 4  # the 合计 rows are not regions


def test_minus_two_cells_are_not_carried_out(tmp_path):
    counts = load_counts(_workbook(tmp_path / "nianbao.xlsx")).counts
    assert sorted(counts.attrs["not_carried_out"]) == [
        ("990102", 2024, "hiv_tested"),
        ("990102", 2024, "under5_underweight"),
    ]
    table = compute_indicators(counts).set_index(["region_code", "indicator"])
    for ind in ("pregnant_hiv_testing_rate", "u5_underweight_prevalence"):
        row = table.loc[("990102", ind)]
        assert np.isnan(row["value"]) and row["flag"] == "not_carried_out", ind


def test_what_the_reader_skipped_checked_and_joined_is_reported(tmp_path):
    raw = read_raw(_workbook(tmp_path / "nianbao.xlsx"))
    book = raw.attrs["workbook"]
    assert book.period == PERIOD  # 统计时段 kept as the period
    assert book.unit == "示例市卫生健康委员会"
    assert [s.sheet for s in book.sheets] == ["卫统41", "卫统42"]
    assert book.sheets[0].header_rows == (3, 4) and book.sheets[1].header_rows == (3,)
    text = "\n".join(book.notes)
    assert "'卫统41', row 1: title line" in text and "'卫统41', row 2: title line" in text
    assert "'卫统41', row 9: 合计 row, not a region" in text
    assert "'卫统41', row 11: footer line" in text
    assert "活产数: 男/女/性别不明 checked against 合计 in 3 row(s)" in text
    assert "产妇数: 户籍/非户籍 checked" in text
    assert "sheet '卫统42' joined to sheet '卫统41' on 行政区划代码 and 年份: 3 row(s)" in text
    assert "'填表说明': no table header" in text
    assert "year 2024 taken from the 统计时段" in text
    # the rows point at the sheet: 甲县 is row 6 of 卫统41
    assert raw.set_index("行政区划代码").loc["990101", "_row"] == 6
    # the parts are not columns; the group headers gave 新生儿死亡数 and 婴儿死亡数
    assert "男" not in "".join(raw.columns) and {"新生儿死亡数", "婴儿死亡数", "产妇数"} <= set(raw.columns)


def test_validate_prints_what_the_reader_did(tmp_path, capsys):
    from mchanalysis.cli import main

    assert main(["validate", str(_workbook(tmp_path / "nianbao.xlsx"))]) == 0
    out = capsys.readouterr().out
    assert "合计 row, not a region" in out and "joined to sheet '卫统41'" in out and PERIOD in out


def test_one_sheet_named_is_read_alone(tmp_path):
    raw = read_raw(_workbook(tmp_path / "nianbao.xlsx"), sheet="卫统42")
    assert "孕产妇死亡数" not in raw.columns and "5岁以下儿童低体重人数" in raw.columns
    assert list(raw["行政区划代码"]) == ["990103", "990101", "990102"]


def test_a_flat_workbook_takes_the_old_path(tmp_path):
    path = tmp_path / "flat.xlsx"
    pd.read_csv(_flat(tmp_path / "flat.csv"), dtype=str, keep_default_na=False).to_excel(path, index=False)
    assert not is_exported_workbook(path)
    assert "workbook" not in read_raw(path).attrs


def test_a_csv_with_title_lines_reads(tmp_path):
    flat = _flat(tmp_path / "flat.csv")
    text = flat.read_text(encoding="utf-8")
    titled = tmp_path / "titled.csv"
    titled.write_text(
        "2024年孕产妇保健和健康情况年报表（卫统41表）\n"
        f"填报单位：示例市卫生健康委员会,统计时段：{PERIOD}\n" + text,
        encoding="utf-8",
    )
    a, b = load_counts(titled), load_counts(flat)
    pd.testing.assert_frame_equal(a.counts, b.counts)
    raw = read_raw(titled)
    assert raw.attrs["workbook"].period == PERIOD and raw["_row"].iloc[0] == 4


# --- errors name file, sheet, row, column and reason --------------------------------------------


def _raises(path, **kw) -> MchError:
    with pytest.raises(MchError) as info:
        read_raw(path, **kw)
    return info.value


def test_parts_not_adding_up_to_their_total(tmp_path):
    err = _raises(_workbook(tmp_path / "b.xlsx", broken_part=True))
    assert "sheet '卫统41'" in err.file and err.row == 7 and err.column == "活产数"
    assert "男 410 + 女 395 + 性别不明 1 = 806, 合计 807" in err.message


def test_a_total_row_not_the_sum_of_its_rows(tmp_path):
    err = _raises(_workbook(tmp_path / "b.xlsx", broken_total=True))
    assert "sheet '卫统41'" in err.file and err.row == 9 and err.column == "围产儿数"
    assert "合计 row gives 4,017" in err.message and "add up to 4,007" in err.message


def test_a_region_on_the_second_sheet_only(tmp_path):
    err = _raises(_workbook(tmp_path / "b.xlsx", extra_region=True))
    assert "sheet '卫统42'" in err.file and err.row == 7 and err.column == "行政区划代码"
    assert "990109" in err.message and "not on sheet '卫统41'" in err.message


def test_a_measure_on_two_sheets_must_agree(tmp_path):
    err = _raises(_workbook(tmp_path / "b.xlsx", live_births_off=True))
    assert "sheet '卫统42'" in err.file and err.row == 5 and err.column == "活产数"
    assert "'1215'" in err.message and "'1210'" in err.message and "row 6" in err.message


def test_parts_without_a_total_column(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年孕产妇保健和健康情况年报表（卫统41表）"])
    ws.append(["行政区划代码", "地区", "上级代码", "级别", "年份", "活产数", None])
    ws.append([None, None, None, None, None, "男", "女"])
    for col in "ABCDE":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("F2:G2")
    ws.append(["990101", "甲县", "", "县区级", 2024, 600, 590])
    wb.save(tmp_path / "p.xlsx")
    err = _raises(tmp_path / "p.xlsx")
    assert err.row == 3 and err.column == "活产数" and "no 合计 column" in err.message


def test_no_year_anywhere(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "卫统41"
    ws.append(["孕产妇保健和健康情况年报表"])
    ws.append(["行政区划代码", "地区", "上级代码", "级别", "活产数"])
    ws.append(["990101", "甲县", "", "县区级", 1000])
    wb.save(tmp_path / "y.xlsx")
    err = _raises(tmp_path / "y.xlsx")
    assert "sheet '卫统41'" in err.file and "no 年份 column" in err.message


def test_a_year_column_against_the_period(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "卫统41"
    ws.append([f"统计时段：{PERIOD}"])
    ws.append(["行政区划代码", "地区", "上级代码", "级别", "年份", "活产数"])
    ws.append(["990101", "甲县", "", "县区级", 2023, 1000])
    wb.save(tmp_path / "y.xlsx")
    err = _raises(tmp_path / "y.xlsx")
    assert err.row == 3 and err.column == "年份" and "ends in 2024" in err.message


def test_a_bad_cell_on_the_second_sheet_is_named_on_its_own_sheet_and_row(tmp_path):
    err = _raises(_workbook(tmp_path / "b.xlsx", bad_cell=True))
    assert "sheet '卫统42'" in err.file and err.row == 6 and err.column == "5岁以下儿童低体重人数"
    assert "61.5" in err.message


def test_a_total_row_per_year_in_a_flat_file(tmp_path):
    path = tmp_path / "years.csv"
    path.write_text(
        "行政区划代码,地区,上级代码,级别,年份,活产数\n"
        "990101,甲县,,县区级,2023,1000\n990102,乙县,,县区级,2023,800\n,合计,,,2023,1800\n"
        "990101,甲县,,县区级,2024,900\n990102,乙县,,县区级,2024,700\n,合计,,,2024,1600\n",
        encoding="utf-8",
    )
    counts = load_counts(path).counts
    assert len(counts) == 4 and set(counts["region_code"]) == {"990101", "990102"}
    bad = tmp_path / "bad.csv"
    bad.write_text(path.read_text(encoding="utf-8").replace(",2024,1600", ",2024,1700"), encoding="utf-8")
    err = _raises(bad)
    assert err.row == 7 and err.column == "活产数" and "1,700" in err.message and "1,600" in err.message
