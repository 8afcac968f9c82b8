"""Readers of the counts table: encodings, formats, headers, row numbers, wide and long form.

Fixtures: tests/data/io/ (see its README). The expected table is restated here by hand, so a bug
shared by every reader still fails.
"""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mchanalysis.cells import canonical_column, canonical_level, detect_encoding
from mchanalysis.errors import MchError
from mchanalysis.io import read_raw
from mchanalysis.schema import MEASURES
from mchanalysis.validation import load_counts

DATA = Path(__file__).parent / "data" / "io"

FORMATS = {
    "gbk_zh_csv": (DATA / "counts_gbk_zh.csv", None),
    "utf8_bom_csv": (DATA / "counts_utf8bom_en.csv", None),
    "xlsx_first_sheet": (DATA / "counts.xlsx", None),
    "xlsx_named_sheet": (DATA / "counts_sheet.xlsx", "数据"),
    "parquet": (DATA / "counts.parquet", None),
    "long_form_csv": (DATA / "counts_long.csv", None),
}

NA = pd.NA
# the table of tests/data/io/make_fixtures.py, restated
EXPECTED_ROWS = [
    ("010000", "样例省", "", "province", 2022, NA, NA, NA, NA, NA, NA, NA),
    ("010000", "样例省", "", "province", 2023, 1650, 1630, 1, NA, NA, NA, 1500),
    ("010100", "样例市", "010000", "prefecture", 2022, 1710, 1690, 0, 9, 5, 12, 1600),
    ("010100", "样例市", "010000", "prefecture", 2023, 1650, 1630, 1, 8, 4, 11, 1500),
    ("010101", "东城区", "010100", "county", 2022, 912, 901, 0, 5, 3, 7, 850),
    ("010101", "东城区", "010100", "county", 2023, 870, 861, 1, 4, 2, 6, 790),
    ("010102", "西山县", "010100", "county", 2022, 798, 789, 0, 4, 2, 5, 750),
    ("010102", "西山县", "010100", "county", 2023, 780, 769, 0, 4, 2, 5, 710),
]
EXPECTED_MEASURES = [
    "live_births",
    "deliveries",
    "maternal_deaths",
    "infant_deaths",
    "neonatal_deaths",
    "under5_deaths",
    "prenatal_screened",
]


def expected_table() -> pd.DataFrame:
    ids = ["region_code", "region_name", "parent_code", "level", "year"]
    frame = pd.DataFrame([r[:5] for r in EXPECTED_ROWS], columns=ids)
    frame["year"] = frame["year"].astype("int64")
    for k, m in enumerate(EXPECTED_MEASURES):
        frame[m] = pd.array([r[5 + k] for r in EXPECTED_ROWS], dtype="Int64")
    return frame


@pytest.fixture(scope="module")
def loaded():
    return {name: load_counts(path, sheet=sheet) for name, (path, sheet) in FORMATS.items()}


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_gives_the_expected_table(loaded, name):
    counts = loaded[name].counts
    expected = expected_table()
    pd.testing.assert_frame_equal(counts[expected.columns], expected, check_dtype=False)
    # measures not in the file are present and entirely NA (not reported), never 0
    others = [m for m in MEASURES if m not in EXPECTED_MEASURES]
    assert counts[others].isna().all().all()
    assert list(counts.columns[:5]) == ["region_code", "region_name", "parent_code", "level", "year"]


@pytest.mark.parametrize("name", [n for n in FORMATS if n != "gbk_zh_csv"])
def test_formats_give_identical_tables(loaded, name):
    pd.testing.assert_frame_equal(loaded[name].counts, loaded["gbk_zh_csv"].counts)


def test_counts_dtypes_follow_the_contract(loaded):
    counts = loaded["gbk_zh_csv"].counts
    assert counts["year"].dtype == np.dtype("int64")
    for m in MEASURES:
        assert counts[m].dtype == pd.Int64Dtype(), m
    assert all(isinstance(v, str) for v in counts["region_code"])


def test_region_codes_keep_their_leading_zero(loaded):
    for name, result in loaded.items():
        assert "010101" in set(result.counts["region_code"]), name
        assert "10101" not in set(result.counts["region_code"]), name


def test_an_empty_cell_is_not_reported_not_zero(loaded):
    counts = loaded["xlsx_first_sheet"].counts
    row = counts[(counts.region_code == "010000") & (counts.year == 2023)].iloc[0]
    assert row["infant_deaths"] is pd.NA
    assert row["maternal_deaths"] == 1


