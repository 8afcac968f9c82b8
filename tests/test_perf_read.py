"""The plain-CSV fast path of :func:`mchanalysis.io.read_raw` (issue 12) reads what the csv path reads.

:func:`mchanalysis.io._read_plain` (pyarrow's parser, quoting off, ``str`` columns) must give,
on every text it accepts, the frame :func:`mchanalysis.io._read_text` (Python's :mod:`csv`,
cell by cell) gives: the same columns, cells, rows and ``_row``; and it must decline (``None``)
every text on which the two could differ. Validation must then find the same things in both
frames (``validate_counts`` of the ``str`` frame against the ``object`` one).
"""

from __future__ import annotations

import codecs

import pandas as pd
import pytest
import support

from mchanalysis import io as mio
from mchanalysis.cells import detect_encoding
from mchanalysis.errors import MchError
from mchanalysis.validation import validate_counts

HEADER = "region_code,region_name,parent_code,level,year,live_births,infant_deaths"
ROWS = [
    "990000,样例省,,province,2022,,",
    "990100,样例市,990000,prefecture,2022,,",
    "990101,东城区,990100,county,2022,5600,12",
    "990102,西城区,990100,county,2022,4100,9",
]


def _text(lines, end="\n", final=True):
    return end.join(lines) + (end if final else "")


def _both(text: str, delimiter: str = ","):
    """(fast frame or None, slow frame or the MchError it raised)."""
    encoding = detect_encoding(text.encode("utf-8"))
    fast = mio._read_plain(text, delimiter, encoding)
    try:
        slow = mio._read_text(text, delimiter, encoding, file="t.csv", raw=text.encode("utf-8"))
    except MchError as exc:
        slow = exc
    return fast, slow


def _same(fast: pd.DataFrame, slow: pd.DataFrame):
    assert list(fast.columns) == list(slow.columns)
    assert fast.attrs == slow.attrs
    assert fast[mio.ROW].dtype == slow[mio.ROW].dtype
    assert (fast.dtypes.drop(mio.ROW) == "str").all()
    pd.testing.assert_frame_equal(fast.astype(object), slow.astype(object))


ACCEPTED = {
    "lf": _text([HEADER, *ROWS]),
    "crlf": _text([HEADER, *ROWS], "\r\n"),
    "no_final_newline": _text([HEADER, *ROWS], final=False),
    "crlf_no_final_newline": _text([HEADER, *ROWS], "\r\n", final=False),
    "tab": _text([HEADER.replace(",", "\t"), *(r.replace(",", "\t") for r in ROWS)]),
    "spaces_kept": _text([HEADER, "990101, 东城区 ,990100,county,2022, 5600 ,12"]),
    "blank_row_inside": _text([HEADER, ROWS[0], ",,,,,,", ROWS[1]]),
    "chinese_headers": _text(["行政区划代码,地区,上级代码,级别,年份,活产数,婴儿死亡数", *ROWS]),
    "fullwidth_digits": _text([HEADER, "990101,东城区,990100,county,2022,５６００,12"]),
    "control_character": _text([HEADER, "990101,东\x01城区,990100,county,2022,5600,12"]),
    "unknown_header": _text([HEADER + ",note", *(r + ",x" for r in ROWS)]),
    "bom_inside": _text([HEADER, "990101,\ufeff东城区,990100,county,2022,5600,12"]),
    "one_row": _text([HEADER, ROWS[2]]),
}

