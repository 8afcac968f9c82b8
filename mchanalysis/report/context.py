"""Everything the annual 答卷 of one region and year says, gathered once from the data.

:func:`build_context` reads and aggregates the counts, computes the indicator table, and for the
chosen region and year collects per indicator: the value with its interval, the change on the
previous year and on five years before (with the statistical verdict), the trend (APC/AAPC), the
comparison with the parent region and the national level, and the target status; then the
sub-regions' ranking, the data-quality findings, the list of problems, and the figures (PNG
bytes). The templates and writers (:mod:`.render`, :mod:`.docx`, :mod:`.xlsx`) only read this.

The statistics are the package's (:mod:`mchanalysis.stats`, :mod:`mchanalysis.trends`,
:mod:`mchanalysis.joinpoint`, :mod:`mchanalysis.models`, :mod:`mchanalysis.ranking`,
:mod:`mchanalysis.targets`, :mod:`mchanalysis.quality`, :mod:`mchanalysis.funnel`), imported
plainly: a module that fails to import is a bug and raises, it never silently drops a section.

In a batch the indicator table, the quality review and the load findings are the same for every
region: pass them precomputed (``indicator_table=``, ``quality_findings=``, ``load_findings=``,
e.g. from :func:`mchanalysis.pipeline.analysis.load_analysis_data`) to compute them once per data
file instead of once per region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mchanalysis import stats
from mchanalysis.analysis import rules
from mchanalysis.analysis.data import AnalysisData, from_counts, load_analysis_data
from mchanalysis.analysis.mortality import pooled_rate
from mchanalysis.analysis.mortality import projection as analysis_projection
from mchanalysis.analysis.mortality import trend as analysis_trend
from mchanalysis.confidence import check_level
from mchanalysis.errors import MchError
from mchanalysis.indicators import INDICATOR_COLUMNS
from mchanalysis.quality import combine_findings
from mchanalysis.ranking import rank_with_uncertainty
from mchanalysis.reference import load_national_series
from mchanalysis.regions import descendants
from mchanalysis.registry import load_registry
from mchanalysis.report import narrative as nv
from mchanalysis.report.brief import EMTCT_OUTCOMES as RARE_OUTCOMES
from mchanalysis.report.brief import told_as_count
from mchanalysis.report.layout import load_layout
from mchanalysis.schema import ALL_MEASURES, ALL_MEASURES_EN

LANGS = ("zh", "en")


@dataclass
class ReportContext:
    """All the numbers and facts of one region's annual report (see :func:`build_context`).

    Attributes
    ----------
    region : dict
        ``code, name, level, parent_code, parent_name, scope`` (全市 / 全县 / ...).
    year, lang, conf_level : report year, language ('zh' / 'en'), confidence level (fraction).
    synthetic : bool
        True when the data are the demo data (codes 99xxxx): every section says so.
    facts : dict
        Indicator id -> fact dict (value texts, change, trend, benchmarks, target), registry order.
    sections : list of dict
        Layout sections: ``id`` and ``indicators`` (ids with data).
    scorecard : pandas.DataFrame
        One row per target of the chosen set (empty when no set was given).
    subregions : dict
        Indicator id -> ranking DataFrame of the sub-regions (empty dict for a leaf region).
    quality : list of dict
        Data-quality findings about this region and its sub-regions: ``severity, message``.
    problems : list of dict
        Problems found in the data (``kind`` and the facts the template words).
    figures : dict
        Name -> ``{"png": bytes, "caption": str, "section": str}``.
    indicator_table : pandas.DataFrame
        The indicator table's rows (all years) of the region, its parent and every region below
        it, in the table's order.
    """

    region: dict
    year: int
    lang: str
    conf_level: float
    synthetic: bool
    facts: dict
    sections: list
    target_set: dict | None = None
    scorecard: pd.DataFrame = field(default_factory=pd.DataFrame)
    subregions: dict = field(default_factory=dict)
    quality: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    indicator_table: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    headline: list = field(default_factory=list)
    live_births: str = ""
    first_year: int | None = None
    missing_sections: list = field(default_factory=list)
    narrative: dict = field(default_factory=dict)
    rules: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        from mchanalysis.report.render import render_title

        return render_title(self)


# ----------------------------------------------------------------------------------------------
# loading


def _national_table(national) -> pd.DataFrame | None:
    """National series as ``year, indicator, value`` (area 'total'), or None.

    ``national='auto'`` reads the repository's series with
    :func:`mchanalysis.reference.load_national_series` (None when it cannot be found).
    """
    if national is None:
        return None
    if isinstance(national, pd.DataFrame):
        nat = national
    elif national == "auto":
        try:
            nat = load_national_series()
        except MchError:
            return None
    else:
        nat = load_national_series(national)
    if "indicator_id" in nat.columns:
        nat = nat.rename(columns={"indicator_id": "indicator"})
    if "area" in nat.columns:
        nat = nat[nat["area"] == "total"]
    return nat[["year", "indicator", "value"]].reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# statistics adapters (one place to meet the other modules' signatures)


def _pair_key(kind, cur, prev, multiplier):
    """``(kind, x1, n1, x2, n2, multiplier)`` of the change from ``prev`` to ``cur``, or None
    when the two cannot be compared (a row missing, a count not reported, a zero denominator)."""
    if cur is None or prev is None:
        return None
    vals = (prev["numerator"], prev["denominator"], cur["numerator"], cur["denominator"])
    if any(pd.isna(x) for x in vals) or prev["denominator"] == 0 or cur["denominator"] == 0:
        return None
    return (kind, *(int(v) for v in vals), float(multiplier))


def _verdicts(keys, conf_level) -> dict:
    """Verdicts of many changes (keys of :func:`_pair_key`), one vectorised call per kind of
    :func:`mchanalysis.stats.compare_rates` / :func:`~mchanalysis.stats.compare_proportions`
    (element-wise: the same verdict as one call per pair, tested). A region's report compares
    about a hundred pairs; one call each cost 0.3-0.5 s per region."""
    out = {}
    for kind in sorted({k[0] for k in keys}):
        some = sorted({k for k in keys if k[0] == kind})
        x1, n1, x2, n2, mult = (np.array([k[i] for k in some]) for i in range(1, 6))
        fn = stats.compare_proportions if kind == "proportion" else stats.compare_rates
        res = fn(x1, n1, x2, n2, multiplier=mult, level=conf_level)
        out.update(zip(some, (str(v) for v in res["verdict"])))
    return out


def _compare_pair(kind, cur, prev, conf_level, multiplier, known=None):
    """Verdict of the change from ``prev`` to ``cur`` (:func:`mchanalysis.stats.compare_rates`
    / :func:`~mchanalysis.stats.compare_proportions`): 'rise' / 'fall' /
    'no_significant_change', or None when the two cannot be compared. ``known``: verdicts
    computed beforehand for many pairs (:func:`_verdicts`), looked up by the pair's counts."""
    key = _pair_key(kind, cur, prev, multiplier)
    if key is None:
        return None
    if known is not None and key in known:
        v = known[key]
    else:
        v = _verdicts([key], conf_level)[key]
    return v if v in nv.CHANGE_VERDICTS else None


