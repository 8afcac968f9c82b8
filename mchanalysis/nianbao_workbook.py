"""Read the 年报 as a bureau exports it: title lines, merged two-row headers, a 合计 row, one
sheet per 卫统 table.

A county's 卫统41 (孕产妇保健和健康情况年报表) and 卫统42 (七岁以下儿童保健和健康情况年报表), as
the direct-reporting system exports them, are not flat tables. Above the header stand a title
("2024年孕产妇保健和健康情况年报表（卫统41表）") and a line "填报单位：…  统计时段：…"; the header
is two rows deep where a group is split (活产数 over 合计 / 男 / 女 / 性别不明, 产妇数 over 户籍 /
非户籍), with merged cells; the last data row is often a 合计; and each table is a sheet of its
own. This module turns such a workbook into the same frame of text cells that
:func:`mchanalysis.io.read_raw` gives for a flat table, so that validation, and everything after
it, sees one table:

* **Header row.** The first row (of the first 30) holding at least one region column (行政区划代码
  or 地区) and one measure, recognised by :func:`mchanalysis.cells.canonical_column`. Rows above it
  are title lines: ``统计时段：…`` is kept as the reporting period, ``填报单位：…`` as the unit,
  the first other text as the title.
* **Two-row header.** When a merged cell starts in the header row, the row below is a second
  header row. A column is named by its upper cell, its lower cell or both together
  (``婴儿`` over ``死亡数`` reads 婴儿死亡数). Under a measure, ``合计`` (or 小计 / 总计) is the
  measure; the parts (男, 女, 性别不明, 户籍, 非户籍, …) are checked against it, row by row, and
  are not read. A measure split into parts without a 合计 column is an error: the total is never
  guessed.
* **合计 row.** A data row whose region is 合计 / 总计 (全省合计 …) is not a region: each of its
  counts is checked against the sum of the rows below the top of the sheet's tree (the rows
  that are no other row's parent), then left out.
* **Footer lines** (单位负责人 / 填表人 / 报出日期 / 注：…) below the data are left out.
* **Several sheets.** Every visible sheet with such a header is a table; they are joined on the
  region (行政区划代码, else 地区) and year. The identity columns and a measure written on two
  sheets (活产数 is on both 卫统41 and 卫统42) must agree; a region on one sheet and not on the
  first is an error. Sheets without a header (说明, 填表说明) are left out.
* **Year.** A sheet without a 年份 column takes its year from the end of its 统计时段, else from
  its title ("2024年…"); where both a 年份 column and a 统计时段 exist they must agree.

Cells written ``-2`` (the 年报's 未开展) are passed on as written: validation reads them.
Everything left out or joined is listed in ``frame.attrs["workbook"]`` (:class:`WorkbookNotes`),
and every error names the file, the sheet, the row and the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mchanalysis.cells import (
    NOT_CARRIED_OUT_CODE,
    ROW,
    canonical_column,
    cell_text,
    check_text,
    normalise_text,
    open_workbook,
    parse_count,
)
from mchanalysis.errors import MchError
from mchanalysis.schema import ALL_MEASURES, ID_COLUMNS

#: How many rows from the top are searched for the header.
HEADER_SEARCH_ROWS = 30

#: A lower header cell naming the whole of the group above it.
TOTAL_LABELS = frozenset({"合计", "小计", "总计", "总数", "计"})

#: Lower header cells naming a part of the group above it (checked against the total, not read).
PART_LABELS = frozenset(
    {
        "男",
        "女",
        "性别不明",
        "不明",
        "户籍",
        "非户籍",
        "流动",
        "常住",
        "城市",
        "农村",
        "城镇",
        "本地",
        "外地",
        "本地户籍",
        "非本地户籍",
        "其中",
    }
)

#: A data row whose region cell is one of these (spaces removed), or ends in 合计, is a total row.
TOTAL_ROW_LABELS = frozenset({"合计", "总计", "全省", "全市", "全县", "全区"})

_FOOTER = re.compile(
    r"^(单位负责人|负责人|填表人|审核人|统计负责人|报出日期|填报日期|联系电话|注[:：]|说明[:：]|填表说明)"
)
_PERIOD = re.compile(r"统计时段\s*[:：]\s*(.+?)(?=\s{2,}|填报单位|$)")
_UNIT = re.compile(r"填报单位\s*[:：]\s*(.+?)(?=\s{2,}|统计时段|$)")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_REGION_IDS = ("region_code", "region_name")


@dataclass
class SheetNotes:
    """What the reader did with one sheet."""

    sheet: str | None
    header_rows: tuple[int, ...] = ()
    title: str = ""
    unit: str = ""
    period: str = ""
    year_from_period: int | None = None
    skipped: list[str] = field(default_factory=list)
    parts_checked: list[str] = field(default_factory=list)


@dataclass
class WorkbookNotes:
    """What the reader skipped, checked and joined; ``frame.attrs["workbook"]``.

    Attributes
    ----------
    period : str
        The 统计时段 as written on the first sheet that has one (``""`` if none).
    unit : str
        The 填报单位 as written.
    sheets : list of SheetNotes
        One per sheet read, in workbook order.
    notes : list of str
        One line per thing skipped, checked or joined, in English, for ``mch validate``.
    """

    period: str = ""
    unit: str = ""
    sheets: list[SheetNotes] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _where(file, sheet) -> str:
    return f"{file}, sheet {sheet!r}" if sheet is not None else str(file)


def _compact(text: str) -> str:
    return "".join(normalise_text(text).split())


def _known(cell: str) -> str | None:
    return canonical_column(cell) if cell.strip() else None


def find_header_row(records: list[list[str]]) -> int | None:
    """The 0-based index of the header row, or ``None``.

    The header is the first row of the first :data:`HEADER_SEARCH_ROWS` whose cells name a
    region column (``region_code`` or ``region_name``) and at least one other known column.
    """
    for i, record in enumerate(records[:HEADER_SEARCH_ROWS]):
        ids = {_known(c) for c in record} - {None}
        if ids & set(_REGION_IDS) and len(ids) >= 2:
            return i
    return None


def is_exported(records: list[list[str]], merges=()) -> bool:
    """Whether a grid needs this reader: title lines above its header, merged header cells, or a 合计 row.

    A header below blank rows only is not read here (:func:`mchanalysis.io.read_raw` asks for
    the header in row 1).
    """
    h = find_header_row(records)
    if h is None:
        return False
    titled = any(normalise_text(c) for r in records[:h] for c in r)  # blank rows alone: not a title
    if titled or any(r0 <= h + 1 <= r1 for r0, _c0, r1, _c1 in merges):
        return True
    names = [_known(c) for c in records[h]]
    if "region_name" in names:
        j = names.index("region_name")
        # each distinct name once (a national file has 50,000 rows and 3,400 names)
        return any(_is_total_label(t) for t in {r[j] for r in records[h + 1 :] if j < len(r)})
    return False


def _is_total_label(text: str) -> bool:
    t = _compact(text)
    return bool(t) and (t in TOTAL_ROW_LABELS or t.endswith("合计") or t.endswith("总计"))


def _int_or_none(text: str) -> int | None:
    t = normalise_text(text).replace(",", "")
    if re.fullmatch(r"\d+", t):
        return int(t)
    return None


def _column_name(top: str, sub: str) -> tuple[str, str | None]:
    """(name, part): the column's header text, and the part label when it is a part of a group."""
    top, sub = normalise_text(top), normalise_text(sub)
    if not sub or sub == top:
        return top, None
    if _compact(sub) in TOTAL_LABELS:
        return top, None
    if _compact(sub) in PART_LABELS:
        return top, _compact(sub)
    for candidate in (top + sub, sub):
        if canonical_column(candidate):
            return candidate, None
    return f"{top}/{sub}" if top else sub, None


