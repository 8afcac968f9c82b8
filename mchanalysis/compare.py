"""Registry-aware comparison tables: change over time and comparison with a benchmark.

Both functions take the indicator table, look each indicator's ``kind``, ``multiplier`` and
``direction`` up in the registry (:mod:`mchanalysis.registry`) and apply the array-level
statistics of :mod:`mchanalysis.stats`:

- :func:`change_table`: every indicator of a region between two years or pooled periods
  (exact conditional test / MOVER for rates, Newcombe for proportions);
- :func:`benchmark_table`: every region's interval against its parent's or a national value
  (Fingertips, 95 % and 99.8 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mchanalysis.confidence import check_level
from mchanalysis.errors import MchError
from mchanalysis.registry import indicator_meta, load_registry
from mchanalysis.stats import (
    compare_interval_with_benchmark,
    compare_proportions,
    compare_rates,
    proportion_ci,
    rate_ci,
)


def _registry_columns(indicators, registry) -> pd.DataFrame:
    """Registry rows (id, kind, multiplier, direction, unit) for the given indicator ids."""
    reg = load_registry() if registry is None else registry
    for ind in pd.unique(pd.Series(indicators)):
        indicator_meta(ind, reg)  # raises MchError for an unknown id
    cols = ["id", "kind", "multiplier", "direction", "unit"]
    return reg[cols].rename(columns={"id": "indicator"})


def _require_columns(table: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise MchError(f"{what}: missing column(s) {', '.join(missing)}")


def _period(years, name: str) -> tuple[int, int]:
    if years is None:
        raise MchError(f"{name}: no year given")
    if np.ndim(years) == 0:
        y0 = y1 = int(years)
    else:
        if len(years) != 2:
            raise MchError(f"{name} must be a year or a pair (first_year, last_year), got {years!r}")
        y0, y1 = int(years[0]), int(years[1])
    if y1 < y0:
        raise MchError(f"{name}: the last year {y1} is before the first year {y0}")
    return y0, y1


def change_table(
    indicator_table: pd.DataFrame,
    *,
    region_code=None,
    year_a=None,
    year_b=None,
    period_a=None,
    period_b=None,
    level: float = 0.95,
    registry: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Change of every indicator of one or more regions between two years or pooled periods.

    Counts are pooled within each period (numerators and denominators summed, never rates
    averaged), then compared with :func:`~mchanalysis.stats.compare_rates` or :func:`~mchanalysis.stats.compare_proportions`
    according to the indicator's ``kind`` in the registry, at its ``multiplier``.

    Parameters
    ----------
    indicator_table : pandas.DataFrame
        The indicator table: columns ``region_code, year, indicator, numerator,
        denominator`` (``region_name`` kept if present).
    region_code : str or list of str, optional
        Region(s) to compare; default every region of the table.
    year_a, year_b : int, optional
        Two single years (first, second). Give either these or the periods.
    period_a, period_b : (int, int), optional
        Two periods (first year, last year), inclusive, pooled.
    level : float
        Confidence level, a fraction.
    registry : pandas.DataFrame, optional
        The indicator registry (default :func:`mchanalysis.registry.load_registry`).

    Returns
    -------
    pandas.DataFrame
        One row per region and indicator: ``region_code`` (``region_name``), ``indicator,
        period_a, period_b`` (e.g. "2010-2014"), ``n_years_a, n_years_b`` (years with data),
        ``numerator_a, denominator_a, numerator_b, denominator_b``, the columns of
        :func:`~mchanalysis.stats.compare_rates` (proportions: ratio columns NaN), ``unit, conf_level, note``.
        ``note`` is '' or 'incomplete_period_a' / 'incomplete_period_b' (some years of the
        period have no data; the pooled counts cover the years present) or
        'missing_period_a' / 'missing_period_b' (no data; verdict 'not_compared').
        Sorted by region_code and registry order of the indicators.

    Raises
    ------
    MchError
        Missing columns, unknown indicators, unknown region codes, bad periods.

    References
    ----------
    See :func:`~mchanalysis.stats.compare_rates` and :func:`~mchanalysis.stats.compare_proportions`.
    """
    _require_columns(
        indicator_table,
        ["region_code", "year", "indicator", "numerator", "denominator"],
        "indicator table",
    )
    if (year_a is None) != (year_b is None) or (period_a is None) != (period_b is None):
        raise MchError("give both year_a and year_b, or both period_a and period_b")
    if (year_a is None) == (period_a is None):
        raise MchError("give either year_a/year_b or period_a/period_b (not both, not neither)")
    pa = _period(year_a if year_a is not None else period_a, "period_a")
    pb = _period(year_b if year_b is not None else period_b, "period_b")
    level = check_level(level)

    t = indicator_table
    if region_code is not None:
        codes = [region_code] if isinstance(region_code, str) else list(region_code)
        unknown = sorted(set(codes) - set(t["region_code"]))
        if unknown:
            raise MchError(f"region code(s) not in the indicator table: {', '.join(unknown)}")
        t = t[t["region_code"].isin(codes)]
    t = t.assign(
        numerator=pd.Series(t["numerator"]).astype("float64"),
        denominator=pd.Series(t["denominator"]).astype("float64"),
    )
    t = t[t["numerator"].notna() & t["denominator"].notna()]
    keys = ["region_code", "indicator"]

    def pooled(p, tag):
        sel = t[(t["year"] >= p[0]) & (t["year"] <= p[1])]
        g = sel.groupby(keys, sort=False).agg(
            numerator=("numerator", "sum"),
            denominator=("denominator", "sum"),
            n_years=("year", "nunique"),
        )
        return g.add_suffix(f"_{tag}")

    all_pairs = indicator_table[keys].drop_duplicates()
    if region_code is not None:
        all_pairs = all_pairs[all_pairs["region_code"].isin(codes)]
    out = all_pairs.set_index(keys).join(pooled(pa, "a")).join(pooled(pb, "b")).reset_index()
    reg = _registry_columns(out["indicator"], registry)
    out = out.merge(reg, on="indicator", how="left")
    for tag in ("a", "b"):
        out[f"n_years_{tag}"] = out[f"n_years_{tag}"].fillna(0).astype(int)
    label = lambda p: str(p[0]) if p[0] == p[1] else f"{p[0]}-{p[1]}"  # noqa: E731
    out.insert(2, "period_a", label(pa))
    out.insert(3, "period_b", label(pb))

    res_cols = [
        "value_a",
        "value_b",
        "ratio",
        "ratio_lower",
        "ratio_upper",
        "p_value",
        "log_ratio_se",
        "ratio_wald_lower",
        "ratio_wald_upper",
        "p_value_wald",
        "difference",
        "difference_lower",
        "difference_upper",
        "verdict",
        "method",
    ]
    res = pd.DataFrame(index=out.index, columns=res_cols, dtype=object)
    args = [out[c].to_numpy(float) for c in ("numerator_a", "denominator_a", "numerator_b", "denominator_b")]
    mult = out["multiplier"].to_numpy(float)
    for kind, fn in (("rate", compare_rates), ("proportion", compare_proportions)):
        m = (out["kind"] == kind).to_numpy()
        if m.any():
            r = fn(*(a[m] for a in args), multiplier=mult[m], level=level)
            for c in r.columns:
                res.loc[m, c] = r[c].to_numpy()
    for c in res_cols:
        if c not in ("verdict", "method"):
            res[c] = pd.to_numeric(res[c])
    out = pd.concat([out, res], axis=1)

    full_a, full_b = pa[1] - pa[0] + 1, pb[1] - pb[0] + 1
    note = np.full(len(out), "", dtype=object)
    for tag, full in (("a", full_a), ("b", full_b)):
        ny = out[f"n_years_{tag}"].to_numpy()
        note = np.where((note == "") & (ny == 0), f"missing_period_{tag}", note)
        note = np.where((note == "") & (ny > 0) & (ny < full), f"incomplete_period_{tag}", note)
    out["note"] = note
    out["conf_level"] = level

    order = {k: i for i, k in enumerate(reg["indicator"])}
    out = (
        out.assign(_o=out["indicator"].map(order))
        .sort_values(["region_code", "_o"], kind="stable")
        .drop(columns="_o")
    )
    if "region_name" in indicator_table.columns:
        names = indicator_table.drop_duplicates("region_code").set_index("region_code")["region_name"]
        out.insert(1, "region_name", out["region_code"].map(names))
    cols = [c for c in out.columns if c not in ("kind", "multiplier", "direction")]
    return out[cols].reset_index(drop=True)


