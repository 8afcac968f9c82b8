"""The region tree and the aggregation of counts up the tree.

Counts are summed from children to parents (never rates averaged). A parent whose child has not
reported a measure is *incomplete* for that measure and year: its value is left missing (NA)
rather than under-counted, and the missing children are listed. Where the input holds a parent's
own reported total, the reported value wins and any disagreement with the sum of its children is
reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mchanalysis.errors import MchError
from mchanalysis.schema import LEVEL_ORDER, MEASURES


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
        values left NA because a child did not report the measure.
    disagreements : pandas.DataFrame
        ``region_code, year, measure, reported, children_sum, difference``: a parent's own total
        differing from the sum of its children (the reported value is kept).
    source : pandas.DataFrame
        ``region_code, year, measure, source`` with source ``reported`` / ``sum_of_children`` for
        parents' values (useful in reports).
    """

    counts: pd.DataFrame
    incomplete: pd.DataFrame
    disagreements: pd.DataFrame
    source: pd.DataFrame = field(repr=False)


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


def aggregate_counts(counts: pd.DataFrame) -> Aggregation:
    """Fill every parent's measures by summing its children, bottom-up.

    Parameters
    ----------
    counts : pandas.DataFrame
        Validated wide counts table (``region_code, region_name, parent_code, level, year`` and
        measure columns of nullable integers).

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

    Computed as array operations, one level of the tree at a time (deepest children first): the
    records of a level are summed into their parents' records (the record of the parent named in
    the child's row, same year) with one ``numpy.add.at`` over a (records × measures) integer
    matrix, so the cost grows with the number of cells, not with the number of regions.
    """
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
    row_depth = base["region_code"].map(depth).to_numpy()
    has_parent = tree["parent_code"] != ""
    n_kids = tree[has_parent].groupby("parent_code").size()
    kids_of = tree[has_parent].groupby("parent_code")["region_code"].apply(list)
    expected_kids = pd.Series(code).map(n_kids).fillna(0).to_numpy(dtype="int64")
    src_rows, src_cols, src_kind = [], [], []
    inc_parts, dis_parts = [], []
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
        # what happened, as long tables (parent record, measure)
        r_ix, m_ix = np.nonzero(reported | fill)
        src_rows.append(rows[r_ix])
        src_cols.append(m_ix)
        src_kind.append(np.where(reported[r_ix, m_ix], "reported", "sum_of_children"))
        r_ix, m_ix = np.nonzero(~reported & ~complete)
        if len(r_ix):
            inc_parts.append(
                _missing_children(
                    pd.MultiIndex.from_arrays(
                        [code[rows[r_ix]], year[rows[r_ix]], np.asarray(measures, dtype=object)[m_ix]]
                    ),
                    _level_records(code, parent, year, missing, measures, level_rows),
                    kids_of,
                    measures,
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
                "region_code": code[r],
                "year": year[r],
                "measure": np.asarray(measures, dtype=object)[np.concatenate(src_cols)],
                "source": pd.Series(np.concatenate(src_kind).astype(object), dtype=object),
            }
        )
    else:
        source = pd.DataFrame(columns=src_cols_)
    return Aggregation(
        counts=res,
        # built from tuples, as the table always was, so that its dtypes are what pandas infers
        incomplete=pd.DataFrame(
            list(
                pd.concat([_no_missing(), *inc_parts], ignore_index=True).itertuples(index=False, name=None)
            ),
            columns=_INCOMPLETE,
        )
        .sort_values(["region_code", "year", "measure"])
        .reset_index(drop=True),
        disagreements=disagreements.sort_values(["region_code", "year", "measure"]).reset_index(drop=True),
        source=source.sort_values(["region_code", "year", "measure"]).reset_index(drop=True),
    )


_INCOMPLETE = ["region_code", "year", "measure", "missing_children"]


def _level_records(code, parent, year, missing, measures, rows) -> pd.DataFrame:
    """The records ``rows`` as :func:`_missing_children` reads them: codes, parent, year, and
    each measure as 1.0 where reported, NaN where not."""
    flags = np.where(missing[rows], np.nan, 1.0)
    return pd.DataFrame(
        {
            "region_code": code[rows],
            "parent_code": parent[rows],
            "year": year[rows],
            **{m: flags[:, j] for j, m in enumerate(measures)},
        }
    )


def _no_missing() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region_code": pd.Series([], dtype=object),
            "year": pd.Series([], dtype="int64"),
            "measure": pd.Series([], dtype=object),
            "missing_children": pd.Series([], dtype=object),
        }
    )