def parse_grid(records: list[list[str]], merges=(), *, file, sheet: str | None = None):
    """Turn one sheet's grid of text into a flat text frame, checking its parts and 合计 row.

    Parameters
    ----------
    records : list of list of str
        The sheet's cells as text, row 1 first.
    merges : iterable of (min_row, min_col, max_row, max_col)
        Merged ranges, 1-based and inclusive, as openpyxl gives them.
    file, sheet
        Named in errors.

    Returns
    -------
    (pandas.DataFrame, SheetNotes)
        The frame: one column per header (the Chinese name of a known column, else the header as
        written), every cell ``str``, plus ``_row`` (the row in the sheet). Parts and the 合计
        row are left out, having been checked.

    Raises
    ------
    MchError
        No header; a measure split into parts with no 合计; parts that do not add up to their
        合计; a 合计 row that is not the sum of its rows; a header repeated.
    """
    where = _where(file, sheet)
    notes = SheetNotes(sheet=sheet)
    h = find_header_row(records)
    if h is None:
        raise MchError(
            "no header row: no row of the first 30 names a region column (行政区划代码 or 地区) "
            "and a measure",
            file=where,
        )
    width = max(len(r) for r in records[: h + 2])
    grid = [list(r) + [""] * (max(width, len(r)) - len(r)) for r in records]
    merges = [tuple(m) for m in merges]
    two_rows = any(r0 == h + 1 and (r1 > r0 or c1 > c0) for r0, c0, r1, c1 in merges) and h + 1 < len(grid)
    last_header = h + 1 if two_rows else h
    for r0, c0, r1, c1 in merges:  # a merged header cell stands over every column it spans
        if r0 - 1 <= last_header:
            value = grid[r0 - 1][c0 - 1]
            for r in range(r0 - 1, min(r1, last_header + 1)):
                for c in range(c0 - 1, c1):
                    grid[r][c] = value
    notes.header_rows = tuple(range(h + 1, last_header + 2))
    # title lines above the header
    for i in range(h):
        for cell in grid[i]:
            text = normalise_text(cell)
            if not text:
                continue
            period, unit = _PERIOD.search(text), _UNIT.search(text)
            if period:
                notes.period = notes.period or period.group(1).strip()
            if unit:
                notes.unit = notes.unit or unit.group(1).strip()
            if not period and not unit and not notes.title:
                notes.title = text
        if any(normalise_text(c) for c in grid[i]):
            notes.skipped.append(f"row {i + 1}: title line")
    for text in (notes.period, notes.title):
        years = _YEAR.findall(text)
        if years:
            notes.year_from_period = int(years[-1])
            break

    # column names
    columns: list[tuple[str, str | None]] = []
    width = len(grid[h])
    while (
        width
        and not normalise_text(grid[h][width - 1])
        and not (two_rows and normalise_text(grid[h + 1][width - 1]))
    ):
        width -= 1
    for c in range(width):
        top = grid[h][c]
        sub = grid[h + 1][c] if two_rows else ""
        columns.append(_column_name(top, sub))
    ids = [canonical_column(name) if name else None for name, _part in columns]
    wholes = {ids[j] or columns[j][0] for j, (_n, part) in enumerate(columns) if part is None}
    for j, (name, part) in enumerate(columns):
        if part is not None and (ids[j] or name) not in wholes:
            raise MchError(
                f"{name} is split into parts ({part}, …) with no 合计 column: the total is "
                "not guessed; add the 合计 column",
                file=where,
                row=h + 2,
                column=name,
            )
    # data rows
    region_col = next((j for j, i in enumerate(ids) if i == "region_name"), None)
    code_col = next((j for j, i in enumerate(ids) if i == "region_code"), None)
    data, total_rows = [], []
    for i in range(last_header + 1, len(grid)):
        record = grid[i][:width] + [""] * (width - len(grid[i][:width]))
        texts = [normalise_text(v) for v in record]
        if not any(texts):
            continue
        filled = [t for t in texts if t]
        if all(_FOOTER.match(t) for t in filled) or (len(filled) == 1 and _FOOTER.match(filled[0])):
            notes.skipped.append(f"row {i + 1}: footer line")
            continue
        label_cols = [j for j in (region_col, code_col, 0) if j is not None]
        if any(_is_total_label(record[j]) for j in label_cols):
            total_rows.append((i + 1, record))
            continue
        extra = [v for v in grid[i][width:] if normalise_text(v)]
        if extra:
            raise MchError(
                f"a value ({extra[0]!r}) stands right of the last header column", file=where, row=i + 1
            )
        data.append((i + 1, record))
    # parts against their total
    groups: dict[int, list[int]] = {}
    for j, (name, part) in enumerate(columns):
        if part is not None:
            whole = next(
                k for k, (n2, p2) in enumerate(columns) if p2 is None and (ids[k] or n2) == (ids[j] or name)
            )
            groups.setdefault(whole, []).append(j)
    for whole, parts in groups.items():
        label = columns[whole][0]
        checked = 0
        for row, record in data + total_rows:
            total = _int_or_none(record[whole])
            read = [_int_or_none(record[p]) for p in parts]
            if total is None or any(v is None for v in read):
                continue
            values = [v for v in read if v is not None]
            checked += 1
            if sum(values) != total:
                detail = " + ".join(f"{columns[p][1] or ''} {v:,}" for p, v in zip(parts, values))
                raise MchError(
                    f"the parts of {label} do not add up to its 合计: {detail} = {sum(values):,}, "
                    f"合计 {total:,}",
                    file=where,
                    row=row,
                    column=label,
                )
        notes.parts_checked.append(
            f"{label}: {'/'.join(columns[p][1] or '' for p in parts)} checked against 合计 in {checked} row(s), not read"
        )
    keep = [j for j, (_n, part) in enumerate(columns) if part is None]
    header = []
    for j in keep:
        name = columns[j][0]
        cid = ids[j]
        header.append((ALL_MEASURES.get(cid) or ID_COLUMNS.get(cid) or cid) if cid else name)
    seen: dict[str, int] = {}
    for j, name in zip(keep, header):
        if not name:
            raise MchError(f"column {j + 1} has no header", file=where, row=h + 1)
        if name in seen:
            raise MchError(
                f"the header {name!r} appears twice (columns {seen[name]} and {j + 1})",
                file=where,
                row=h + 1,
                column=name,
            )
        seen[name] = j + 1
    frame = pd.DataFrame([[record[j] for j in keep] for _row, record in data], columns=header, dtype=object)
    frame[ROW] = pd.Series([row for row, _r in data], dtype="int64", index=frame.index)
    # the 合计 row against the sum of its rows
    for row, record in total_rows:
        _check_total_row(frame, dict(zip(header, (record[j] for j in keep))), row, where, notes)
    return frame, notes