def _benchmark(row, bench_value, direction):
    """'better' / 'similar' / 'worse' (Fingertips rule, :func:`stats.compare_interval_with_benchmark`:
    the region's interval against a benchmark value), or None when not comparable."""
    if row is None or bench_value is None or pd.isna(bench_value):
        return None
    if pd.isna(row.get("lower")) or pd.isna(row.get("upper")):
        return None
    _, verdict = stats.compare_interval_with_benchmark(
        [row["lower"]], [row["upper"]], [float(bench_value)], direction
    )
    v = str(verdict[0])
    return v if v in ("better", "similar", "worse", "higher", "lower") else None


def _trend(adata: AnalysisData, code: str, ind: str, year: int, conf_level: float):
    """The trend of the series up to *year* as the analysis layer decides it
    (:func:`mchanalysis.analysis.trend`: APC and joinpoints, each behind its rule), as the dict
    the templates read, and the sentences saying what could not be done."""
    tr = analysis_trend(adata, code, ind, year=year, level=conf_level)
    if tr.apc is None:
        return None, tr
    out = {**tr.apc, "joinpoints": list(tr.joinpoints), "last": tr.last, "aapc": tr.aapc, "fitted": tr.fitted}
    return out, tr


# ----------------------------------------------------------------------------------------------
# facts


def _row_dict(table: pd.DataFrame, code: str, year: int, ind: str):
    r = table[(table["region_code"] == code) & (table["year"] == year) & (table["indicator"] == ind)]
    if r.empty:
        return None
    return r.iloc[0].to_dict()


class _Rows:
    """:func:`_row_dict` of one table for many lookups: the position of each (region, year,
    indicator) found in one pass (a report makes about 250 lookups on its region's and its
    parent's rows), the row read as :func:`_row_dict` reads it."""

    def __init__(self, table: pd.DataFrame):
        self.table = table
        self._at: dict = {}
        keys = zip(table["region_code"].tolist(), table["year"].tolist(), table["indicator"].tolist())
        for i, key in enumerate(keys):
            self._at.setdefault(key, i)  # the first row, as _row_dict

    def row(self, code: str, year: int, ind: str):
        i = self._at.get((code, year, ind))
        return None if i is None else self.table.iloc[i].to_dict()


def _change_keys(rows: pd.DataFrame, code: str, year: int, years_back: int, registry) -> list:
    """The pairs :func:`_fact` compares for region ``code`` (:func:`_pair_key`): each indicator's
    value of ``year`` against 1 and ``years_back`` years before, and for mortality indicators
    every year against the year before (the streak of falls)."""
    meta = {m["id"]: m for m in registry.to_dict("records")}
    years: dict = {}
    for r in rows[rows["region_code"] == code].to_dict("records"):
        if r["year"] <= year and r["indicator"] in meta:
            years.setdefault(r["indicator"], {}).setdefault(r["year"], r)
    keys = []
    for ind, by_year in years.items():
        m = meta[ind]
        pairs = [(year, year - 1), (year, year - years_back)]
        if m["group"] == "mortality":
            pairs += [(y, y - 1) for y in by_year]
        for y, y0 in pairs:
            key = _pair_key(m["kind"], by_year.get(y), by_year.get(y0), m["multiplier"])
            if key is not None:
                keys.append(key)
    return keys


