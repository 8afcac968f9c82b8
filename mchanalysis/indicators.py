"""The indicator table: every registry indicator for every region and year.

The indicators themselves are defined in the registry (:mod:`mchanalysis.registry`,
``indicators.yaml``). The indicator table (docs/design.md "Output") has one row per region, year and
indicator:
``region_code, region_name, level, year, indicator, numerator, denominator, value, lower, upper,
unit, ci_method, conf_level`` plus ``parent_code`` and ``flag``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from mchanalysis.confidence import check_level
from mchanalysis.regions import aggregate_counts
from mchanalysis.registry import load_registry

#: Columns of the indicator table, in order.
INDICATOR_COLUMNS = [
    "region_code",
    "region_name",
    "level",
    "parent_code",
    "year",
    "indicator",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
    "unit",
    "ci_method",
    "conf_level",
    "flag",
]


#: The flag words, in the order they are joined (``over_100;incomplete`` ...): bit i of a row's
#: flag code is ``FLAG_WORDS[i]``.
FLAG_WORDS = (
    "over_100",
    "incomplete",
    "not_carried_out",
    "numerator_not_reported",
    "denominator_not_reported",
    "zero_denominator",
    "subregion_basis",
)


def _flag_codes(conditions: dict, n: int) -> np.ndarray:
    """Per row, the bits of the :data:`FLAG_WORDS` whose condition (a boolean array) holds."""
    codes = np.zeros(n, dtype=np.int16)
    for bit, word in enumerate(FLAG_WORDS):
        codes |= np.asarray(conditions[word], dtype=bool).astype(np.int16) << bit
    return codes


def _flag_column(codes: np.ndarray):
    """The flag text column of the rows' flag codes: the ';'-joined words of each code's bits in
    :data:`FLAG_WORDS` order ('' where none), each distinct text built once."""
    # the codes are below 2**6: which occur, and each row's place among them, by counting (no sort)
    seen = np.bincount(codes, minlength=1 << len(FLAG_WORDS))
    present = np.flatnonzero(seen)
    place = np.zeros(len(seen), dtype=np.int64)
    place[present] = np.arange(len(present))
    words = [";".join(w for bit, w in enumerate(FLAG_WORDS) if int(c) >> bit & 1) for c in present]
    return pd.array(words, dtype="str").take(place[codes])


class _Labels:
    """Codes of text values met across several text columns (missing = -1), so that the rows of
    all indicators become one text column by one take from the few distinct values (not by
    converting, concatenating and factorising a million Python strings)."""

    def __init__(self):
        self.code_of: dict[str, int] = {}

    def codes(self, column: pd.Series) -> np.ndarray:
        local, uniques = pd.factorize(column)  # a pyarrow-backed column: dictionary-encoded
        lut = np.array([self.code_of.setdefault(str(u), len(self.code_of)) for u in uniques], dtype=np.int64)
        return np.where(local >= 0, lut[np.maximum(local, 0)] if len(lut) else -1, -1)

    def column(self, codes: np.ndarray):
        return pd.array(list(self.code_of), dtype="str").take(codes, allow_fill=True)


def compute_indicators(
    counts: pd.DataFrame,
    *,
    registry: pd.DataFrame | None = None,
    conf_level: float = 0.95,
    aggregate: bool = True,
) -> pd.DataFrame:
    """Compute every registry indicator for every region and year, with confidence intervals.

    Parameters
    ----------
    counts : pandas.DataFrame
        Validated wide counts table.
    registry : pandas.DataFrame, optional
        From :func:`mchanalysis.registry.load_registry`; default the package registry.
    conf_level : float
        Confidence level of the intervals, a fraction (0.95, 0.998).
    aggregate : bool
        Fill parents' measures from their children first (:func:`regions.aggregate_counts`).

    Returns
    -------
    pandas.DataFrame
        The indicator table (``INDICATOR_COLUMNS``), sorted by region_code, year and registry
        order. One row per region, year and indicator whose numerator or denominator is known.
        ``value`` is in the indicator's unit (numerator / denominator × multiplier).
        Intervals: Wilson for ``proportion`` indicators (on min(numerator, denominator) when the
        numerator exceeds the denominator), exact Poisson (< 10 events) / Byar for ``rate``
        indicators (:mod:`mchanalysis.stats`). ``flag``: '' or ';'-joined reasons:
        ``over_100`` (numerator above denominator for a proportion), ``incomplete`` (a child
        region did not report a measure of it), ``not_carried_out`` (the region's file wrote -2,
        the 年报's 未开展, for its numerator or denominator: no value, never scored, and not
        "not reported"; validation lists such cells as ``(region_code, year, measure)`` tuples
        in ``counts.attrs["not_carried_out"]``),
        ``numerator_not_reported``,
        ``denominator_not_reported``, ``zero_denominator``, ``subregion_basis`` (a parent
        region's count summed from its sub-regions over its own reported other count, which
        differs from its sub-regions' sum, or above such a region: both counts summed up the
        tree as a pair, see :func:`_pair_sums`).

    See Also
    --------
    indicator_counts : the same rows and counts, without values and intervals.
    """
    # here, not at the top: the intervals need scipy (0.1 s to import), and `mch validate`
    # reads the indicators' counts only (indicator_counts)
    from mchanalysis import stats

    conf_level = check_level(conf_level)
    rows_of = _indicator_rows(counts, registry, aggregate)
    extra: dict[str, list[np.ndarray]] = {k: [] for k in ("value", "lower", "upper", "method")}
    methods = _Labels()
    for part in rows_of.parts:
        ind, num, den, rows = part.ind, part.num, part.den, part.rows
        if ind.kind == "rate":
            ci = stats.rate_ci(num, den, multiplier=ind.multiplier, level=conf_level)
        else:
            ci = stats.proportion_ci(num, den, multiplier=ind.multiplier, level=conf_level)
        for k in ("value", "lower", "upper"):
            extra[k].append(ci[k].to_numpy()[rows])
        extra["method"].append(methods.codes(ci["ci_method"])[rows])
    if not rows_of.parts:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    out, perm = _assemble(rows_of)
    cat = {k: np.concatenate(v) for k, v in extra.items()}
    for k in ("value", "lower", "upper"):
        out[k] = cat[k][perm]
    out["ci_method"] = methods.column(cat["method"][perm])
    out["conf_level"] = conf_level
    out["flag"] = _flag_column(np.concatenate([p.flags[p.rows] for p in rows_of.parts])[perm])
    return out[INDICATOR_COLUMNS].reset_index(drop=True)


#: Columns of :func:`indicator_counts`: the indicator table's without value and interval.
COUNT_COLUMNS = [
    c for c in INDICATOR_COLUMNS if c not in ("value", "lower", "upper", "ci_method", "conf_level")
]


def indicator_counts(
    counts: pd.DataFrame, *, registry: pd.DataFrame | None = None, aggregate: bool = True
) -> pd.DataFrame:
    """The rows, numerators, denominators and flags of :func:`compute_indicators`, without values
    and intervals.

    Parameters
    ----------
    counts, registry, aggregate
        As for :func:`compute_indicators`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COUNT_COLUMNS` (``region_code, region_name, level, parent_code, year,
        indicator, numerator, denominator, unit, flag``): equal to those columns of
        ``compute_indicators(counts, registry=registry, aggregate=aggregate)`` at any
        confidence level (the same rows in the same order; tests/test_perf_indicator_counts.py).

    Notes
    -----
    Which rows the table has, their counts and their flags do not depend on the intervals; this
    is what `mch validate`'s capability line reads (the mortality rates' numerators and
    denominators), without importing scipy or computing 200,000 intervals.
    """
    rows_of = _indicator_rows(counts, registry, aggregate)
    if not rows_of.parts:
        return pd.DataFrame(columns=COUNT_COLUMNS)
    out, perm = _assemble(rows_of)
    out["flag"] = _flag_column(np.concatenate([p.flags[p.rows] for p in rows_of.parts])[perm])
    return out[COUNT_COLUMNS].reset_index(drop=True)


class _Part(NamedTuple):
    """One indicator's rows: its registry place and entry, numerator and denominator of every
    record (NaN: not reported), the records kept in the table and every record's flag code."""

    order: int
    ind: Any
    num: np.ndarray
    den: np.ndarray
    rows: np.ndarray
    flags: np.ndarray


class _Rows(NamedTuple):
    """What :func:`_indicator_rows` gives: the records' identity columns (``base``), the rows of
    each indicator of the registry that the table can compute, the registry, and whether the
    records are sorted by region_code, year."""

    base: pd.DataFrame
    parts: list[_Part]
    registry: pd.DataFrame
    sorted: bool


def _indicator_rows(counts: pd.DataFrame, registry, aggregate: bool) -> _Rows:
    """The rows, counts and flags of every indicator (the table without values and intervals)."""
    reg = load_registry() if registry is None else registry
    # cells the file wrote -2 (未开展), listed by validation (validation.NOT_CARRIED_OUT)
    not_done = counts.attrs.get("not_carried_out")
    incomplete = pd.DataFrame(columns=["region_code", "year", "measure"])
    agg, raw = None, counts
    if aggregate:
        agg = aggregate_counts(counts)
        counts, incomplete = agg.counts, agg.incomplete
    base = counts[["region_code", "region_name", "level", "parent_code", "year"]].reset_index(drop=True)
    base = base.assign(parent_code=base["parent_code"].fillna(""))
    base_key = pd.MultiIndex.from_arrays([base["region_code"], base["year"]])
    no_inc = np.zeros(len(base), dtype=bool)
    pairs = _pair_sums(raw, agg, reg, base_key) if agg is not None else {}
    done_by_measure = {}
    if not_done:
        cells = pd.DataFrame(list(not_done), columns=["region_code", "year", "measure"])
        done_by_measure = {
            m: base_key.isin(
                pd.MultiIndex.from_arrays([g["region_code"].astype(str), g["year"].astype("int64")])
            )
            for m, g in cells.groupby("measure")
        }
    inc_by_measure = {
        m: base_key.isin(pd.MultiIndex.from_arrays([g["region_code"], g["year"]]))
        for m, g in incomplete.groupby("measure")
    }
    parts = []
    for order, ind in enumerate(reg.itertuples(index=False)):
        if ind.numerator not in counts.columns or ind.denominator not in counts.columns:
            continue
        num = counts[ind.numerator].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        den = counts[ind.denominator].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        # the pair summed up the tree where it differs from the counts (a region's own total
        # that its sub-regions do not add up to, under a count summed from them): one basis
        basis = no_inc
        if ind.id in pairs:
            pn, pd_ = pairs[ind.id]
            whole = ~np.isnan(pn) & ~np.isnan(pd_)
            basis = whole & ((pn != num) | (pd_ != den))  # NaN compares unequal: a new value too
            num, den = np.where(basis, pn, num), np.where(basis, pd_, den)
        # both counts from complete sub-region sums: not incomplete (a withheld cell is listed so)
        inc = (
            inc_by_measure.get(ind.numerator, no_inc) | inc_by_measure.get(ind.denominator, no_inc)
        ) & ~basis
        done_num = done_by_measure.get(ind.numerator, no_inc)
        done_den = done_by_measure.get(ind.denominator, no_inc)
        not_done_row = (done_num & np.isnan(num)) | (done_den & np.isnan(den))
        keep = ~(np.isnan(num) & np.isnan(den)) | inc | not_done_row
        flags = _flag_codes(
            {
                "over_100": num > den if ind.kind == "proportion" else np.zeros(len(base), dtype=bool),
                "incomplete": inc,
                "not_carried_out": not_done_row,
                "numerator_not_reported": np.isnan(num) & ~inc & ~(done_num & np.isnan(num)),
                "denominator_not_reported": np.isnan(den) & ~inc & ~(done_den & np.isnan(den)),
                "zero_denominator": den == 0,
                "subregion_basis": basis,
            },
            len(base),
        )
        parts.append(_Part(order, ind, num, den, np.flatnonzero(keep), flags))
    # rows of `counts` come sorted by region_code, year from the aggregation
    return _Rows(base, parts, reg, bool(aggregate and counts["region_code"].is_monotonic_increasing))


def _pair_sums(raw: pd.DataFrame, agg, registry: pd.DataFrame, key: pd.MultiIndex) -> dict:
    """Each indicator's numerator and denominator summed up the tree as a pair, over the rows of
    ``key``: ``{indicator id: (numerator, denominator)}`` (float, NaN where a sub-region lacks
    one of the pair), or ``{}`` when no parent's own total differs from its sub-regions' sum
    (then the pair sums are the counts' sums; nothing to compute. A withheld sum always comes
    with such a total: the parent's own count above its sub-regions').

    A region's pair is its own two counts when it reported both; else the sum of its
    sub-regions' pairs (its own count of one of them set aside). Counts summed one measure at a
    time (:func:`mchanalysis.regions.aggregate_counts`) put a parent's own 活产数 under
    hospital births summed from its sub-regions; when that 活产数 counts a county whose row is
    missing, the rate compares two populations: a hospital delivery rate of 68 % for counties
    at 99.9 % (shape check seed 311). Summed as pairs, a rate's two counts always cover the same
    regions, at every level above too. :func:`compute_indicators` takes the pair where it is
    complete and differs from the counts (flag ``subregion_basis``); the region's own 活产数
    still serves every rate whose other count it reported too (its IMR).

    The pairs are summed by :func:`mchanalysis.regions.aggregate_counts` on a table of two
    columns per indicator (without its memo, which keeps the counts' aggregation).
    """
    if agg.disagreements.empty:
        return {}
    ids = ["region_code", "region_name", "parent_code", "level", "year"]
    table = raw[ids].reset_index(drop=True)
    parent = table["region_code"].isin(set(table["parent_code"].dropna())).to_numpy()
    cols, names = {}, {}
    for ind in registry.itertuples(index=False):
        if ind.numerator not in raw.columns or ind.denominator not in raw.columns:
            continue
        n = raw[ind.numerator].astype("Int64").reset_index(drop=True)
        d = raw[ind.denominator].astype("Int64").reset_index(drop=True)
        alone = parent & (n.isna().to_numpy() != d.isna().to_numpy())  # one of the pair reported
        cols[f"{ind.id}:n"] = n.mask(alone)
        cols[f"{ind.id}:d"] = d.mask(alone)
        names[ind.id] = (f"{ind.id}:n", f"{ind.id}:d")
    if not names:
        return {}
    summed = aggregate_counts(pd.concat([table, pd.DataFrame(cols)], axis=1), memo=False).counts
    at = pd.MultiIndex.from_arrays([summed["region_code"], summed["year"]]).get_indexer(key)
    out = {}
    for ind_id, (cn, cd) in names.items():
        n = summed[cn].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        d = summed[cd].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        out[ind_id] = (np.where(at >= 0, n[at], np.nan), np.where(at >= 0, d[at], np.nan))
    return out


def _assemble(rows_of: _Rows) -> tuple[pd.DataFrame, np.ndarray]:
    """The table's identity, indicator, count and unit columns, sorted by region_code, year and
    registry order, and the permutation that sorts the rows of the parts (one after another) so."""
    base, parts, registry = rows_of.base, rows_of.parts, rows_of.registry
    row = np.concatenate([p.rows for p in parts])
    order = np.concatenate([np.full(len(p.rows), p.order, dtype=np.int64) for p in parts])
    # sort on integer keys (row position, registry order) rather than on strings
    pos_row = row
    if not rows_of.sorted:
        rank = base.sort_values(["region_code", "year"], kind="stable").index.to_numpy()
        pos = np.empty(len(base), dtype=np.int64)
        pos[rank] = np.arange(len(base))
        pos_row = pos[row]
    perm = np.argsort(pos_row * (len(registry) + 1) + order, kind="stable")
    ids = {p.order: p.ind.id for p in parts}
    unit_of = {p.order: p.ind.unit for p in parts}
    order = order[perm]
    # text columns taken from their few distinct values (an index take), not converted from a
    # million Python strings one by one
    id_arr = pd.Index([ids.get(o, "") for o in range(len(registry))], dtype="str")
    unit_arr = pd.Index([unit_of.get(o, "") for o in range(len(registry))], dtype="str")
    out = base.take(row[perm]).reset_index(drop=True)
    out["indicator"] = id_arr.take(order)
    out["numerator"] = pd.array(np.concatenate([p.num[p.rows] for p in parts])[perm], dtype="Float64").astype(
        "Int64"
    )
    out["denominator"] = pd.array(
        np.concatenate([p.den[p.rows] for p in parts])[perm], dtype="Float64"
    ).astype("Int64")
    out["unit"] = unit_arr.take(order)
    return out, perm
