"""Validate a counts table and report every problem at once, with file, row, column and reason.

:func:`load_counts` reads a file (:func:`mchanalysis.io.read_raw`) and calls
:func:`validate_counts`, which interprets the text cells and returns the counts table of the data
contract (docs/design.md "Input") together with a *findings* table. Errors stop the run
(:class:`~mchanalysis.errors.ValidationError` carries all of them); warnings travel with the data
into the reports. Nothing is silently dropped, filled or coerced: an empty measure cell is *not
reported* (NA, never 0), and every cell that cannot be read as a count is an error.

Checks (``check`` column of the findings; E = error, W = warning)
------------------------------------------------------------------
=========================  ==  ==========================================================
``missing_column``         E   a required column (region_code, region_name, parent_code,
                               level, year; in long form also measure, value) is absent
``duplicate_column``       E   two headers name the same column (``活产数`` and ``live_births``)
``no_measures``            E   not one measure column
``unknown_column``         W   a header that is not a known column; closest name suggested
``measure_absent``         W   a known measure has no column: not reported
``measure_empty``          W   a measure column with no value at all
``missing_value``          E   empty region code, region name, level, year or long-form measure
``region_code_format``     E   a region code that is not 6 digits (``10101``: a lost leading 0)
``parent_code_format``     E   a parent code that is neither empty nor 6 digits
``unknown_parent``         E   a parent code that is not a region of the file
``level_unknown``          E   a level that is not province / prefecture / county (省级 ...)
``level_order``            E   a region whose level is not below its parent's level
``year_invalid``           E   a year that is not a whole number
``year_range``             E   a year outside 1949 .. current year + 1
``no_records``             E   a header and no data row
``misspelt_core_header``   E   a header close to a core measure's (``活产数量`` for 活产数,
                               :data:`CORE_MEASURES`) while that measure has no column
``control_character``      E   an invisible control or format character in a header or cell
                               (U+0001, an ANSI escape, a zero-width space)
``footnote_mark``          E   a count with a footnote mark, circled or superscript digit, or a
                               (``6266①``, ``12²``)
``parent_children_mismatch`` W a parent's own total differing from the sum of its children
                               (both numbers; the reported total is used, except in a rate whose
                               other count is summed from the children: flag ``subregion_basis``)
``impossible_after_aggregation`` E  a parent whose counts, its empty cells filled from its
                               children, break an ordered chain (infant deaths summed from the
                               districts above the city's own live births of 1)
``children_sum_withheld``  W   a parent's empty cell left empty: its children's sum is below
                               the parent's own reported count it may not be below, and that
                               count is above its children's too (a city's 围产儿数 from the
                               counties in the file, below the city's own 活产数 that counts a
                               county whose row is missing; :attr:`regions.Aggregation.withheld`)
``non_ascii_digit``        E   a count or code written with digits of another script (``٩``)
``implausible_count``      E   a count above :data:`mchanalysis.cells.MAX_COUNT` (10^9)
``non_numeric``            E   a count that is not a number (``abc``, ``-``, ``1,23``)
``negative``               E   a count below 0
``non_integer``            E   a count with a fractional part (``12.5``)
``duplicate_region_year``  E   two rows for the same region and year (long form: the same
                               region, year and measure); names both rows
``conflicting_attributes`` E   long form: rows of one region-year disagree on name/parent/level
``region_changes``         E   a region whose name, parent or level changes between years
``not_carried_out``        I   cells written -2, the 年报's 未开展: NA in the counts, listed in
                               ``counts.attrs["not_carried_out"]`` (code, year, measure); never 0 nor "not reported"
``impossible_numerator``   E   neonatal > infant > under-5 deaths, deaths > live births
                               (:data:`mchanalysis.schema.ORDERED_CHAINS`); names both columns
``sum_mismatch``           E   死胎死产数 + 早期新生儿死亡数 ≠ 围产儿死亡数, all three reported
                               (:data:`mchanalysis.schema.SUM_RULES`); at the whole's cell
``unknown_measure``        W   long form: a measure name that is not known; closest suggested
``over_100``               W   numerator above its denominator for a ``proportion`` indicator
                               of the registry (service counts may include non-resident women)
``rate_typed_as_count``    W*  a coverage numerator far below its denominator while the
                               region's other years are near it (早孕建册人数 98 against 5,600
                               live births): a percentage typed as a count
``digit_jump``             W*  a count about ×10 (÷10, ×100, ...) the region's neighbouring
                               years: an extra or a dropped digit
``exceeds_parent_total``   W*  a region's count above its parent's own reported total
=========================  ==  ==========================================================

W* = likely entry errors (category ``entry_error``, :func:`mchanalysis.quality.entry_errors`):
warnings, errors with ``strict=True`` (``mch validate --strict``). Every finding has a
``category``: ``entry_error``, ``invalid`` (any other error), ``verify`` (a warning to check),
``notice`` (a measure absent or empty).

Number formats (decided here, documented for users): a count is digits, optionally with a
leading ``+``; thousands separators are accepted only in the unambiguous form of groups of
exactly three digits (``1,234``, ``12,345,678``), anything else with a comma (``1,23``,
``1234,5``) is an error; a decimal with a zero fraction (``12.0``, as some programs export
whole numbers) is the whole number, any other fraction (``12.5``) is an error; full-width digits
are read as digits (Unicode NFKC), but no other character is normalised into a digit: circled,
superscript and other-script digits and footnote marks are errors (:func:`odd_character`). Placeholders such as ``-``, ``/``, ``无`` are errors: leave
the cell empty for "not reported".
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mchanalysis.cells import (
    NOT_CARRIED_OUT_CODE,
    ROW,
    canonical_column,
    canonical_level,
    is_long_form,
    normalise_text,
    odd_character,
    parse_count,
)
from mchanalysis.errors import MchError, ValidationError
from mchanalysis.io import read_raw
from mchanalysis.quality import category_of, entry_errors, over_100
from mchanalysis.regions import aggregate_counts
from mchanalysis.registry import load_registry
from mchanalysis.schema import (
    ALL_MEASURES,
    ALL_MEASURES_EN,
    HEADER_ALIASES,
    ID_COLUMNS,
    LEVEL_ORDER,
    LEVELS,
    NIANBAO_MEASURES,
    ORDERED_CHAINS,
    REQUIRED_ID_COLUMNS,
    SUM_RULES,
)

#: Columns of the findings table, in order.
FINDING_COLUMNS = (
    "file",
    "row",
    "column",
    "region_code",
    "year",
    "check",
    "severity",
    "category",
    "item",
    "message_zh",
    "message_en",
)

#: Earliest plausible report year (founding of the PRC's vital registration).
MIN_YEAR = 1949

# ASCII digits only: ``\d`` would also accept Arabic-Indic (٩), Devanagari, ... digits
_CODE = re.compile(r"^[0-9]{6}$")
_YEAR = re.compile(r"^\+?[0-9]+$")

#: The ``DataFrame.attrs`` key of the counts table under which the cells written
#: :data:`~mchanalysis.cells.NOT_CARRIED_OUT_CODE` (未开展) are listed (tuples
#: ``(region_code, year, measure)``): such a cell is NA in the counts (no number) but is not
#: "not reported".
NOT_CARRIED_OUT = "not_carried_out"
#: Core measures: a header that looks like one of these but is misspelt is an error, not a
#: warning (every rate on live births, every mortality rate would silently disappear).
CORE_MEASURES = ("live_births", "maternal_deaths", "infant_deaths", "neonatal_deaths", "under5_deaths")


@dataclass(frozen=True)
class LoadResult:
    """A validated counts table and what validation found.

    Attributes
    ----------
    counts : pandas.DataFrame
        The wide counts table: ``region_code`` (str, 6 digits), ``region_name`` (str),
        ``parent_code`` (str, ``''`` for a top region), ``level`` (``province`` /
        ``prefecture`` / ``county``), ``year`` (int64), then one nullable ``Int64`` column per
        known measure (:data:`mchanalysis.schema.MEASURES` order, then measures that only a
        registry names; a 年报 extension measure of :data:`mchanalysis.schema.NIANBAO_MEASURES`
        only when the file has it); NA = not reported. Sorted by ``region_code, year``.
    findings : pandas.DataFrame
        Warnings (no errors: those raise), columns :data:`FINDING_COLUMNS`.
    source : Path
        The file read.
    """

    counts: pd.DataFrame
    findings: pd.DataFrame
    source: Path


def empty_findings() -> pd.DataFrame:
    """An empty findings table with the columns and dtypes of :data:`FINDING_COLUMNS`."""
    return _findings_frame([])


def _findings_frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=[*FINDING_COLUMNS, "_o1", "_o2", "_o3"])
    frame = frame.sort_values(["_o1", "_o2", "_o3", "check", "message_en"], kind="stable")
    frame = frame.drop(columns=["_o1", "_o2", "_o3"])
    frame = frame.reset_index(drop=True)
    # row: python int or None (not float), so that ``5`` prints as 5 and a missing row as blank
    frame["row"] = pd.Series([None if pd.isna(r) else int(r) for r in frame["row"]], dtype=object)
    frame["year"] = pd.array(
        [None if y is None or pd.isna(y) else int(y) for y in frame["year"]], dtype="Int64"
    )
    for column in ("file", "column", "region_code", "check", "severity", "item", "message_zh", "message_en"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
        frame[column] = frame[column].astype(str)
    frame["category"] = pd.Series(
        [category_of(c, s) for c, s in zip(frame["check"], frame["severity"])],
        dtype=object,
        index=frame.index,
    ).astype(str)
    return frame


def known_measures(registry: pd.DataFrame | None = None) -> list[str]:
    """Measure ids the package knows: the data contract's, then any the registry adds.

    Parameters
    ----------
    registry : pandas.DataFrame, optional
        An indicator registry (:func:`mchanalysis.registry.load_registry`); default the
        package's own.

    Returns
    -------
    list of str
        :data:`mchanalysis.schema.MEASURES` in order, the 年报 extension
        (:data:`mchanalysis.schema.NIANBAO_MEASURES`), then numerator/denominator ids of the
        registry that are not among them (a user's own measures), in registry order.
    """
    registry = _registry(registry)
    extra = []
    for column in ("numerator", "denominator"):
        for measure in registry[column]:
            if measure not in ALL_MEASURES and measure not in extra:
                extra.append(str(measure))
    return [*ALL_MEASURES, *extra]


def _registry(registry: pd.DataFrame | None) -> pd.DataFrame:
    if registry is not None:
        return registry
    return load_registry()


def suggest_column(header: str, *, measures=None) -> str | None:
    """The known column closest to a header that is not one, as ``id (中文名)``, or ``None``.

    Parameters
    ----------
    header : str
        The header as written (``maternal_death``, ``活产``).
    measures : iterable of str, optional
        Known measure ids; default :data:`mchanalysis.schema.ALL_MEASURES`.

    Returns
    -------
    str or None
        ``"maternal_deaths (孕产妇死亡数)"`` for ``maternal_death``; ``None`` when nothing is
        close.

    Notes
    -----
    :func:`difflib.get_close_matches` (Ratcliff/Obershelp similarity, cutoff 0.6) over every
    id, Chinese name and alias in lower case.

    Examples
    --------
    >>> suggest_column("maternal_death")
    'maternal_deaths (孕产妇死亡数)'
    >>> suggest_column("活产")
    'live_births (活产数)'
    """
    measures = list(ALL_MEASURES) if measures is None else list(measures)
    candidates: dict[str, str] = {}
    for alias, cid in HEADER_ALIASES.items():
        candidates.setdefault(alias.lower(), cid)
    for measure in measures:
        candidates.setdefault(measure.lower(), measure)
    text = normalise_text(header).lower()
    match = difflib.get_close_matches(text, list(candidates), n=1, cutoff=0.6)
    if not match:
        return None
    cid = candidates[match[0]]
    zh = ALL_MEASURES.get(cid) or ID_COLUMNS.get(cid)
    return f"{cid} ({zh})" if zh else cid


def _parse_year(text: str, max_year: int):
    t = normalise_text(text)
    if t == "":
        return None, "missing_value", "empty year", "年份为空"
    if not _YEAR.match(t):
        return (
            None,
            "year_invalid",
            f"year {t!r} is not a whole number (write e.g. 2023)",
            f"年份 {t!r} 不是整数（如 2023）",
        )
    year = int(t)
    if not MIN_YEAR <= year <= max_year:
        return (
            None,
            "year_range",
            f"implausible year {year}: expected {MIN_YEAR}..{max_year}",
            f"年份 {year} 不合理：应在 {MIN_YEAR} 至 {max_year} 之间",
        )
    return year, None, None, None


class _Collector:
    """Accumulates findings with a sort key (row, then column position in the file)."""

    def __init__(self, file, positions: dict[str, int]):
        self.file = "" if file is None else str(file)
        self.positions = positions
        self.records: list[dict] = []

    def add(
        self,
        severity,
        check,
        message,
        message_zh,
        *,
        row=None,
        column="",
        code="",
        year=None,
        position=None,
        item="",
    ):
        if position is None:
            position = self.positions.get(column, len(self.positions))
        self.records.append(
            {
                "file": self.file,
                "row": row,
                "column": column,
                "region_code": code,
                "year": year,
                "check": check,
                "severity": severity,
                "category": "",
                "item": item,
                "message_zh": message_zh,
                "message_en": message,
                "_o1": 0 if row is None else 1,
                "_o2": -1 if row is None else int(row),
                "_o3": position,
            }
        )

    def error(self, *a, **k):
        self.add("error", *a, **k)

    def warning(self, *a, **k):
        self.add("warning", *a, **k)

    def frame(self) -> pd.DataFrame:
        return _findings_frame(self.records)


def _label(cid: str) -> str:
    zh = ALL_MEASURES.get(cid) or ID_COLUMNS.get(cid)
    return f"{cid} ({zh})" if zh else cid


def _rows_text(rows) -> str:
    rows = sorted({int(r) for r in rows})
    return ", ".join(str(r) for r in rows)


def _resolve_headers(raw: pd.DataFrame, measures: list[str], out: _Collector):
    """Map headers to ids; report unknown and duplicated columns. Returns {id: header}."""
    measure_set = set(measures)
    lower_measures = {m.lower(): m for m in measures}
    mapping: dict[str, str] = {}
    core_guesses: list[tuple[str, str]] = []
    for header in raw.columns:
        if header == ROW:
            continue
        bad = odd_character(str(header))
        if bad:
            out.error(
                bad[0], f"header {header!r} {bad[1]}", f"表头 {header!r} {bad[2]}", row=1, column=header
            )
            continue
        cid = canonical_column(header)
        if cid is None:
            cid = lower_measures.get(normalise_text(header).lower())
        if cid is not None and cid not in ID_COLUMNS and cid not in measure_set | {"measure", "value"}:
            cid = None
        if cid is None:
            suggestion = suggest_column(header, measures=measures)
            guess = suggestion.split(" ")[0] if suggestion else None
            if guess in CORE_MEASURES:
                core_guesses.append((header, guess))
                continue
            if suggestion:
                msg = f"column {header!r} is not a known measure and is ignored; did you mean {suggestion}?"
                msg_zh = f"列 {header!r} 不是已知指标，已忽略；是否应为 {suggestion}？"
            else:
                msg = f"column {header!r} is not a known measure and is ignored"
                msg_zh = f"列 {header!r} 不是已知指标，已忽略"
            out.warning("unknown_column", msg, msg_zh, column=header)
            continue
        if cid in mapping:
            out.error(
                "duplicate_column",
                f"columns {mapping[cid]!r} and {header!r} both stand for {_label(cid)}",
                f"列 {mapping[cid]!r} 与 {header!r} 重复，均表示 {_label(cid)}",
                row=1,
                column=header,
            )
            continue
        mapping[cid] = header
    for header, guess in core_guesses:
        if guess in mapping:  # the core measure is there under its own name: this one is extra
            out.warning(
                "unknown_column",
                f"column {header!r} is not a known measure and is ignored ({_label(guess)} is column "
                f"{mapping[guess]!r})",
                f"列 {header!r} 不是已知指标，已忽略（{_label(guess)} 为 {mapping[guess]!r} 列）",
                column=header,
            )
            continue
        out.error(
            "misspelt_core_header",
            f"column {header!r} is not a known column; it looks like {_label(guess)}, a core measure "
            f"without which every rate on it is lost: rename the header to {ALL_MEASURES[guess]} (or {guess})",
            f"列 {header!r} 不是已知列名，疑似 {_label(guess)}（核心指标，缺少则相关各率均无法计算）："
            f"请将表头改为 {ALL_MEASURES[guess]}（或 {guess}）",
            row=1,
            column=header,
            item=guess,
        )
    return mapping


def _long_to_wide(raw, mapping, measures, out):
    """Pivot a long table to wide text; report unknown measures, duplicates and conflicts.

    Returns ``(wide, cell_rows, labels)``: ``wide`` has id columns, measure columns (text) and
    ``_row`` (first source row of the region-year); ``cell_rows`` has, per measure, the source
    row of each cell; ``labels`` the column label of each measure in findings.
    """
    measure_set = set(measures)
    lower_measures = {m.lower(): m for m in measures}
    value_header = mapping["value"]
    measure_header = mapping["measure"]
    attrs = [c for c in ("region_name", "parent_code", "level") if c in mapping]
    groups: dict[tuple, dict] = {}
    order: list[tuple] = []
    seen_cell: dict[tuple, int] = {}
    for record in raw.itertuples(index=False):
        rec = dict(zip(raw.columns, record))
        row = int(rec[ROW])
        code = normalise_text(rec.get(mapping.get("region_code"), "")) if "region_code" in mapping else ""
        year = normalise_text(rec.get(mapping.get("year"), "")) if "year" in mapping else ""
        name = normalise_text(rec[measure_header])
        measure = canonical_column(name) or lower_measures.get(name.lower())
        if name == "":
            out.error(
                "missing_value", "empty measure name", "指标名为空", row=row, column=measure_header, code=code
            )
            continue
        if measure not in measure_set:
            suggestion = suggest_column(name, measures=measures)
            extra = f"; did you mean {suggestion}?" if suggestion else ""
            extra_zh = f"；是否应为 {suggestion}？" if suggestion else ""
            out.warning(
                "unknown_measure",
                f"measure {name!r} is not a known measure; the row is ignored{extra}",
                f"指标 {name!r} 不是已知指标，该行已忽略{extra_zh}",
                row=row,
                column=measure_header,
                code=code,
            )
            continue
        key = (code, year)
        if key not in groups:
            groups[key] = {"_row": row, "cells": {}, "rows": {}, "attrs": {a: {} for a in attrs}}
            order.append(key)
        group = groups[key]
        for a in attrs:
            group["attrs"][a].setdefault(normalise_text(rec[mapping[a]]), []).append(row)
        cell = (code, year, measure)
        if cell in seen_cell:
            first = seen_cell[cell]
            out.error(
                "duplicate_region_year",
                f"region {code} year {year} measure {measure} appears twice: rows {first} and {row}",
                f"地区 {code} {year}年 指标 {measure} 重复：第 {first} 行和第 {row} 行",
                row=row,
                column=measure_header,
                code=code,
            )
            continue
        seen_cell[cell] = row
        group["cells"][measure] = rec[value_header]
        group["rows"][measure] = row
    records, cell_rows = [], []
    for key in order:
        group = groups[key]
        rec = {ROW: group["_row"]}
        if "region_code" in mapping:
            rec["region_code"] = key[0]
        if "year" in mapping:
            rec["year"] = key[1]
        for a in attrs:
            values = group["attrs"][a]
            rec[a] = next(iter(values))
            if len(values) > 1:
                parts = "; ".join(f"{v!r} (rows {_rows_text(r)})" for v, r in values.items())
                out.error(
                    "conflicting_attributes",
                    f"rows of region {key[0]} year {key[1]} disagree on {a}: {parts}",
                    f"地区 {key[0]} {key[1]}年 各行的 {ID_COLUMNS[a]} 不一致：{parts}",
                    row=sorted(values.items(), key=lambda kv: kv[1][0])[1][1][0],
                    column=mapping[a],
                    code=key[0],
                )
        rec.update(group["cells"])
        records.append(rec)
        cell_rows.append(group["rows"])
    present = [m for m in measures if any(m in g["cells"] for g in groups.values())]
    id_cols = [c for c in ID_COLUMNS if c in mapping]
    wide = pd.DataFrame(records, columns=[*id_cols, *present, ROW])
    for m in present:
        wide[m] = wide[m].where(wide[m].notna(), "")
    rows = pd.DataFrame(cell_rows, columns=present, index=wide.index)
    labels = {m: value_header for m in present}
    return wide, rows, labels


def validate_counts(
    raw_frame: pd.DataFrame,
    *,
    file=None,
    registry: pd.DataFrame | None = None,
    max_year: int | None = None,
    strict: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check a counts table read as text and build the typed counts table; report every problem.

    Parameters
    ----------
    raw_frame : pandas.DataFrame
        As returned by :func:`mchanalysis.io.read_raw`: cells as text (``""`` = empty; ``NaN``
        is treated as empty), headers as written (ids, Chinese names or aliases), wide form or
        long form (``region_code, year, measure, value`` plus ``region_name, parent_code,
        level``), and optionally ``_row``, the spreadsheet row of each record (default: index
        position + 2, i.e. header = row 1).
    file : str or Path, optional
        Named in every finding.
    registry : pandas.DataFrame, optional
        Indicator registry for the ``over_100`` check and user-defined measures; default the
        package's (:func:`mchanalysis.registry.load_registry`).
    max_year : int, optional
        Latest plausible year; default the current calendar year + 1.
    strict : bool
        Report likely entry errors (``rate_typed_as_count``, ``digit_jump``,
        ``exceeds_parent_total``; :func:`mchanalysis.quality.entry_errors`) as errors instead
        of warnings (``mch validate --strict``).

    Returns
    -------
    counts : pandas.DataFrame
        The counts table of :class:`LoadResult`. Trustworthy only when ``findings`` has no
        error; otherwise it holds the rows whose region code and year could be read, with
        unreadable cells as NA (for summaries only).
    findings : pandas.DataFrame
        Columns :data:`FINDING_COLUMNS`: ``file``, ``row`` (spreadsheet row, ``None`` for a
        whole-file finding), ``column`` (header as written), ``region_code``, ``year``,
        ``check`` (see the module docstring), ``severity`` (``error`` / ``warning``),
        ``message_zh``, ``message_en`` (the same finding in both languages, as in every findings
        table of the package: :data:`mchanalysis.quality.COMBINED_COLUMNS`). Ordered by row, then
        column position.

    Notes
    -----
    Completely empty rows are not records and are skipped. The input is not modified.
    """
    max_year = _dt.date.today().year + 1 if max_year is None else int(max_year)
    registry = _registry(registry)
    measures = known_measures(registry)
    raw, positions = _text_records(raw_frame)
    out = _Collector(file, positions)
    mapping = _resolve_headers(raw, measures, out)
    table, wide = _shape(raw, mapping, measures, out)
    # the 年报 extension measures are columns of the counts table only when the file has them:
    # a file without them gives the table (and the findings) it gave before the extension
    measures = [m for m in measures if m not in NIANBAO_MEASURES or m in table.labels]
    _check_columns(table, measures, out, first_position=len(positions))
    if table.n == 0:
        out.error(
            "no_records",
            "the file has a header but no data rows: nothing to analyse",
            "文件只有表头，没有数据行：无可分析的数据",
        )
    _parse_identity(table, wide, max_year, out)
    _check_parents(table, out)
    if not table.long_form:  # in long form the pivot has reported duplicates, per measure
        _check_duplicates(table, out)
    _check_region_changes(table, out)
    _parse_measures(table, wide, out)
    _check_chains(table, out)
    _check_sums(table, out)
    # a 年报 column left wholly empty (as the template leaves it) is not reported at all
    written = {m for _, m in table.not_done}  # a column of -2 (未开展) was written, and is kept
    measures = [
        m
        for m in measures
        if m not in NIANBAO_MEASURES or m in written or bool((~table.values[m].isna()).any())
    ]
    counts = _counts_frame(table, measures)
    _check_coverage(table, counts, registry, out)
    _check_aggregated(table, counts, out)
    _check_entry_errors(table, counts, registry, out, strict=strict)
    return counts, out.frame()


def _check_aggregated(t: _Table, counts: pd.DataFrame, out) -> None:
    """Parents' own totals against their children (:func:`mchanalysis.regions.aggregate_counts`):
    a total that differs from the children's sum is a warning with both numbers
    (``parent_children_mismatch``); a parent whose counts, once its empty cells are filled from
    its children, break an ordered chain (deaths above live births ...) is an error
    (``impossible_after_aggregation``), named at the parent's own reported cell."""
    if not t.values or counts.empty or not (counts["parent_code"] != "").any():
        return
    if counts.duplicated(["region_code", "year"]).any():
        return  # duplicate records are errors of their own; sums over them mean nothing
    try:
        agg = aggregate_counts(counts)
    except MchError:  # a broken tree: already an error of its own
        return
    for r in agg.disagreements.itertuples(index=False):
        i = t.record(r.region_code, int(r.year))
        if i is None or r.measure not in t.labels:
            continue
        out.warning(
            "parent_children_mismatch",
            f"{t.where(i, r.measure)} = {int(r.reported):,} reported for region {r.region_code}, but its "
            f"sub-regions sum to {int(r.children_sum):,} (difference {int(r.difference):+,}); the reported "
            "total is used in a rate whose other count the region reported too, the sub-regions' sum in one whose "
            "other count is summed from them (flag subregion_basis)",
            f"{r.region_code} 自报{ALL_MEASURES.get(r.measure, r.measure)}为{int(r.reported):,}，与下辖地区合计"
            f"{int(r.children_sum):,}不一致（相差{int(r.difference):+,}）；指标的另一项为本地区自报数时按自报数计算，"
            "另一项由下辖地区合计时按下辖地区合计计算",
            row=t.row_of(i, r.measure),
            column=t.labels[r.measure],
            code=r.region_code,
            year=int(r.year),
            item=r.measure,
        )
    _warn_withheld(t, agg.withheld, out)
    if not len(agg.source):
        return
    mismatched = {
        (r.region_code, int(r.year), r.measure): int(r.children_sum)
        for r in agg.disagreements.itertuples(index=False)
    }
    filled = agg.counts.set_index(["region_code", "year"])
    summed: set | None = None  # the cells filled from children, looked up only if a chain breaks
    for chain in ORDERED_CHAINS:
        for a, b in zip(chain, chain[1:]):
            if a not in filled.columns or b not in filled.columns or a not in t.values or b not in t.values:
                continue
            va, vb = filled[a], filled[b]
            bad = (va > vb).fillna(False)
            if summed is None and bad.any():
                src = agg.source
                summed = set(
                    src.loc[
                        src["source"] == "sum_of_children", ["region_code", "year", "measure"]
                    ].itertuples(index=False, name=None)
                )
            for code, year in bad[bad].index:
                assert summed is not None
                from_a, from_b = (code, year, a) in summed, (code, year, b) in summed
                if from_a == from_b:
                    continue  # both reported (an impossible_numerator) or both summed (a child's)
                i = t.record(code, int(year))
                if i is None:
                    continue
                reported = b if not from_b else a
                how = {True: "sum of its sub-regions", False: "reported"}
                how_zh = {True: "下辖地区合计", False: "自报"}
                # the reported total's own sub-regions' sum, when it differs: what the total
                # would be (a sum below a reported total, a sub-region missing from the file, is
                # withheld by aggregate_counts and never reaches here)
                cover = mismatched.get((code, int(year), reported))
                hint = (
                    f"; its sub-regions' {ALL_MEASURES_EN.get(reported, reported)} sum to {cover:,}"
                    if cover is not None
                    else ""
                )
                hint_zh = (
                    f"；其下辖地区的{ALL_MEASURES.get(reported, reported)}合计为{cover:,}"
                    if cover is not None
                    else ""
                )
                out.error(
                    "impossible_after_aggregation",
                    f"region {code}: {ALL_MEASURES_EN.get(a, a)} = {int(va[(code, year)]):,} ({how[from_a]}) exceed "
                    f"{ALL_MEASURES_EN.get(b, b)} = {int(vb[(code, year)]):,} ({how[from_b]}): every rate on them would "
                    f"be impossible; check the reported total {t.where(i, reported)}{hint}",
                    f"地区 {code}：{ALL_MEASURES.get(a, a)} {int(va[(code, year)]):,}（{how_zh[from_a]}）大于"
                    f"{ALL_MEASURES.get(b, b)} {int(vb[(code, year)]):,}（{how_zh[from_b]}），相关各率不可能成立；"
                    f"请核实自报合计{hint_zh}",
                    row=t.row_of(i, reported),
                    column=t.labels[reported],
                    code=code,
                    year=int(year),
                    item=reported,
                )


def _warn_withheld(t: _Table, withheld: pd.DataFrame, out) -> None:
    """A parent's empty cell not filled from its sub-regions (:attr:`Aggregation.withheld`): a
    warning at that cell (in long form, where it has no row: at the reported cell it contradicts)
    with the numbers and how to mend the file (``children_sum_withheld``)."""
    for r in withheld.itertuples(index=False):
        i = t.record(r.region_code, int(r.year))
        if i is None or r.against not in t.labels:
            continue
        at = r.measure if (r.measure in t.labels and not t.long_form) else r.against
        m_en, m_zh = ALL_MEASURES_EN.get(r.measure, r.measure), ALL_MEASURES.get(r.measure, r.measure)
        a_en, a_zh = ALL_MEASURES_EN.get(r.against, r.against), ALL_MEASURES.get(r.against, r.against)
        code, year = r.region_code, int(r.year)
        out.warning(
            "children_sum_withheld",
            f"region {code}, {year}: {m_en} is empty and is not filled from its sub-regions: they sum to "
            f"{int(r.children_sum):,}, below the region's own {a_en} = {int(r.reported):,} "
            f"({t.where(i, r.against)}), which is above its sub-regions' {a_en} ({int(r.against_children_sum):,}) "
            f"too, so a sub-region's row is likely missing from the file. {m_en} of {code} in {year} stays "
            f"empty, and a rate on it takes both its counts from the sub-regions; add the missing "
            f"sub-region's row, or give {code}'s own {m_en}",
            f"地区 {code}，{year}年：{m_zh}空缺，未用下辖地区合计补齐：下辖地区合计为{int(r.children_sum):,}，"
            f"低于本地区自报的{a_zh} {int(r.reported):,}，而自报{a_zh}也高于下辖地区合计"
            f"{int(r.against_children_sum):,}，文件可能缺少某个下辖地区的行。{code} {year}年的{m_zh}保持空缺："
            f"相关指标的分子、分母均按下辖地区合计计算；"
            f"请补上缺少的下辖地区的行，或填报{code}自身的{m_zh}",
            row=t.row_of(i, at),
            column=t.labels[at],
            code=code,
            year=year,
            item=r.measure,
        )


def _check_entry_errors(
    t: _Table, counts: pd.DataFrame, registry: pd.DataFrame, out, *, strict: bool
) -> None:
    """Likely typing mistakes (:func:`mchanalysis.quality.entry_errors`), named by row and column:
    warnings, or errors with ``strict``."""
    if counts.empty or not t.values:
        return
    found = entry_errors(counts, registry)
    if found.empty:
        return
    add = out.error if strict else out.warning
    for r in found.itertuples(index=False):
        i = t.record(r.region_code, int(r.year))
        if i is None or r.item not in t.labels:
            continue
        add(
            r.check,
            r.message_en,
            r.message_zh,
            row=t.row_of(i, r.item),
            column=t.labels[r.item],
            code=r.region_code,
            year=int(r.year),
            item=r.item,
        )


@dataclass
class _Table:
    """The records being validated, one list entry per record (after blank rows are skipped)."""

    long_form: bool
    header: dict[str, str]  # identity column id -> header as written
    labels: dict[str, str]  # measure id -> column named in findings
    cell_rows: pd.DataFrame  # measure id -> spreadsheet row of each cell
    rows: list[int]  # spreadsheet row of each record (long form: its first row)
    codes: list[str] = field(default_factory=list)
    code_ok: list[bool] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    levels: list[str | None] = field(default_factory=list)
    years: list[int | None] = field(default_factory=list)
    values: dict[str, pd.arrays.IntegerArray] = field(default_factory=dict)
    not_done: list[tuple[int, str]] = field(default_factory=list)  # (record, measure) written -2
    #: each identity column as codes into its distinct normalised texts (``_parse_identity``):
    #: ``texts[codes[i]]`` is record i's text ("" in every record of an absent column)
    distinct: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)
    _records: dict | None = field(default=None, repr=False)
    _region_of: dict = field(default_factory=dict, repr=False)
    _span: int = field(default=1, repr=False)

    @property
    def n(self) -> int:
        return len(self.rows)

    def readable(self) -> np.ndarray:
        """The records whose region code and year could be read, in order."""
        ok = np.array(self.code_ok, dtype=bool) & np.array([y is not None for y in self.years], dtype=bool)
        return np.flatnonzero(ok)

    def record_index(self) -> dict[int, int]:
        """The readable records by region code and year (of a pair met twice, the last), as
        integers: (the code's place among the distinct codes) x span + year, where every year
        read is below the span. Made on the first call, after :func:`_parse_identity` (which
        sets the codes and years), for the checks that look records up by code and year."""
        if self._records is None:
            keep = self.readable()
            region_at, texts = self.distinct["region_code"]
            years = np.array(self.years, dtype=object)[keep].astype(np.int64)
            self._span = int(years.max()) + 1 if len(years) else 1
            self._region_of = {text: k for k, text in enumerate(texts)}
            keys = region_at[keep].astype(np.int64) * self._span + years
            self._records = dict(zip(keys.tolist(), keep.tolist()))
        return self._records

    def record(self, code: str, year: int) -> int | None:
        """The readable record of a region code and a year (of a pair met twice, the last), or None."""
        records = self.record_index()
        k = self._region_of.get(code)
        if k is None or not 0 <= year < self._span:
            return None
        return records.get(k * self._span + year)

    def row_of(self, i: int, measure: str) -> int:
        return int(self.cell_rows.at[i, measure])

    def where(self, i: int, measure: str) -> str:
        """How a message names a cell: its header (and id), or in long form the id and row."""
        if self.long_form:
            return f"{measure} (row {self.row_of(i, measure)})"
        label = self.labels[measure]
        return f"{label!r}" if label == measure else f"{label!r} ({measure})"