def _fmt_row(row, meta, lang):
    unit, dec = meta["unit"], int(meta.get("decimals", 2) or 2)
    if row is None or pd.isna(row.get("value")):
        return None
    return nv.format_value(row["value"], unit, dec, lang=lang)


def _fact(
    ind_meta,
    adata,
    region,
    year,
    conf_level,
    lang,
    years_back,
    parent_code,
    national,
    table=None,
    index: _Rows | None = None,
    known: dict | None = None,
) -> dict:
    """One indicator's facts for the region. ``table``: the indicator table's rows of the region and
    its parent (default all of ``adata.indicators``; :func:`build_context` passes the rows once,
    so that a national table of ~1.3 M rows is not filtered again for every indicator), ``index``
    the same rows indexed (:class:`_Rows`) and ``known`` the verdicts of its changes computed
    beforehand (:func:`_verdicts`)."""
    table = adata.indicators if table is None else table
    ind = ind_meta["id"]
    unit = ind_meta["unit"]
    dec = int(ind_meta.get("decimals", 2) or 2)
    name = ind_meta["name_zh"] if lang == "zh" else ind_meta["name_en"]
    code = region["code"]

    def row_of(code: str, year: int):
        return index.row(code, year, ind) if index is not None else _row_dict(table, code, year, ind)

    cur = row_of(code, year)
    f = {
        "id": ind,
        "name": name,
        "unit": unit,
        "decimals": dec,
        "kind": ind_meta["kind"],
        "multiplier": float(ind_meta["multiplier"]),
        "lang": lang,
        "direction": ind_meta["direction"],
        "group": ind_meta["group"],
        "available": cur is not None and not pd.isna(cur.get("value")),
    }
    num_measure = ind_meta["numerator"]
    event = (
        ALL_MEASURES.get(num_measure, num_measure).removesuffix("数").removesuffix("人")
        if lang == "zh"
        else ALL_MEASURES_EN.get(num_measure, num_measure)
    )
    f["event"] = event
    if not f["available"]:
        return f
    f.update(
        value=float(cur["value"]),
        lower=float(cur["lower"]),
        upper=float(cur["upper"]),
        numerator=None if pd.isna(cur["numerator"]) else int(cur["numerator"]),
        denominator=None if pd.isna(cur["denominator"]) else int(cur["denominator"]),
        flag=cur.get("flag", "") or "",
        text=nv.format_value(cur["value"], unit, dec, lang=lang),
        ci_text=nv.format_interval(cur["lower"], cur["upper"], unit, dec, lang=lang),
        count_text=nv.format_count(cur["numerator"], lang=lang),
        denominator_text=nv.format_count(cur["denominator"], lang=lang),
    )
    f["over_100"] = "over_100" in f["flag"]
    if ind_meta["group"] == "mortality":
        f["death_mode"] = nv.death_mode(f["numerator"], f["value"], f["lower"], f["upper"])
    # changes on last year and on years_back before
    for key, back in (("change1", 1), ("change5", years_back)):
        prev = row_of(code, year - back)
        if prev is None or pd.isna(prev.get("value")):
            f[key] = None
            continue
        verdict = _compare_pair(ind_meta["kind"], cur, prev, conf_level, ind_meta["multiplier"], known)
        ch = nv.describe_change(
            cur["value"], prev["value"], unit=unit, decimals=dec, verdict=verdict, lang=lang
        )
        ch.update(year=year - back, previous_text=_fmt_row(prev, ind_meta, lang))
        ch["good"] = _goodness(ch["direction"], ind_meta["direction"])
        f[key] = ch
    # series: streak of significant falls / zero deaths, trend
    series = table[(table["region_code"] == code) & (table["indicator"] == ind) & (table["year"] <= year)]
    series = series.sort_values("year")
    f["notes"] = []
    f["pooled"] = None
    f["zero_streak"] = nv.zero_streak(series["numerator"].tolist()) if ind_meta["group"] == "mortality" else 0
    f["streak"] = 0
    f["trend"] = None
    if ind_meta["group"] == "mortality":
        verdicts = []
        rows = series.to_dict("records")
        for a, b in zip(rows[:-1], rows[1:]):
            if b["year"] != a["year"] + 1:
                verdicts.append(None)
                continue
            verdicts.append(_compare_pair(ind_meta["kind"], b, a, conf_level, ind_meta["multiplier"], known))
        f["streak"] = nv.streak(verdicts)
        f["trend"], tr = _trend(adata, code, ind, year, conf_level)
        # what the rules did not allow, said once (the APC's reason, else the joinpoint's)
        f["notes"] = tr.reasons(lang)
        # a rare event: the count, with the rate pooled over the last years (small-area practice)
        if f["numerator"] is not None and f["numerator"] < rules.FEW_EVENTS:
            p = pooled_rate(adata, code, ind, year=year, level=conf_level)
            if p is not None and p["n_years"] > 1 and p["events"] > 0:
                f["pooled"] = {
                    **p,
                    "text": nv.format_value(p["value"], unit, dec, lang=lang),
                    "ci_text": nv.format_interval(p["lower"], p["upper"], unit, dec, lang=lang),
                    "count_text": nv.format_count(p["events"], lang=lang),
                }
    # parent region
    f["parent"] = None
    if parent_code:
        prow = row_of(parent_code, year)
        if prow is not None and not pd.isna(prow.get("value")):
            f["parent"] = {
                "name": prow["region_name"],
                "text": _fmt_row(prow, ind_meta, lang),
                "value": float(prow["value"]),
                "verdict": _benchmark(cur, prow["value"], ind_meta["direction"]),
            }
    # national level (context only: surveillance estimates, not the same 口径)
    f["national"] = None
    if national is not None:
        nat = national[(national["indicator"] == ind)]
        nat = nat[nat["year"] <= year].sort_values("year")
        if len(nat):
            n = nat.iloc[-1]
            # printed as published (14.3, not 14.30); mortality: national surveillance
            # estimates of another 口径, context only (no significance verdict across 口径);
            # service indicators: 年报 values of the same 口径, compared.
            f["national"] = {
                "year": int(n["year"]),
                "value": float(n["value"]),
                "text": nv.format_published(n["value"], unit, lang=lang),
                "context_only": ind_meta["group"] == "mortality",
                "verdict": (
                    None
                    if ind_meta["group"] == "mortality"
                    else _benchmark(cur, float(n["value"]), ind_meta["direction"])
                ),
            }
    f["target"] = None
    return f


