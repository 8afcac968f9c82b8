"""Writing tables to XLSX safely and reproducibly: the package's one spreadsheet writer.

* Formula injection: a text cell starting with ``= + - @`` (or a tab / carriage return) would be
  run as a formula by Excel/WPS when a user opens the file (an XLSX or a CSV file:
  :func:`neutralise_frame` before writing a CSV). Such text is neutralised by a
  leading apostrophe-like quote character (``'``), as OWASP's "CSV injection" guidance
  recommends; numbers are never touched (a negative number stays a number).
* Determinism: workbook properties are pinned and the archive normalised
  (:func:`mchanalysis.archive.normalise_zip`), so the same table gives the same bytes.

Every XLSX the package writes goes through :func:`workbook_bytes`: tables (:func:`xlsx_bytes`,
:func:`write_xlsx`), the report's scorecard workbook and the data-entry workbook.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pandas as pd

from mchanalysis.archive import normalise_zip
from mchanalysis.atomic import write_bytes

#: Leading characters that make a spreadsheet treat text as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Creation and modification time written into every workbook's properties.
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


def _cell(v):
    """A table value as an openpyxl cell value: missing -> empty, numpy scalar -> Python, text neutralised."""
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):  # numpy scalar
        v = v.item()
    return neutralise(v)


def workbook_bytes(wb) -> bytes:
    """Serialise an openpyxl Workbook with pinned properties, as reproducible bytes."""
    props = wb.properties
    props.creator = "mchanalysis"
    props.lastModifiedBy = "mchanalysis"
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return normalise_zip(buf.getvalue())


def xlsx_bytes(frames: pd.DataFrame | dict[str, pd.DataFrame]) -> bytes:
    """One table (sheet ``data``) or ``{sheet name: table}`` as XLSX bytes.

    Header row bold and frozen, text cells neutralised (:func:`neutralise`), missing values as
    empty cells, column widths from the first 200 values (8 to 48 characters).
    """
    # lazy: openpyxl loads only when a workbook is written (start-up time of `mch`)
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if isinstance(frames, pd.DataFrame):
        frames = {"data": frames}
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in frames.items():
        ws = wb.create_sheet(title=str(name)[:31])
        ws.append([neutralise(str(c)) for c in df.columns])
        for c in ws[1]:
            c.font = Font(bold=True)
        for row in df.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
        for i, col in enumerate(df.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in df[col].tolist()[:200]]) + 2
            ws.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 48)
    return workbook_bytes(wb)


def write_xlsx(frames: pd.DataFrame | dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write one table (or ``{sheet name: table}``) to ``path`` as XLSX (:func:`xlsx_bytes`)."""
    write_bytes(path, xlsx_bytes(frames))
    return Path(path)
