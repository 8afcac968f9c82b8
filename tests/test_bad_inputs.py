"""Every case of the bad-input corpus (tests/bad_inputs.py) gets what docs/bad_inputs.md says:
refused with file and row, an error or a warning at its row and column, or read exactly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from bad_inputs import CASES, markdown_table, write_case  # noqa: E402

from mchanalysis.errors import MchError  # noqa: E402
from mchanalysis.io import read_raw  # noqa: E402
from mchanalysis.validation import validate_counts  # noqa: E402

DOC = Path(__file__).parents[1] / "docs" / "bad_inputs.md"


def test_the_corpus_is_large_and_its_ids_unique():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


def test_the_doc_table_is_the_corpus():
    assert markdown_table() in DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, tmp_path):
    path = write_case(case, tmp_path)
    kind = case.expect[0]
    if kind == "read_error":
        _, words, row = case.expect
        with pytest.raises(MchError) as info:
            read_raw(path)
        assert words in info.value.message, info.value
        assert info.value.file == str(path)
        assert info.value.row == row
        return
    raw = read_raw(path)
    counts, findings = validate_counts(raw, file=path, max_year=2025)
    errors = findings[findings["severity"] == "error"]
    if kind == "ok":
        assert errors.empty, errors[["row", "column", "check", "message_en"]].to_string()
        _, code, year, measure, value = case.expect
        if code is not None:
            cell = counts.loc[(counts["region_code"] == code) & (counts["year"] == year), measure]
            assert len(cell) == 1 and int(cell.iloc[0]) == value
        return
    _, check, row, column = case.expect
    hits = findings[(findings["check"] == check) & (findings["severity"] == kind)]
    assert len(hits), findings[["row", "column", "check", "severity", "message_en"]].to_string()
    if row is not None:
        hits = hits[hits["row"] == row]
    if column is not None:
        hits = hits[hits["column"] == column]
    assert len(hits), findings[["row", "column", "check", "severity", "message_en"]].to_string()
    assert set(hits["file"]) == {str(path)}
    assert all(isinstance(m, str) and m for m in hits["message_en"])
    assert all(isinstance(m, str) and m for m in hits["message_zh"])