def benchmark_table(
    indicator_table: pd.DataFrame,
    benchmark="parent",
    *,
    levels=(0.95, 0.998),
    label: str | None = None,
    registry: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Compare each region's indicator with its parent region or a national value (Fingertips).

    Each region's interval is recomputed from its numerator and denominator at every level
    (Wilson for proportions, exact/Byar for rates, :func:`~mchanalysis.stats.proportion_ci` /
    :func:`~mchanalysis.stats.rate_ci`) and
    compared with the benchmark value by
    :func:`~mchanalysis.stats.compare_interval_with_benchmark`, respecting the
    indicator's ``direction``.

    Parameters
    ----------
    indicator_table : pandas.DataFrame
        Columns ``region_code, year, indicator, numerator, denominator`` (and ``parent_code``
        for ``benchmark="parent"``; ``region_name`` is kept if present).
    benchmark : "parent" or pandas.DataFrame
        "parent": the parent region's pooled value from the same table (same year and
        indicator). A DataFrame: columns ``indicator, year, value`` (value in the indicator's
        unit, e.g. national MMR per 100,000), one row per indicator and year.
    levels : sequence of float
        Confidence levels (fractions); one output row per level.
    label : str, optional
        Name of the benchmark in the output (default "parent" or "national").
    registry : pandas.DataFrame, optional
        The indicator registry (default :func:`mchanalysis.registry.load_registry`).

    Returns
    -------
    pandas.DataFrame
        Long: one row per region, year, indicator and level: ``region_code`` (``region_name``),
        ``year, indicator, numerator, denominator, value, conf_level, lower, upper, benchmark,
        benchmark_value, comparison, verdict, direction``; sorted by region, year, registry
        order, level. 'not_compared' where the region's value or the benchmark is missing
        (the top region has no parent).

    Raises
    ------
    MchError
        Missing columns, unknown indicators, duplicate benchmark rows, bad levels.

    References
    ----------
    Public Health England. Fingertips: "Compared with benchmark" (95 % and 99.8 % confidence
    intervals); PHE Technical Guide: Confidence intervals (2018).
    """
    _require_columns(
        indicator_table,
        ["region_code", "year", "indicator", "numerator", "denominator"],
        "indicator table",
    )
    levels = [check_level(lv) for lv in np.atleast_1d(levels)]
    t = indicator_table.reset_index(drop=True)
    reg = _registry_columns(t["indicator"], registry)
    t = t.merge(reg, on="indicator", how="left", validate="many_to_one")
    num = t["numerator"].astype("float64").to_numpy()
    den = t["denominator"].astype("float64").to_numpy()
    mult = t["multiplier"].to_numpy(float)
    is_rate = (t["kind"] == "rate").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den > 0, num / np.where(den > 0, den, 1) * mult, np.nan)

    if isinstance(benchmark, str):
        if benchmark != "parent":
            raise MchError(
                f"benchmark must be 'parent' or a table (indicator, year, value), got {benchmark!r}"
            )
        _require_columns(indicator_table, ["parent_code"], "benchmark='parent' needs the indicator table")
        own = pd.DataFrame(
            {
                "region_code": t["region_code"],
                "year": t["year"],
                "indicator": t["indicator"],
                "benchmark_value": value,
            }
        )
        own = own.drop_duplicates(["region_code", "year", "indicator"])
        look = t[["parent_code", "year", "indicator"]].rename(columns={"parent_code": "region_code"})
        bval = look.merge(own, on=["region_code", "year", "indicator"], how="left")["benchmark_value"]
        label = label or "parent"
    else:
        _require_columns(benchmark, ["indicator", "year", "value"], "benchmark table")
        dup = benchmark.duplicated(["indicator", "year"])
        if dup.any():
            r = benchmark[dup].iloc[0]
            raise MchError(f"benchmark table has more than one value for {r['indicator']} {r['year']}")
        b = benchmark[["indicator", "year", "value"]].rename(columns={"value": "benchmark_value"})
        bval = t[["indicator", "year"]].merge(b, on=["indicator", "year"], how="left")["benchmark_value"]
        label = label or "national"
    bval = pd.to_numeric(bval).to_numpy(float)

    keep = [c for c in ("region_code", "region_name", "year", "indicator") if c in t.columns]
    parts = []
    for lv in levels:
        lo = np.full(len(t), np.nan)
        up = np.full(len(t), np.nan)
        if is_rate.any():
            ci = rate_ci(num[is_rate], den[is_rate], multiplier=mult[is_rate], level=lv)
            lo[is_rate], up[is_rate] = ci["lower"].to_numpy(), ci["upper"].to_numpy()
        if (~is_rate).any():
            ci = proportion_ci(num[~is_rate], den[~is_rate], multiplier=mult[~is_rate], level=lv)
            lo[~is_rate], up[~is_rate] = ci["lower"].to_numpy(), ci["upper"].to_numpy()
        comp, verdict = compare_interval_with_benchmark(lo, up, bval, t["direction"].to_numpy(object))
        part = t[keep].copy()
        part["numerator"] = t["numerator"]
        part["denominator"] = t["denominator"]
        part["value"] = value
        part["conf_level"] = lv
        part["lower"] = lo
        part["upper"] = up
        part["benchmark"] = label
        part["benchmark_value"] = bval
        part["comparison"] = comp
        part["verdict"] = verdict
        part["direction"] = t["direction"].to_numpy()
        part["_row"] = np.arange(len(t))
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    order = {k: i for i, k in enumerate(reg["indicator"])}
    out = out.assign(_o=out["indicator"].map(order)).sort_values(
        ["region_code", "year", "_o", "_row", "conf_level"], kind="stable"
    )
    return out.drop(columns=["_o", "_row"]).reset_index(drop=True)
