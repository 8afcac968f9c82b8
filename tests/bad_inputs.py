"""A corpus of bad input files, and what each must get (issue 15 item 9; docs/bad_inputs.md).

Every case starts from one small valid table (:data:`HEADER`, :func:`base_rows`: a province, a
city and two districts, 2021-2023) and changes one thing: the bytes of the file, a header, a cell,
the workbook around it. :data:`CASES` says what the readers must do with it:

* ``("read_error", words, row)``: :func:`mchanalysis.io.read_raw` raises an
  :class:`~mchanalysis.errors.MchError` naming the file, whose message contains ``words``, at
  spreadsheet row ``row`` (``None``: the whole file);
* ``("error" | "warning", check, row, column)``: :func:`mchanalysis.validation.validate_counts`
  reports a finding of that check and severity at that row and column (``None`` = any);
* ``("ok", code, year, measure, value)``: read and validated without an error, and the cell
  holds exactly ``value`` (nothing silently changed); ``code=None`` only checks there is no
  error.

``python -m tests.bad_inputs`` prints the table as Markdown (the body of docs/bad_inputs.md).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HEADER = [
    "行政区划代码",
    "地区",
    "上级代码",
    "级别",
    "年份",
    "活产数",
    "孕产妇死亡数",
    "婴儿死亡数",
    "早孕建册人数",
]
YEARS = (2021, 2022, 2023)
REGIONS = [
    ("990000", "样例省", "", "省级", None),
    ("990100", "样例市", "990000", "地市级", None),
    ("990101", "东城区", "990100", "县区级", 5600),
    ("990102", "西城区", "990100", "县区级", 4100),
]


def base_rows() -> list[list[str]]:
    """Header, then one row per region and year (spreadsheet rows 2-13, region by region)."""
    rows = [list(HEADER)]
    for code, name, parent, level, births in REGIONS:
        for k, year in enumerate(YEARS):
            if births is None:
                rows.append([code, name, parent, level, str(year), "", "", "", ""])
            else:
                lb = births - 50 * k
                rows.append(
                    [
                        code,
                        name,
                        parent,
                        level,
                        str(year),
                        str(lb),
                        str(k % 2),
                        str(round(births * 0.004)),
                        str(round(lb * (0.94 + 0.01 * k))),
                    ]
                )
    return rows


def row_of(code: str, year: int) -> int:
    """Spreadsheet row of a region-year in :func:`base_rows` (header = 1)."""
    i = [r[0] for r in REGIONS].index(code)
    return 2 + 3 * i + YEARS.index(year)


def edit(rows, code, year, column, text):
    rows = [list(r) for r in rows]
    rows[row_of(code, year) - 1][HEADER.index(column) if column in HEADER else rows[0].index(column)] = text
    return rows


def csv_bytes(rows, encoding="utf-8", sep=",", newline="\r\n") -> bytes:
    import csv

    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator=newline).writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows, *, hidden_first=False, numbers=True, first_row_blank=False, formula=None) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if hidden_first:
        ws.title = "2019版(作废)"
        ws.append(["行政区划代码", "地区", "上级代码", "级别", "年份", "活产数"])
        ws.append(["990101", "东城区", "990100", "县区级", "2021", 9999])
        ws.sheet_state = "hidden"
        ws = wb.create_sheet("2023版")
        wb.active = 1
    if first_row_blank:
        ws.append([])
    for r, row in enumerate(rows):
        out = []
        for c, v in enumerate(row):
            if numbers and r > 0 and c >= 5 and v.isascii() and v.isdigit():
                out.append(int(v))
            else:
                out.append(v)
        ws.append(out)
    if formula:
        ws[formula[0]] = formula[1]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def parquet_bytes(columns: dict) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table(columns), buf)
    return buf.getvalue()


def parquet_of(rows, *, overrides=None) -> bytes:
    cols = {}
    for c, name in enumerate(rows[0]):
        values = [r[c] for r in rows[1:]]
        if c >= 5:
            values = [None if v == "" else int(v) for v in values]
        elif c == 4:
            values = [int(v) for v in values]
        cols[name] = values
    for name, values in (overrides or {}).items():
        cols[name] = values
    return parquet_bytes(cols)


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    what: str
    suffix: str
    make: Callable[[], bytes]
    expect: tuple


def _c(id, kind, what, make, expect, suffix=".csv"):
    return Case(id, kind, what, suffix, make, expect)


B = base_rows
E1 = ("990101", 2022)  # the record most cases change: 东城区 2022
R = row_of("990101", 2022)  # its spreadsheet row (9)
LB, MD, ID, ER = "活产数", "孕产妇死亡数", "婴儿死亡数", "早孕建册人数"


def _mixed() -> bytes:
    rows = B()
    head = csv_bytes(rows[:8], "gbk")
    tail = csv_bytes(rows[8:], "utf-8")
    return head + tail


def _dup_row():
    rows = B()
    return csv_bytes(rows + [rows[R - 1]])


CASES: list[Case] = [
    # --- encodings ---------------------------------------------------------------------------
    _c("utf8", "encoding", "UTF-8 CSV", lambda: csv_bytes(B()), ("ok", "990101", 2022, "live_births", 5550)),
    _c(
        "utf8_bom",
        "encoding",
        "UTF-8 with byte-order mark (Excel 'CSV UTF-8')",
        lambda: b"\xef\xbb\xbf" + csv_bytes(B()),
        ("ok", "990101", 2022, "live_births", 5550),
    ),
    _c(
        "gbk",
        "encoding",
        "GBK CSV (Excel on Chinese Windows)",
        lambda: csv_bytes(B(), "gbk"),
        ("ok", "990101", 2022, "live_births", 5550),
    ),
    _c(
        "gb18030",
        "encoding",
        "GB18030 CSV with a four-byte character in a name",
        lambda: csv_bytes([r if r[0] != "990101" else [r[0], "㐀城区", *r[2:]] for r in B()], "gb18030"),
        ("ok", "990101", 2022, "live_births", 5550),
    ),
    _c(
        "utf8_lf",
        "encoding",
        "UTF-8, LF line ends",
        lambda: csv_bytes(B(), newline="\n"),
        ("ok", "990102", 2023, "infant_deaths", 16),
    ),
    _c(
        "big5",
        "encoding",
        "Big5 (traditional Chinese) CSV",
        lambda: csv_bytes(
            [
                ["行政區劃代碼", "地區", "上級代碼", "級別", "年份", "活產數"],
                ["990101", "東城區", "", "縣區級", "2021", "5600"],
                ["990102", "西城區", "", "縣區級", "2021", "4100"],
            ],
            "big5",
        ),
        ("read_error", "Big5", 1),
    ),
    _c(
        "latin1",
        "encoding",
        "Latin-1 CSV with an accented name (Zürich)",
        lambda: csv_bytes(
            [
                ["region_code", "region_name", "parent_code", "level", "year", "live_births"],
                ["990101", "Zürich", "", "county", "2021", "5600"],
            ],
            "latin-1",
        ),
        ("read_error", "Latin-1", 2),
    ),
    _c(
        "mixed",
        "encoding",
        "GBK rows and UTF-8 rows pasted into one file",
        _mixed,
        ("read_error", "mixes two encodings", 9),
    ),
    _c(
        "mojibake",
        "encoding",
        "UTF-8 text converted through Windows-1252 (æ´»äº§æ•°)",
        lambda: csv_bytes(edit(B(), "990101", 2021, "地区", "东城区".encode().decode("cp1252", "replace"))),
        ("read_error", "mojibake", R - 1),
    ),
    _c(
        "replacement_char",
        "encoding",
        "U+FFFD left by an earlier conversion",
        lambda: csv_bytes(edit(B(), "990102", 2021, "地区", "西\ufffd区")),
        ("read_error", "lost", row_of("990102", 2021)),
    ),
    _c(
        "kun_jin_kao",
        "encoding",
        "锟斤拷 (U+FFFD written as UTF-8, read as GBK)",
        lambda: csv_bytes(edit(B(), "990102", 2021, "地区", "锟斤拷区"), "gbk"),
        ("read_error", "lost", row_of("990102", 2021)),
    ),
    _c(
        "utf16",
        "encoding",
        "UTF-16 CSV",
        lambda: csv_bytes(B(), "utf-16"),
        ("read_error", "neither UTF-8 nor GBK", None),
    ),
    _c(
        "binary",
        "encoding",
        "binary bytes named .csv",
        lambda: bytes(range(256)) * 4,
        ("read_error", "neither UTF-8 nor GBK", None),
    ),
    _c("empty_file", "encoding", "an empty file", lambda: b"", ("read_error", "empty", None)),
    _c(
        "tsv",
        "encoding",
        "tab-separated file",
        lambda: csv_bytes(B(), sep="\t"),
        ("ok", "990101", 2022, "live_births", 5550),
        ".tsv",
    ),
    # --- values --------------------------------------------------------------------------------
    _c(
        "circled_digit",
        "value",
        "footnote mark ① after a count (6266①)",
        lambda: csv_bytes(edit(B(), *E1, LB, "5550①")),
        ("error", "footnote_mark", R, LB),
    ),
    _c(
        "circled_digit_deaths",
        "value",
        "footnote mark ② after a death count (1②)",
        lambda: csv_bytes(edit(B(), *E1, MD, "1②")),
        ("error", "footnote_mark", R, MD),
    ),
    _c(
        "superscript",
        "value",
        "superscript digit (12²)",
        lambda: csv_bytes(edit(B(), *E1, ID, "22²")),
        ("error", "footnote_mark", R, ID),
    ),
    _c(
        "asterisk",
        "value",
        "asterisk footnote (5550*)",
        lambda: csv_bytes(edit(B(), *E1, LB, "5550*")),
        ("error", "non_numeric", R, LB),
    ),
    _c(
        "dagger",
        "value",
        "dagger footnote (5550†)",
        lambda: csv_bytes(edit(B(), *E1, LB, "5550†")),
        ("error", "footnote_mark", R, LB),
    ),
    _c(
        "arabic_digits_count",
        "value",
        "Arabic-Indic digits in a count (٥٥٥٠)",
        lambda: csv_bytes(edit(B(), *E1, LB, "٥٥٥٠")),
        ("error", "non_ascii_digit", R, LB),
    ),
    _c(
        "fullwidth_digits",
        "value",
        "full-width digits (５５５０), normalised",
        lambda: csv_bytes(edit(B(), *E1, LB, "５５５０")),
        ("ok", "990101", 2022, "live_births", 5550),
    ),
    _c(
        "thousands",
        "value",
        "thousands separator (5,550)",
        lambda: csv_bytes(edit(B(), *E1, LB, "5,550")),
        ("ok", "990101", 2022, "live_births", 5550),
    ),
    _c(
        "bad_comma",
        "value",
        "comma not in groups of three (55,50)",
        lambda: csv_bytes(edit(B(), *E1, LB, "55,50")),
        ("error", "non_numeric", R, LB),
    ),
    _c(
        "fraction",
        "value",
        "fractional count (12.5)",
        lambda: csv_bytes(edit(B(), *E1, ID, "12.5")),
        ("error", "non_integer", R, ID),
    ),
    _c(
        "zero_fraction",
        "value",
        "whole number written 22.0",
        lambda: csv_bytes(edit(B(), *E1, ID, "22.0")),
        ("ok", "990101", 2022, "infant_deaths", 22),
    ),
    # (-2 is the 年报 code for 未开展, read as not carried out: the negative count here is -3)
    _c(
        "negative",
        "value",
        "negative count",
        lambda: csv_bytes(edit(B(), *E1, ID, "-3")),
        ("error", "negative", R, ID),
    ),
    _c(
        "dash",
        "value",
        "placeholder '-' for not reported",
        lambda: csv_bytes(edit(B(), *E1, ID, "-")),
        ("error", "non_numeric", R, ID),
    ),
    _c(
        "wu",
        "value",
        "placeholder 无",
        lambda: csv_bytes(edit(B(), *E1, ID, "无")),
        ("error", "non_numeric", R, ID),
    ),
    _c(
        "exponent",
        "value",
        "scientific notation (5.55e3)",
        lambda: csv_bytes(edit(B(), *E1, LB, "5.55e3")),
        ("error", "non_numeric", R, LB),
    ),
    _c(
        "percent",
        "value",
        "a percentage in a count cell (94%)",
        lambda: csv_bytes(edit(B(), *E1, ER, "94%")),
        ("error", "non_numeric", R, ER),
    ),
    _c(
        "huge",
        "value",
        "count above 10^9",
        lambda: csv_bytes(edit(B(), *E1, LB, "5550000000")),
        ("error", "implausible_count", R, LB),
    ),
    _c(
        "int64_max",
        "value",
        "count at the int64 limit",
        lambda: csv_bytes(edit(B(), *E1, LB, "9223372036854775807")),
        ("error", "implausible_count", R, LB),
    ),
    _c(
        "inner_space",
        "value",
        "space inside a number (5 550)",
        lambda: csv_bytes(edit(B(), *E1, LB, "5 550")),
        ("error", "non_numeric", R, LB),
    ),
    _c(
        "nbsp_around",
        "value",
        "no-break spaces around a number, normalised",
        lambda: csv_bytes(edit(B(), *E1, LB, "\u00a05550\u00a0")),
        ("ok", "990101", 2022, "live_births", 5550),
    ),
    _c(
        "control_in_count",
        "value",
        "control character in a count",
        lambda: csv_bytes(edit(B(), *E1, LB, "5550\x01")),
        ("error", "control_character", R, LB),
    ),
    _c(
        "deaths_above_births",
        "value",
        "deaths above live births",
        lambda: csv_bytes(edit(B(), *E1, ID, "6000")),
        ("error", "impossible_numerator", R, ID),
    ),
    _c(
        "over_100",
        "value",
        "coverage numerator above its denominator",
        lambda: csv_bytes(edit(B(), *E1, ER, "5600")),
        ("warning", "over_100", R, ER),
    ),
    _c(
        "rate_as_count",
        "entry error",
        "a percentage typed as a count (早孕建册人数 = 95)",
        lambda: csv_bytes(edit(B(), *E1, ER, "95")),
        ("warning", "rate_typed_as_count", R, ER),
    ),
    _c(
        "extra_digit",
        "entry error",
        "live births with an extra 0 (55500)",
        lambda: csv_bytes(edit(B(), *E1, LB, "55500")),
        ("warning", "digit_jump", R, LB),
    ),
    _c(
        "dropped_digit",
        "entry error",
        "live births with a digit dropped (555)",
        lambda: csv_bytes(edit(B(), *E1, LB, "555")),
        ("warning", "digit_jump", R, LB),
    ),
    _c(
        "above_parent",
        "entry error",
        "a district above its city's own total",
        lambda: csv_bytes(edit(B(), "990100", 2022, LB, "5000")),
        ("warning", "exceeds_parent_total", R, LB),
    ),
    _c(
        "parent_total_1",
        "value",
        "a city's own live births = 1, its deaths left to the districts",
        lambda: csv_bytes(edit(B(), "990100", 2022, LB, "1")),
        ("error", "impossible_after_aggregation", row_of("990100", 2022), LB),
    ),
    _c(
        "parent_total_differs",
        "value",
        "a city's own live births differ from its districts' sum",
        lambda: csv_bytes(edit(B(), "990100", 2022, LB, "9700")),
        ("warning", "parent_children_mismatch", row_of("990100", 2022), LB),
    ),
    # --- identity columns ----------------------------------------------------------------------
    _c(
        "code_5_digits",
        "identity",
        "region code that lost its leading digit (99101)",
        lambda: csv_bytes(edit(B(), *E1, "行政区划代码", "99101")),
        ("error", "region_code_format", R, "行政区划代码"),
    ),
    _c(
        "code_arabic",
        "identity",
        "region code in Arabic-Indic digits (٩٩٠١٠١)",
        lambda: csv_bytes(edit(B(), *E1, "行政区划代码", "٩٩٠١٠١")),
        ("error", "region_code_format", R, "行政区划代码"),
    ),
    _c(
        "code_fullwidth",
        "identity",
        "region code in full-width digits, normalised",
        lambda: csv_bytes([r if i != R - 1 else ["９９０１０１", *r[1:]] for i, r in enumerate(B())]),
        ("ok", "990101", 2022, "live_births", 5550),
    ),
    _c(
        "parent_unknown",
        "identity",
        "parent code that is not a region of the file",
        lambda: csv_bytes([r if r[0] != "990102" else [r[0], r[1], "990199", *r[3:]] for r in B()]),
        ("error", "unknown_parent", row_of("990102", 2021), "上级代码"),
    ),
    _c(
        "parent_arabic",
        "identity",
        "parent code in Arabic-Indic digits",
        lambda: csv_bytes(edit(B(), *E1, "上级代码", "٩٩٠١٠٠")),
        ("error", "parent_code_format", R, "上级代码"),
    ),
    _c(
        "level_unknown",
        "identity",
        "level 乡镇",
        lambda: csv_bytes(edit(B(), *E1, "级别", "乡镇")),
        ("error", "level_unknown", R, "级别"),
    ),
    _c(
        "level_order",
        "identity",
        "a province below a city",
        lambda: csv_bytes([r if r[0] != "990101" else [r[0], r[1], r[2], "省级", *r[4:]] for r in B()]),
        ("error", "level_order", row_of("990101", 2021), "上级代码"),
    ),
    _c(
        "year_text",
        "identity",
        "year written 2022年",
        lambda: csv_bytes(edit(B(), *E1, "年份", "2022年")),
        ("error", "year_invalid", R, "年份"),
    ),
    _c(
        "year_range",
        "identity",
        "year 1900",
        lambda: csv_bytes(edit(B(), *E1, "年份", "1900")),
        ("error", "year_range", R, "年份"),
    ),
    _c(
        "year_arabic",
        "identity",
        "year in Arabic-Indic digits",
        lambda: csv_bytes(edit(B(), *E1, "年份", "٢٠٢٢")),
        ("error", "year_invalid", R, "年份"),
    ),
    _c(
        "duplicate_row",
        "identity",
        "one region-year twice",
        _dup_row,
        ("error", "duplicate_region_year", 14, "行政区划代码"),
    ),
    _c(
        "name_changes",
        "identity",
        "a region renamed in one year",
        lambda: csv_bytes(edit(B(), *E1, "地区", "东城新区")),
        ("error", "region_changes", None, "地区"),
    ),
    _c(
        "empty_name",
        "identity",
        "empty region name",
        lambda: csv_bytes(edit(B(), *E1, "地区", "")),
        ("error", "missing_value", R, "地区"),
    ),
    _c(
        "control_in_name",
        "names",
        "U+0001 in a region name",
        lambda: csv_bytes([r if r[0] != "990101" else [r[0], "东城\x01区", *r[2:]] for r in B()]),
        ("error", "control_character", row_of("990101", 2021), "地区"),
    ),
    _c(
        "ansi_in_name",
        "names",
        "ANSI escape in a region name",
        lambda: csv_bytes([r if r[0] != "990101" else [r[0], "\x1b[31m东城区\x1b[0m", *r[2:]] for r in B()]),
        ("error", "control_character", row_of("990101", 2021), "地区"),
    ),
    _c(
        "zero_width_in_name",
        "names",
        "zero-width space in a region name",
        lambda: csv_bytes([r if r[0] != "990101" else [r[0], "东城\u200b区", *r[2:]] for r in B()]),
        ("error", "control_character", row_of("990101", 2021), "地区"),
    ),
    _c(
        "dollar_name",
        "names",
        "$…$ in a region name (text; plots must not parse it)",
        lambda: csv_bytes([r if r[0] != "990101" else [r[0], "东城$x^2$区", *r[2:]] for r in B()]),
        ("ok", None, None, None, None),
    ),
    _c(
        "formula_name",
        "names",
        "=HYPERLINK(…) as a region name (text; neutralised when written)",
        lambda: csv_bytes(
            [r if r[0] != "990101" else [r[0], '=HYPERLINK("http://x","y")', *r[2:]] for r in B()]
        ),
        ("ok", None, None, None, None),
    ),
    _c(
        "long_name",
        "names",
        "a 300-character region name (text)",
        lambda: csv_bytes([r if r[0] != "990101" else [r[0], "东" * 300, *r[2:]] for r in B()]),
        ("ok", None, None, None, None),
    ),
    # --- headers -------------------------------------------------------------------------------
    _c(
        "header_only",
        "header",
        "a header and no data row",
        lambda: csv_bytes(B()[:1]),
        ("error", "no_records", None, None),
    ),
    _c(
        "misspelt_core",
        "header",
        "misspelt core header 活产数量",
        lambda: csv_bytes([["活产数量" if h == LB else h for h in B()[0]], *B()[1:]]),
        ("error", "misspelt_core_header", 1, "活产数量"),
    ),
    _c(
        "misspelt_deaths",
        "header",
        "misspelt core header maternal_death",
        lambda: csv_bytes([["maternal_death" if h == MD else h for h in B()[0]], *B()[1:]]),
        ("error", "misspelt_core_header", 1, "maternal_death"),
    ),
    _c(
        "misspelt_other",
        "header",
        "misspelt service header 早孕建册",
        lambda: csv_bytes([["早孕建册" if h == ER else h for h in B()[0]], *B()[1:]]),
        ("warning", "unknown_column", None, "早孕建册"),
    ),
    _c(
        "missing_level",
        "header",
        "no 级别 column",
        lambda: csv_bytes([[v for i, v in enumerate(r) if i != 3] for r in B()]),
        ("error", "missing_column", None, "level"),
    ),
    _c(
        "two_names_one_column",
        "header",
        "活产数 and live_births both present",
        lambda: csv_bytes([r + [r[5] if i else "live_births"] for i, r in enumerate(B())]),
        ("error", "duplicate_column", 1, "live_births"),
    ),
    _c(
        "repeated_header",
        "header",
        "the same header twice",
        lambda: csv_bytes([r + [r[5] if i else LB] for i, r in enumerate(B())]),
        ("read_error", "appears twice", 1),
    ),
    _c(
        "blank_header",
        "header",
        "a column without a header in the middle",
        lambda: csv_bytes([r[:5] + ["" if i == 0 else "1"] + r[5:] for i, r in enumerate(B())]),
        ("read_error", "has no header", 1),
    ),
    _c(
        "extra_value",
        "header",
        "a row with more values than headers (unquoted comma)",
        lambda: csv_bytes(B()).replace(b"5550,", b"5,550,", 1),
        ("read_error", "values but the header", R),
    ),
    _c(
        "control_in_header",
        "header",
        "control character in a header",
        lambda: csv_bytes([[h + "\x07" if h == ER else h for h in B()[0]], *B()[1:]]),
        ("error", "control_character", 1, ER + "\x07"),
    ),
    _c(
        "header_note",
        "header",
        "header with a full-width parenthetical note, normalised",
        lambda: csv_bytes([[h + "（孕13周前建册并首次产检）" if h == ER else h for h in B()[0]], *B()[1:]]),
        ("ok", "990101", 2022, "early_registered", 5272),
    ),
    _c(
        "english_headers",
        "header",
        "English ids as headers",
        lambda: csv_bytes(
            [
                [
                    "region_code",
                    "region_name",
                    "parent_code",
                    "level",
                    "year",
                    "live_births",
                    "maternal_deaths",
                    "infant_deaths",
                    "early_registered",
                ],
                *B()[1:],
            ]
        ),
        ("ok", "990101", 2022, "live_births", 5550),
    ),
    _c(
        "unknown_column",
        "header",
        "an extra 备注 column",
        lambda: csv_bytes([r + ["备注" if i == 0 else ""] for i, r in enumerate(B())]),
        ("warning", "unknown_column", None, "备注"),
    ),
    _c(
        "no_measures",
        "header",
        "identity columns only",
        lambda: csv_bytes([r[:5] for r in B()]),
        ("error", "no_measures", None, None),
    ),
    # --- workbooks and other formats -----------------------------------------------------------
    _c(
        "xlsx",
        "workbook",
        "XLSX, counts as numbers",
        lambda: xlsx_bytes(B()),
        ("ok", "990101", 2022, "live_births", 5550),
        ".xlsx",
    ),
    _c(
        "xlsx_hidden_first",
        "workbook",
        "XLSX whose first sheet is hidden (2019版(作废))",
        lambda: xlsx_bytes(B(), hidden_first=True),
        ("ok", "990101", 2021, "live_births", 5600),
        ".xlsx",
    ),
    _c(
        "xlsx_header_row2",
        "workbook",
        "XLSX with the header in row 2",
        lambda: xlsx_bytes(B(), first_row_blank=True),
        ("read_error", "header must be in row 1", 2),
        ".xlsx",
    ),
    _c(
        "xlsx_formula_unsaved",
        "workbook",
        "XLSX formula with no saved value",
        lambda: xlsx_bytes(B(), formula=("F3", "=F2*2")),
        ("read_error", "formula", None),
        ".xlsx",
    ),
    _c(
        "xlsx_footnote",
        "workbook",
        "XLSX text cell 5550① among numbers",
        lambda: xlsx_bytes(edit(B(), *E1, LB, "5550①")),
        ("error", "footnote_mark", R, LB),
        ".xlsx",
    ),
    _c(
        "xlsx_float",
        "workbook",
        "XLSX count 5550.5",
        lambda: xlsx_bytes(edit(B(), *E1, LB, "5550.5")),
        ("error", "non_integer", R, LB),
        ".xlsx",
    ),
    _c(
        "xlsx_corrupt",
        "workbook",
        "a .xlsx that is not a workbook",
        lambda: b"PK\x03\x04 not really",
        ("read_error", "cannot open as an Excel workbook", None),
        ".xlsx",
    ),
    _c(
        "xlsx_zip_not_workbook",
        "workbook",
        "a zip file named .xlsx",
        lambda: (lambda b: (zipfile.ZipFile(b, "w").writestr("a.txt", "x"), b.getvalue())[1])(io.BytesIO()),
        ("read_error", "cannot open as an Excel workbook", None),
        ".xlsx",
    ),
    _c(
        "xls",
        "workbook",
        "an old .xls file",
        lambda: b"\xd0\xcf\x11\xe0",
        ("read_error", ".xls", None),
        ".xls",
    ),
    _c(
        "json",
        "workbook",
        "an unknown file type",
        lambda: b"{}",
        ("read_error", "unknown file type", None),
        ".json",
    ),
    _c(
        "parquet",
        "parquet",
        "Parquet with typed columns",
        lambda: parquet_of(B()),
        ("ok", "990101", 2022, "live_births", 5550),
        ".parquet",
    ),
    _c(
        "parquet_float_big",
        "parquet",
        "Parquet float count 1e20",
        lambda: parquet_of(B(), overrides={LB: [None] * 6 + [1e20] + [5550.0] * 5}),
        ("error", "non_numeric", 8, LB),
        ".parquet",
    ),
    _c(
        "parquet_control",
        "parquet",
        "Parquet name with an ANSI escape",
        lambda: parquet_of(
            B(), overrides={"地区": [r[1] if r[0] != "990102" else "\x1b[2J西城区" for r in B()[1:]]}
        ),
        ("error", "control_character", row_of("990102", 2021), "地区"),
        ".parquet",
    ),
    _c(
        "parquet_corrupt",
        "parquet",
        "a .parquet that is not Parquet",
        lambda: b"PAR1 nope",
        ("read_error", "cannot read as a Parquet file", None),
        ".parquet",
    ),
]


def write_case(case: Case, folder: Path) -> Path:
    path = Path(folder) / f"{case.id}{case.suffix}"
    path.write_bytes(case.make())
    return path


def markdown_table() -> str:
    lines = ["| # | kind | bad input | what it gets |", "|---|---|---|---|"]
    for n, c in enumerate(CASES, 1):
        e = c.expect
        if e[0] == "read_error":
            got = f"refused: error naming the file{'' if e[2] is None else f', row {e[2]}'} (“{e[1]}”)"
        elif e[0] == "ok":
            got = "read as written" + (f" ({e[3]} = {e[4]:,})" if e[1] else "")
        else:
            where = ", ".join(
                x for x in (f"row {e[2]}" if e[2] else "", f"column {e[3]}" if e[3] else "") if x
            )
            got = f"{e[0]} `{e[1]}`" + (f" ({where})" if where else "")
        lines.append(f"| {n} | {c.kind} | {c.what} (`{c.id}{c.suffix}`) | {got} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