def _check_total_row(frame: pd.DataFrame, total: dict, row: int, where: str, notes: SheetNotes) -> None:
    code, parent, year = ID_COLUMNS["region_code"], ID_COLUMNS["parent_code"], ID_COLUMNS["year"]
    rows = frame
    if year in frame:  # a 合计 row sums its own year
        years = {normalise_text(y) for y in frame[year]}
        own = normalise_text(total.get(year, ""))
        if own:
            rows = frame[frame[year].map(normalise_text) == own]
        elif len(years) > 1:
            notes.skipped.append(
                f"row {row}: 合计 row, not a region; not checked (no 年份, several years above it)"
            )
            return
    if code in rows and parent in rows:  # only the rows no other row has as parent: no double count
        parents = {normalise_text(p) for p in rows[parent]}
        rows = rows[~rows[code].map(normalise_text).isin(parents)]
    checked, skipped = [], []
    for name, text in total.items():
        if canonical_column(name) not in ALL_MEASURES:
            continue
        value = _int_or_none(text)
        if value is None:
            continue
        cells = [normalise_text(v) for v in rows[name]]
        if any(c != NOT_CARRIED_OUT_CODE and _int_or_none(c) is None for c in cells):
            skipped.append(name)  # an empty or unreadable cell: validation reports it
            continue
        s = sum(_int_or_none(c) or 0 for c in cells)  # -2 (未开展) adds nothing
        if s != value:
            raise MchError(
                f"the 合计 row gives {value:,}, the {len(rows)} row(s) above it add up to {s:,}",
                file=where,
                row=row,
                column=name,
            )
        checked.append(name)
    notes.skipped.append(
        f"row {row}: 合计 row, not a region; {len(checked)} column(s) checked against the sum of "
        f"{len(rows)} row(s)"
        + (f", {len(skipped)} not checked (a cell empty or unreadable)" if skipped else "")
    )