def _text_records(raw_frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """A copy with every cell as text, a ``_row`` column, and completely empty rows skipped."""
    raw = raw_frame.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    if ROW not in raw.columns:
        raw[ROW] = range(2, len(raw) + 2)
    data_columns = [c for c in raw.columns if c != ROW]
    blank = np.ones(len(raw), dtype=bool)
    for c in data_columns:
        if isinstance(raw[c].dtype, pd.StringDtype):
            # pandas' "str" (mchanalysis.io's reading of a plain CSV): NA becomes "", and only
            # the rows still blank so far are looked at (after the first column, almost none),
            # each distinct text once
            if raw[c].hasnans:
                raw[c] = raw[c].fillna("")
            still = np.flatnonzero(blank)
            if len(still):
                codes, uniques = _distinct(raw[c].take(still))
                blank[still] = np.array([u.strip() == "" for u in uniques], dtype=bool)[codes]
            continue
        column = raw[c].astype(object)
        cells = column.to_numpy(dtype=object)
        # all text and no NA (every CSV cell): one look at the column; text with NA: a second
        all_text = pd.api.types.infer_dtype(cells, skipna=False) in ("string", "empty")
        if all_text or pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
            # text already: NA becomes "", and only the rows still blank so far are looked at
            # (after the first column, almost none): no per-cell Python call
            if not all_text:  # has NA
                cells = cells.copy()
                cells[pd.isna(cells)] = ""
            raw[c] = pd.Series(cells, index=raw.index, dtype=object)
            still = np.flatnonzero(blank)
            if len(still):
                blank[still] = [v.strip() == "" for v in cells[still]]
            continue
        # numbers of mixed types: 1 == 1.0 == True would share one code but not one text
        codes, uniques = np.arange(len(column)), column.tolist()
        texts = np.array(
            [v if isinstance(v, str) else ("" if v is None or pd.isna(v) else str(v)) for v in uniques]
            + [""],
            dtype=object,
        )  # the last: NA (code -1)
        raw[c] = pd.Series(texts[codes], index=raw.index, dtype=object)
        empty = np.array([t.strip() == "" for t in texts], dtype=bool)
        blank &= empty[codes]
    if data_columns and blank.any():  # (a national file has no blank row: no copy)
        raw = raw[~blank]
    return raw, {str(c): i for i, c in enumerate(data_columns)}


def _shape(raw, mapping, measures, out) -> tuple[_Table, pd.DataFrame]:
    """Bring wide and long tables to one wide text frame (id columns, measures, ``_row``)."""
    long_form = is_long_form([c for c in raw.columns if c != ROW])
    if long_form:
        for cid in ("region_code", "year"):
            if cid not in mapping:
                out.error(
                    "missing_column",
                    f"required column {_label(cid)} is missing (long form needs region_code, year, measure, value)",
                    f"缺少必需列 {_label(cid)}（长表需要 行政区划代码、年份、指标、数值）",
                    column=cid,
                )
        for cid in [c for c in mapping if c in measures]:
            out.warning(
                "unknown_column",
                f"column {mapping[cid]!r} is ignored: in a long table the counts are in the value column",
                f"列 {mapping[cid]!r} 已忽略：长表的计数应在 数值 列中",
                column=mapping[cid],
            )
        wide, cell_rows, labels = _long_to_wide(raw, mapping, measures, out)
    else:
        for stray in ("measure", "value"):
            if stray in mapping:
                out.warning(
                    "unknown_column",
                    f"column {mapping[stray]!r} is ignored: a long table needs both a measure and a value column",
                    f"列 {mapping[stray]!r} 已忽略：长表需要同时有 指标 和 数值 两列",
                    column=mapping[stray],
                )
                del mapping[stray]
        present = [m for m in measures if m in mapping]
        wide = raw[[mapping[c] for c in mapping] + [ROW]].copy()
        wide.columns = [*mapping, ROW]
        cell_rows = pd.DataFrame({m: wide[ROW] for m in present}, index=wide.index)
        labels = {m: mapping[m] for m in present}
    wide = wide.reset_index(drop=True)
    table = _Table(
        long_form=long_form,
        header={c: mapping[c] for c in ID_COLUMNS if c in mapping},
        labels=labels,
        cell_rows=cell_rows.reset_index(drop=True),
        rows=wide[ROW].astype(int).tolist(),
    )
    return table, wide


def _check_columns(t: _Table, measures, out, *, first_position: int) -> None:
    """Required identity columns, at least one measure, and measures absent from the file."""
    for cid in REQUIRED_ID_COLUMNS:
        if cid not in t.header:
            out.error(
                "missing_column",
                f"required column {_label(cid)} is missing",
                f"缺少必需列 {ID_COLUMNS[cid]}（{cid}）",
                column=cid,
            )
    if not t.labels:
        out.error(
            "no_measures",
            "no measure column: the table has no counts to analyse",
            "没有任何指标列：表中没有可分析的计数",
        )
    for k, m in enumerate(measures):
        if m not in t.labels:
            out.warning(
                "measure_absent",
                f"measure {_label(m)} is not in the file: not reported",
                f"文件中没有指标 {_label(m)}：视为未报告",
                column=m,
                position=first_position + k,
                item=m,
            )


def _parse_identity(t: _Table, wide: pd.DataFrame, max_year: int, out) -> None:
    """Region code (6 digits), name, level and year of every record; fills ``t``."""

    for cid in ("region_code", "region_name", "parent_code", "level", "year"):
        if cid not in wide.columns:
            continue
        for i, (text, bad) in _flagged(wide[cid], _odd_text):
            out.error(
                bad[0],
                f"{t.header.get(cid, cid)} {text!r} {bad[1]}",
                f"{t.header.get(cid, cid)} {text!r} {bad[2]}",
                row=t.rows[i],
                column=t.header.get(cid, cid),
            )

    for cid in ("region_code", "region_name", "parent_code", "level", "year"):
        # each distinct text is normalised once, and each distinct normalised text read once
        cells = wide[cid] if cid in wide.columns else pd.Series([""] * t.n, dtype=object)
        codes, uniques = _distinct(cells)
        same, texts = pd.factorize(pd.Series([normalise_text(u) for u in uniques], dtype=object))
        t.distinct[cid] = (same[codes] if len(codes) else codes, list(texts))

    def per_record(cid, fn=None):
        """``fn`` of each record's normalised text (the text itself without ``fn``)."""
        codes, texts = t.distinct[cid]
        return _take(texts if fn is None else [fn(x) for x in texts], codes)

    def per_text(cid, fn) -> np.ndarray:
        """``fn`` of each record's normalised text as a boolean array, ``fn`` once per text."""
        codes, texts = t.distinct[cid]
        return np.array([bool(fn(x)) for x in texts], dtype=bool)[codes]

    header = t.header
    t.codes, t.names, t.parents = (
        per_record("region_code"),
        per_record("region_name"),
        per_record("parent_code"),
    )
    level_text = per_record("level")
    parsed_years = per_record("year", lambda y: _parse_year(y, max_year))
    t.levels = per_record("level", canonical_level) if "level" in header else [None] * t.n
    t.years = [y[0] for y in parsed_years] if "year" in header else [None] * t.n
    t.code_ok = (
        per_record("region_code", lambda c: bool(_CODE.match(c)))
        if "region_code" in header
        else [False] * t.n
    )
    # only records with something to report are visited one by one
    suspect = np.zeros(t.n, dtype=bool)
    if "region_code" in header:
        suspect |= ~per_text("region_code", _CODE.match)
    if "year" in header:
        suspect |= per_text("year", lambda y: _parse_year(y, max_year)[1])
    if "region_name" in header:
        suspect |= per_text("region_name", lambda x: x == "")
    if "level" in header:
        suspect |= per_text("level", lambda x: canonical_level(x) is None)
    for i in np.flatnonzero(suspect).tolist():
        row, code = t.rows[i], t.codes[i]
        if "region_code" in header:
            if code == "":
                out.error(
                    "missing_value",
                    "empty region code",
                    "行政区划代码为空",
                    row=row,
                    column=header["region_code"],
                )
            elif not _CODE.match(code):
                hint = hint_zh = ""
                if any(ch.isdigit() and not ch.isascii() for ch in code):
                    hint = "; it has digits of another script: write it with 0-9"
                    hint_zh = "；含有其他文字的数字：请用0-9书写"
                elif code.isdigit() and len(code) < 6:
                    hint = "; a leading zero was probably lost: format the column as text"
                    hint_zh = "；可能丢失了开头的0：请把该列设为文本格式"
                out.error(
                    "region_code_format",
                    f"region code {code!r} is not 6 digits{hint}",
                    f"行政区划代码 {code!r} 不是6位数字{hint_zh}",
                    row=row,
                    column=header["region_code"],
                    code=code,
                )
        if "year" in header:
            year, check, msg, msg_zh = parsed_years[i]
            if check:
                out.error(check, msg, msg_zh, row=row, column=header["year"], code=code)
        if "region_name" in header and t.names[i] == "":
            out.error(
                "missing_value",
                "empty region name",
                "地区名称为空",
                row=row,
                column=header["region_name"],
                code=code,
                year=t.years[i],
            )
        if "level" in header:
            if t.levels[i] is None:
                what = "empty level" if level_text[i] == "" else f"unknown level {level_text[i]!r}"
                what_zh = "级别为空" if level_text[i] == "" else f"未知级别 {level_text[i]!r}"
                out.error(
                    "level_unknown",
                    f"{what}: use province / prefecture / county (省级 / 地市级 / 县区级)",
                    f"{what_zh}：请填 省级 / 地市级 / 县区级",
                    row=row,
                    column=header["level"],
                    code=code,
                    year=t.years[i],
                )


def _check_parents(t: _Table, out) -> None:
    """Parent codes: 6 digits, a region of the file, not the region itself, of a higher level."""
    if "parent_code" not in t.header:
        return
    code_ok = np.array(t.code_ok, dtype=bool)
    region = t.distinct["region_code"][0]
    all_codes = set(np.array(t.codes, dtype=object)[code_ok].tolist())
    # each region's level: that of its first record with a level (a 6-digit code)
    with_level = np.flatnonzero(code_ok & np.array([v is not None for v in t.levels], dtype=bool))
    _, first = np.unique(region[with_level], return_index=True)
    level_of = {t.codes[i]: t.levels[i] for i in with_level[first].tolist()}
    # what is checked of a record is read from its parent's, code's and level's texts: it is
    # decided once for each distinct triple (at its first record), then for every record
    parent_at, level_at = t.distinct["parent_code"][0], t.distinct["level"][0]
    n_region, n_level = len(t.distinct["region_code"][1]), len(t.distinct["level"][1])
    triple = (parent_at.astype(np.int64) * n_region + region) * n_level + level_at
    _, first, which = np.unique(triple, return_index=True, return_inverse=True)
    fine = []
    for i in first.tolist():
        parent, code, level = t.parents[i], t.codes[i], t.levels[i]
        fine.append(
            parent == ""
            or (
                parent in all_codes
                and parent != code
                and (
                    level is None
                    or parent not in level_of
                    or LEVEL_ORDER[level_of[parent]] < LEVEL_ORDER[level]
                )
            )
        )
    for i in np.flatnonzero(~np.array(fine, dtype=bool)[which]).tolist():
        parent, code, level = t.parents[i], t.codes[i], t.levels[i]
        where = dict(row=t.rows[i], column=t.header["parent_code"], code=code, year=t.years[i])
        if not _CODE.match(parent):
            out.error(
                "parent_code_format",
                f"parent code {parent!r} is not 6 digits 0-9 (leave it empty for the top region)",
                f"上级代码 {parent!r} 不是6位数字（最上级地区请留空）",
                **where,
            )
        elif parent == code:
            out.error(
                "unknown_parent",
                f"region {code} is its own parent",
                f"地区 {code} 的上级代码是它自己",
                **where,
            )
        elif parent not in all_codes:
            out.error(
                "unknown_parent",
                f"parent code {parent} is not a region of the file (a typo?)",
                f"上级代码 {parent} 不是本文件中的地区（是否输入有误？）",
                **where,
            )
        elif level is not None and parent in level_of and LEVEL_ORDER[level_of[parent]] >= LEVEL_ORDER[level]:
            out.error(
                "level_order",
                f"region {code} ({level}) has a parent {parent} of level {level_of[parent]}: "
                "a parent must be of a higher level",
                f"地区 {code}（{LEVELS[level]}）的上级 {parent} 为{LEVELS[level_of[parent]]}：上级的级别必须更高",
                **where,
            )


def _check_duplicates(t: _Table, out) -> None:
    """Two records of one region and year: one error per repeat, naming every row."""
    if "region_code" not in t.header or "year" not in t.header:
        return
    if len(t.record_index()) == len(t.readable()):
        return  # no region and year twice (as many distinct pairs as records; the common case)
    rows_of: dict[tuple, list[int]] = {}
    for i in range(t.n):
        if t.code_ok[i] and t.years[i] is not None:
            rows_of.setdefault((t.codes[i], t.years[i]), []).append(t.rows[i])
    for (code, year), rows in rows_of.items():
        for later in rows[1:]:
            out.error(
                "duplicate_region_year",
                f"region {code} year {year} appears more than once: rows {_rows_text(rows)}",
                f"地区 {code} {year}年 出现多次：第 {_rows_text(rows)} 行",
                row=later,
                column=t.header["region_code"],
                code=code,
                year=year,
            )


def _check_region_changes(t: _Table, out) -> None:
    """A region's name, parent and level must be the same in every year."""
    attributes = {"region_name": t.names, "parent_code": t.parents, "level": t.levels}
    region_at = t.distinct["region_code"][0].astype(np.int64)
    for cid, values in attributes.items():
        if cid not in t.header:
            continue
        # each record's value as a code (-1: none): the same value, the same code (a level is
        # its canonical id, whichever way it was written)
        at, texts = t.distinct[cid]
        value_of = [canonical_level(x) for x in texts] if cid == "level" else texts
        same = pd.factorize(pd.Series(value_of, dtype=object))[0]
        value_at = same[at] if len(at) else at
        keep = np.array(t.code_ok, dtype=bool) & (value_at >= 0)
        pairs = np.unique(region_at[keep] * (len(texts) + 1) + value_at[keep])
        if len(pairs) == len(np.unique(region_at[keep])):
            continue  # one value per region (array operations; the common case)
        seen: dict[str, dict] = {}
        for i in range(t.n):
            if t.code_ok[i] and values[i] is not None:
                seen.setdefault(t.codes[i], {}).setdefault(values[i], []).append(i)
        for code, variants in seen.items():
            if len(variants) < 2:
                continue
            parts = "; ".join(
                f"{v!r} in {', '.join(str(t.years[j]) for j in idx if t.years[j] is not None) or '?'} "
                f"(row {_rows_text(t.rows[j] for j in idx)})"
                for v, idx in variants.items()
            )
            second = list(variants.values())[1][0]
            out.error(
                "region_changes",
                f"region {code}: {cid} changes between years: {parts}; one code must keep one "
                "name, parent and level (use a new code for a new region)",
                f"地区 {code} 的{ID_COLUMNS[cid]}在不同年份不一致：{parts}；同一代码的名称、上级和级别必须一致",
                row=t.rows[second],
                column=t.header[cid],
                code=code,
                year=t.years[second],
            )


def _read_cell(text: str) -> tuple[int | None, str | None, str | None, str | None, bool]:
    """One measure cell read: :func:`parse_count`'s ``(value, check, reason, reason_zh)`` and
    whether it is the 年报's -2 (未开展: no count, no error)."""
    if text.isdigit() and text.isascii() and len(text) < 10:  # below MAX_COUNT: the common case
        return int(text), None, None, None, False
    if normalise_text(text) == NOT_CARRIED_OUT_CODE:
        return None, None, None, None, True
    return (*parse_count(text), False)


def _distinct(values) -> tuple[np.ndarray, list]:
    """Each cell's code and the distinct values (``uniques[codes[i]]`` is cell ``i``; NA is a
    value like any other), as :func:`pandas.factorize` of the cells as Python objects gives them.

    A column of pandas' ``str`` dtype (Arrow-backed: :func:`mchanalysis.io.read_raw` of a plain
    CSV) is encoded by pyarrow, without a Python string per cell; its distinct values are the
    same strings, so whatever is computed from them is the same.
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
        codes, distinct = pd.factorize(values, use_na_sentinel=False)
        return codes, distinct.to_numpy(dtype=object).tolist()  # one conversion, not a loop
    cells = values if isinstance(values, pd.Series) else list(values)
    codes, uniques = pd.factorize(pd.Series(cells, dtype=object), use_na_sentinel=False)
    return codes, list(uniques)


def _take(results: list, codes: np.ndarray) -> list:
    """``[results[k] for k in codes]`` (the same objects), as one array take."""
    return np.fromiter(results, dtype=object, count=len(results))[codes].tolist() if len(codes) else []


def _odd_text(text: str):
    if text.isascii() and text.isprintable():
        return None
    return odd_character(text)


def _flagged(values, fn):
    """``(index, (value, fn(value)))`` of the cells for which ``fn`` (called once per distinct value)
    is not None, in order."""
    codes, uniques = _distinct(values)
    results = [fn(u) for u in uniques]
    hit = np.array([r is not None for r in results], dtype=bool)
    return [(int(i), (uniques[codes[i]], results[codes[i]])) for i in np.flatnonzero(hit[codes])]


def _parse_measures(t: _Table, wide: pd.DataFrame, out) -> None:
    """Every measure cell as a count (plain ASCII digits, the commonest, on a fast path)."""
    for m in t.labels:
        # each distinct text is read once (:func:`_read_cell`); the cells take their reading
        codes, uniques = _distinct(wide[m])
        readings = [_read_cell(text) for text in uniques]
        value_of = np.array([0 if r[0] is None else r[0] for r in readings], dtype="int64")
        na_of = np.array([r[0] is None for r in readings], dtype=bool)
        t.values[m] = pd.arrays.IntegerArray(value_of[codes], na_of[codes])
        done_of = np.array([r[4] for r in readings], dtype=bool)
        not_done_at = np.flatnonzero(done_of[codes])
        t.not_done.extend((int(i), m) for i in not_done_at)
        not_done = len(not_done_at)
        bad_of = np.array([r[1] is not None for r in readings], dtype=bool)
        for i in np.flatnonzero(bad_of[codes]):
            i = int(i)
            value, check, msg, msg_zh, _ = readings[codes[i]]
            if check:
                prefix = f"{m}: " if t.long_form else ""
                out.error(
                    check,
                    prefix + msg,
                    prefix + msg_zh,
                    row=t.row_of(i, m),
                    column=t.labels[m],
                    code=t.codes[i],
                    year=t.years[i],
                    item=m,
                )
        if not_done:
            out.add(
                "info",
                "not_carried_out",
                f"measure {_label(m)}: {not_done} cell(s) written -2 (not carried out): kept as "
                "not carried out, neither 0 nor not reported, and never scored against a target",
                f"指标 {_label(m)}：{not_done} 个单元格填 -2（未开展）：按未开展处理，既不是0也不是未报告，"
                "不参与目标评价",
                column=t.labels[m],
                item=m,
            )
        # an empty 年报 extension column is the template's default, not a finding
        if m not in NIANBAO_MEASURES and not any(text.strip() for text in uniques):
            out.warning(
                "measure_empty",
                f"measure {_label(m)} has no value in any row: not reported",
                f"指标 {_label(m)} 所有行均为空：视为未报告",
                column=t.labels[m],
                item=m,
            )


def _above(t: _Table, a: str, b: str, between=()) -> np.ndarray:
    """Records where count a > count b, both reported, and every count ``between`` is NA."""
    mask = (t.values[a] > t.values[b]).fillna(False).to_numpy(dtype=bool)
    for c in between:
        mask &= t.values[c].isna()
    return np.flatnonzero(mask)


def _check_chains(t: _Table, out) -> None:
    """Impossible numerators: each reported count of an ordered chain must not exceed the next
    reported one (:data:`mchanalysis.schema.ORDERED_CHAINS`)."""
    for chain in ORDERED_CHAINS:
        members = [m for m in chain if m in t.values]
        for ia, a in enumerate(members):
            for ib in range(ia + 1, len(members)):
                b = members[ib]
                for i in _above(t, a, b, members[ia + 1 : ib]):
                    va, vb = int(t.values[a][i]), int(t.values[b][i])
                    out.error(
                        "impossible_numerator",
                        f"{t.where(i, a)} = {va} is greater than {t.where(i, b)} = {vb}: "
                        f"{ALL_MEASURES_EN.get(a, a)} cannot exceed {ALL_MEASURES_EN.get(b, b)}",
                        f"{ALL_MEASURES.get(a, a)} {va} 大于 {ALL_MEASURES.get(b, b)} {vb}，不可能",
                        row=t.row_of(i, a),
                        column=t.labels[a],
                        code=t.codes[i],
                        year=t.years[i],
                        item=a,
                    )


def _check_sums(t: _Table, out) -> None:
    """Parts that must add up to their whole when all are reported
    (:data:`mchanalysis.schema.SUM_RULES`: 死胎死产数 + 早期新生儿死亡数 = 围产儿死亡数).

    An error at the whole's cell, naming the parts and both numbers; a record where any of
    them is empty is not checked.
    """
    for parts, whole in SUM_RULES:
        if whole not in t.values or any(p not in t.values for p in parts):
            continue
        total = t.values[parts[0]].copy()
        for p in parts[1:]:
            total = total + t.values[p]
        bad = (total != t.values[whole]).fillna(False).to_numpy(dtype=bool)
        for i in np.flatnonzero(bad):
            vals = [int(t.values[p][i]) for p in parts]
            vw = int(t.values[whole][i])
            out.error(
                "sum_mismatch",
                f"{t.where(i, whole)} = {vw} is not the sum of "
                + " + ".join(f"{ALL_MEASURES_EN.get(p, p)} {v}" for p, v in zip(parts, vals))
                + f" = {sum(vals)}",
                f"{ALL_MEASURES.get(whole, whole)} {vw} 不等于 "
                + " + ".join(f"{ALL_MEASURES.get(p, p)} {v}" for p, v in zip(parts, vals))
                + f" = {sum(vals)}，请核对",
                row=t.row_of(i, whole),
                column=t.labels[whole],
                code=t.codes[i],
                year=t.years[i],
                item=whole,
            )


def _check_coverage(t: _Table, counts: pd.DataFrame, registry: pd.DataFrame, out) -> None:
    """The >100% rule (:func:`mchanalysis.quality.over_100`): a warning, value kept, named by
    row and column."""
    if counts.empty or not t.values:
        return
    for r in over_100(counts, registry).itertuples(index=False):
        i = t.record(r.region_code, int(r.year))
        if i is None or r.item not in t.labels:
            continue
        out.warning(
            r.check,
            r.message_en,
            r.message_zh,
            row=t.row_of(i, r.item),
            column=t.labels[r.item],
            code=r.region_code,
            year=int(r.year),
            item=r.item,
        )


def _counts_frame(t: _Table, measures) -> pd.DataFrame:
    """The typed counts table of the records whose region code and year could be read."""
    at = t.readable()  # an array, not a list: pandas converts a list per column
    keep = at.tolist()

    def text(cid, fn=None):
        # the column's distinct texts taken at the kept records (not a str per record)
        codes, texts = t.distinct[cid]
        return pd.array(texts if fn is None else [fn(x) for x in texts], dtype="str").take(codes[at])

    def level(x):
        return (canonical_level(x) or "") if "level" in t.header else ""

    counts = pd.DataFrame(
        {
            "region_code": text("region_code"),
            "region_name": text("region_name"),
            "parent_code": text("parent_code"),
            "level": text("level", level),
            "year": pd.array(np.array(t.years, dtype=object)[at].astype(np.int64), dtype="int64"),
        }
    )
    absent = pd.arrays.IntegerArray(np.zeros(len(at), dtype=np.int64), np.ones(len(at), dtype=bool))  # all NA
    for m in measures:
        counts[m] = t.values[m][at] if m in t.values else absent.copy()
    counts = counts.sort_values(["region_code", "year"], kind="stable").reset_index(drop=True)
    kept = set(keep)
    # a tuple (not a frame): attrs are compared when pandas concatenates tables
    counts.attrs[NOT_CARRIED_OUT] = tuple(
        (t.codes[i], int(t.years[i]), m) for i, m in sorted(t.not_done) if i in kept and m in measures
    )
    return counts


def load_counts(
    path, *, sheet: str | None = None, registry: pd.DataFrame | None = None, strict: bool = False
) -> LoadResult:
    """Read and validate a counts file: the one door through which data enter the package.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8, UTF-8 with BOM, GBK or GB18030; detected), TSV, XLSX or Parquet; wide or
        long form; Chinese or English headers (docs/design.md "Input").
    sheet : str, optional
        XLSX only: the sheet to read (default the first).
    registry : pandas.DataFrame, optional
        Indicator registry used by the ``over_100`` warning; default the package's.
    strict : bool
        Likely entry errors are errors (see :func:`validate_counts`).

    Returns
    -------
    LoadResult
        ``counts`` (the validated wide table), ``findings`` (warnings only) and ``source``.

    Raises
    ------
    MchError
        The file cannot be read at all (missing, undecodable, malformed).
    ValidationError
        Validation found at least one error; ``.findings`` holds every error and warning.

    Examples
    --------
    >>> result = load_counts("data/demo/counts.csv")  # doctest: +SKIP
    >>> result.counts.dtypes["live_births"]  # doctest: +SKIP
    Int64Dtype()
    """
    path = Path(path)
    raw = read_raw(path, sheet=sheet)
    counts, findings = validate_counts(raw, file=path, registry=registry, strict=strict)
    if (findings["severity"] == "error").any():
        raise ValidationError(findings, file=path)
    return LoadResult(counts=counts, findings=findings.reset_index(drop=True), source=path)