def test_gbk_file_is_not_utf8_and_is_detected():
    data = (DATA / "counts_gbk_zh.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert detect_encoding(data) == "gb18030"
    assert detect_encoding((DATA / "counts_utf8bom_en.csv").read_bytes()) == "utf-8-sig"
    assert detect_encoding("行政区划代码".encode()) == "utf-8-sig"


def test_gbk_text_that_is_also_valid_utf8_is_read_as_gbk(tmp_path):
    # 省 in GBK is CA A1, which is also valid UTF-8 (U+02A1); found by the property test below
    path = tmp_path / "c.csv"
    path.write_bytes("region_code,region_name\n010000,省\n".encode("gbk"))
    "010000,省".encode("gbk").decode("utf-8")  # really valid UTF-8
    assert read_raw(path).loc[0, "region_name"] == "省"


def test_utf8_with_chinese_text_is_never_read_as_gbk():
    data = "地区,name\n东城区,Zoë\n".encode()
    assert detect_encoding(data) == "utf-8-sig"


def test_gb18030_four_byte_characters_are_read(tmp_path):
    # U+3400 (㐀) is outside GBK's two-byte range; GB18030 encodes it in four bytes
    text = "行政区划代码,地区\r\n010101,㐀城区\r\n"
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode("gb18030"))
    raw = read_raw(path)
    assert raw.loc[0, "地区"] == "㐀城区"


def test_undecodable_file_is_a_clear_error_naming_the_file(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"region_code\n\x81\x30\xff\xfe\n")
    with pytest.raises(MchError) as info:
        read_raw(path)
    assert "binary.csv" in str(info.value)
    assert "neither UTF-8 nor GBK" in str(info.value)


def test_row_numbers_are_spreadsheet_rows_with_blank_and_multiline_rows(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('region_code,region_name\n010101,"two\nlines"\n\n010102,b\n', encoding="utf-8")
    raw = read_raw(path)
    assert list(raw["_row"]) == [2, 3, 4]  # the quoted line break stays in row 2
    assert list(raw["region_code"]) == ["010101", "", "010102"]


def test_xlsx_row_numbers_count_blank_rows(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["region_code", "live_births"])
    ws.append(["010101", 5])
    ws.append([None, None])
    ws.append(["010102", 12.0])
    ws.append(["010103", 12.5])
    wb.save(tmp_path / "c.xlsx")
    raw = read_raw(tmp_path / "c.xlsx")
    assert list(raw["_row"]) == [2, 3, 4, 5]
    assert list(raw["live_births"]) == ["5", "", "12", "12.5"]  # nothing rounded


def test_xlsx_formula_without_a_saved_value_is_an_error_not_an_empty_cell(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["region_code", "live_births"])
    ws.append(["010101", 5])
    ws.append(["010102", "=B2*2"])  # openpyxl saves no computed value
    wb.save(tmp_path / "f.xlsx")
    with pytest.raises(MchError, match=r"1 formula cell\(s\) have no computed value.*B3 \(=B2\*2\)"):
        read_raw(tmp_path / "f.xlsx")


def test_xlsx_formula_reads_the_value_saved_with_the_file(tmp_path):
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["region_code", "live_births"])
    ws.append(["010101", 5])
    ws.append(["010102", "=B2*2"])
    wb.save(tmp_path / "plain.xlsx")
    # add the computed value a spreadsheet program would save: <f>B2*2</f><v>10</v>
    with (
        zipfile.ZipFile(tmp_path / "plain.xlsx") as src,
        zipfile.ZipFile(tmp_path / "saved.xlsx", "w") as dst,
    ):
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<f>B2*2</f><v></v>" in data or b"<f>B2*2</f>" in data
                data = data.replace(b"<f>B2*2</f><v></v>", b"<f>B2*2</f>").replace(
                    b"<f>B2*2</f>", b"<f>B2*2</f><v>10</v>"
                )
            dst.writestr(item, data)
    assert list(read_raw(tmp_path / "saved.xlsx")["live_births"]) == ["5", "10"]


def test_empty_sheet_is_a_clear_error(tmp_path):
    import openpyxl

    openpyxl.Workbook().save(tmp_path / "e.xlsx")
    with pytest.raises(MchError, match="empty"):
        read_raw(tmp_path / "e.xlsx")


def test_unknown_sheet_names_the_sheets():
    with pytest.raises(MchError, match="no sheet named 'x'.*说明, 数据"):
        read_raw(DATA / "counts_sheet.xlsx", sheet="x")


def test_numeric_region_codes_lose_no_information_silently(tmp_path):
    # a Parquet file whose codes were stored as integers: the lost zero must be reported
    frame = pd.read_parquet(DATA / "counts.parquet")
    frame["region_code"] = frame["region_code"].astype("int64")
    frame.to_parquet(tmp_path / "int_codes.parquet")
    with pytest.raises(MchError) as info:
        load_counts(tmp_path / "int_codes.parquet")
    findings = info.value.findings
    bad = findings[findings["check"] == "region_code_format"]
    assert "'10101' is not 6 digits; a leading zero was probably lost" in " ".join(bad["message_en"])