def _projection(f, adata, code, year, conf_level):
    """For a mortality indicator judged against a later year's target: the rate expected in the
    target year (:func:`mchanalysis.analysis.projection`: only from a trend that passed its rule
    and converged, and only with an informative interval), and the annual decline needed from
    the fitted current rate; None otherwise (the reason is added to ``f['notes']``)."""
    t = f.get("target")
    if not t or f["group"] != "mortality" or t["target_year"] <= year:
        return None
    p, fit = analysis_projection(
        adata,
        code,
        f["id"],
        target=float(t["target"]),
        target_year=int(t["target_year"]),
        year=year,
        direction=f["direction"],
        level=conf_level,
    )
    if p is None:
        msg = fit.message(f.get("lang", "zh"))
        if msg and msg not in f["notes"]:
            f["notes"].append(msg)
        return None
    unit, dec = f["unit"], f["decimals"]
    lang = "en" if f.get("lang") == "en" else "zh"
    return {
        **p,
        "rate_text": nv.format_value(p["rate"], unit, dec, lang=lang),
        "ci_text": nv.format_interval(p["lower"], p["upper"], unit, dec, lang=lang),
        "apc": p["model_apc"],
    }


def _goodness(direction_of_change: str, indicator_direction: str) -> str | None:
    """'better' / 'worse' for a significant change given the indicator's direction."""
    if direction_of_change not in ("rise", "fall") or indicator_direction == "neutral":
        return None
    good = (direction_of_change == "fall") == (indicator_direction == "lower_is_better")
    return "better" if good else "worse"


# ----------------------------------------------------------------------------------------------
# targets, sub-regions, quality, problems


