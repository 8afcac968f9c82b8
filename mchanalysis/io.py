"""Read a counts table from CSV, XLSX or Parquet into a grid of text, and name its columns.

This module only *reads*: it turns a file into a :class:`pandas.DataFrame` whose every cell is a
``str`` exactly as written (``""`` for an empty cell) plus a ``_row`` column with the row number
the user sees in a spreadsheet (header = row 1, first data row = 2). Nothing is converted,
filled or dropped here; :mod:`mchanalysis.validation` interprets the text and reports every
problem at once. Keeping codes as text is what keeps ``010101`` from becoming ``10101``.

Encodings of CSV files are detected, not asked for, and deterministically: the bytes are
decoded as UTF-8 (a byte-order mark is removed), and if that fails as GB18030, which is a
superset of GBK and GB2312 (the encodings Excel and WPS use when saving "CSV" on Chinese
Windows). UTF-8 is tried first because a GBK file with Chinese text is almost never valid UTF-8,
while most UTF-8 files with Chinese text are also decodable, as nonsense, in GB18030; the one
exception (a GBK file whose few Chinese characters happen to form valid UTF-8) is handled in
:func:`detect_encoding`. A file neither decodes is an :class:`~mchanalysis.errors.MchError`
naming the file and the first bad byte.

Headers are recognised through :data:`mchanalysis.schema.HEADER_ALIASES` after Unicode NFKC
normalisation (full-width letters, digits and parentheses become half-width), removal of
surrounding and repeated white space, and, failing that, removal of a trailing parenthetical
note, so ``早孕建册人数（孕13周前建册并首次产检）`` and ``早孕建册人数`` are the same column.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io as _io
import math
import re
import unicodedata
from pathlib import Path

import pandas as pd

from mchanalysis.errors import MchError
from mchanalysis.schema import HEADER_ALIASES, LEVEL_ALIASES

#: Name of the column holding the spreadsheet row number of each record.
ROW = "_row"

#: File suffixes read as CSV (comma-separated), TSV, XLSX and Parquet.
CSV_SUFFIXES = (".csv", ".txt")
TSV_SUFFIXES = (".tsv", ".tab")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")

#: Encodings tried, in order, for text files.
ENCODINGS = ("utf-8-sig", "gb18030")  # documentation; see detect_encoding

_SPACE = re.compile(r"\s+")
_PAREN_NOTE = re.compile(r"\s*\([^()]*\)\s*$")
# keys as normalise_text leaves a header (NFKC: "（" -> "(", "～" -> "~"), in lower case
_LOWER_ALIASES = {
    " ".join(unicodedata.normalize("NFKC", k).split()).lower(): v for k, v in HEADER_ALIASES.items()
}
_LOWER_LEVELS = {k.lower(): v for k, v in LEVEL_ALIASES.items()}


def normalise_text(text: str) -> str:
    """Normalise a header or label for comparison: NFKC, no BOM, single inner spaces, stripped.

    Parameters
    ----------
    text : str
        A header or a cell as written.

    Returns
    -------
    str
        ``unicodedata.normalize("NFKC", text)`` without a byte-order mark, with runs of white
        space (including the ideographic space U+3000) collapsed to one space and stripped.

    Examples
    --------
    >>> normalise_text(" 活产数　")
    '活产数'
    >>> normalise_text("早孕建册人数（孕13周前建册并首次产检）")
    '早孕建册人数(孕13周前建册并首次产检)'
    """
    text = str(text)
    if text.isascii():  # fast path: NFKC changes no ASCII character
        return " ".join(text.split())
    text = unicodedata.normalize("NFKC", text).replace("\ufeff", "")
    return _SPACE.sub(" ", text).strip()


def canonical_column(header: str) -> str | None:
    """The column id a header stands for, or ``None`` if it is not a known column.

    Parameters
    ----------
    header : str
        A header as written in the file: an id (``live_births``, any letter case), a Chinese
        name (``活产数``), or a variant listed in :data:`mchanalysis.schema.HEADER_ALIASES`.

    Returns
    -------
    str or None
        The canonical id (a key of ``ID_COLUMNS`` or ``MEASURES``, or ``measure`` / ``value``
        for the long form).

    Notes
    -----
    Tried in order: the normalised header (:func:`normalise_text`); the same in lower case;
    the same without a trailing parenthetical note (``宫颈癌应筛查妇女数 (35-64岁)`` ->
    ``宫颈癌应筛查妇女数``). The note is dropped only for the lookup; a header that matches
    nothing is never guessed (validation suggests the closest name instead).

    Examples
    --------
    >>> canonical_column("5岁以下儿童死亡数")
    'under5_deaths'
    >>> canonical_column(" Live_Births ")
    'live_births'
    >>> canonical_column("备注") is None
    True
    """
    text = normalise_text(header)
    for candidate in (text, _PAREN_NOTE.sub("", text)):
        if candidate in HEADER_ALIASES:
            return HEADER_ALIASES[candidate]
        if candidate.lower() in _LOWER_ALIASES:
            return _LOWER_ALIASES[candidate.lower()]
    return None


def canonical_level(text: str) -> str | None:
    """The canonical level (``province``, ``prefecture``, ``county``) of a label, or ``None``.

    Accepts the spellings of :data:`mchanalysis.schema.LEVEL_ALIASES` (``省级``, ``地市级``,
    ``县区级``, ``city``, ...) in any letter case and width.

    Examples
    --------
    >>> canonical_level("县区级"), canonical_level("City"), canonical_level("乡镇")
    ('county', 'prefecture', None)
    """
    text = normalise_text(text)
    return LEVEL_ALIASES.get(text, _LOWER_LEVELS.get(text.lower()))


def is_long_form(columns) -> bool:
    """Whether a table with these headers is in long form (``region_code, year, measure, value``).

    A table is long when its headers include both a ``measure`` and a ``value`` column
    (``指标`` / ``数值`` in Chinese), after :func:`canonical_column`.
    """
    ids = {canonical_column(c) for c in columns if isinstance(c, str) and c != ROW}
    return {"measure", "value"} <= ids


#: Chinese characters, CJK punctuation (、。《》) and full-width forms (，（）０-９).
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\U00020000-\U0002ffff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_NOT_ASCII_NOR_CJK = re.compile(f"[^\x00-\x7f\ufeff{_CJK}]")


def detect_encoding(data: bytes, *, file=None) -> str:
    """Name the encoding of a text file's bytes: ``"utf-8-sig"`` or ``"gb18030"``.

    Parameters
    ----------
    data : bytes
        The whole file.
    file : str or Path, optional
        Used in the error message.

    Returns
    -------
    str
        ``"utf-8-sig"`` (UTF-8, with or without a byte-order mark) or ``"gb18030"`` (GB18030,
        hence also GBK and GB2312).

    Raises
    ------
    MchError
        If neither UTF-8 nor GB18030 decodes the file; the message gives the byte offset at
        which UTF-8 failed.

    Notes
    -----
    Deterministic, no statistical guessing. The bytes are decoded strictly as UTF-8; if that
    fails, as GB18030. One exception keeps a GBK file from being misread: a GBK character
    whose two bytes are ``C2-DF 80-BF`` is also a valid UTF-8 character of U+0080..U+07FF
    (``省`` = ``CA A1`` = ``ʡ``). So when the UTF-8 reading has non-ASCII characters but not
    one Chinese character, while the GB18030 reading of the same bytes has only Chinese
    characters (and CJK punctuation, full-width forms) beyond ASCII, the file is GBK. A
    counts table with accented Latin letters and no Chinese at all is the one case this
    would misread; a UTF-8 file containing any Chinese character is always read as UTF-8.

    Examples
    --------
    >>> detect_encoding("省".encode("gbk")), detect_encoding("省".encode("utf-8"))
    ('gb18030', 'utf-8-sig')
    """
    try:
        text = codecs.decode(data, "utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        failure = exc
    else:
        if text.isascii() or _HAS_CJK.search(text):
            return "utf-8-sig"
        try:
            other = codecs.decode(data, "gb18030", errors="strict")
        except UnicodeDecodeError:
            return "utf-8-sig"
        if not _NOT_ASCII_NOR_CJK.search(other):
            return "gb18030"
        return "utf-8-sig"
    try:
        codecs.decode(data, "gb18030", errors="strict")
    except UnicodeDecodeError:
        _check_mixed_lines(data, file=file)
        raise MchError(
            "cannot read the file as text: it is neither UTF-8 nor GBK/GB18030 "
            f"(undecodable byte at offset {failure.start}); save it again as "
            "'CSV UTF-8' or as an Excel workbook",
            file=file,
        ) from None
    return "gb18030"


#: Left by an earlier, lossy conversion: U+FFFD (a character that could not be decoded) and
#: 锟斤拷 (U+FFFD written as UTF-8 and read back as GBK).
_LOST = ("\ufffd", "锟斤拷")
_LATIN_SANDWICH = re.compile(f"[A-Za-z\u00c0-\u024f][{_CJK}]+[A-Za-z\u00c0-\u024f]")
_UTF8_CJK = re.compile(rb"[\xe3-\xe9][\x80-\xbf][\x80-\xbf]")


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def check_text(records: list[list[str]], *, file=None, encoding: str | None = None,
               raw: bytes | None = None) -> None:
    """Refuse text that was decoded wrongly or damaged by an earlier conversion.

    Parameters
    ----------
    records : list of list of str
        The file's rows (header first), as decoded.
    file : str or Path, optional
        Named in the error.
    encoding : str, optional
        The encoding the text was decoded with (``"gb18030"`` enables the checks that only a
        GB18030 reading needs).
    raw : bytes, optional
        The file's bytes, to name the likely encoding (Big5 when they decode as Big5).

    Raises
    ------
    MchError
        With the row and column of the first implausible cell, the reason and the likely
        encoding:

        * a U+FFFD replacement character or 锟斤拷: characters were already lost when the file
          was made;
        * UTF-8 mojibake, Chinese text that went through Latin-1/Windows-1252 (``æ´»äº§æ•°``
          for 活产数): the cell's text re-encoded as Windows-1252 or Latin-1 is valid UTF-8
          with Chinese characters;
        * read as GB18030 only: Chinese characters between Latin letters of one word that are
          outside GB2312 (``Z黵ich``: Latin-1 ``Zürich`` read as GBK), or more than 10% of the
          file's distinct Chinese characters (at least 3) outside GB2312, the 6,763 characters that
          cover nearly all simplified-Chinese text (Big5, or UTF-8 and GBK mixed in one file).
    """
    rare: set[str] = set()
    total: set[str] = set()
    first_rare = None
    checked: set[str] = set()  # a text fails at its first cell or nowhere: each is checked once
    for r, record in enumerate(records, start=1):
        for c, cell in enumerate(record, start=1):
            if not isinstance(cell, str) or cell.isascii() or cell in checked:
                continue
            checked.add(cell)
            where = dict(file=file, row=r, column=records[0][c - 1] if r > 1 and c <= len(records[0]) else None)
            for mark in _LOST:
                if mark in cell:
                    raise MchError(
                        f"{cell.strip()!r} contains {'U+FFFD' if mark == chr(0xFFFD) else mark!r}: characters "
                        "were lost in an earlier conversion of the file; export it again from the source "
                        "(as 'CSV UTF-8' or .xlsx)", **where)
            if not _HAS_CJK.search(cell):
                for latin in ("cp1252", "latin-1"):
                    try:
                        fixed = cell.encode(latin).decode("utf-8")
                    except (UnicodeEncodeError, UnicodeDecodeError):
                        continue
                    if _HAS_CJK.search(fixed):
                        raise MchError(
                            f"{cell.strip()!r} is garbled text (mojibake): it reads {fixed.strip()!r} once "
                            f"undone, i.e. UTF-8 text was converted through {latin.replace('cp', 'Windows-')} "
                            "before it was saved; export the file again as 'CSV UTF-8'", **where)
            if encoding != "gb18030":
                continue
            for m in _LATIN_SANDWICH.finditer(cell):
                if not all(_in_gb2312(ch) for ch in m.group() if _HAS_CJK.match(ch)):
                    raise MchError(
                        f"{cell.strip()!r} does not read as Chinese: the file is probably Latin-1 or "
                        "Windows-1252 (e.g. accented letters), not GBK; save it as 'CSV UTF-8'", **where)
            for ch in cell:
                if _HAS_CJK.match(ch) and not ("\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"):
                    total.add(ch)
                    if ch not in rare and not _in_gb2312(ch):
                        rare.add(ch)
                        first_rare = first_rare or (r, where["column"], cell.strip())
    if encoding == "gb18030" and len(rare) >= 3 and len(rare) > 0.10 * len(total):
        rare, total = len(rare), len(total)
        r, column, cell = first_rare
        likely = "UTF-8 and GBK mixed in one file"
        if raw is not None:
            try:
                raw.decode("big5")
                likely = "Big5 (traditional Chinese)"
            except UnicodeDecodeError:
                pass
        raise MchError(
            f"the text does not read as simplified Chinese ({rare} of its {total} distinct characters "
            "are rare, "
            f"first {cell!r}): the file is probably {likely}; save it as 'CSV UTF-8'",
            file=file, row=r, column=column)


def _check_mixed_lines(data: bytes, *, file=None) -> None:
    """A file that is not UTF-8 as a whole, yet has lines of UTF-8 Chinese: two encodings mixed."""
    utf8_rows, other_rows = [], []
    for n, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            other_rows.append(n)
            continue
        if _HAS_CJK.search(text) and _UTF8_CJK.search(line):
            utf8_rows.append(n)
    if utf8_rows and other_rows:
        raise MchError(
            f"the file mixes two encodings: line(s) {', '.join(map(str, utf8_rows[:5]))} are UTF-8, "
            f"line(s) {', '.join(map(str, other_rows[:5]))} are not (GBK?); rows were probably pasted "
            "from another file: save the whole table again as 'CSV UTF-8'", file=file, row=utf8_rows[0])


def _cell_text(value) -> str:
    """Text of a spreadsheet or Parquet cell, as the user would see it written (no rounding).

    Integral floats are written without ``.0`` (Excel stores every number as a float: a cell
    showing 12 is 12.0 inside the file); other floats keep their shortest exact ``repr``.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, _dt.datetime) and value.time() == _dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


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
        _check_mixed_lines(data, file=path)
    text = codecs.decode(data, encoding)
    records = list(csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter, strict=False))
    check_text(records, file=path, encoding=encoding, raw=data)
    from mchanalysis import nianbao_workbook  # title lines / a 合计 row, as the 年报 is exported

    if nianbao_workbook.is_exported(records):
        return nianbao_workbook.read_grid(records, file=path)
    # csv records are spreadsheet rows: a quoted value spanning lines is still one row
    return _grid_to_frame(records, list(range(1, len(records) + 1)), file=path)