def test_too_many_values_in_a_row_names_the_row(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("region_code,live_births\n010101,1,234\n", encoding="utf-8")
    with pytest.raises(MchError) as info:
        read_raw(path)
    assert info.value.row == 2
    assert "must be quoted" in str(info.value)


def test_repeated_header_is_an_error(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("region_code,活产数,活产数\n010101,1,2\n", encoding="utf-8")
    with pytest.raises(MchError, match="appears twice"):
        read_raw(path)


@pytest.mark.parametrize(
    "suffix,message", [(".xls", "save the workbook as .xlsx"), (".json", "unknown file type")]
)
def test_unsupported_file_types_are_refused(tmp_path, suffix, message):
    path = tmp_path / f"c{suffix}"
    path.write_bytes(b"x")
    with pytest.raises(MchError, match=message):
        read_raw(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(MchError, match="no such file"):
        read_raw(tmp_path / "absent.csv")


@pytest.mark.parametrize(
    "header,expected",
    [
        ("活产数", "live_births"),
        (" 活产数\u3000", "live_births"),
        ("LIVE_BIRTHS", "live_births"),
        ("早孕建册人数（孕13周前建册并首次产检）", "early_registered"),
        ("早孕建册人数 (孕13周前建册并首次产检)", "early_registered"),
        ("宫颈癌应筛查妇女数（35-64岁）", "cervical_screen_target"),
        ("宫颈癌应筛查妇女数", "cervical_screen_target"),
        ("５岁以下儿童死亡数", "under5_deaths"),  # full-width digit
        ("\ufeff行政区划代码", "region_code"),
        ("指标", "measure"),
        ("备注", None),
        ("maternal_death", None),  # close, but never guessed by the reader
    ],
)
def test_header_aliases(header, expected):
    assert canonical_column(header) == expected


@pytest.mark.parametrize(
    "label,expected",
    [
        ("省级", "province"),
        ("地市级", "prefecture"),
        ("县区级", "county"),
        ("County", "county"),
        ("市", "prefecture"),
        ("乡镇级", None),
        ("", None),
    ],
)
def test_level_aliases(label, expected):
    assert canonical_level(label) == expected


def test_long_form_equals_wide_form(loaded):
    pd.testing.assert_frame_equal(loaded["long_form_csv"].counts, loaded["utf8_bom_csv"].counts)


# -- property: any supported format round-trips to the same table ---------------------------

_names = st.text(alphabet="甲乙丙丁县区市省" + string.ascii_letters, min_size=1, max_size=6)
_count = st.one_of(st.none(), st.integers(min_value=0, max_value=10**9))


@st.composite
def _tables(draw):
    n = draw(st.integers(min_value=1, max_value=4))
    codes = draw(st.lists(st.from_regex(r"0[0-9]{5}", fullmatch=True), min_size=n, max_size=n, unique=True))
    top = "010000" if "010000" not in codes else "020000"
    rows = [(top, "省", "", "province", 2020, 100, 1, 1)]
    for code in codes:
        rows.append((code, draw(_names), top, "county", 2020, draw(_count), draw(_count), draw(_count)))
    return rows


def _write(rows, fmt, path):
    header = [
        "region_code",
        "region_name",
        "parent_code",
        "level",
        "year",
        "live_births",
        "deliveries",
        "birth_defects",
    ]
    frame = pd.DataFrame(rows, columns=header)
    for m in header[5:]:
        frame[m] = pd.array(frame[m].tolist(), dtype="Int64")
    if fmt in ("csv_gbk", "csv_utf8"):
        frame.to_csv(path, index=False, encoding="gbk" if fmt == "csv_gbk" else "utf-8-sig")
    elif fmt == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path, index=False)


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_tables())
def test_any_supported_format_round_trips_to_the_same_table(tmp_path, rows):
    tables = []
    for fmt, suffix in (
        ("csv_gbk", ".csv"),
        ("csv_utf8", ".csv"),
        ("xlsx", ".xlsx"),
        ("parquet", ".parquet"),
    ):
        path = tmp_path / f"t_{fmt}{suffix}"
        _write(rows, fmt, path)
        tables.append(load_counts(path).counts)
    for table in tables[1:]:
        pd.testing.assert_frame_equal(table, tables[0])
    first = tables[0].set_index("region_code")
    for code, name, _, _, _, lb, md, bd in rows:
        assert first.loc[code, "region_name"] == name
        for column, value in (("live_births", lb), ("deliveries", md), ("birth_defects", bd)):
            got = first.loc[code, column]
            assert (got is pd.NA) if value is None else got == value
