"""XLSX writing: formula injection neutralised, same table -> same bytes."""

import time

import pandas as pd
from openpyxl import load_workbook

from mchanalysis.spreadsheet import neutralise, write_xlsx


def test_formula_like_text_is_neutralised_numbers_untouched(tmp_path):
    df = pd.DataFrame(
        {"name": ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "普通文本"], "value": [-1.5, 2, 3, 4, None]}
    )
    p = write_xlsx(df, tmp_path / "t.xlsx")
    ws = load_workbook(p).active
    texts = [ws.cell(row=i, column=1).value for i in range(2, 7)]
    assert texts == ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "普通文本"]
    assert ws.cell(row=2, column=2).value == -1.5 and ws.cell(row=2, column=2).data_type == "n"
    assert ws.cell(row=6, column=2).value is None
    assert neutralise(-3) == -3


def test_same_table_gives_identical_bytes(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    a = write_xlsx(df, tmp_path / "a.xlsx").read_bytes()
    time.sleep(1.1)  # openpyxl stamps the save time in docProps/core.xml
    b = write_xlsx(df, tmp_path / "b.xlsx").read_bytes()
    assert a == b


def test_neutralise_frame_quotes_formula_text_and_keeps_numbers():
    import pandas as pd

    from mchanalysis.spreadsheet import neutralise_frame

    f = pd.DataFrame(
        {"name": ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "东城区", "-"], "n": [-1, 2, 3, 4]}
    )
    out = neutralise_frame(f)
    assert out["name"].tolist() == ['\'=HYPERLINK("http://x","y")', "'+cmd|' /C calc'!A0", "东城区", "'-"]
    assert out["n"].tolist() == [-1, 2, 3, 4]
    assert f["name"].iloc[0].startswith("=")  # the input is not modified


def test_one_xlsx_writer_and_one_zip_normaliser():
    """Every workbook is serialised by spreadsheet.workbook_bytes and every Office archive is
    rewritten by archive.normalise_zip: no other module saves a workbook or writes a ZIP."""
    import re
    from pathlib import Path

    import mchanalysis

    pkg = Path(mchanalysis.__file__).parent
    offenders = []
    for f in sorted(pkg.rglob("*.py")):
        rel = f.relative_to(pkg).as_posix()
        text = f.read_text(encoding="utf-8")
        if rel != "archive.py" and re.search(r"zipfile\.ZipFile\(|ZipInfo\(", text):
            offenders.append(f"{rel}: writes a ZIP")
        if rel != "spreadsheet.py" and re.search(r"\bwb\.save\(|\.properties\.(created|modified)\b", text):
            offenders.append(f"{rel}: saves a workbook")
    assert offenders == []


def test_docx_and_xlsx_share_the_normaliser():
    from mchanalysis import archive, spreadsheet
    from mchanalysis.report import docx

    assert spreadsheet.normalise_zip is archive.normalise_zip
    assert docx.normalise_zip is archive.normalise_zip