def _scorecard(table, region, year, target_set, conf_level, facts, lang):
    if target_set is None:
        return None, pd.DataFrame()
    from mchanalysis.targets import evaluate_targets, load_target_set, resolve_target_set

    chosen, companion, how = resolve_target_set(target_set, year)
    ts = load_target_set(chosen) if not hasattr(chosen, "targets") else chosen
    region_rows = table[table["region_code"] == region["code"]]
    info_not_scored: list = []
    later = {}
    if companion:
        cs = load_target_set(companion)
        cev = evaluate_targets(region_rows, cs, year=year, level=conf_level)
        for r in cev[cev["region_code"] == region["code"]].to_dict("records"):
            later.setdefault(r["indicator"], r)
    ev = evaluate_targets(region_rows, ts, year=year, level=conf_level)
    ev = ev[ev["region_code"] == region["code"]].reset_index(drop=True)
    reg = load_registry().set_index("id")
    rows = []
    for r in ev.to_dict("records"):
        f = facts.get(r["indicator"])
        if r["indicator"] in RARE_OUTCOMES and f is not None and f.get("available") and told_as_count(f):
            # a transmission rate from a handful of cases is not scored (small-number rule);
            # the text names it among the targets not judged
            info_not_scored.append(
                {"indicator": r["indicator"], "name": f["name"], "count_text": f["count_text"]}
            )
            continue
        meta = reg.loc[r["indicator"]]
        dec = int(meta.get("decimals", 2) or 2)
        name = meta["name_zh"] if lang == "zh" else meta["name_en"]
        value_text = nv.format_value(r["value"], r["unit"], dec, lang=lang) if not pd.isna(r["value"]) else ""
        ci_text = nv.format_interval(r["lower"], r["upper"], r["unit"], dec, lang=lang)
        target_text = nv.format_value(r["target"], r["unit"], dec, lang=lang, whole=True)
        early = r["status"] == "met" and int(r["target_year"]) > year
        rows.append(
            {
                "indicator": r["indicator"],
                "name": name,
                "value": r["value"],
                "lower": r["lower"],
                "upper": r["upper"],
                "value_text": value_text,
                "ci_text": ci_text,
                "comparison": r["comparison"],
                "target": r["target"],
                "target_text": target_text,
                "target_year": int(r["target_year"]),
                "status": r["status"],
                "status_ci": r["status_ci"],
                "unit": r["unit"],
                "early": early,
                "gap": r.get("gap"),
                # the later target shown beside (the 2030 one beside a 2025 milestone)
                "later_text": "",
                "later_year": None,
                "later_status": None,
            }
        )
        lt = later.get(r["indicator"])
        if lt is not None and int(lt["target_year"]) != int(r["target_year"]):
            rows[-1].update(
                later_text=nv.format_value(lt["target"], lt["unit"], dec, lang=lang, whole=True),
                later_year=str(int(lt["target_year"])),
                later_status=lt["status"],
            )
        f = facts.get(r["indicator"])
        if f is not None and f.get("available") and (f["target"] is None or int(r["target_year"]) == year):
            f["target"] = rows[-1]
    info = {
        "name": ts.name,
        "source": ts.source,
        "scope": getattr(ts, "scope", ""),
        "title": ts.title(lang) if hasattr(ts, "title") else ts.source,
        "how": how,
        "companion": companion,
        "companion_title": load_target_set(companion).title(lang) if companion else "",
        "not_scored": info_not_scored,
    }
    return info, pd.DataFrame(rows)


def _ranks(rows: pd.DataFrame, conf_level: float):
    """Ranks with their uncertainty intervals (:func:`mchanalysis.ranking.rank_with_uncertainty`,
    Goldstein & Spiegelhalter 1996): ``region_code, rank, rank_lower, rank_upper``."""
    r = rank_with_uncertainty(
        rows[["region_code", "region_name", "indicator", "year", "numerator", "denominator"]],
        level=conf_level,
    )
    return r[["region_code", "rank", "rank_lower", "rank_upper"]]


def _subregions(table, region, year, layout, conf_level, lang):
    kids = table[(table["parent_code"] == region["code"]) & (table["year"] == year)]
    if kids.empty:
        return {}
    reg = load_registry().set_index("id")
    out = {}
    for ind in layout.get("comparison", []):
        k = kids[kids["indicator"] == ind].dropna(subset=["value"])
        if k.empty or ind not in reg.index:
            continue
        meta = reg.loc[ind]
        dec = int(meta.get("decimals", 2) or 2)
        parent = _row_dict(table, region["code"], year, ind)
        asc = meta["direction"] != "higher_is_better"
        k = k.sort_values(["value", "region_code"], ascending=[asc, True]).reset_index(drop=True)
        k = k.merge(_ranks(k, conf_level), on="region_code", how="left", validate="one_to_one")
        k = k.sort_values(["rank", "region_code"], kind="mergesort").reset_index(drop=True)
        verdicts = [
            _benchmark(r, None if parent is None else parent["value"], meta["direction"])
            for r in k.to_dict("records")
        ]
        rank = k["rank"].astype("Int64").to_numpy()
        rank_text = [
            f"{int(a)}–{int(b)}" if a != b else f"{int(a)}" for a, b in zip(k["rank_lower"], k["rank_upper"])
        ]
        out[ind] = pd.DataFrame(
            {
                "rank": rank,
                "rank_interval": rank_text,
                "region_code": k["region_code"].to_numpy(),
                "region_name": k["region_name"].to_numpy(),
                "numerator": k["numerator"].to_numpy(),
                "denominator": k["denominator"].to_numpy(),
                "value": k["value"].to_numpy(),
                "lower": k["lower"].to_numpy(),
                "upper": k["upper"].to_numpy(),
                "value_text": [nv.format_value(v, meta["unit"], dec, lang=lang) for v in k["value"]],
                "ci_text": [
                    nv.format_interval(a, b, meta["unit"], dec, lang=lang)
                    for a, b in zip(k["lower"], k["upper"])
                ],
                "verdict": verdicts,
            }
        )
    return out


