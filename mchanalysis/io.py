"""Read a counts table from CSV, XLSX or Parquet into a grid of text.

This module only *reads*: it turns a file into a :class:`pandas.DataFrame` whose every cell is a
``str`` exactly as written (``""`` for an empty cell) plus a ``_row`` column with the row number
the user sees in a spreadsheet (header = row 1, first data row = 2). Nothing is converted,
filled or dropped here; :mod:`mchanalysis.validation` interprets the text and reports every
problem at once. Keeping codes as text is what keeps ``010101`` from becoming ``10101``.

What one cell's text is (encoding detection, normalisation, header names, a workbook value as
text) is in :mod:`mchanalysis.cells`, below this module and below
:mod:`mchanalysis.nianbao_workbook`, the reader of the 年报 as exported, to which
:func:`read_raw` hands a file with title lines, a two-row header or a 合计 row.
"""

from __future__ import annotations

import codecs
import csv
import io as _io
from pathlib import Path

import numpy as np
import pandas as pd

from mchanalysis import nianbao_workbook
from mchanalysis.cells import (
    ROW,
    canonical_column,
    cell_text,
    check_mixed_lines,
    check_text,
    detect_encoding,
    normalise_text,
    open_workbook,
    text_passes_checks,
)
from mchanalysis.errors import MchError

#: File suffixes read as CSV (comma-separated), TSV, XLSX and Parquet.
CSV_SUFFIXES = (".csv", ".txt")
TSV_SUFFIXES = (".tsv", ".tab")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")


def _grid_to_frame(records: list[list[str]], rows: list[int], *, file) -> pd.DataFrame:
    """Build the text frame from a header record and data records, checking the shape."""
    records = list(records)
    while len(records) > 1 and all(str(v).strip() == "" for v in records[-1]):
        records.pop()  # empty lines or rows at the end are not records
    if not records:
        raise MchError("the file is empty: no header row", file=file)
    header = [normalise_text(h) for h in records[0]]
    # trailing empty header cells (common after spreadsheet edits) are not columns,
    # unless some data row has a value under them
    width = len(header)
    while width and header[width - 1] == "":
        width -= 1
    if width == 0:
        raise MchError("the header row (row 1) is empty", file=file, row=1)
    data = records[1:]
    if any(len(record) != width for record in data):  # else every record already has the header's width
        data = _fit_records(data, rows[1:], width, file=file)
    seen: dict[str, int] = {}
    for position, name in enumerate(header[:width], start=1):
        if name == "":
            raise MchError(f"column {position} has no header", file=file, row=1)
        if name in seen:
            raise MchError(
                f"the header {name!r} appears twice (columns {seen[name]} and {position})",
                file=file,
                row=1,
                column=name,
            )
        seen[name] = position
    frame = pd.DataFrame(data, columns=header[:width], dtype=object)
    frame[ROW] = pd.Series(rows[1 : len(records)], dtype="int64", index=frame.index)
    return frame


def _fit_records(data: list[list[str]], rows: list[int], width: int, *, file) -> list[list[str]]:
    """Records cut or padded to ``width`` values; a value beyond the header's columns is an error."""
    fitted = []
    for record, row in zip(data, rows):
        extra = [v for v in record[width:] if str(v).strip() != ""]
        if extra:
            raise MchError(
                f"row has {len(record)} values but the header names only {width} columns "
                f"(first extra value: {extra[0]!r}); a comma inside a number or name "
                "must be quoted, or the header is missing a column",
                file=file,
                row=row,
            )
        fitted.append(list(record[:width]) + [""] * (width - len(record)))
    return fitted


def _read_delimited(path: Path, delimiter: str) -> pd.DataFrame:
    data = path.read_bytes()
    encoding = detect_encoding(data, file=path)
    if encoding == "gb18030":
        check_mixed_lines(data, file=path)
    text = codecs.decode(data, encoding)
    plain = _read_plain(text, delimiter, encoding)
    if plain is not None:
        return plain
    return _read_text(text, delimiter, encoding, file=path, raw=data)


def _read_text(text: str, delimiter: str, encoding: str, *, file, raw: bytes | None = None) -> pd.DataFrame:
    """The frame of a delimited text, cell by cell (:mod:`csv`): any text (``raw``: its bytes)."""
    records = list(csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter, strict=False))
    check_text(records, file=file, encoding=encoding, raw=raw, text=text)
    # title lines / a 合计 row, as the 年报 is exported
    if nianbao_workbook.is_exported(records):
        return nianbao_workbook.read_grid(records, file=file)
    # csv records are spreadsheet rows: a quoted value spanning lines is still one row
    return _grid_to_frame(records, list(range(1, len(records) + 1)), file=file)