DECLINED = {
    "quoted": _text([HEADER, '990101,东城区,990100,county,2022,"5,600",12']),
    "quote_inside": _text([HEADER, '990101,东"城区,990100,county,2022,5600,12']),
    "lone_cr": HEADER + "\r" + "\r".join(ROWS) + "\r",
    "mixed_cr": _text([HEADER, *ROWS]).replace("\n", "\r", 1),
    "empty_line_inside": _text([HEADER, ROWS[0], "", ROWS[1]]),
    "empty_lines_at_end": _text([HEADER, *ROWS]) + "\n\n",
    "blank_row_at_end": _text([HEADER, *ROWS, ",,,,,,"]),
    "spaces_row_at_end": _text([HEADER, *ROWS, " , ,,,,,"]),
    "ragged_short": _text([HEADER, *ROWS, "990103,南城区,990100,county,2022,3000"]),
    "ragged_long": _text([HEADER, *ROWS, "990103,南城区,990100,county,2022,3000,1,"]),
    "header_only": _text([HEADER]),
    "header_no_newline": HEADER,
    "empty_header_cell": _text([HEADER + ",", *(r + "," for r in ROWS)]),
    "repeated_header": _text([HEADER + ",live_births", *(r + ",1" for r in ROWS)]),
    "one_column": _text(["region_code", "990101", "990102"]),
    "nul": _text([HEADER, "990101,东\x00城区,990100,county,2022,5600,12"]),
    "accented": _text([HEADER, "990101,Zürich,990100,county,2022,5600,12"]),
    "replacement_character": _text([HEADER, "990101,东\ufffd区,990100,county,2022,5600,12"]),
    "total_row": _text([HEADER, *ROWS, "990199,合计,990100,county,2022,9700,21"]),
    "title_line": _text(["2022年妇幼卫生年报,,,,,,", HEADER, *ROWS]),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_the_plain_path_reads_what_the_csv_path_reads(name):
    fast, slow = _both(ACCEPTED[name], "\t" if name == "tab" else ",")
    assert fast is not None, name
    assert not isinstance(slow, Exception), slow
    _same(fast, slow)


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_the_plain_path_declines_texts_the_readers_could_read_apart(name):
    fast, _ = _both(DECLINED[name])
    assert fast is None, name


def test_read_raw_of_the_demo_takes_the_plain_path_and_validates_alike():
    data = support.DEMO.read_bytes()
    encoding = detect_encoding(data)
    text = codecs.decode(data, encoding)
    fast = mio.read_raw(support.DEMO)
    slow = mio._read_text(text, ",", encoding, file=support.DEMO, raw=data)
    _same(fast, slow)
    counts_f, findings_f = validate_counts(fast, file="demo.csv")
    counts_s, findings_s = validate_counts(slow, file="demo.csv")
    pd.testing.assert_frame_equal(counts_f, counts_s)
    assert counts_f.attrs == counts_s.attrs
    pd.testing.assert_frame_equal(findings_f, findings_s)


@pytest.mark.parametrize(
    "edit",
    [
        ("990101", "5600", "56OO"),  # non_numeric
        ("990101", "5600", "-3"),  # negative
        ("990102", "4100", "41.5"),  # non_integer
        ("990102", "4100", "-2"),  # not carried out
        ("990101", "东城区", ""),  # empty name
        ("990101", "990101", "99010"),  # code format
        ("990102", "2022", "二〇二二"),  # year
        ("990102", "county", "乡镇"),  # level
        ("990101", "12", "1２"),  # full-width digit in a count
    ],
)
def test_validation_finds_the_same_in_both_frames(edit):
    code, old, new = edit
    rows = [r if not r.startswith(code) else r.replace(old, new, 1) for r in ROWS]
    rows.append(rows[-1].replace("2022", "2023"))  # two years
    rows.append(",,,,,,")  # a blank row inside
    rows.append(ROWS[2].replace("2022", "2023"))
    fast, slow = _both(_text([HEADER, *rows]))
    assert fast is not None
    for lang_frame in (fast, slow):
        assert len(lang_frame) == len(rows)
    counts_f, findings_f = validate_counts(fast, file="t.csv")
    counts_s, findings_s = validate_counts(slow, file="t.csv")
    pd.testing.assert_frame_equal(counts_f, counts_s)
    assert counts_f.attrs == counts_s.attrs
    pd.testing.assert_frame_equal(findings_f, findings_s)
    assert len(findings_f)
