"""The indicator table: every registry indicator for every region and year.

The indicators themselves are defined in the registry (:mod:`mchanalysis.registry`,
``indicators.yaml``). The indicator table (docs/design.md "Output") has one row per region, year and
indicator:
``region_code, region_name, level, year, indicator, numerator, denominator, value, lower, upper,
unit, ci_method, conf_level`` plus ``parent_code`` and ``flag``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mchanalysis import stats
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
        ``denominator_not_reported``, ``zero_denominator``.
    """
    conf_level = check_level(conf_level)
    reg = load_registry() if registry is None else registry
    # cells the file wrote -2 (未开展), listed by validation (validation.NOT_CARRIED_OUT)
    not_done = counts.attrs.get("not_carried_out")
    incomplete = pd.DataFrame(columns=["region_code", "year", "measure"])
    if aggregate:
        agg = aggregate_counts(counts)
        counts, incomplete = agg.counts, agg.incomplete
    base = counts[["region_code", "region_name", "level", "parent_code", "year"]].reset_index(drop=True)
    base = base.assign(parent_code=base["parent_code"].fillna(""))
    base_key = pd.MultiIndex.from_arrays([base["region_code"], base["year"]])
    no_inc = np.zeros(len(base), dtype=bool)
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
    cols = {k: [] for k in ("row", "order", "num", "den", "value", "lower", "upper", "method", "flag")}
    units = []
    methods = _Labels()
    for order, ind in enumerate(reg.itertuples(index=False)):
        if ind.numerator not in counts.columns or ind.denominator not in counts.columns:
            continue
        num = counts[ind.numerator].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        den = counts[ind.denominator].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        inc = inc_by_measure.get(ind.numerator, no_inc) | inc_by_measure.get(ind.denominator, no_inc)
        done_num = done_by_measure.get(ind.numerator, no_inc)
        done_den = done_by_measure.get(ind.denominator, no_inc)
        not_done_row = (done_num & np.isnan(num)) | (done_den & np.isnan(den))
        keep = ~(np.isnan(num) & np.isnan(den)) | inc | not_done_row
        if ind.kind == "rate":
            ci = stats.rate_ci(num, den, multiplier=ind.multiplier, level=conf_level)
        else:
            ci = stats.proportion_ci(num, den, multiplier=ind.multiplier, level=conf_level)
        flags = _flag_codes(
            {
                "over_100": num > den if ind.kind == "proportion" else np.zeros(len(base), dtype=bool),
                "incomplete": inc,
                "not_carried_out": not_done_row,
                "numerator_not_reported": np.isnan(num) & ~inc & ~(done_num & np.isnan(num)),
                "denominator_not_reported": np.isnan(den) & ~inc & ~(done_den & np.isnan(den)),
                "zero_denominator": den == 0,
            },
            len(base),
        )
        rows = np.flatnonzero(keep)
        cols["row"].append(rows)
        cols["order"].append(np.full(len(rows), order, dtype=np.int64))
        cols["num"].append(num[rows])
        cols["den"].append(den[rows])
        for k in ("value", "lower", "upper"):
            cols[k].append(ci[k].to_numpy()[rows])
        cols["method"].append(methods.codes(ci["ci_method"])[rows])
        cols["flag"].append(flags[rows])
        units.append((order, ind.id, ind.unit))
    if not units:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    cat = {k: np.concatenate(v) for k, v in cols.items()}
    # rows of `counts` come sorted by region_code, year from the aggregation: sort on integer
    # keys (row position, registry order) rather than on strings
    row = cat["row"]
    if not (aggregate and counts["region_code"].is_monotonic_increasing):
        rank = base.sort_values(["region_code", "year"], kind="stable").index.to_numpy()
        pos = np.empty(len(base), dtype=np.int64)
        pos[rank] = np.arange(len(base))
        row = pos[row]
    perm = np.argsort(row * (len(reg) + 1) + cat["order"], kind="stable")
    ids = {o: i for o, i, _ in units}
    unit_of = {o: u for o, _, u in units}
    order = cat["order"][perm]
    # text columns taken from their few distinct values (an index take), not converted from a
    # million Python strings one by one
    id_arr = pd.Index([ids.get(o, "") for o in range(len(reg))], dtype="str")
    unit_arr = pd.Index([unit_of.get(o, "") for o in range(len(reg))], dtype="str")
    out = base.take(cat["row"][perm]).reset_index(drop=True)
    out["indicator"] = id_arr.take(order)
    out["numerator"] = pd.array(cat["num"][perm], dtype="Float64").astype("Int64")
    out["denominator"] = pd.array(cat["den"][perm], dtype="Float64").astype("Int64")
    for k in ("value", "lower", "upper"):
        out[k] = cat[k][perm]
    out["unit"] = unit_arr.take(order)
    out["ci_method"] = methods.column(cat["method"][perm])
    out["conf_level"] = conf_level
    out["flag"] = _flag_column(cat["flag"][perm])
    return out[INDICATOR_COLUMNS].reset_index(drop=True)