def _quality(table, region, year, lang, load_findings, quality_findings, years_back):
    """Data-quality findings that matter for this report.

    Findings of the load (validation warnings) and of :func:`mchanalysis.quality.review_quality`
    about the region and its sub-regions, from ``year - years_back`` on (and table-wide ones).
    Errors and warnings are listed; 'info' findings are only counted (``severity='info'`` rows
    are kept with ``listed=False``). Each message is prefixed with the region's name when it is
    a sub-region's.
    """
    codes = {region["code"]} | set(table.loc[table["parent_code"] == region["code"], "region_code"].unique())
    # the names of these codes only (the table is every region's: 1.3 M rows on a national file)
    own = table.loc[table["region_code"].isin(codes), ["region_code", "region_name"]]
    names = dict(zip(own["region_code"], own["region_name"]))
    # one table, likely entry errors first, each finding once (validation's row and column kept),
    # of the findings about these regions or about none: combine_findings works within one
    # region's rows (names, duplicates, a stable order), so this is its whole-file table's rows
    # about them, without combining a national file's 25,000 findings for every region
    frames = [combine_findings(_about(load_findings, codes), _about(quality_findings, codes))]
    out = []
    col = "message_zh" if lang == "zh" else "message_en"
    for f in frames:
        if f is None or len(f) == 0:
            continue
        code = (
            f["region_code"].astype("string")
            if "region_code" in f.columns
            else pd.Series(pd.NA, index=f.index)
        )
        yr = (
            pd.to_numeric(f["year"], errors="coerce")
            if "year" in f.columns
            else pd.Series(np.nan, index=f.index)
        )
        keep = (code.isna() | code.isin(codes)) & (yr.isna() | ((yr <= year) & (yr >= year - years_back)))
        for r, c in zip(f[keep.fillna(False).to_numpy()].to_dict("records"), code[keep.fillna(False)]):
            msg = r.get(col) if isinstance(r.get(col), str) and r.get(col) else r.get("message", "")
            if not pd.isna(c) and c != region["code"]:
                msg = (f"{names.get(c, c)}：" if lang == "zh" else f"{names.get(c, c)}: ") + str(msg)
            category = str(r.get("category") or "")
            out.append(
                {
                    "severity": str(r.get("severity", "")),
                    "message": str(msg),
                    "category": category,
                    "entry_error": category == "entry_error",
                    "listed": r.get("severity") in ("error", "warning") or category == "entry_error",
                }
            )
    return out


def _about(findings, codes: set):
    """The rows of a findings table whose region (as :func:`combine_findings` reads it: missing =
    "") is one of ``codes`` or none."""
    if findings is None or len(findings) == 0 or "region_code" not in findings.columns:
        return findings
    rc = findings["region_code"].astype(object).where(findings["region_code"].notna(), "").astype(str)
    return findings[rc.isin(codes | {""}).to_numpy()]


def _problems(facts, scorecard, subregions, quality, lang):
    probs = []
    if len(scorecard):
        for r in scorecard.to_dict("records"):
            if r["status"] == "not_met":
                probs.append({"kind": "target_not_met", **r})
    for f in facts.values():
        if not f.get("available"):
            continue
        ch = f.get("change1")
        if ch and ch.get("good") == "worse":
            probs.append(
                {
                    "kind": "worsened",
                    "name": f["name"],
                    "text": f["text"],
                    "previous_text": ch["previous_text"],
                    "change": ch,
                    "unit": f["unit"],
                }
            )
        t = f.get("trend")
        if t and f["direction"] != "neutral":
            bad = (t["verdict"] == "rise") == (f["direction"] == "lower_is_better") and t[
                "verdict"
            ] != "no_significant_change"
            if bad:
                probs.append({"kind": "bad_trend", "name": f["name"], "trend": t})
    for ind, tab in subregions.items():
        worse = tab[tab["verdict"] == "worse"]
        if len(worse):
            probs.append(
                {
                    "kind": "subregions_worse",
                    "name": facts[ind]["name"],
                    "regions": worse["region_name"].tolist(),
                }
            )
    n_err = sum(1 for q in quality if q["severity"] == "error")
    n_warn = sum(1 for q in quality if q["severity"] == "warning")
    if n_err or n_warn:
        probs.append({"kind": "data_quality", "errors": n_err, "warnings": n_warn})
    return probs


# ----------------------------------------------------------------------------------------------


#: The notebooks whose failure leaves a part of the region's outputs missing, by name.
_PARTS = {
    "01_data_quality.ipynb": ("数据质量审核", "the data-quality review"),
    "02_indicator_trends.ipynb": ("指标与趋势分析", "the indicator and trend analysis"),
    "03_mortality_models.ipynb": ("死亡率模型分析", "the mortality models"),
}


def _report_rows(adata: AnalysisData, region_code: str, parent_code: str) -> pd.DataFrame:
    """The rows of ``adata.indicators`` of the region, its parent and every region below it
    (by the region tree, and any row whose parent is one of those), in the table's order."""
    table = adata.indicators
    below = {region_code} | set(descendants(adata.tree, region_code))
    keep = table["region_code"].isin(below | ({parent_code} - {""})) | table["parent_code"].isin(below)
    return table[keep]


