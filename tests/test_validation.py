"""Validation of the counts table: every problem reported at once, with its spreadsheet row.

The bad file tests/data/io/bad_counts.csv was written by hand with exactly four errors at known
rows (see tests/data/io/README.md); the expected rows below are read off that file, not off the
package's output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mchanalysis.cells import parse_count
from mchanalysis.cli import main
from mchanalysis.errors import MchError, ValidationError
from mchanalysis.schema import MEASURES
from mchanalysis.validation import (
    FINDING_COLUMNS,
    load_counts,
    suggest_column,
    validate_counts,
)

DATA = Path(__file__).parent / "data" / "io"
BAD = DATA / "bad_counts.csv"

HEADER = ["region_code", "region_name", "parent_code", "level", "year"]
TREE = [
    ["010000", "样例省", "", "province", "2023"],
    ["010100", "样例市", "010000", "prefecture", "2023"],
    ["010101", "东城区", "010100", "county", "2023"],
]


def table(measures: dict[str, list[str]], rows=TREE, header=HEADER) -> pd.DataFrame:
    """A raw (text) frame as read_raw returns it: the three regions, then measure columns."""
    frame = pd.DataFrame([list(r) for r in rows], columns=list(header))
    for name, values in measures.items():
        frame[name] = values
    return frame


def check(raw, **kwargs):
    counts, findings = validate_counts(raw, file="t.csv", max_year=2025, **kwargs)
    return counts, findings


def errors(findings):
    return findings[findings["severity"] == "error"]


def only(findings, name):
    return findings[findings["check"] == name]


# -- the "Must show": four problems, one run, right rows -----------------------------


EXPECTED_BAD = [
    # (row, column, check, words the message must contain)
    (4, "live_births", "negative", "-3"),
    (5, "infant_deaths", "non_numeric", "'abc' is not a number"),
    (8, "region_code", "duplicate_region_year", "rows 6, 8"),
    (7, "neonatal_deaths", "impossible_numerator", "infant_deaths"),
]


def test_bad_file_reports_all_four_problems_with_their_rows():
    with pytest.raises(ValidationError) as info:
        load_counts(BAD)
    found = errors(info.value.findings)
    assert len(found) == 4
    got = {(r.row, r.column, r.check) for r in found.itertuples()}
    assert got == {(row, col, chk) for row, col, chk, _ in EXPECTED_BAD}
    for row, _, chk, words in EXPECTED_BAD:
        message = found[(found.row == row) & (found.check == chk)]["message_en"].iloc[0]
        assert words in message
    assert list(info.value.findings.columns) == list(FINDING_COLUMNS)
    assert set(found["file"]) == {str(BAD)}


def test_mch_validate_exits_1_and_names_every_problem(capsys):
    code = main(["validate", str(BAD)])
    assert code == 1
    err = capsys.readouterr().err
    for row, column, _, words in EXPECTED_BAD:
        line = next(l for l in err.splitlines() if f"row {row}, column {column}:" in l)
        assert words in line
    assert "FAILED: 4 error(s)" in err


def test_mch_validate_console_script_exits_1_on_the_bad_file():
    mch = Path(sys.executable).parent / "mch"
    result = subprocess.run([str(mch), "validate", str(BAD)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for row, column, _, _ in EXPECTED_BAD:
        assert f"row {row}, column {column}:" in result.stderr


def test_mch_validate_exits_0_on_good_data_and_summarises(capsys):
    code = main(["validate", str(DATA / "counts_gbk_zh.csv")])
    out = capsys.readouterr().out
    assert code == 0
    assert "regions: 4 (1 province, 1 prefecture, 2 county)" in out
    assert "years: 2022-2023 (2)" in out
    assert "measures reported: 7 of" in out
    assert "OK: 0 error(s)" in out


def test_mch_validate_writes_findings(tmp_path, capsys):
    out = tmp_path / "findings.csv"
    assert main(["validate", str(BAD), "--findings", str(out)]) == 1
    written = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(written.columns) == list(FINDING_COLUMNS)
    assert sorted(written.loc[written.severity == "error", "row"].astype(int)) == [4, 5, 7, 8]


def test_mch_validate_unreadable_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xff\xfe\x81")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "x.csv" in err[0] and "neither UTF-8 nor GBK" in err[0]


# -- warnings ----------------------------------------------------------------------------------


def test_coverage_above_100_percent_is_a_warning_and_kept():
    raw = table({"live_births": ["1000", "1000", "1000"], "prenatal_checked": ["1000", "1000", "1031"]})
    counts, findings = check(raw)
    assert errors(findings).empty
    over = only(findings, "over_100")
    assert len(over) == 1
    r = over.iloc[0]
    assert (r.row, r.column, r.severity, r.region_code, r.year) == (
        4,
        "prenatal_checked",
        "warning",
        "010101",
        2023,
    )
    assert "103.1%" in r.message_en and "non-resident" in r.message_en
    assert counts.loc[counts.region_code == "010101", "prenatal_checked"].iloc[0] == 1031


def test_load_counts_returns_warnings_with_the_counts(tmp_path):
    path = tmp_path / "c.csv"
    raw = table({"live_births": ["10", "10", "10"], "hospital_births": ["10", "10", "11"]})
    raw.to_csv(path, index=False)
    result = load_counts(path)
    assert set(result.findings["severity"]) == {"warning"}
    assert len(only(result.findings, "over_100")) == 1
    assert result.source == path


@pytest.mark.parametrize(
    "header,suggestion",
    [
        ("早孕建册", "early_registered (早孕建册人数)"),
        ("剖宫产数量", "cesarean_deliveries (剖宫产数)"),
        ("低体重儿数", "low_birth_weight (低出生体重儿数)"),
    ],
)
def test_misspelt_header_is_a_warning_with_the_closest_name(header, suggestion):
    raw = table({"live_births": ["5", "5", "5"], header: ["1", "1", "1"]})
    _, findings = check(raw)
    unknown = only(findings, "unknown_column")
    assert len(unknown) == 1
    assert unknown.iloc[0]["severity"] == "warning"
    assert unknown.iloc[0]["column"] == header
    assert f"did you mean {suggestion}?" in unknown.iloc[0]["message_en"]
    assert errors(findings).empty


@pytest.mark.parametrize(
    "header,measure",
    [
        ("maternal_death", "maternal_deaths"),
        ("活产数量", "live_births"),
        ("Live Birth", "live_births"),
        ("新生儿死亡", "neonatal_deaths"),
    ],
)
def test_misspelt_core_header_is_an_error_naming_the_measure(header, measure):
    # issue 15: 活产数量 only warned, and every rate on live births disappeared
    other = "deliveries" if measure == "live_births" else "live_births"
    _, findings = check(table({other: ["5", "5", "5"], header: ["1", "1", "1"]}))
    bad = only(findings, "misspelt_core_header")
    assert len(bad) == 1
    r = bad.iloc[0]
    assert (r["severity"], r["row"], r["column"], r["item"]) == ("error", 1, header, measure)
    assert f"rename the header to {MEASURES[measure]} (or {measure})" in r["message_en"]


def test_a_second_spelling_of_a_core_measure_that_is_present_only_warns():
    _, findings = check(table({"live_births": ["5", "5", "5"], "Live Births": ["1", "1", "1"]}))
    assert errors(findings).empty
    assert "live_births" in only(findings, "unknown_column").iloc[0]["message_en"]


def test_unrelated_column_is_warned_without_a_suggestion():
    _, findings = check(table({"live_births": ["5", "5", "5"], "备注": ["", "x", ""]}))
    msg = only(findings, "unknown_column")["message_en"].iloc[0]
    assert "'备注' is not a known measure and is ignored" in msg and "did you mean" not in msg


def test_absent_and_empty_measures_are_warnings_not_zeros():
    counts, findings = check(table({"live_births": ["5", "", "5"], "deliveries": ["", "", ""]}))
    assert errors(findings).empty
    assert "maternal_deaths" in set(only(findings, "measure_absent")["column"])
    assert set(only(findings, "measure_empty")["column"]) == {"deliveries"}
    assert counts["deliveries"].isna().all()
    assert counts["live_births"].isna().sum() == 1  # the empty cell is NA, never 0
    assert counts["maternal_deaths"].isna().all()


def test_suggest_column_returns_none_for_nothing_close():
    assert suggest_column("备注") is None


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value,problem",
    [
        ("12", 12, None),
        (" 12 ", 12, None),
        ("+7", 7, None),
        ("0", 0, None),
        ("1,234", 1234, None),
        ("12,345,678", 12345678, None),
        ("12.0", 12, None),
        ("１２", 12, None),  # full-width digits
        ("", None, None),
        ("   ", None, None),
        ("12.5", None, "non_integer"),
        ("-3", None, "negative"),
        ("-1,234", None, "negative"),
        ("abc", None, "non_numeric"),
        ("1,23", None, "non_numeric"),
        ("1234,5", None, "non_numeric"),
        ("1e3", None, "non_numeric"),
        ("-", None, "non_numeric"),
        ("无", None, "non_numeric"),
        ("12%", None, "non_numeric"),
        ("99999999999999999999", None, "implausible_count"),
        ("1000000001", None, "implausible_count"),
        ("1000000000", 1_000_000_000, None),
    ],
)
def test_parse_count(text, value, problem):
    got, check_name, reason, reason_zh = parse_count(text)
    assert (got, check_name) == (value, problem)
    assert (reason is None) == (problem is None) == (reason_zh is None)


def test_placeholder_dash_says_leave_the_cell_empty():
    assert "leave the cell empty" in parse_count("-")[2]


def test_missing_required_columns_are_all_reported():
    raw = table({"live_births": ["1", "1", "1"]}).drop(columns=["parent_code", "level"])
    _, findings = check(raw)
    missing = only(findings, "missing_column")
    assert set(missing["column"]) == {"parent_code", "level"}
    assert set(missing["severity"]) == {"error"}


def test_no_measure_column_is_an_error():
    _, findings = check(table({}))
    assert len(only(errors(findings), "no_measures")) == 1


def test_duplicate_column_by_alias_is_an_error():
    _, findings = check(table({"live_births": ["1", "1", "1"], "活产数": ["1", "1", "1"]}))
    dup = only(findings, "duplicate_column")
    assert len(dup) == 1 and dup.iloc[0]["column"] == "活产数"


@pytest.mark.parametrize(
    "year,problem",
    [
        ("1948", "year_range"),
        ("2027", "year_range"),
        ("2023年", "year_invalid"),
        ("20.5", "year_invalid"),
        ("", "missing_value"),
    ],
)
def test_implausible_year(year, problem):
    rows = [TREE[0], TREE[1], [*TREE[2][:4], year]]
    _, findings = check(table({"live_births": ["1", "1", "1"]}, rows=rows))
    found = errors(findings)
    assert list(found["check"]) == [problem]
    assert found.iloc[0]["row"] == 4 and found.iloc[0]["column"] == "year"


def test_next_year_is_plausible_by_default():
    import datetime

    next_year = str(datetime.date.today().year + 1)
    rows = [[*r[:4], next_year] for r in TREE]
    _, findings = validate_counts(table({"live_births": ["1", "1", "1"]}, rows=rows))
    assert errors(findings).empty


@pytest.mark.parametrize("code,hint", [("10101", "leading zero"), ("0101011", ""), ("01010A", ""), ("", "")])
def test_region_code_not_six_digits(code, hint):
    rows = [TREE[0], TREE[1], [code, *TREE[2][1:]]]
    _, findings = check(table({"live_births": ["1", "1", "1"]}, rows=rows))
    found = errors(findings)
    assert len(found) == 1 and found.iloc[0]["row"] == 4
    assert found.iloc[0]["check"] == ("missing_value" if code == "" else "region_code_format")
    assert hint in found.iloc[0]["message_en"]


def test_unknown_parent_code_is_an_error():
    rows = [TREE[0], TREE[1], [*TREE[2][:2], "010199", *TREE[2][3:]]]
    _, findings = check(table({"live_births": ["1", "1", "1"]}, rows=rows))
    found = errors(findings)
    assert list(found["check"]) == ["unknown_parent"]
    assert found.iloc[0]["row"] == 4 and "010199" in found.iloc[0]["message_en"]


def test_parent_must_be_of_a_higher_level():
    rows = [TREE[0], TREE[1], [*TREE[2][:3], "prefecture", "2023"]]
    _, findings = check(table({"live_births": ["1", "1", "1"]}, rows=rows))
    assert list(errors(findings)["check"]) == ["level_order"]


def test_unknown_level_is_an_error_and_chinese_levels_are_accepted():
    rows = [[*TREE[0][:3], "省级", "2023"], [*TREE[1][:3], "地市级", "2023"], [*TREE[2][:3], "乡镇", "2023"]]
    counts, findings = check(table({"live_births": ["1", "1", "1"]}, rows=rows))
    assert list(errors(findings)["check"]) == ["level_unknown"]
    assert list(counts["level"][:2]) == ["province", "prefecture"]


def test_region_whose_name_changes_between_years_is_an_error():
    rows = [*TREE, ["010101", "东城县", "010100", "county", "2024"]]
    _, findings = check(table({"live_births": ["1"] * 4}, rows=rows))
    found = errors(findings)
    assert list(found["check"]) == ["region_changes"]
    r = found.iloc[0]
    assert r.row == 5 and r.column == "region_name"
    assert "'东城区' in 2023" in r.message_en and "'东城县' in 2024" in r.message_en


def test_region_whose_parent_changes_between_years_is_an_error():
    rows = [
        *TREE,
        ["010102", "西山县", "010100", "county", "2023"],
        ["010101", "东城区", "010000", "county", "2024"],
    ]
    _, findings = check(table({"live_births": ["1"] * 5}, rows=rows))
    assert list(errors(findings)["check"]) == ["region_changes"]
    assert errors(findings).iloc[0]["column"] == "parent_code"


def test_duplicate_region_year_names_both_rows():
    rows = [*TREE, TREE[2]]
    _, findings = check(table({"live_births": ["1"] * 4}, rows=rows))
    found = only(findings, "duplicate_region_year")
    assert len(found) == 1 and found.iloc[0]["row"] == 5
    assert "rows 4, 5" in found.iloc[0]["message_en"]


@pytest.mark.parametrize(
    "measures,bad_column,other",
    [
        (
            {"neonatal_deaths": "5", "infant_deaths": "4", "under5_deaths": "9"},
            "neonatal_deaths",
            "infant_deaths",
        ),
        ({"infant_deaths": "9", "under5_deaths": "8"}, "infant_deaths", "under5_deaths"),
        (
            {"neonatal_deaths": "9", "infant_deaths": "", "under5_deaths": "8"},
            "neonatal_deaths",
            "under5_deaths",
        ),
        ({"maternal_deaths": "11", "live_births": "10"}, "maternal_deaths", "live_births"),
        ({"under5_deaths": "11", "live_births": "10"}, "under5_deaths", "live_births"),
    ],
)
def test_impossible_numerator_names_the_row_and_both_columns(measures, bad_column, other):
    raw = table({m: ["", "", v] for m, v in measures.items()})
    _, findings = check(raw)
    found = errors(findings)
    assert list(found["check"]) == ["impossible_numerator"]
    r = found.iloc[0]
    assert (r.row, r.column, r.region_code, r.year) == (4, bad_column, "010101", 2023)
    assert bad_column in r.message_en and other in r.message_en


def test_equal_counts_are_possible():
    raw = table({"neonatal_deaths": ["3"] * 3, "infant_deaths": ["3"] * 3, "live_births": ["3"] * 3})
    assert errors(check(raw)[1]).empty


def test_every_problem_is_reported_in_one_pass():
    rows = [TREE[0], [*TREE[1][:4], "1900"], ["1010", *TREE[2][1:]]]
    raw = table({"live_births": ["x", "-1", "2.5"], "foo_bar": ["", "", ""]}, rows=rows)
    _, findings = check(raw)
    got = sorted((r.row, r.column, r.check) for r in errors(findings).itertuples())
    assert got == [
        (2, "live_births", "non_numeric"),
        (3, "live_births", "negative"),
        (3, "year", "year_range"),
        (4, "live_births", "non_integer"),
        (4, "region_code", "region_code_format"),
    ]
    assert len(errors(findings)) == 5
    assert list(errors(findings)["row"]) == sorted(errors(findings)["row"])


def test_validation_does_not_modify_its_input():
    raw = table({"live_births": [" 1,234 ", "", "5"]})
    before = raw.copy()
    check(raw)
    pd.testing.assert_frame_equal(raw, before)


def test_counts_are_sorted_and_typed():
    rows = [TREE[2], TREE[0], TREE[1]]
    counts, findings = check(table({"live_births": ["3", "1", "2"]}, rows=rows))
    assert errors(findings).empty
    assert list(counts["region_code"]) == ["010000", "010100", "010101"]
    assert list(counts["live_births"]) == [1, 2, 3]
    assert counts["live_births"].dtype == pd.Int64Dtype()


def test_registry_measures_of_a_user_are_known():
    from mchanalysis.registry import load_registry

    registry = load_registry()
    extra = registry.iloc[[0]].assign(id="my_rate", numerator="my_events", denominator="live_births")
    registry = pd.concat([registry, extra], ignore_index=True)
    counts, findings = check(table({"live_births": ["9"] * 3, "my_events": ["1"] * 3}), registry=registry)
    assert only(findings, "unknown_column").empty
    assert list(counts["my_events"]) == [1, 1, 1]


def test_blank_rows_are_skipped_but_keep_row_numbers(tmp_path):
    path = tmp_path / "c.csv"
    lines = [
        ",".join(HEADER + ["live_births"]),
        ",".join(TREE[0] + ["1"]),
        "",
        ",,,,,",
        ",".join(TREE[1] + ["x"]),
        ",".join(TREE[2] + ["1"]),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_counts(path)
    found = errors(info.value.findings)
    assert list(found["row"]) == [5]


# -- long form ---------------------------------------------------------------------------------

LONG_HEADER = ["region_code", "region_name", "parent_code", "level", "year", "指标", "数值"]


def long_table(records):
    return pd.DataFrame([list(r) for r in records], columns=LONG_HEADER)


def test_long_form_errors_point_to_the_source_rows():
    records = [
        [*TREE[0], "活产数", "100"],  # row 2
        [*TREE[1], "活产数", "100"],  # row 3
        [*TREE[2], "活产数", "100"],  # row 4
        [*TREE[2], "婴儿死亡数", "3"],  # row 5
        [*TREE[2], "新生儿死亡数", "4"],  # row 6: > infant deaths (row 5)
        [*TREE[2], "infant_deaths", "3"],  # row 7: duplicate of row 5
        [*TREE[1], "maternal_death", "1"],  # row 8: unknown measure, suggested
        [*TREE[1], "产妇数", "-3"],  # row 9: negative (-2 would be 未开展)
    ]
    _, findings = check(long_table(records))
    found = errors(findings)
    got = {(r.row, r.check) for r in found.itertuples()}
    assert got == {(6, "impossible_numerator"), (7, "duplicate_region_year"), (9, "negative")}
    chain = found[found.check == "impossible_numerator"].iloc[0]
    assert "infant_deaths (row 5)" in chain.message_en and chain.column == "数值"
    dup = found[found.check == "duplicate_region_year"].iloc[0]
    assert "rows 5 and 7" in dup.message_en
    unknown = only(findings, "unknown_measure").iloc[0]
    assert unknown.row == 8 and "maternal_deaths (孕产妇死亡数)" in unknown.message_en


def test_long_form_conflicting_region_attributes_is_an_error():
    records = [
        [*TREE[0], "活产数", "100"],
        [*TREE[1], "活产数", "100"],
        [*TREE[2], "活产数", "100"],
        ["010101", "东城", *TREE[2][2:], "产妇数", "100"],  # row 5: another name
    ]
    _, findings = check(long_table(records))
    found = errors(findings)
    assert list(found["check"]) == ["conflicting_attributes"]
    assert found.iloc[0]["row"] == 5 and "rows 4" in found.iloc[0]["message_en"]


def test_validation_error_is_an_mch_error_listing_every_error():
    with pytest.raises(MchError) as info:
        load_counts(BAD)
    text = str(info.value)
    assert "4 error(s)" in text
    for row in (4, 5, 7, 8):
        assert f"row {row}," in text


def test_long_form_ignores_a_wide_measure_column_with_a_warning():
    records = [
        [*TREE[0], "活产数", "100", "7"],
        [*TREE[1], "活产数", "100", ""],
        [*TREE[2], "活产数", "100", ""],
    ]
    raw = pd.DataFrame(records, columns=[*LONG_HEADER, "婴儿死亡数"])
    counts, findings = check(raw)
    assert errors(findings).empty
    ignored = only(findings, "unknown_column")
    assert list(ignored["column"]) == ["婴儿死亡数"]
    assert counts["infant_deaths"].isna().all() and list(counts["live_births"]) == [100, 100, 100]


# -- likely entry errors (issue 9 item 4) -------------------------------------------------------


def entry_table(edits=()):
    """A city with two districts, 2019-2023, smooth counts; ``edits`` = (code, year, column, text).

    Rows: header 1, city 2-6, 330102 rows 7-11 (2019-2023), 330105 rows 12-16.
    """
    header = [
        "行政区划代码",
        "地区",
        "上级代码",
        "级别",
        "年份",
        "活产数",
        "孕产妇死亡数",
        "婴儿死亡数",
        "早孕建册人数",
        "住院分娩活产数",
    ]
    rows = []
    for code, name, parent, level, base in [
        ("330100", "样例市", "", "地市级", None),
        ("330102", "上城样例区", "330100", "县区级", 5600),
        ("330105", "拱墅样例区", "330100", "县区级", 4100),
    ]:
        for k, y in enumerate(range(2019, 2024)):
            if base is None:
                rows.append([code, name, parent, level, str(y), "", "", "", "", ""])
                continue
            lb = base - 60 * k
            rows.append(
                [
                    code,
                    name,
                    parent,
                    level,
                    str(y),
                    str(lb),
                    str(k % 2),
                    str(round(base * 0.004)),
                    str(round(lb * (0.93 + 0.01 * k))),
                    str(round(lb * 0.995)),
                ]
            )
    frame = pd.DataFrame(rows, columns=header)
    for code, year, column, text in edits:
        frame.loc[(frame["行政区划代码"] == code) & (frame["年份"] == str(year)), column] = text
    return frame


def test_clean_entry_table_has_no_entry_error():
    _, f = check(entry_table())
    assert not f["category"].eq("entry_error").any(), f[["row", "column", "check", "message_en"]]


def test_rate_typed_as_count_is_named_with_row_column_and_cause():
    _, f = check(entry_table([("330102", 2021, "早孕建册人数", "98")]))
    e = only(f, "rate_typed_as_count")
    assert len(e) == 1
    r = e.iloc[0]
    assert (r["row"], r["column"], r["severity"], r["category"], r["item"]) == (
        9,
        "早孕建册人数",
        "warning",
        "entry_error",
        "early_registered",
    )
    assert "98 is only 1.8% of live births (5,480)" in r["message_en"]
    assert "percentage was probably typed" in r["message_en"]
    assert "疑似将比例（%）填入了人数栏" in r["message_zh"]
    assert len(f[f["category"] == "entry_error"]) == 1  # not a digit jump as well


def test_extra_and_dropped_digits_are_digit_jumps():
    _, f = check(
        entry_table([("330105", 2022, "活产数", "39200"), ("330102", 2020, "住院分娩活产数", "551")])
    )
    e = only(f, "digit_jump").set_index("row")
    assert set(e.index) == {15, 8}
    assert e.loc[15, "column"] == "活产数" and "about 10 times" in e.loc[15, "message_en"]
    assert "多录入了一位数字" in e.loc[15, "message_zh"]
    assert e.loc[8, "column"] == "住院分娩活产数" and "1/10 of" in e.loc[8, "message_en"]
    assert "漏录了一位数字" in e.loc[8, "message_zh"]
    # the births typo is the suspect, not every coverage on it
    assert only(f, "rate_typed_as_count").empty


def test_county_above_its_parents_total():
    frame = entry_table()
    frame.loc[(frame["行政区划代码"] == "330100") & (frame["年份"] == "2023"), "活产数"] = "5000"
    _, f = check(frame)
    e = only(f, "exceeds_parent_total")
    assert list(e["row"]) == [11]  # 上城 2023: 5,360 > 5,000; 拱墅 3,860 is not
    assert e.iloc[0]["column"] == "活产数" and "5,000" in e.iloc[0]["message_en"]


def test_strict_turns_entry_errors_into_errors():
    raw = entry_table([("330102", 2021, "早孕建册人数", "98")])
    _, f = check(raw, strict=True)
    e = f[f["category"] == "entry_error"]
    assert list(e["severity"]) == ["error"]


def write_entry_csv(path, edits):
    entry_table(edits).to_csv(path, index=False, encoding="utf-8")
    return path


def test_mch_validate_lists_entry_errors_first_and_strict_exits_1(tmp_path, capsys):
    path = write_entry_csv(
        tmp_path / "entry.csv", [("330102", 2021, "早孕建册人数", "98"), ("330105", 2022, "活产数", "39200")]
    )
    assert main(["validate", "--data", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    head = next(i for i, l in enumerate(out) if l.startswith("LIKELY ENTRY ERRORS (2)"))
    assert f"{path}, row 9, column 早孕建册人数:" in out[head + 1]
    assert f"{path}, row 15, column 活产数:" in out[head + 2]
    assert out[-1].startswith("OK: 0 error(s)") and "2 likely entry error(s)" in out[-1]
    assert main(["validate", str(path), "--strict"]) == 1
    err = capsys.readouterr().err
    assert "LIKELY ENTRY ERRORS (2) (errors: --strict)" in err
    assert "FAILED: 2 error(s)" in err


def test_mch_validate_ends_with_what_the_file_can_produce(tmp_path, capsys):
    path = write_entry_csv(tmp_path / "five.csv", [])
    assert main(["validate", str(path), "--lang", "zh"]) == 0
    out = capsys.readouterr().out.splitlines()
    line = out[-2]
    assert line.startswith("可生成：年度指标、与上年比较")
    assert "不能生成：" in line and "Joinpoint" in line and "仅有5年数据" in line
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-2].startswith("Can produce: yearly indicators")


def test_mch_validate_gives_no_capability_line_when_the_file_is_invalid(capsys):
    assert main(["validate", str(BAD)]) == 1
    err = capsys.readouterr().err
    assert "Can produce" not in err and "可生成" not in err


def test_mch_validate_findings_csv_neutralises_formula_text(tmp_path, capsys):
    frame = entry_table()
    frame['=HYPERLINK("http://x";"y")'] = ""  # an unknown column: named in a finding's column cell
    frame.loc[(frame["行政区划代码"] == "330105") & (frame["年份"] == "2021"), "活产数"] = "abc"
    path = tmp_path / "f.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "findings.csv"
    assert main(["validate", str(path), "--findings", str(out)]) == 1
    text = out.read_text(encoding="utf-8-sig")
    assert "abc" in text and "'=HYPERLINK" in text
    for line in text.splitlines():
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "@")), line


def test_parent_total_contradicting_its_children():
    # issue 15: a city's own live births = 1, deaths left to its districts: IMR 66000‰, "0 warnings"
    frame = entry_table()
    frame.loc[(frame["行政区划代码"] == "330100") & (frame["年份"] == "2022"), "活产数"] = "1"
    _, f = check(frame)
    mismatch = only(f, "parent_children_mismatch")
    assert list(mismatch["row"]) == [5] and list(mismatch["column"]) == ["活产数"]
    assert "sum to 9,340" in mismatch.iloc[0]["message_en"]  # 5,420 + 3,920
    bad = only(f, "impossible_after_aggregation")
    assert set(bad["severity"]) == {"error"} and set(bad["row"]) == {5} and set(bad["column"]) == {"活产数"}
    assert "infant deaths = 38 (sum of its sub-regions) exceed live births = 1 (reported)" in " ".join(
        bad["message_en"]
    )
    # what the total would be, and no talk of a missing sub-region: a sum above the reported
    # total is not one
    assert all("its sub-regions' live births sum to 9,340" in m for m in bad["message_en"])
    assert not any("missing" in m for m in bad["message_en"])
    assert list(only(f, "exceeds_parent_total")["row"]) == [10, 15]  # both districts above the city's 1