def _read_plain(text: str, delimiter: str, encoding: str) -> pd.DataFrame | None:
    r"""The frame of a *plain* delimited text, read by pyarrow's CSV parser; ``None`` for any other.

    The same frame as :func:`_read_text` gives, except that the columns are pandas' ``str``
    (Arrow-backed) instead of ``object``: the same cells, the same column names and rows, the
    same ``_row``. The two million Python strings of a national file are never made (0.05 s
    against 0.35 s): validation reads each column's distinct values
    (``mchanalysis.validation``).

    Plain, and why each condition makes the two readings agree:

    - no ``"`` and no NUL: nothing is quoted, so :mod:`csv` splits every line at every delimiter,
      as pyarrow does with quoting off;
    - every ``\r`` is part of a ``\r\n``: both readers end lines at ``\n`` and ``\r\n`` alike
      (a lone ``\r``, which ends a line too, is left to :mod:`csv`); no line is empty (how
      pyarrow reads an empty line in a table of several columns is not documented);
    - the header has at least two cells, none empty and none repeated (after
      :func:`normalise_text`), and every line below has as many cells (pyarrow refuses
      any other count: then ``None``), so no line is cut or padded;
    - the last line is not blank (blank rows at the end are not records);
    - :func:`mchanalysis.cells.text_passes_checks`: :func:`check_text` has nothing to refuse;
    - not the 年报 as exported: :func:`mchanalysis.nianbao_workbook.is_exported` is asked about
      the first lines and, for each column headed as the region name, its distinct values
      (what it reads of the rows below the header).
    """
    if not text_passes_checks(text, encoding) or '"' in text or "\x00" in text:
        return None
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None
    if "\n\n" in text or "\n\r\n" in text:  # an empty line: see above
        return None
    end = text.find("\n")
    if end < 0:
        return None
    header_cells = text[:end].removesuffix("\r").split(delimiter)
    header = [normalise_text(h) for h in header_cells]
    if len(header) < 2 or "" in header or len(set(header)) < len(header):
        return None
    stop = len(text) - (text.endswith("\r\n") + text.endswith("\n"))  # the last line's end
    last = text[text.rfind("\n", 0, stop) + 1 : stop]
    if stop <= end or all(v.strip() == "" for v in last.split(delimiter)):  # or no data line
        return None
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(text[end + 1 :].encode("utf-8")),
            read_options=pa_csv.ReadOptions(column_names=names),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                quote_char=False,
                double_quote=False,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=pa_csv.ConvertOptions(
                # large_string: what pandas' "str" holds (no conversion after)
                column_types={n: pa.large_string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:  # a line with another number of cells than the header
        return None
    # the 年报 as exported: is_exported reads the first rows (its header search) and, below the
    # header, the region-name column's values; rows of one cell under each such column give
    # it the column's distinct values (and "" for the others, which is no total label)
    head_end = 0
    for _ in range(nianbao_workbook.HEADER_SEARCH_ROWS):
        nxt = text.find("\n", head_end)
        if nxt < 0:
            head_end = len(text)
            break
        head_end = nxt + 1
    head = list(csv.reader(_io.StringIO(text[:head_end], newline=""), delimiter=delimiter, strict=False))
    named = [k for k, c in enumerate(header_cells) if c.strip() and canonical_column(c) == "region_name"]
    values = [[""] * k + [v] for k in named for v in table.column(k).unique().to_pylist()]
    if nianbao_workbook.is_exported(head + values):
        return None
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' "str"
    frame = pd.DataFrame({h: pd.array(table.column(i), dtype=dtype) for i, h in enumerate(header)})
    frame[ROW] = pd.Series(np.arange(2, len(frame) + 2), dtype="int64", index=frame.index)
    return frame


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    """Cells as text; a formula cell gives the value Excel computed and saved with the file.

    A formula without a saved value (a workbook written by a program and never opened in a
    spreadsheet) would read as empty, i.e. silently "not reported": that is an error instead.
    """
    workbook = open_workbook(path, data_only=False)
    try:
        if sheet is None:
            visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
            if not visible:
                raise MchError(
                    "every sheet of the workbook is hidden; unhide the data sheet or name it with --sheet",
                    file=path,
                )
            worksheet = visible[0]  # hidden sheets (e.g. "2019版(作废)") are never read by default
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise MchError(
                f"no sheet named {sheet!r}; the workbook has: " + ", ".join(workbook.sheetnames),
                file=path,
            )
        title = worksheet.title
        records, formulas = [], []
        for r, cells in enumerate(worksheet.iter_rows(min_row=1, min_col=1), start=1):
            record = []
            for c, cell in enumerate(cells, start=1):
                if cell.data_type == "f":
                    formulas.append((r, c, cell.coordinate, getattr(cell.value, "text", cell.value)))
                    record.append("")
                else:
                    record.append(cell_text(cell.value))
            records.append(record)
    finally:
        workbook.close()
    if formulas:
        computed = open_workbook(path, data_only=True)
        try:
            values = computed[title]
            unsaved = []
            for r, c, coordinate, formula in formulas:
                value = values.cell(row=r, column=c).value
                if value is None:
                    unsaved.append(f"{coordinate} ({formula})")
                records[r - 1][c - 1] = cell_text(value)
        finally:
            computed.close()
        if unsaved:
            raise MchError(
                f"{len(unsaved)} formula cell(s) have no computed value saved in the file, e.g. "
                + ", ".join(unsaved[:5])
                + "; open the workbook in Excel or WPS and save it, or paste the values",
                file=path,
            )
    if records and all(v.strip() == "" for v in records[0]):
        first = next((i for i, r in enumerate(records, 1) if any(v.strip() for v in r)), None)
        if first is None:
            raise MchError(f"the sheet {title!r} is empty", file=path)
        raise MchError(
            f"the header must be in row 1 of the sheet; row 1 is empty and the first "
            f"non-empty row is {first}",
            file=path,
            row=first,
        )
    check_text(records, file=path)
    return _grid_to_frame(records, list(range(1, len(records) + 1)), file=path)


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow.ArrowInvalid etc.
        raise MchError(f"cannot read as a Parquet file: {exc}", file=path) from exc
    header = [str(n) for n in table.column_names]
    columns = [[cell_text(v) for v in table.column(i).to_pylist()] for i in range(len(header))]
    records = [header] + [list(r) for r in zip(*columns)] if header else []
    check_text(records, file=path)
    return _grid_to_frame(records, list(range(1, table.num_rows + 2)), file=path)


def read_raw(path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read a counts file into a frame of text cells, one row per record, nothing converted.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` / ``.txt`` (comma-separated), ``.tsv``, ``.xlsx`` / ``.xlsm`` or
        ``.parquet`` file. CSV encodings UTF-8, UTF-8 with BOM, GBK and GB18030 are detected
        (:func:`detect_encoding`).
    sheet : str, optional
        XLSX only: the sheet to read; default the first *visible* sheet (a hidden sheet, such
        as an old version kept in the workbook, is read only when named).

    Returns
    -------
    pandas.DataFrame
        One column per header, named by the header as written (normalised by
        :func:`normalise_text`, *not* yet mapped to ids), every cell a ``str`` (``""`` when
        empty), plus :data:`ROW` (``"_row"``, int): the spreadsheet row number of the record
        (header = row 1). For Parquet, the record number + 1, as if the file were a sheet.
        The text columns are of dtype ``object``, or of pandas' ``str`` (Arrow-backed) for a
        plain CSV or TSV (no quotes, one cell per header in every line, ...: read by pyarrow's
        parser, 7 times faster on a national file; the same cells, see :func:`_read_plain`).

    Raises
    ------
    MchError
        File missing, unknown suffix, undecodable text, unknown sheet, a header repeated or
        empty, or a record with more values than there are headers.

    Notes
    -----
    The header must be in the first row. Empty rows at the end of a sheet are not records;
    every other row, empty or not, keeps its own row number so that messages point to the row
    the user sees.
    """
    path = Path(path)
    if not path.is_file():
        raise MchError("no such file", file=path)
    suffix = path.suffix.lower()
    if sheet is not None and suffix not in XLSX_SUFFIXES:
        raise MchError("--sheet applies to Excel workbooks only", file=path)
    if suffix in CSV_SUFFIXES:
        return _read_delimited(path, ",")
    if suffix in TSV_SUFFIXES:
        return _read_delimited(path, "\t")
    if suffix in XLSX_SUFFIXES:
        # title lines, merged headers, 合计 row, 卫统 sheets
        if nianbao_workbook.is_exported_workbook(path, sheet):
            return nianbao_workbook.read_workbook(path, sheet)
        return _read_xlsx(path, sheet)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    if suffix == ".xls":
        raise MchError("old Excel .xls files are not read; save the workbook as .xlsx", file=path)
    raise MchError(
        f"unknown file type {suffix or '(no suffix)'!r}; use .csv, .tsv, .xlsx or .parquet",
        file=path,
    )
