"""The indicator registry and the indicator table.

The registry (``indicators.yaml`` beside this file) is data: one entry per indicator with its
numerator and denominator measures, multiplier, unit, direction and kind. Nothing about an
indicator is hard-coded elsewhere; users add indicators by adding entries (or by passing their
own YAML file).

The indicator table (docs/design.md "Output") has one row per region, year and indicator:
``region_code, region_name, level, year, indicator, numerator, denominator, value, lower, upper,
unit, ci_method, conf_level`` plus ``parent_code`` and ``flag``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from mchanalysis import stats
from mchanalysis.errors import MchError
from mchanalysis.regions import aggregate_counts

REGISTRY_FIELDS = (
    "id", "name_zh", "name_en", "numerator", "denominator", "multiplier", "unit",
    "direction", "kind", "group",
)
KINDS = ("proportion", "rate")
DIRECTIONS = ("lower_is_better", "higher_is_better", "neutral")
UNITS = {100: "%", 1000: "‰", 10000: "/万", 100000: "/10万"}
#: Optional ``status`` of an entry: how firmly its definition is established (the project's
#: reference, ``indicators.csv``). Entries without one are the core set of docs/design.md.
STATUSES = ("confirmed", "partly_confirmed", "best_understanding")

#: Columns of the indicator table, in order.
INDICATOR_COLUMNS = [
    "region_code", "region_name", "level", "parent_code", "year", "indicator", "numerator",
    "denominator", "value", "lower", "upper", "unit", "ci_method", "conf_level", "flag",
]


def _read_registry(text: str, source: str) -> pd.DataFrame:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MchError(f"not valid YAML: {exc}", file=source) from None
    entries = doc.get("indicators") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise MchError("expected a top-level list 'indicators:' of entries", file=source)
    seen = set()
    for i, e in enumerate(entries, start=1):
        where = f"entry {i} ({e.get('id', '?') if isinstance(e, dict) else '?'})"
        if not isinstance(e, dict):
            raise MchError(f"{where}: an entry must be a mapping", file=source)
        missing = [f for f in REGISTRY_FIELDS if f not in e]
        if missing:
            raise MchError(f"{where}: missing field(s) {', '.join(missing)}", file=source)
        if e["id"] in seen:
            raise MchError(f"{where}: duplicate indicator id", file=source)
        seen.add(e["id"])
        if e["kind"] not in KINDS:
            raise MchError(f"{where}: kind must be one of {KINDS}, got {e['kind']!r}", file=source)
        if e["direction"] not in DIRECTIONS:
            raise MchError(f"{where}: direction must be one of {DIRECTIONS}", file=source)
        if e["multiplier"] not in UNITS:
            raise MchError(f"{where}: multiplier must be one of {sorted(UNITS)}", file=source)
        if "status" in e and e["status"] not in STATUSES:
            raise MchError(f"{where}: status must be one of {STATUSES}, got {e['status']!r}", file=source)
        e.setdefault("decimals", 2)
    reg = pd.DataFrame(entries)
    return reg


@lru_cache(maxsize=8)
def _registry_cached(path: str | None) -> pd.DataFrame:
    if path is None:
        text = resources.files("mchanalysis").joinpath("indicators.yaml").read_text(encoding="utf-8")
        return _read_registry(text, "mchanalysis/indicators.yaml")
    p = Path(path)
    if not p.exists():
        raise MchError("indicator registry file not found", file=p)
    return _read_registry(p.read_text(encoding="utf-8"), str(p))


def load_registry(path: str | Path | None = None) -> pd.DataFrame:
    """The indicator registry as a DataFrame, one row per indicator (registry order).

    Parameters
    ----------
    path : str or Path, optional
        A user's own registry YAML; default the package's ``indicators.yaml``.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, name_zh, name_en, numerator, denominator, multiplier, unit, direction,
        kind, group, decimals`` (and any extra fields of the entries).
    """
    return _registry_cached(None if path is None else str(path)).copy()


def indicator_meta(indicator: str, registry: pd.DataFrame | None = None) -> dict:
    """The registry entry of one indicator as a dict (raises MchError for an unknown id)."""
    reg = load_registry() if registry is None else registry
    row = reg[reg["id"] == indicator]
    if row.empty:
        import difflib

        close = difflib.get_close_matches(indicator, reg["id"].tolist(), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise MchError(f"unknown indicator {indicator!r}{hint}")
    return row.iloc[0].to_dict()


def _flags(conditions, n: int) -> np.ndarray:
    """';'-joined words of the conditions that hold, per row ('' where none)."""
    flags = np.full(n, "", dtype=object)
    for mask, word in conditions:
        flags[mask] = np.where(flags[mask] == "", word, flags[mask] + ";" + word)
    return flags


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
        From :func:`load_registry`; default the package registry.
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
    if not 0 < conf_level < 1:
        raise MchError(f"confidence level must be a fraction between 0 and 1 (e.g. 0.95), got {conf_level}")
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
            m: base_key.isin(pd.MultiIndex.from_arrays([g["region_code"].astype(str), g["year"].astype("int64")]))
            for m, g in cells.groupby("measure")
        }
    inc_by_measure = {
        m: base_key.isin(pd.MultiIndex.from_arrays([g["region_code"], g["year"]]))
        for m, g in incomplete.groupby("measure")
    }
    cols = {k: [] for k in ("row", "order", "num", "den", "value", "lower", "upper", "method", "flag")}
    units = []
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
        flags = _flags(
            [
                (num > den if ind.kind == "proportion" else np.zeros(len(base), dtype=bool), "over_100"),
                (inc, "incomplete"),
                (not_done_row, "not_carried_out"),
                (np.isnan(num) & ~inc & ~(done_num & np.isnan(num)), "numerator_not_reported"),
                (np.isnan(den) & ~inc & ~(done_den & np.isnan(den)), "denominator_not_reported"),
                (den == 0, "zero_denominator"),
            ],
            len(base),
        )
        rows = np.flatnonzero(keep)
        cols["row"].append(rows)
        cols["order"].append(np.full(len(rows), order, dtype=np.int64))
        cols["num"].append(num[rows])
        cols["den"].append(den[rows])
        for k in ("value", "lower", "upper"):
            cols[k].append(ci[k].to_numpy()[rows])
        cols["method"].append(ci["ci_method"].to_numpy()[rows])
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
    id_arr = np.array([ids.get(o, "") for o in range(len(reg))], dtype=object)
    unit_arr = np.array([unit_of.get(o, "") for o in range(len(reg))], dtype=object)
    out = base.take(cat["row"][perm]).reset_index(drop=True)
    out["indicator"] = id_arr[order]
    out["numerator"] = pd.array(cat["num"][perm], dtype="Float64").astype("Int64")
    out["denominator"] = pd.array(cat["den"][perm], dtype="Float64").astype("Int64")
    for k in ("value", "lower", "upper"):
        out[k] = cat[k][perm]
    out["unit"] = unit_arr[order]
    out["ci_method"] = cat["method"][perm]
    out["conf_level"] = conf_level
    out["flag"] = cat["flag"][perm]
    return out[INDICATOR_COLUMNS].reset_index(drop=True)
