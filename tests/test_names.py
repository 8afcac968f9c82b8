"""Names say one thing each, spelled one way (British -ise, as neutralise and normalise_zip)."""

from __future__ import annotations

import re
from pathlib import Path

import mchanalysis

PKG = Path(mchanalysis.__file__).parent


def test_normalise_is_spelled_one_way():
    # unicodedata.normalize is the standard library's name, not ours
    pattern = re.compile(r"(?<!unicodedata\.)\bnormaliz\w*", re.IGNORECASE)
    hits = [
        f"{f.relative_to(PKG)}: {m.group(0)}"
        for f in sorted(PKG.rglob("*.py"))
        for m in pattern.finditer(f.read_text(encoding="utf-8"))
    ]
    assert hits == []


def test_one_module_per_meaning_of_template_and_html():
    """'template' is the report's wording (report/templates); the XLSX form is the data-entry
    workbook; an HTML module is named for the page it makes."""
    names = {f.relative_to(PKG).as_posix() for f in PKG.rglob("*.py")}
    assert "template.py" not in names and "data_entry_workbook.py" in names
    assert not {n for n in names if n.endswith("/html.py") or n == "html.py"}