def _analysis_data(data, conf_level, indicator_table, quality_findings, load_findings) -> AnalysisData:
    """The analysis layer's object for *data* at *conf_level*: as given (an AnalysisData), read
    from a path (memoised per file), or built from a counts table with the precomputed tables
    when they are at that level (:func:`mchanalysis.analysis.from_counts`).

    Raises
    ------
    MchError
        ``indicator_table`` is not an indicator table.
    """
    if indicator_table is not None:
        absent = [c for c in INDICATOR_COLUMNS if c not in getattr(indicator_table, "columns", ())]
        if absent:
            raise MchError(
                f"indicator_table is not an indicator table (compute_indicators): missing "
                f"column{'s' if len(absent) > 1 else ''} {', '.join(absent)}"
            )
    if isinstance(data, AnalysisData):
        if np.isclose(data.conf_level, float(conf_level)):
            return data
        return from_counts(data.counts, conf_level=conf_level, warnings=data.warnings)
    if isinstance(data, pd.DataFrame):
        return from_counts(
            data,
            conf_level=conf_level,
            warnings=load_findings,
            indicators=indicator_table,
            quality=quality_findings,
        )
    return load_analysis_data(data, conf_level=conf_level)


def thresholds(layout: dict | None = None) -> dict:
    """The thresholds the text states, from the constants that apply them (never typed into a
    template): ``review_years`` -- the years the data-quality review covers (layout.yaml's
    ``years_back``, the window of :func:`_quality`); ``byar_min_events`` -- events from which a
    rate's interval is Byar's approximation rather than exact (:data:`mchanalysis.stats.BYAR_MIN_EVENTS`);
    ``few_events`` -- events under which a rate is told as a count
    (:data:`mchanalysis.analysis.rules.FEW_EVENTS`); ``years_back`` -- the longer comparison
    ("与5年前相比", layout.yaml)."""
    layout = load_layout() if layout is None else layout
    return {
        "review_years": int(layout.get("years_back", 5)),
        "years_back": int(layout.get("years_back", 5)),
        "byar_min_events": stats.BYAR_MIN_EVENTS,
        "few_events": rules.FEW_EVENTS,
    }


