"""Write the fixture files of tests/data/io/ from the one table below (run once; committed).

    /work/main/.venv/bin/python tests/data/io/make_fixtures.py

The same small table of fictional regions (codes with a leading zero: 010000 ...) is written as
a GBK-encoded CSV with Chinese headers, a UTF-8-with-BOM CSV with English ids, an XLSX workbook
(codes as text cells, counts as numbers; a second sheet so that --sheet is exercised), a Parquet
file with typed columns (codes string, year int64, counts nullable int64) and a long-form CSV
mixing Chinese measure names and ids. Empty cells are NA (not reported).
"""

import csv
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent

IDS = ["region_code", "region_name", "parent_code", "level", "year"]
ZH_IDS = ["行政区划代码", "地区", "上级代码", "级别", "年份"]
MEASURES = [
    "live_births",
    "deliveries",
    "maternal_deaths",
    "infant_deaths",
    "neonatal_deaths",
    "under5_deaths",
    "prenatal_screened",
]
ZH_MEASURES = [
    "活产数",
    "产妇数",
    "孕产妇死亡数",
    "婴儿死亡数",
    "新生儿死亡数",
    "5岁以下儿童死亡数",
    "产前筛查人数",
]
ZH_LEVEL = {"province": "省级", "prefecture": "地市级", "county": "县区级"}
# region_code, name, parent, level, year, then the measures (None = not reported)
ROWS = [
    ("010000", "样例省", "", "province", 2022, None, None, None, None, None, None, None),
    ("010000", "样例省", "", "province", 2023, 1650, 1630, 1, None, None, None, 1500),
    ("010100", "样例市", "010000", "prefecture", 2022, 1710, 1690, 0, 9, 5, 12, 1600),
    ("010100", "样例市", "010000", "prefecture", 2023, 1650, 1630, 1, 8, 4, 11, 1500),
    ("010101", "东城区", "010100", "county", 2022, 912, 901, 0, 5, 3, 7, 850),
    ("010101", "东城区", "010100", "county", 2023, 870, 861, 1, 4, 2, 6, 790),
    ("010102", "西山县", "010100", "county", 2022, 798, 789, 0, 4, 2, 5, 750),
    ("010102", "西山县", "010100", "county", 2023, 780, 769, 0, 4, 2, 5, 710),
]


def text(v):
    return "" if v is None else str(v)


def write_csv(path, header, rows, encoding):
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    # GBK, Chinese headers and Chinese level names (as Excel "CSV" on Chinese Windows saves)
    zh_rows = [[*r[:3], ZH_LEVEL[r[3]], r[4], *map(text, r[5:])] for r in ROWS]
    write_csv(HERE / "counts_gbk_zh.csv", ZH_IDS + ZH_MEASURES, zh_rows, "gbk")
    # UTF-8 with BOM, English ids
    write_csv(HERE / "counts_utf8bom_en.csv", IDS + MEASURES, [list(map(text, r)) for r in ROWS], "utf-8-sig")
    # XLSX: first sheet is notes, data on sheet "数据" -> read with sheet="数据"; a second
    # workbook with the data on the first sheet
    for name, notes_first in (("counts_sheet.xlsx", True), ("counts.xlsx", False)):
        wb = openpyxl.Workbook()
        ws = wb.active
        if notes_first:
            ws.title = "说明"
            ws.append(["这一页不是数据"])
            ws = wb.create_sheet("数据")
        else:
            ws.title = "数据"
        ws.append(ZH_IDS + ZH_MEASURES)
        for r in ROWS:
            ws.append([r[0], r[1], r[2] or None, ZH_LEVEL[r[3]], r[4], *r[5:]])
        for row in ws.iter_rows(min_row=2, max_col=3):
            for cell in row:
                cell.number_format = "@"
        wb.save(HERE / name)
    # Parquet with typed columns
    cols = list(zip(*ROWS))
    table = pa.table(
        {
            **{c: pa.array(list(cols[i]), pa.string()) for i, c in enumerate(IDS[:4])},
            "year": pa.array(list(cols[4]), pa.int64()),
            **{m: pa.array(list(cols[5 + i]), pa.int64()) for i, m in enumerate(MEASURES)},
        }
    )
    pq.write_table(table, HERE / "counts.parquet")
    # long form: one row per region, year and reported measure; measure names alternate
    # between Chinese names and ids; a not-reported cell is either absent or an empty value
    long_rows = []
    for k, r in enumerate(ROWS):
        for j, m in enumerate(MEASURES):
            v = r[5 + j]
            if v is None and (k + j) % 2:
                continue  # absent row = not reported
            name = ZH_MEASURES[j] if (k + j) % 2 else m
            long_rows.append([r[0], r[1], r[2], r[3], r[4], name, text(v)])
    write_csv(
        HERE / "counts_long.csv",
        ["region_code", "region_name", "parent_code", "level", "year", "measure", "value"],
        long_rows,
        "utf-8",
    )


if __name__ == "__main__":
    main()
