"""The region tree and the aggregation of counts up the tree.

Counts are summed from children to parents (never rates averaged). A parent whose child has not
reported a measure is *incomplete* for that measure and year: its value is left missing (NA)
rather than under-counted, and the missing children are listed. Where the input holds a parent's
own reported total, the reported value wins and any disagreement with the sum of its children is
reported (:func:`mchanalysis.indicators.compute_indicators` then keeps a rate on one basis:
flag ``subregion_basis``).

A sum that would contradict the parent's own reported count in the way a sub-region missing from
the file does is *withheld*: a city that reports its own 活产数, above its counties' sum, and
leaves 围产儿数 to them would get a 围产儿数 below its live births (perinatal births include every
live birth). The cell is left NA, listed in ``incomplete`` (no missing child named) and in
``withheld`` with the numbers, and validation warns at it; the parent's other values and every
other region are computed as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mchanalysis.errors import MchError
from mchanalysis.schema import LEVEL_ORDER, MEASURES, ORDERED_CHAINS

#: Columns of :attr:`Aggregation.withheld`.
WITHHELD = ["region_code", "year", "measure", "children_sum", "against", "reported", "against_children_sum"]


@dataclass(frozen=True)
class Aggregation:
    """Result of :func:`aggregate_counts`.

    Attributes
    ----------
    counts : pandas.DataFrame
        The wide counts table with every parent's measures filled (reported value, else the sum
        of its children, else NA when a child is missing).
    incomplete : pandas.DataFrame
        ``region_code, year, measure, missing_children`` (children codes joined by ';'): parent
        values left NA because a child did not report the measure, or because the children's
        sum was withheld (``missing_children`` empty; see ``withheld``).
    disagreements : pandas.DataFrame
        ``region_code, year, measure, reported, children_sum, difference``: a parent's own total
        differing from the sum of its children (the reported value is kept).
    source : pandas.DataFrame
        ``region_code, year, measure, source`` with source ``reported`` / ``sum_of_children`` for
        parents' values (useful in reports).
    withheld : pandas.DataFrame
        ``region_code, year, measure, children_sum, against, reported, against_children_sum``:
        a parent's empty cell not filled because its children's sum (``children_sum``) is below
        the parent's own reported ``against`` measure (``reported``), which is itself above its
        children's sum of that measure (``against_children_sum``), where ``against`` may not
        exceed ``measure`` (:data:`mchanalysis.schema.ORDERED_CHAINS`): the children in the table
        are likely not all of the parent.
    """

    counts: pd.DataFrame
    incomplete: pd.DataFrame
    disagreements: pd.DataFrame
    source: pd.DataFrame = field(repr=False)
    withheld: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WITHHELD), repr=False)


def measure_columns(counts: pd.DataFrame) -> list[str]:
    """Measure columns present in a wide counts table, in the order of the data contract,
    followed by any user-defined measure columns (non-identity columns)."""
    known = [m for m in MEASURES if m in counts.columns]
    ids = {"region_code", "region_name", "parent_code", "level", "year"}
    extra = [c for c in counts.columns if c not in ids and c not in MEASURES]
    return known + extra


def region_tree(counts: pd.DataFrame) -> pd.DataFrame:
    """One row per region: ``region_code, region_name, parent_code, level, depth``.

    Names, parents and levels are taken from the latest year in which the region appears.
    ``depth`` is 0 for a top region, 1 for its children, ...

    Raises
    ------
    MchError
        If a parent code is not a region of the table, or the tree has a cycle.
    """
    latest = (
        counts.sort_values(["region_code", "year"])
        .drop_duplicates("region_code", keep="last")[["region_code", "region_name", "parent_code", "level"]]
        .reset_index(drop=True)
    )
    parents = dict(zip(latest["region_code"], latest["parent_code"].fillna("")))
    depth = {}
    for code in latest["region_code"]:
        seen, c, d = set(), code, 0
        while parents.get(c, ""):
            if c in seen:
                raise MchError(f"the region tree has a cycle through region {code}")
            seen.add(c)
            c = parents[c]
            if c not in parents:
                raise MchError(f"region {code}: parent code {c} is not a region of the table")
            d += 1
        depth[code] = d
    latest["parent_code"] = latest["parent_code"].fillna("")
    latest["depth"] = latest["region_code"].map(depth).astype(int)
    return latest.sort_values(["depth", "region_code"]).reset_index(drop=True)


def descendants(tree: pd.DataFrame, code: str) -> list[str]:
    """Codes of every region below ``code`` (children, grandchildren, ...), sorted."""
    children: dict[str, list[str]] = {}
    for c, p in zip(tree["region_code"], tree["parent_code"]):
        children.setdefault(p, []).append(c)
    out, stack = [], list(children.get(code, []))
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(children.get(c, []))
    return sorted(out)


def aggregate_counts(counts: pd.DataFrame, *, memo: bool = True) -> Aggregation:
    """Fill every parent's measures by summing its children, bottom-up.

    Parameters
    ----------
    counts : pandas.DataFrame
        Validated wide counts table (``region_code, region_name, parent_code, level, year`` and
        measure columns of nullable integers).
    memo : bool
        Keep (and look up) the last table aggregated (see Notes). ``False`` for a table that is
        not the counts (the indicators' numerator-denominator pairs), so that it does not
        displace them.

    Returns
    -------
    Aggregation
        See :class:`Aggregation`. The input is not modified.

    Raises
    ------
    MchError
        If the tree is broken (:func:`region_tree`), or a region has more than one record for a
        year while the table has parents to fill.

    Notes
    -----
    For a parent P, measure m and year t: S = Σ_children m. If every child reported m (after
    their own aggregation), S is the parent's computed value. If any child is missing m, S is
    not used (NA, listed in ``incomplete``). If P reported m itself, the reported value is kept;
    when S is complete and differs, the pair is listed in ``disagreements``.

    A complete S is withheld (NA, listed in ``incomplete`` and ``withheld``) when, for a measure
    a that may not exceed m (a ≤ m in :data:`mchanalysis.schema.ORDERED_CHAINS`), P reported
    a = A with A > S and A above its children's complete sum of a: P's reported totals count
    more than the children in the table, and S would make P's own counts impossible. A parent
    whose reported a is *below* its children's (a total of 1 typed for 1,000) is not withheld:
    validation stops at that reported cell (``impossible_after_aggregation``).

    Computed as array operations, one level of the tree at a time (deepest children first): the
    records of a level are summed into their parents' records (the record of the parent named in
    the child's row, same year) with one ``numpy.add.at`` over a (records × measures) integer
    matrix, so the cost grows with the number of cells, not with the number of regions.

    The last table aggregated and its result are kept (one entry): a call with a table equal to
    it (same columns, dtypes, index, cells and ``attrs``; ``DataFrame.equals``, 7 ms on a
    national table against 0.25 s for the sums) returns copies of that result. `mch validate`
    checks the sums and then computes the capability line's indicators from the same table, and
    a batch validates, computes indicators and reviews quality on it: three aggregations of one
    table.
    """
    global _LAST
    if not memo:
        return _aggregate(counts)
    last = _LAST
    if last is not None and last[0].attrs == counts.attrs and last[0].equals(counts):
        return _copied(last[1])
    result = _aggregate(counts)
    _LAST = (counts.copy(deep=not _COPY_ON_WRITE), _copied(result))
    return result


#: ``(counts, result)`` of the last :func:`aggregate_counts`, both copies no caller holds.
_LAST: tuple[pd.DataFrame, Aggregation] | None = None


#: pandas >= 3 is copy-on-write: a shallow copy shares the data until either side changes it,
#: and a change never reaches the other; pandas 2 copies deeply (the memo held 60 MB more).
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3


def _copied(a: Aggregation) -> Aggregation:
    deep = not _COPY_ON_WRITE
    return Aggregation(
        counts=a.counts.copy(deep=deep),
        incomplete=a.incomplete.copy(deep=deep),
        disagreements=a.disagreements.copy(deep=deep),
        source=a.source.copy(deep=deep),
        withheld=a.withheld.copy(deep=deep),
    )


def _aggregate(counts: pd.DataFrame) -> Aggregation:
    tree = region_tree(counts)
    measures = measure_columns(counts)
    base = counts.copy()
    for m in measures:
        base[m] = base[m].astype("Int64")
    base = base.sort_values(["region_code", "year"]).reset_index(drop=True)
    depth = dict(zip(tree["region_code"], tree["depth"]))
    levels = sorted(set(depth.values()) - {0}, reverse=True)  # children depth, deepest first
    key = pd.MultiIndex.from_arrays([base["region_code"], base["year"]])
    if levels and not key.is_unique:
        code, year = key[key.duplicated()][0]
        raise MchError(
            f"region {code} has more than one record for {year}: parents cannot be summed from their children"
        )
    n, n_m = len(base), len(measures)
    # values as int64 with a mask of missing cells (exact sums, no float rounding)
    missing = np.zeros((n, n_m), dtype=bool)
    X = np.zeros((n, n_m), dtype="int64")
    for j, m in enumerate(measures):
        arr = base[m].array
        missing[:, j] = arr.isna()
        X[:, j] = arr.to_numpy(dtype="int64", na_value=0)
    code = base["region_code"].to_numpy(dtype=object)
    year = base["year"].to_numpy()
    parent = base["parent_code"].fillna("").to_numpy(dtype=object)
    # the tree as integer ids: region k is the k-th code in sorted order
    ids = _TreeIds(tree)
    row_id = ids.of(code)
    row_depth = ids.depth[row_id]
    expected_kids = ids.n_kids[row_id]
    years = np.unique(year)
    row_year = np.searchsorted(years, year)
    # a record counts for its parent's completeness list only under the parent the tree gives it
    row_parent = ids.of(parent)
    under_tree_parent = (ids.parent[row_id] >= 0) & (ids.parent[row_id] == row_parent)
    # ordered pairs (a may not exceed b) among the table's measures, as column indices
    col = {m: j for j, m in enumerate(measures)}
    pairs = [
        (col[a], col[b])
        for chain in ORDERED_CHAINS
        for a, b in zip(chain, chain[1:])
        if a in col and b in col
    ]
    wh_parts = []
    src_rows, src_cols, src_kind = [], [], []
    inc_rows, inc_cols, inc_joined = [], [], []
    dis_parts = []
    for d in levels:
        level_rows = np.flatnonzero(row_depth == d)
        # the parent's record of each child's record: the parent its row names, same year
        p_of = key.get_indexer(pd.MultiIndex.from_arrays([parent[level_rows], year[level_rows]]))
        named = p_of >= 0
        kids, p_of = level_rows[named], p_of[named]
        if not len(kids):
            continue
        rows, slot = np.unique(p_of, return_inverse=True)  # parent records, in table order
        sums = np.zeros((len(rows), n_m), dtype="int64")
        np.add.at(sums, slot, np.where(missing[kids], 0, X[kids]))
        nas = np.zeros((len(rows), n_m), dtype="int64")
        np.add.at(nas, slot, missing[kids].astype("int64"))
        present = np.bincount(slot, minlength=len(rows))
        complete = (nas == 0) & (present == expected_kids[rows])[:, None]
        reported = ~missing[rows]
        fill = ~reported & complete
        withhold = np.zeros_like(fill)
        for ja, jb in pairs:
            own_a = X[rows, ja]
            hit = fill[:, jb] & ~withhold[:, jb] & reported[:, ja] & complete[:, ja]
            hit &= (own_a > sums[:, jb]) & (own_a > sums[:, ja])
            if hit.any():
                withhold[:, jb] |= hit
                r_ix = np.flatnonzero(hit)
                wh_parts.append(
                    pd.DataFrame(
                        {
                            "region_code": code[rows[r_ix]],
                            "year": year[rows[r_ix]],
                            "measure": measures[jb],
                            "children_sum": sums[r_ix, jb],
                            "against": measures[ja],
                            "reported": own_a[r_ix],
                            "against_children_sum": sums[r_ix, ja],
                        }
                    )
                )
        fill &= ~withhold
        # what happened, as long tables (parent record, measure)
        r_ix, m_ix = np.nonzero(reported | fill)
        src_rows.append(rows[r_ix])
        src_cols.append(m_ix)
        src_kind.append(np.where(reported[r_ix, m_ix], "reported", "sum_of_children"))
        r_ix, m_ix = np.nonzero(~reported & ~fill)
        if len(r_ix):
            inc_rows.append(rows[r_ix])
            inc_cols.append(m_ix)
            inc_joined.extend(
                _missing_children(
                    ids,
                    row_id[rows[r_ix]],
                    row_year[rows[r_ix]],
                    m_ix,
                    child=row_id[level_rows],
                    child_year=row_year[level_rows],
                    child_has=~missing[level_rows] & under_tree_parent[level_rows, None],
                    n_years=len(years),
                )
            )
        r_ix, m_ix = np.nonzero(reported & complete & (X[rows] != sums))
        if len(r_ix):
            rv, sv = X[rows[r_ix], m_ix], sums[r_ix, m_ix]
            dis_parts.append(
                pd.DataFrame(
                    {
                        "region_code": code[rows[r_ix]],
                        "year": year[rows[r_ix]],
                        "measure": np.asarray(measures, dtype=object)[m_ix],
                        "reported": rv,
                        "children_sum": sv,
                        "difference": rv - sv,
                    }
                )
            )
        # fill the parents' empty cells where every child reported
        X[rows] = np.where(fill, sums, X[rows])
        missing[rows] &= ~fill
    res = base
    for j, m in enumerate(measures):
        res[m] = pd.arrays.IntegerArray(X[:, j].copy(), missing[:, j].copy())
    res = res[counts.columns.tolist()]
    dis_cols = ["region_code", "year", "measure", "reported", "children_sum", "difference"]
    disagreements = (
        pd.concat(dis_parts, ignore_index=True)[dis_cols] if dis_parts else pd.DataFrame(columns=dis_cols)
    )
    src_cols_ = ["region_code", "year", "measure", "source"]
    if src_rows:
        r = np.concatenate(src_rows)
        source = pd.DataFrame(
            {
                "region_code": _text_at(base["region_code"], r),
                "year": year[r],
                "measure": _text_at(pd.Series(measures, dtype=object), np.concatenate(src_cols)),
                "source": pd.Series(np.concatenate(src_kind).astype(object), dtype=object),
            }
        )
    else:
        source = pd.DataFrame(columns=src_cols_)
    if inc_rows:
        r = np.concatenate(inc_rows)
        incomplete = pd.DataFrame(
            {
                "region_code": _text_at(base["region_code"], r),
                "year": year[r],
                "measure": _text_at(pd.Series(measures, dtype=object), np.concatenate(inc_cols)),
                "missing_children": np.asarray(inc_joined, dtype=object),
            }
        )
    else:  # the dtypes the table has always had when empty
        incomplete = pd.DataFrame(columns=_INCOMPLETE)
    withheld = (
        pd.concat(wh_parts, ignore_index=True)[WITHHELD] if wh_parts else pd.DataFrame(columns=WITHHELD)
    )
    return Aggregation(
        counts=res,
        incomplete=incomplete.sort_values(["region_code", "year", "measure"]).reset_index(drop=True),
        disagreements=disagreements.sort_values(["region_code", "year", "measure"]).reset_index(drop=True),
        source=source.sort_values(["region_code", "year", "measure"]).reset_index(drop=True),
        withheld=withheld.sort_values(["region_code", "year", "measure"]).reset_index(drop=True),
    )


_INCOMPLETE = ["region_code", "year", "measure", "missing_children"]


#: pandas' "str" dtype: Arrow-backed, NaN for a missing value (what a frame infers from str objects).
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _text_at(column: pd.Series, at: np.ndarray):
    """The column's values at ``at``, for a frame to hold: an Arrow take when the column is of
    pandas' ``str`` dtype or its values are all ``str`` (the ``str`` array a frame would infer
    from those Python strings, without 184,000 of them on a national table), else the objects."""
    if column.dtype == _STR:
        return column.array.take(at)
    values = column.to_numpy(dtype=object)
    if len(values) and all(isinstance(v, str) for v in values):
        return pd.array(values, dtype="str").take(at)
    return values[at]


class _TreeIds:
    """The region tree as arrays over integer ids (a region's id is its place among the sorted
    codes): parent id (−1 for a top region), depth, number of children, and the children of each
    region in code order (``children[start[k]:start[k + 1]]``)."""

    def __init__(self, tree: pd.DataFrame):
        order = np.argsort(tree["region_code"].to_numpy(dtype=object).astype(str), kind="stable")
        t = tree.iloc[order]
        self.codes = t["region_code"].to_numpy(dtype=object)
        self.depth = t["depth"].to_numpy(dtype="int64")
        self.parent = self.of(t["parent_code"].to_numpy(dtype=object))
        has = self.parent >= 0
        self.n_kids = np.bincount(self.parent[has], minlength=len(self.codes)).astype("int64")
        kids = np.flatnonzero(has)
        self.children = kids[np.argsort(self.parent[kids], kind="stable")]  # by parent, then code
        self.start = np.r_[0, np.cumsum(self.n_kids)]

    def of(self, codes) -> np.ndarray:
        """Ids of ``codes``; −1 for a code that is no region of the tree (``""``, no parent)."""
        codes = np.asarray(codes, dtype=object).astype(str)
        if not len(self.codes):
            return np.full(len(codes), -1, dtype="int64")
        sorted_codes = self.codes.astype(str)
        at = np.minimum(np.searchsorted(sorted_codes, codes), len(sorted_codes) - 1)
        return np.where(sorted_codes[at] == codes, at, -1).astype("int64")


def _missing_children(
    ids: _TreeIds, parent, year, measure, *, child, child_year, child_has, n_years: int
) -> list[str]:
    """The children without a value behind each incomplete parent-year-measure, as array operations.

    ``parent``, ``year``, ``measure`` (ids, year places, measure columns) name the parents left NA.
    A child of the tree is missing when it has no record under that parent in that year
    (``child``, ``child_year``: the level's records) or its value of the measure is NA
    (``child_has``: reported and recorded under its tree parent). Returns, per parent-year-measure,
    the missing children's codes in code order joined by ``;``.

    One boolean array ``has[child, year, measure]`` is looked up at every (incomplete parent,
    child) pair; no long table of every cell is built.
    """
    n_m = child_has.shape[1]
    has = np.zeros((len(ids.codes), n_years, n_m), dtype=bool)
    # one row of measures per (child, year): a region has one record a year (aggregate_counts
    # refuses a table with two), so no row is written twice
    has[child, child_year] = child_has
    n = ids.n_kids[parent]
    pair_row = np.repeat(np.arange(len(parent)), n)
    offset = np.arange(len(pair_row)) - np.repeat(np.cumsum(n) - n, n)
    pair_child = ids.children[np.repeat(ids.start[parent], n) + offset]
    lacking = ~has[pair_child, year[pair_row], measure[pair_row]]
    rows, names = pair_row[lacking], ids.codes[pair_child[lacking]].tolist()
    joined = [""] * len(parent)
    if len(rows):
        cut = np.flatnonzero(np.diff(rows)) + 1
        bounds = np.r_[0, cut, len(rows)].tolist()
        for k, a, b in zip(rows[np.r_[0, cut]].tolist(), bounds[:-1], bounds[1:]):
            joined[k] = ";".join(names[a:b])
    return joined


def level_rank(level: str) -> int:
    """0 for province, 1 for prefecture, 2 for county (for sorting)."""
    return LEVEL_ORDER.get(level, 99)
