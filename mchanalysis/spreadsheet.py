"""Writing tables to XLSX safely and reproducibly.

* Formula injection: a text cell starting with ``= + - @`` (or a tab / carriage return) would be
  run as a formula by Excel/WPS when a user opens the file (an XLSX or a CSV file:
  :func:`neutralise_frame` before writing a CSV). Such text is neutralised by a
  leading apostrophe-like quote character (``'``), as OWASP's "CSV injection" guidance
  recommends; numbers are never touched (a negative number stays a number).
* Determinism: workbook creation/modification times are pinned and the zip entries get a fixed
  timestamp, so the same table gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FIXED_TIME = datetime(2000, 1, 1, 0, 0, 0)


def neutralise(value):
    """Return ``value`` with a leading ``'`` if it is text that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and header) passed through :func:`neutralise`,
    for CSV files that a spreadsheet will open (numbers are never touched)."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object:  # cell by cell: numbers and None in the column stay as they are
            out[c] = pd.Series([neutralise(v) for v in out[c]], index=out.index, dtype=object)
        elif pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(neutralise)
    out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    return out


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_CREATED = re.compile(rb"(<dcterms:created[^>]*>)[^<]*(</dcterms:created>)")
_FIXED_W3CDTF = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()


def pin_zip(raw: bytes) -> bytes:
    """Rewrite a zip (xlsx/docx) with fixed entry timestamps, sorted entries and pinned
    core-property dates (openpyxl and python-docx stamp 'modified' with the time of saving)."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _MODIFIED.sub(rb"\g<1>" + _FIXED_W3CDTF + rb"\g<2>", data)
                data = _CREATED.sub(rb"\g<1>" + _FIXED_W3CDTF + rb"\g<2>", data)
            dst.writestr(zi, data)
    return buf.getvalue()


def workbook_bytes(wb) -> bytes:
    """Serialise an openpyxl Workbook with pinned properties and zip timestamps."""
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.lastModifiedBy = None
    wb.properties.creator = "mchanalysis"
    buf = io.BytesIO()
    wb.save(buf)
    return pin_zip(buf.getvalue())


def write_xlsx(frames: pd.DataFrame | dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write one table (or ``{sheet name: table}``) to ``path`` as XLSX.

    Text cells are neutralised (:func:`neutralise`); missing values become empty cells.
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    if isinstance(frames, pd.DataFrame):
        frames = {"data": frames}
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in frames.items():
        ws = wb.create_sheet(title=str(name)[:31])
        ws.append([neutralise(str(c)) for c in df.columns])
        for row in df.itertuples(index=False):
            ws.append([None if (v is None or (not isinstance(v, str) and pd.isna(v))) else neutralise(v)
                       for v in row])
        for i, col in enumerate(df.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)]) + 2
            ws.column_dimensions[get_column_letter(i)].width = min(width, 60)
        ws.freeze_panes = "A2"
    Path(path).write_bytes(workbook_bytes(wb))
    return Path(path)