def build_context(
    data,
    *,
    year: int,
    region_code: str,
    target_set=None,
    lang: str = "zh",
    national="auto",
    conf_level: float = 0.95,
    synthetic: bool | None = None,
    figures: bool = True,
    indicator_table: pd.DataFrame | None = None,
    quality_findings: pd.DataFrame | None = None,
    load_findings: pd.DataFrame | None = None,
    missing_sections=(),
    narrative=None,
) -> ReportContext:
    """Gather everything the annual report of one region and year says.

    Parameters
    ----------
    data : str, path or pandas.DataFrame
        The counts file (read with :func:`mchanalysis.validation.load_counts`) or a wide counts
        table (docs/design.md "Input"), e.g. ``AnalysisData.counts`` when the tables below are
        passed precomputed.
    year : int
        Report year.
    region_code : str
        6-digit code of the region reported on (a string: leading zeros matter).
    target_set : str, path or TargetSet, optional
        Target set judged in the scorecard (:func:`mchanalysis.targets.load_target_set`);
        ``"auto"``: chosen by the report year (:func:`mchanalysis.targets.resolve_target_set`:
        the 2025 milestones up to 2025 with the 2030 targets beside them, the 2030 set after),
        recorded in ``ctx.target_set["how"]``.
    lang : {'zh', 'en'}
        Language of the texts.
    national : 'auto', str, path, pandas.DataFrame or None
        National series (``year, indicator, value`` in the indicators' units), shown as context
        (surveillance estimates, another 口径). 'auto': the repository's
        ``data/reference/national_series.csv``; None: no national comparison.
    conf_level : float
        Confidence level of intervals and comparisons, a fraction.
    synthetic : bool, optional
        Say on every section that the data are synthetic; default: region codes 99xxxx.
    figures : bool
        Draw the charts (PNG bytes in ``ctx.figures``).
    indicator_table : pandas.DataFrame, optional
        The indicator table of the whole of ``data`` (all regions and years), as
        :func:`mchanalysis.indicators.compute_indicators` gives it (columns
        ``INDICATOR_COLUMNS``), e.g. ``AnalysisData.indicators`` of
        :func:`mchanalysis.pipeline.analysis.load_analysis_data`. Used when its ``conf_level``
        equals ``conf_level``; otherwise it is recomputed at ``conf_level`` (and so is the
        quality review, which reads the table's intervals). Default: computed here.
    quality_findings : pandas.DataFrame, optional
        :func:`mchanalysis.quality.review_quality` of the whole table with that indicator
        table (``AnalysisData.quality``). Default: computed here.
    load_findings : pandas.DataFrame, optional
        Findings of reading the file (:func:`mchanalysis.validation.load_counts`,
        ``AnalysisData.warnings``), listed in the quality section. Default: those of reading
        ``data`` when it is a path, none for a DataFrame.

    missing_sections : sequence of str
        Notebooks of the region's batch that failed (file names, e.g.
        ``"03_mortality_models.ipynb"``): the report says which part is missing.
    narrative : str, path, dict or None
        The bureau's own text (:func:`mchanalysis.report.bureau.load_narrative`): a folder
        holding ``<region_code>.md``, one Markdown file, or "" for none. Its sections (导语,
        工作亮点, 重点工作, 下一步, 落款) are placed verbatim, escaped, in the 答卷.

    The three tables are the same for every region of a data file: a batch computes them once
    and passes them to every region's call, which then only selects and words. The report is the
    same as without them.

    Returns
    -------
    ReportContext

    Raises
    ------
    MchError
        Unknown region code or no data for the year; an ``indicator_table`` without the
        indicator table's columns.
    """
    if lang not in LANGS:
        raise MchError(f"language must be one of {', '.join(LANGS)}, got {lang!r}")
    conf_level = check_level(conf_level)
    region_code = str(region_code)
    year = int(year)
    adata = _analysis_data(data, conf_level, indicator_table, quality_findings, load_findings)
    counts, table = adata.counts, adata.indicators
    quality_findings = adata.quality
    load_findings = adata.warnings if load_findings is None else load_findings
    rows = counts[(counts["region_code"].astype(str) == region_code)]
    if rows.empty:
        import difflib

        codes = sorted(counts["region_code"].astype(str).unique())
        close = difflib.get_close_matches(region_code, codes, n=3)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise MchError(f"region {region_code} is not in the data{hint}")
    this = rows[rows["year"] == year]
    if this.empty:
        raise MchError(
            f"region {region_code} has no row for {year} (years: "
            f"{', '.join(map(str, sorted(rows['year'].unique())))})"
        )
    r0 = this.iloc[0]
    parent_code = "" if pd.isna(r0["parent_code"]) else str(r0["parent_code"])
    parent_name = ""
    if parent_code:
        pr = counts[(counts["region_code"].astype(str) == parent_code)]
        parent_name = str(pr.iloc[-1]["region_name"]) if len(pr) else ""
    region = {
        "code": region_code,
        "name": str(r0["region_name"]),
        "level": str(r0["level"]),
        "parent_code": parent_code,
        "parent_name": parent_name,
        "scope": nv.scope_word(str(r0["level"]), str(r0["region_name"]), lang=lang),
    }
    if synthetic is None:
        synthetic = nv.is_synthetic_code(region_code)
    layout = load_layout()
    registry = load_registry()
    nat = _national_table(national)
    facts = {}
    ind_table = adata.indicators
    own_rows = ind_table[ind_table["region_code"].isin([region_code, parent_code])]
    years_back = int(layout.get("years_back", 5))
    rows = _Rows(own_rows)
    known = _verdicts(_change_keys(own_rows, region_code, year, years_back, registry), conf_level)
    for meta in registry.to_dict("records"):
        facts[meta["id"]] = _fact(
            meta,
            adata,
            region,
            year,
            conf_level,
            lang,
            years_back,
            parent_code,
            nat,
            table=own_rows,
            index=rows,
            known=known,
        )
    # the rows the report reads: the region, its parent, everything below it (the sub-regions'
    # sheets of scorecard.xlsx go down every level); one selection of the whole-file table (1.3 M
    # rows on a national file) instead of one per chart, sheet and section
    table = _report_rows(adata, region_code, parent_code)
    ts_info, scorecard = _scorecard(table, region, year, target_set, conf_level, facts, lang)
    for f in facts.values():
        f["projection"] = _projection(f, adata, region_code, year, conf_level)
    seen: set = set()
    for f in facts.values():  # a sentence shared by several indicators is said once
        notes = f.get("notes") or []
        f["notes"] = [n for n in notes if n not in seen]
        seen.update(notes)
    sections = []
    for s in layout["sections"]:
        groups = s.get("groups", [])
        ids = [i for i, f in facts.items() if f["group"] in groups and f["available"]]
        sections.append({"id": s["id"], "indicators": ids})
    subregions = _subregions(table, region, year, layout, conf_level, lang)
    quality = _quality(
        table, region, year, lang, load_findings, quality_findings, int(layout.get("years_back", 5)) - 1
    )
    problems = _problems(facts, scorecard, subregions, quality, lang)
    lb = counts[(counts["region_code"].astype(str) == region_code) & (counts["year"] == year)]
    live = facts.get("mmr", {}).get("denominator_text") or (
        nv.format_count(lb["live_births"].iloc[0], lang=lang) if "live_births" in lb else ""
    )
    ctx = ReportContext(
        region=region,
        year=year,
        lang=lang,
        conf_level=float(conf_level),
        synthetic=bool(synthetic),
        facts=facts,
        sections=sections,
        target_set=ts_info,
        scorecard=scorecard,
        subregions=subregions,
        quality=quality,
        problems=problems,
        indicator_table=table,
        headline=[facts[i] for i in layout.get("headline", []) if i in facts and facts[i]["available"]],
        live_births=live or "",
        first_year=int(table.loc[table["region_code"] == region_code, "year"].min()),
        missing_sections=[
            _PARTS.get(str(m), (str(m), str(m)))[0 if lang == "zh" else 1] for m in missing_sections
        ],
        rules=thresholds(layout),
    )
    from mchanalysis.report.bureau import load_narrative

    ctx.narrative = load_narrative(narrative, region_code)
    if figures:
        from mchanalysis.report.figures import draw_figures

        ctx.figures = draw_figures(ctx, national=nat)
    return ctx