def _sheet_grid(ws, values) -> tuple[list[list[str]], list[tuple[int, int, int, int]], list[str]]:
    records, unsaved = [], []
    for r, cells in enumerate(ws.iter_rows(min_row=1, min_col=1), start=1):
        record = []
        for c, cell in enumerate(cells, start=1):
            if cell.data_type == "f":
                value = values.cell(row=r, column=c).value
                if value is None:
                    unsaved.append(cell.coordinate)
                record.append(cell_text(value))
            else:
                record.append(cell_text(cell.value))
        records.append(record)
    merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    return records, merges, unsaved


def workbook_grids(path, sheet: str | None = None, *, values: bool = True):
    """The text grid and merged ranges of each sheet to read: ``[(name, records, merges), ...]``.

    Visible sheets only unless ``sheet`` names one; a formula cell gives the value saved with the
    file, and one without a saved value is an error (as in :func:`mchanalysis.io.read_raw`).
    """
    path = Path(path)
    workbook = open_workbook(path, data_only=False)
    computed = open_workbook(path, data_only=True) if values else workbook
    try:
        if sheet is not None:
            if sheet not in workbook.sheetnames:
                raise MchError(
                    f"no sheet named {sheet!r}; the workbook has: " + ", ".join(workbook.sheetnames),
                    file=path,
                )
            sheets = [workbook[sheet]]
        else:
            sheets = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
        out = []
        for ws in sheets:
            records, merges, unsaved = _sheet_grid(ws, computed[ws.title])
            if unsaved:
                raise MchError(
                    f"{len(unsaved)} formula cell(s) have no computed value saved in the file, e.g. "
                    + ", ".join(unsaved[:5])
                    + "; open the workbook in Excel or WPS and save it",
                    file=_where(path, ws.title),
                )
            out.append((ws.title, records, merges))
        return out
    finally:
        workbook.close()
        if computed is not workbook:
            computed.close()