def _missing_children(index: pd.MultiIndex, kids: pd.DataFrame, kids_of: pd.Series, measures) -> pd.DataFrame:
    """The children of each incomplete parent-year-measure that have no value, as array operations.

    ``index`` holds ``(region_code, year, measure)`` of the parents left NA; a child is missing
    when it has no record under that parent in that year or its value of the measure is NA.
    Returns :data:`_INCOMPLETE` columns, the children codes sorted and joined by ``;``.

    One boolean array ``has[child, year, measure]`` (a record of the child under that parent in
    that year with the measure reported) is looked up at every (incomplete parent, child) pair;
    no long table of every cell is built.
    """
    if not len(index):
        return _no_missing()
    want = index.to_frame(index=False)
    want.columns = ["parent_code", "year", "measure"]
    # children of each parent, sorted by code (the order in which they are joined)
    pairs = kids_of.explode().dropna()
    parent_of_pair = pairs.index.to_numpy(dtype=object)
    child_of_pair = pairs.to_numpy(dtype=object)
    child_codes, child_ix = np.unique(child_of_pair.astype(str), return_inverse=True)
    order = np.lexsort((child_ix, pd.factorize(parent_of_pair)[0]))
    parent_of_pair, child_ix = parent_of_pair[order], child_ix[order]
    parent_codes, first = np.unique(parent_of_pair.astype(str), return_index=True)
    n_of = np.diff(np.append(first, len(parent_of_pair)))
    years = np.unique(
        np.concatenate([want["year"].to_numpy(dtype="int64"), kids["year"].to_numpy(dtype="int64")])
    )
    measure_ix = {m: k for k, m in enumerate(measures)}
    has = np.zeros((len(child_codes), len(years), len(measures)), dtype=bool)
    k_child = np.searchsorted(child_codes, kids["region_code"].to_numpy(dtype=object).astype(str))
    k_child = np.minimum(k_child, len(child_codes) - 1)
    known = child_codes[k_child] == kids["region_code"].to_numpy(dtype=object).astype(str)
    # the record counts under the parent it names (the parent of the child in the tree)
    tree_parent = dict(zip(child_of_pair.astype(str), parent_of_pair.astype(str)))
    record_parent = kids["parent_code"].fillna("").to_numpy(dtype=object).astype(str)
    kid_codes = kids["region_code"].to_numpy(dtype=object).astype(str)
    under = np.array(
        [tree_parent.get(c) == p for c, p in zip(kid_codes.tolist(), record_parent.tolist())], dtype=bool
    )
    keep = known & under
    k_year = np.searchsorted(years, kids["year"].to_numpy(dtype="int64"))
    for m, k in measure_ix.items():
        reported = kids[m].notna().to_numpy(dtype=bool) & keep
        has[k_child[reported], k_year[reported], k] = True
    # every (incomplete parent-year-measure, child) pair
    w_parent = np.searchsorted(parent_codes, want["parent_code"].to_numpy(dtype=object).astype(str))
    w_parent = np.minimum(w_parent, max(len(parent_codes) - 1, 0))
    w_known = parent_codes[w_parent] == want["parent_code"].to_numpy(dtype=object).astype(str)
    w_n = np.where(w_known, n_of[w_parent], 0)
    w_row = np.repeat(np.arange(len(want)), w_n)
    starts = np.repeat(first[w_parent] - np.cumsum(w_n) + w_n, w_n)
    p_child = child_ix[starts + np.arange(len(w_row))] if len(w_row) else np.array([], dtype=int)
    w_year = np.searchsorted(years, want["year"].to_numpy(dtype="int64"))
    w_measure = np.array([measure_ix[m] for m in want["measure"]], dtype=int)
    lacking = ~has[p_child, w_year[w_row], w_measure[w_row]]
    joined = [""] * len(want)
    rows, names = w_row[lacking], child_codes[p_child[lacking]]
    if len(rows):
        cut = np.flatnonzero(np.diff(rows)) + 1
        bounds = np.r_[0, cut, len(rows)].tolist()
        name_list = names.tolist()
        for r, a, b in zip(rows[np.r_[0, cut]].tolist(), bounds[:-1], bounds[1:]):
            joined[r] = ";".join(name_list[a:b])
    out = want.rename(columns={"parent_code": "region_code"})
    out["missing_children"] = pd.Series(joined, index=out.index, dtype=object)
    return out[_INCOMPLETE].astype({"year": "int64"})


def level_rank(level: str) -> int:
    """0 for province, 1 for prefecture, 2 for county (for sorting)."""
    return LEVEL_ORDER.get(level, 99)