def _open_workbook(path: Path, *, data_only: bool):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, data_only=data_only)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, ...
        raise MchError(f"cannot open as an Excel workbook: {exc}", file=path) from exc


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    """Cells as text; a formula cell gives the value Excel computed and saved with the file.

    A formula without a saved value (a workbook written by a program and never opened in a
    spreadsheet) would read as empty, i.e. silently "not reported": that is an error instead.
    """
    workbook = _open_workbook(path, data_only=False)
    try:
        if sheet is None:
            visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
            if not visible:
                raise MchError("every sheet of the workbook is hidden; unhide the data sheet or name it "
                               "with --sheet", file=path)
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
                    record.append(_cell_text(cell.value))
            records.append(record)
    finally:
        workbook.close()
    if formulas:
        computed = _open_workbook(path, data_only=True)
        try:
            values = computed[title]
            unsaved = []
            for r, c, coordinate, formula in formulas:
                value = values.cell(row=r, column=c).value
                if value is None:
                    unsaved.append(f"{coordinate} ({formula})")
                records[r - 1][c - 1] = _cell_text(value)
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
    columns = [[_cell_text(v) for v in table.column(i).to_pylist()] for i in range(len(header))]
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
        from mchanalysis import nianbao_workbook  # title lines, merged headers, 合计 row, 卫统 sheets

        if nianbao_workbook.is_exported_workbook(path, sheet):
            return nianbao_workbook.read_workbook(path, sheet)
        return _read_xlsx(path, sheet)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    if suffix == ".xls":
        raise MchError(
            "old Excel .xls files are not read; save the workbook as .xlsx", file=path
        )
    raise MchError(
        f"unknown file type {suffix or '(no suffix)'!r}; use .csv, .tsv, .xlsx or .parquet",
        file=path,
    )