def is_exported_workbook(path, sheet: str | None = None) -> bool:
    """Whether an XLSX file is laid out as the 年报 is exported (so :func:`read_workbook` reads it).

    True when the sheet to read (``sheet``, else the first visible one) has title lines above its header,
    merged header cells or a 合计 row, or when two or more visible sheets have a header.
    """
    grids = workbook_grids(path, sheet, values=False)
    tables = [(n, r, m) for n, r, m in grids if find_header_row(r) is not None]
    if sheet is None and len(tables) >= 2:
        return True
    if not grids:
        return False
    _name, records, merges = grids[0]
    return is_exported(records, merges)


def read_workbook(path, sheet: str | None = None) -> pd.DataFrame:
    """Read a 年报 workbook as exported into one flat frame of text cells.

    Parameters
    ----------
    path : str or Path
        An ``.xlsx`` workbook.
    sheet : str, optional
        Read only this sheet; default every visible sheet with a header, joined.

    Returns
    -------
    pandas.DataFrame
        As :func:`mchanalysis.io.read_raw`: one column per header, text cells, ``_row`` (the row
        on the first sheet). ``frame.attrs["workbook"]`` is a :class:`WorkbookNotes`.

    Raises
    ------
    MchError
        Naming file, sheet, row and column: see :func:`parse_grid`; no sheet with a header; a
        sheet without 年份 and without a year in its 统计时段 or title; a 年份 disagreeing with
        the 统计时段; a region on a later sheet missing from the first, or listed twice; an
        identity column or a measure written on two sheets with different values.
    """
    path = Path(path)
    book = WorkbookNotes()
    tables = []
    for name, records, merges in workbook_grids(path, sheet):
        if not any(normalise_text(c) for r in records for c in r):
            book.notes.append(f"sheet {name!r}: empty, skipped")
            continue
        if find_header_row(records) is None:
            if sheet is not None:
                parse_grid(records, merges, file=path, sheet=name)  # raises: no header
            book.notes.append(f"sheet {name!r}: no table header (instructions?), skipped")
            continue
        check_text(records, file=_where(path, name))
        frame, notes = parse_grid(records, merges, file=path, sheet=name)
        frame = _with_year(frame, notes, path, name)
        tables.append((name, frame, notes))
        book.sheets.append(notes)
        book.period = book.period or notes.period
        book.unit = book.unit or notes.unit
        for line in notes.skipped + notes.parts_checked:
            book.notes.append(f"sheet {name!r}, {line}")
    if not tables:
        raise MchError(
            "no sheet of the workbook has a table header (行政区划代码 or 地区 and a measure)", file=path
        )
    base_name, base, _ = tables[0]
    for name, frame, _notes in tables[1:]:
        base = _join(base, base_name, frame, name, path, book)
    base.attrs["workbook"] = book
    return base


def read_grid(records: list[list[str]], *, file) -> pd.DataFrame:
    """Read a delimited file laid out as the 年报 is exported (title lines, a 合计 row).

    The CSV counterpart of :func:`read_workbook` for one sheet without merged cells; the frame
    carries ``attrs["workbook"]``.
    """
    frame, notes = parse_grid(records, (), file=file)
    frame = _with_year(frame, notes, file, None)
    frame.attrs["workbook"] = WorkbookNotes(
        period=notes.period, unit=notes.unit, sheets=[notes], notes=list(notes.skipped + notes.parts_checked)
    )
    return frame


def _with_year(frame, notes: SheetNotes, path, name) -> pd.DataFrame:
    year = ID_COLUMNS["year"]
    where = _where(path, name)
    if year in frame:
        if notes.year_from_period is not None and notes.period:
            for text, row in zip(frame[year], frame[ROW]):
                if _int_or_none(text) is not None and _int_or_none(text) != notes.year_from_period:
                    raise MchError(
                        f"年份 {text} disagrees with the 统计时段 ({notes.period}), which ends in "
                        f"{notes.year_from_period}",
                        file=where,
                        row=row,
                        column=year,
                    )
        return frame
    if notes.year_from_period is None:
        raise MchError(
            "no 年份 column, and no year in the 统计时段 or the title to take it from: add a 年份 column",
            file=where,
        )
    frame = frame.copy()
    frame.insert(len(frame.columns) - 1, year, str(notes.year_from_period))
    source = f"统计时段 {notes.period}" if notes.period else f"title {notes.title!r}"
    notes.skipped.append(f"no 年份 column: year {notes.year_from_period} taken from the {source}")
    return frame


def _check_counts(frame: pd.DataFrame, column: str, where: str) -> None:
    """Each cell of a measure of a later sheet read as validation reads it, here, while its own
    sheet and row are known (after the join the rows are those of the first sheet)."""
    for text, row in zip(frame[column], frame[ROW]):
        if normalise_text(text) == NOT_CARRIED_OUT_CODE:  # 未开展: passed on for validation
            continue
        _value, check, reason, _reason_zh = parse_count(text)
        if check:
            raise MchError(reason or check, file=where, row=int(row), column=column)


def _join(base, base_name, other, name, path, book: WorkbookNotes) -> pd.DataFrame:
    code, region, year = ID_COLUMNS["region_code"], ID_COLUMNS["region_name"], ID_COLUMNS["year"]
    key = code if code in base and code in other else region
    if key not in base or key not in other:
        raise MchError(
            f"sheet {name!r} cannot be joined to sheet {base_name!r}: they share neither "
            "行政区划代码 nor 地区",
            file=path,
        )

    def keys(frame, sheet):
        out = {}
        for i, (k, y, row) in enumerate(zip(frame[key], frame[year], frame[ROW])):
            kk = (normalise_text(k), normalise_text(y))
            if kk in out:
                raise MchError(
                    f"{key} {kk[0]}, 年份 {kk[1]} is listed twice (rows {frame[ROW].iloc[out[kk]]} and "
                    f"{row}): the sheets cannot be joined",
                    file=_where(path, sheet),
                    row=row,
                    column=key,
                )
            out[kk] = i
        return out

    at_base, at_other = keys(base, base_name), keys(other, name)
    for kk, i in at_other.items():
        if kk not in at_base:
            raise MchError(
                f"{key} {kk[0]}, 年份 {kk[1]} is on sheet {name!r} but not on sheet {base_name!r}: "
                "every sheet of the 年报 must list the same regions and years",
                file=_where(path, name),
                row=int(other[ROW].iloc[i]),
                column=key,
            )
    missing = [kk for kk in at_base if kk not in at_other]
    base = base.copy()
    added = []
    for column in other.columns:
        if column in (ROW, key, year):
            continue
        if column in base.columns:
            for kk, i in at_other.items():
                a, b = normalise_text(base[column].iloc[at_base[kk]]), normalise_text(other[column].iloc[i])
                if b and a != b:
                    raise MchError(
                        f"{column} is {b!r} here and {a!r} on sheet {base_name!r} (row "
                        f"{base[ROW].iloc[at_base[kk]]}) for {kk[0]}, {kk[1]}",
                        file=_where(path, name),
                        row=int(other[ROW].iloc[i]),
                        column=column,
                    )
            continue
        if canonical_column(column) in ALL_MEASURES:
            _check_counts(other, column, _where(path, name))
        values = [""] * len(base)
        for kk, i in at_other.items():
            values[at_base[kk]] = other[column].iloc[i]
        base.insert(len(base.columns) - 1, column, pd.Series(values, dtype=object, index=base.index))
        added.append(column)
    book.notes.append(
        f"sheet {name!r} joined to sheet {base_name!r} on {key} and 年份: {len(at_other)} row(s), "
        f"{len(added)} column(s) added, their cells checked here; later row numbers are those of "
        f"sheet {base_name!r}"
        + (f"; {len(missing)} region-year(s) of {base_name!r} not on it (not reported)" if missing else "")
    )
    return base
