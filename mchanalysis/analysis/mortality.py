"""Trends and models of one region's mortality series, each behind its rule.

Every function here selects the region's series up to the report year
(:func:`mchanalysis.analysis.data.series`), asks :func:`mchanalysis.analysis.rules.check_series`
whether the analysis may run, calls the statistics module, and checks that the fit produced a
finite, converged estimate. What it cannot do it says in one sentence (``reason``) instead of
raising or printing a stalled fit. Notebooks 02/03 and the 答卷 read these same results, so a
number is computed once, by one rule, everywhere (results are memoised per data file, region,
indicator, year and level).

The statistics: :func:`mchanalysis.trends.loglinear_trend` (APC),
:func:`mchanalysis.joinpoint.joinpoint` (NCI method, Poisson variance, weighted BIC),
:func:`mchanalysis.models.interrupted_time_series`, :func:`~mchanalysis.models.period_rate_ratio`,
:func:`~mchanalysis.models.project_rate`, :func:`~mchanalysis.models.eb_smooth` and
:func:`mchanalysis.stats.rate_ci` (pooled rates).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mchanalysis.analysis import rules
from mchanalysis.analysis.data import MORTALITY, AnalysisData, comparison_regions, region_row, series
from mchanalysis.errors import MchError
from mchanalysis.funnel import funnel
from mchanalysis.joinpoint import joinpoint
from mchanalysis.models import eb_smooth, interrupted_time_series, period_rate_ratio, project_rate
from mchanalysis.schema import MEASURES, MEASURES_EN
from mchanalysis.stats import adjust_p_values, rate_ci
from mchanalysis.targets import load_target_set, resolve_target_set
from mchanalysis.trends import loglinear_trend

#: Fits kept (least recently used dropped first). A region's four notebooks ask for 8 (a county's
#: 答卷 alone) to 16 (a province, every notebook): trends, policy breaks and projections of its
#: indicators, the 答卷 reusing notebook 02's. Bounded because a batch kernel runs thousands of
#: regions and every kept fit is objects each garbage collection walks: unbounded, the
#: collections of a 200-county run grew from 0.09 to 0.21 s per region, and the whole-country 答卷
#: batch slowed from 1.03 to 1.17 s per region within its first thousand regions.
CACHE_ENTRIES = 64

_CACHE: OrderedDict[tuple, object] = OrderedDict()


def _cached(key, compute):
    """``compute()``, or its value for the same *key* kept from an earlier call in this process
    (the 答卷 reuses the trends notebook 02 fitted; the key names the data's SHA-256, the
    region, the indicator, the years and the level)."""
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    value = compute()
    _CACHE[key] = value
    while len(_CACHE) > CACHE_ENTRIES:
        _CACHE.popitem(last=False)
    return value


def _level(data: AnalysisData, level) -> float:
    return float(data.conf_level if level is None else level)


def event_name(data: AnalysisData, indicator: str) -> tuple[str, str]:
    """The indicator's events in both languages ("孕产妇死亡", "maternal deaths")."""
    m = data.registry.set_index("id").loc[indicator, "numerator"]
    zh = MEASURES.get(m, m).removesuffix("数").removesuffix("人")
    return zh, MEASURES_EN.get(m, m).replace("_", " ")


def _status_ok(res) -> tuple[bool, str]:
    """A fit is usable when it reports no failure status and its estimates are finite."""
    status = getattr(res, "status", "ok") or "ok"
    if status != "ok":
        return False, str(getattr(res, "reason", "") or status)
    return True, ""


def verdict_of(lower: float, upper: float) -> str:
    """'fall' / 'rise' when the interval of a percent change excludes 0, else
    'no_significant_change'."""
    return "fall" if upper < 0 else ("rise" if lower > 0 else "no_significant_change")


@dataclass
class Trend:
    """The trend of one indicator in one region up to a year (see :func:`trend`).

    ``apc`` (dict or None): ``apc, lower, upper, p_value, model, verdict, start, end``;
    ``apc_fitness``: why there is none. ``joinpoint`` (JoinpointResult or None) with
    ``joinpoint_fitness``; ``joinpoints``, ``last`` (last segment dict), ``aapc`` (dict) and
    ``fitted`` (``year, fitted``) are read from it.
    """

    indicator: str
    region_code: str
    years: list
    events: int
    apc: dict | None
    apc_fitness: rules.Fitness
    joinpoint: object | None
    joinpoint_fitness: rules.Fitness
    joinpoints: list = field(default_factory=list)
    last: dict | None = None
    aapc: dict | None = None
    fitted: pd.DataFrame | None = None
    result: object | None = None

    @property
    def start(self):
        return self.years[0] if self.years else None

    @property
    def end(self):
        return self.years[-1] if self.years else None

    def reasons(self, lang: str = "zh") -> list[str]:
        """The sentences saying what could not be done (APC first, then joinpoint)."""
        out = []
        if not self.apc_fitness.ok:
            out.append(self.apc_fitness.message(lang))
        elif not self.joinpoint_fitness.ok:
            out.append(self.joinpoint_fitness.message(lang))
        return out


def trend(
    data: AnalysisData,
    region_code: str,
    indicator: str,
    *,
    year: int | None = None,
    level: float | None = None,
) -> Trend:
    """APC and joinpoint regression of the region's series up to *year*, each behind its rule.

    The APC (:func:`mchanalysis.trends.loglinear_trend`: Poisson, negative binomial when
    overdispersed) needs :data:`~mchanalysis.analysis.rules.MIN_YEARS_APC` years and
    :data:`~mchanalysis.analysis.rules.MIN_TOTAL_EVENTS` events; joinpoint regression
    (:func:`mchanalysis.joinpoint.joinpoint`, NCI method, Poisson variance, weighted BIC) 7 years
    and a median of 10 events a year. A fit that did not converge, or whose estimate is not
    finite, is reported as such (``*_fitness.code == 'fit_failed'``), never as an estimate.
    """
    level = _level(data, level)
    key = ("trend", data.sha256, str(region_code), indicator, year, level)
    return _cached(key, lambda: _trend(data, str(region_code), indicator, year, level))


def _trend(data, code, indicator, year, level) -> Trend:
    s = series(data, code, indicator, until=year)
    years = [int(y) for y in s["year"]]
    events = s["numerator"].to_numpy(float)
    name = event_name(data, indicator)
    out = Trend(
        indicator=indicator,
        region_code=code,
        years=years,
        events=int(events.sum()),
        apc=None,
        apc_fitness=rules.OK,
        joinpoint=None,
        joinpoint_fitness=rules.OK,
    )
    out.apc_fitness = rules.check_series("apc", years, events, event_name=name)
    if out.apc_fitness.ok:
        res = loglinear_trend(
            s["year"].astype(int).to_numpy(),
            s["numerator"].astype("int64").to_numpy(),
            s["denominator"].astype("int64").to_numpy(),
            level=level,
        )
        ok, why = _status_ok(res)
        finite = all(np.isfinite(v) for v in (res.apc, res.apc_lower, res.apc_upper))
        if not ok or not finite or res.result is None:
            out.apc_fitness = rules.fit_failed("apc", why or res.reason)
        else:
            out.result = res
            out.apc = {
                "apc": float(res.apc),
                "lower": float(res.apc_lower),
                "upper": float(res.apc_upper),
                "p_value": float(res.p_value),
                "model": res.model,
                "verdict": verdict_of(res.apc_lower, res.apc_upper),
                "start": years[0],
                "end": years[-1],
            }
    if not out.apc_fitness.ok:
        out.joinpoint_fitness = out.apc_fitness
        return out
    out.joinpoint_fitness = rules.check_series("joinpoint", years, events, event_name=name)
    if not out.joinpoint_fitness.ok:
        return out
    try:
        jp = joinpoint(
            s["year"].to_numpy(float),
            s["value"].to_numpy(float),
            count=s["numerator"].to_numpy(float),
            denominator=s["denominator"].to_numpy(float),
            variance="poisson",
            select="wbic",
            level=level,
        )
    except MchError as exc:
        out.joinpoint_fitness = rules.fit_failed("joinpoint", str(exc))
        return out
    ok, why = _status_ok(jp)
    if not ok or not np.isfinite(jp.segments["apc"].to_numpy(float)).all():
        out.joinpoint_fitness = rules.fit_failed("joinpoint", why)
        return out
    out.joinpoint = jp
    out.fitted = jp.fitted.rename(columns={"x": "year"})[["year", "fitted"]]
    if jp.k > 0:
        seg = jp.segments.iloc[-1]
        a = jp.aapc.iloc[0]
        out.joinpoints = [int(round(x)) for x in jp.joinpoints]
        out.last = {
            "start": int(round(seg["start"])),
            "end": int(round(seg["end"])),
            "apc": float(seg["apc"]),
            "lower": float(seg["apc_lower"]),
            "upper": float(seg["apc_upper"]),
            "verdict": verdict_of(seg["apc_lower"], seg["apc_upper"]),
        }
        out.aapc = {
            "apc": float(a["apc"]),
            "lower": float(a["apc_lower"]),
            "upper": float(a["apc_upper"]),
            "verdict": verdict_of(a["apc_lower"], a["apc_upper"]),
        }
    return out


def _names(data: AnalysisData, lang: str) -> pd.Series:
    return data.registry.set_index("id")["name_en" if lang == "en" else "name_zh"]


def _indicators(indicators) -> tuple:
    return tuple(MORTALITY if indicators is None else indicators)


TREND_TABLE_COLUMNS = [
    "indicator",
    "name",
    "start",
    "end",
    "n_years",
    "events",
    "apc",
    "apc_lower",
    "apc_upper",
    "p_value",
    "p_adjusted",
    "model",
    "verdict",
    "reason",
]


def mortality_trends(
    data: AnalysisData,
    region_code: str,
    *,
    year: int | None = None,
    indicators=None,
    lang: str = "zh",
    level: float | None = None,
) -> pd.DataFrame:
    """The APC of each indicator (:func:`trend`), one row each; ``reason`` says why a row has
    no APC. Columns :data:`TREND_TABLE_COLUMNS`."""
    names = _names(data, lang)
    rows = []
    for ind in _indicators(indicators):
        t = trend(data, region_code, ind, year=year, level=level)
        a = t.apc or {}
        rows.append(
            {
                "indicator": ind,
                "name": names.get(ind, ind),
                "start": t.start,
                "end": t.end,
                "n_years": len(t.years),
                "events": t.events,
                "apc": a.get("apc", np.nan),
                "apc_lower": a.get("lower", np.nan),
                "apc_upper": a.get("upper", np.nan),
                "p_value": a.get("p_value", np.nan),
                "model": a.get("model", ""),
                "verdict": a.get("verdict", ""),
                "reason": "" if t.apc_fitness.ok else t.apc_fitness.message(lang),
            }
        )
    return _with_adjusted(pd.DataFrame(rows), TREND_TABLE_COLUMNS)


def _with_adjusted(table: pd.DataFrame, columns) -> pd.DataFrame:
    """``p_adjusted``: Holm within the table's family (one region, one section), the multiplicity
    policy of :func:`mchanalysis.stats.adjust_p_values` (:data:`~mchanalysis.analysis.rules.MULTIPLICITY`)."""
    if "p_value" not in table.columns:
        table = table.assign(p_value=np.nan)
    out = adjust_p_values(
        table, family=[], method=rules.MULTIPLICITY["method"], alpha=rules.MULTIPLICITY["alpha"]
    )
    return out.reindex(columns=columns)


JOINPOINT_TABLE_COLUMNS = [
    "indicator",
    "name",
    "k",
    "segment",
    "start",
    "end",
    "apc",
    "apc_lower",
    "apc_upper",
    "p_value",
    "verdict",
    "reason",
]


def joinpoint_segments(
    data: AnalysisData,
    region_code: str,
    *,
    year: int | None = None,
    indicators=None,
    lang: str = "zh",
    level: float | None = None,
) -> pd.DataFrame:
    """Joinpoint segments and the AAPC (``segment == 'aapc'``) of each indicator, the very fit
    the 答卷 reports (:func:`trend`); one row with ``reason`` for an indicator without one.
    Columns :data:`JOINPOINT_TABLE_COLUMNS`."""
    names = _names(data, lang)
    frames = []
    for ind in _indicators(indicators):
        t = trend(data, region_code, ind, year=year, level=level)
        if t.joinpoint is None:
            reason = t.joinpoint_fitness.message(lang)
            frames.append(pd.DataFrame([{"indicator": ind, "name": names.get(ind, ind), "reason": reason}]))
            continue
        f = t.joinpoint.to_frame()
        f["verdict"] = [verdict_of(lo, hi) for lo, hi in zip(f["apc_lower"], f["apc_upper"])]
        f.insert(0, "name", names.get(ind, ind))
        f.insert(0, "indicator", ind)
        f["reason"] = ""
        frames.append(f)
    out = pd.concat(frames, ignore_index=True).reindex(columns=JOINPOINT_TABLE_COLUMNS)
    return out.astype({"k": "Int64"})


ITS_TABLE_COLUMNS = [
    "indicator",
    "name",
    "term",
    "estimate",
    "lower",
    "upper",
    "p_value",
    "p_adjusted",
    "scale",
    "break_year",
    "reason",
]


def policy_break(
    data: AnalysisData,
    region_code: str,
    indicator: str,
    *,
    break_year: int = 2016,
    year: int | None = None,
    level: float | None = None,
):
    """(ITSResult or None, Fitness) of :func:`mchanalysis.models.interrupted_time_series`
    (quasi-Poisson) at *break_year*, behind the ITS rule."""
    level = _level(data, level)

    def compute():
        s = series(data, region_code, indicator, until=year)
        fit = rules.check_series(
            "its", s["year"], s["numerator"], break_year=break_year, event_name=event_name(data, indicator)
        )
        if not fit.ok:
            return None, fit
        try:
            res = interrupted_time_series(
                s["year"].astype(int).to_numpy(),
                s["numerator"].astype("int64").to_numpy(),
                s["denominator"].astype("int64").to_numpy(),
                break_year=break_year,
                level=level,
                dispersion=rules.DISPERSION_POLICY["its"],
            )
        except MchError as exc:
            return None, rules.fit_failed("its", str(exc))
        ok, why = _status_ok(res)
        if not ok or not np.isfinite([res.level_change, res.level_lower, res.level_upper]).all():
            return None, rules.fit_failed("its", why)
        return res, rules.OK

    return _cached(("its", data.sha256, str(region_code), indicator, break_year, year, level), compute)


def policy_breaks(
    data: AnalysisData,
    region_code: str,
    *,
    break_year: int = 2016,
    year: int | None = None,
    indicators=None,
    lang: str = "zh",
    level: float | None = None,
) -> pd.DataFrame:
    """Interrupted time series at *break_year* of each indicator: level change, APC before and
    after, slope ratio; one row with ``reason`` where the rule or the fit says no.
    Columns :data:`ITS_TABLE_COLUMNS`."""
    names = _names(data, lang)
    frames = []
    for ind in _indicators(indicators):
        res, fit = policy_break(data, region_code, ind, break_year=break_year, year=year, level=level)
        if res is None:
            frames.append(
                pd.DataFrame(
                    [
                        {
                            "indicator": ind,
                            "name": names.get(ind, ind),
                            "break_year": break_year,
                            "reason": fit.message(lang),
                        }
                    ]
                )
            )
            continue
        f = res.to_frame().rename(columns={"parameter": "term"})
        f.insert(0, "name", names.get(ind, ind))
        f.insert(0, "indicator", ind)
        f["reason"] = ""
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    # the family: the level and slope changes of every indicator (apc_difference repeats the
    # slope test and is not counted twice)
    tested = (
        out["term"].isin(["level_change", "slope_ratio"])
        if "term" in out
        else pd.Series(False, index=out.index)
    )
    adj = _with_adjusted(out[tested], ITS_TABLE_COLUMNS) if tested.any() else None
    out["p_adjusted"] = np.nan
    if adj is not None:
        out.loc[tested, "p_adjusted"] = adj["p_adjusted"].to_numpy()
        slope = dict(
            zip(
                out.loc[out["term"] == "slope_ratio", "indicator"],
                out.loc[out["term"] == "slope_ratio", "p_adjusted"],
            )
        )
        diff = out["term"] == "apc_difference"
        out.loc[diff, "p_adjusted"] = out.loc[diff, "indicator"].map(slope)
    return out.reindex(columns=ITS_TABLE_COLUMNS)


PERIOD_TABLE_COLUMNS = [
    "indicator",
    "name",
    "first_start",
    "first_end",
    "last_start",
    "last_end",
    "events_first",
    "events_last",
    "rate_ratio",
    "lower",
    "upper",
    "p_value",
    "p_adjusted",
    "scale",
    "reason",
]


def period_ratios(
    data: AnalysisData,
    region_code: str,
    *,
    year: int | None = None,
    indicators=None,
    lang: str = "zh",
    level: float | None = None,
) -> pd.DataFrame:
    """Pooled rate ratio of the last period to the first (:func:`mchanalysis.models.period_rate_ratio`):
    five years each when the series has ten, else its two halves (at least 2 years each); one
    row with ``reason`` where it cannot be computed. Columns :data:`PERIOD_TABLE_COLUMNS`."""
    names = _names(data, lang)
    level = _level(data, level)
    rows = []
    for ind in _indicators(indicators):
        s = series(data, region_code, ind, until=year)
        fit = rules.check_series("period_ratio", s["year"], s["numerator"], event_name=event_name(data, ind))
        base = {"indicator": ind, "name": names.get(ind, ind)}
        if fit.ok:
            # periods in calendar years counted from the ends of the reported span; halves of
            # the span for a short series
            span = int(s["year"].max() - s["year"].min() + 1)
            k = rules.period_length(span)
            try:
                r = period_rate_ratio(
                    s["year"].astype(int).to_numpy(),
                    s["numerator"].astype("int64").to_numpy(),
                    s["denominator"].astype("int64").to_numpy(),
                    first=k,
                    last=k,
                    level=level,
                    dispersion=rules.DISPERSION_POLICY["period_ratio"],
                )
                row = r.iloc[0].to_dict()
                ok = (row.get("status", "ok") or "ok") == "ok"
                why = str(row.get("reason", "") or "")
                if not ok or not np.isfinite([row["rate_ratio"], row["lower"], row["upper"]]).all():
                    fit = rules.fit_failed("period_ratio", why)
                else:
                    rows.append(
                        {**base, **{c: row.get(c) for c in PERIOD_TABLE_COLUMNS if c in row}, "reason": ""}
                    )
                    continue
            except MchError as exc:
                fit = rules.fit_failed("period_ratio", str(exc))
        rows.append({**base, "reason": fit.message(lang)})
    return _with_adjusted(pd.DataFrame(rows), PERIOD_TABLE_COLUMNS)


# ----------------------------------------------------------------------------------------------
# projection


def projection(
    data: AnalysisData,
    region_code: str,
    indicator: str,
    *,
    target: float,
    target_year: int,
    year: int,
    direction: str = "lower_is_better",
    level: float | None = None,
):
    """(dict or None, Fitness): the rate expected in *target_year* from the trend up to *year*
    (:func:`mchanalysis.models.project_rate`), only when the APC passed its rule and the
    interval is informative (:func:`mchanalysis.analysis.rules.projection_informative`).

    The trend projected is the last segment of the joinpoint model when it has joinpoints (from
    the last joinpoint on, :func:`mchanalysis.analysis.rules.last_segment_fitness`), else the
    whole series' log-linear trend; ``basis`` says which ('last_segment' or 'whole_series') and
    ``fit_start`` from which year.

    The dict holds ``target_year, rate, lower, upper`` (expected rate and its interval),
    ``pi_lower, pi_upper`` (prediction interval of the reported rate), ``target``, ``p_meets``
    (probability that the *reported* rate, with its Poisson/NB noise, meets the target:
    ``p_meets_target`` of :func:`~mchanalysis.models.project_rate`), ``outlook``
    ('likely' / 'unlikely' / 'uncertain', :func:`~mchanalysis.analysis.rules.projection_outlook`),
    ``meets`` / ``misses`` (outlook 'likely' / 'unlikely'), ``needed`` (annual % decline needed
    from the fitted rate of the report year), ``fitted_now``, ``model_apc``, ``basis``,
    ``fit_start``, ``frame``.
    """
    level = _level(data, level)

    def compute():
        tr = trend(data, region_code, indicator, year=year, level=level)
        if not tr.apc_fitness.ok:
            return None, tr.apc_fitness
        if int(target_year) <= int(year):
            return None, rules.Fitness(
                False,
                "past",
                "目标年份不晚于报告年份，不作预测。",
                "The target year is not after the report year: no projection.",
            )
        s = series(data, region_code, indicator, until=year)
        basis = "whole_series"
        if tr.joinpoint is not None and tr.joinpoint.k > 0:
            start = float(tr.joinpoint.joinpoints[-1])
            s = s[s["year"].astype(float) >= start]
            fit = rules.last_segment_fitness(
                s["year"], s["numerator"], event_name=event_name(data, indicator)
            )
            if not fit.ok:
                return None, fit
            basis = "last_segment"
        mult = float(data.registry.set_index("id").loc[indicator, "multiplier"])
        try:
            res = project_rate(
                s["year"].astype(int).to_numpy(),
                s["numerator"].astype("int64").to_numpy(),
                s["denominator"].astype("int64").to_numpy(),
                target_years=[int(target_year)],
                target=float(target),
                multiplier=mult,
                direction=direction,
                level=level,
            )
        except MchError as exc:
            return None, rules.fit_failed("projection", str(exc))
        r = res.frame.iloc[0]
        ok, why = _status_ok(res)
        if not ok or not np.isfinite([r["rate"], r["lower"], r["upper"], r["p_meets_target"]]).all():
            return None, rules.fit_failed("projection", why)
        inf = rules.projection_informative(float(r["lower"]), float(r["upper"]))
        if not inf.ok:
            return None, inf
        p = float(r["p_meets_target"])
        outlook = rules.projection_outlook(p)
        needed = float(r["needed_annual_decline"])
        return {
            "target_year": int(target_year),
            "rate": float(r["rate"]),
            "lower": float(r["lower"]),
            "upper": float(r["upper"]),
            "pi_lower": float(r["pi_lower"]),
            "pi_upper": float(r["pi_upper"]),
            "target": float(target),
            "p_meets": p,
            "outlook": outlook,
            "needed": needed if np.isfinite(needed) else None,
            "fitted_now": float(r["fitted_latest_rate"]),
            "model_apc": float(r["model_apc"]),
            "basis": basis,
            "fit_start": int(r["fit_start"]),
            "frame": res.frame[["target_year", "rate", "lower", "upper"]].copy(),
            "meets": outlook == "likely",
            "misses": outlook == "unlikely",
        }, rules.OK

    key = (
        "proj",
        data.sha256,
        str(region_code),
        indicator,
        float(target),
        int(target_year),
        int(year),
        direction,
        level,
    )
    return _cached(key, compute)


PROJECTION_TABLE_COLUMNS = [
    "indicator",
    "name",
    "target_year",
    "target",
    "rate",
    "lower",
    "upper",
    "pi_lower",
    "pi_upper",
    "p_meets",
    "needed",
    "basis",
    "fit_start",
    "reason",
]


def target_table(data: AnalysisData, target_set, year: int) -> pd.DataFrame:
    """The targets (columns of :attr:`mchanalysis.targets.TargetSet.targets`) a report of *year*
    is judged on: *target_set* as given (name, YAML path or TargetSet), or for ``"auto"`` the
    set :func:`mchanalysis.targets.resolve_target_set` chooses by year together with the set it
    shows beside it (the 2025 milestones and the 2030 targets), one row per indicator and
    target year (the chosen set's row first). Empty for None."""
    chosen, companion, _ = resolve_target_set(target_set, year)
    frames = [
        (s if hasattr(s, "targets") else load_target_set(s, registry=data.registry)).targets
        for s in (chosen, companion)
        if s is not None
    ]
    if not frames:
        return pd.DataFrame(columns=["indicator", "year", "target"])
    out = pd.concat(frames, ignore_index=True)
    return out.drop_duplicates(["indicator", "year"], keep="first").reset_index(drop=True)


def projections(
    data: AnalysisData,
    region_code: str,
    target_set,
    *,
    year: int,
    indicators=None,
    lang: str = "zh",
    level: float | None = None,
) -> pd.DataFrame:
    """Each mortality target of *target_set* whose year is after *year*, projected and tested
    against **that year's** target (:func:`projection`); a row with ``reason`` where no
    projection is given. Columns :data:`PROJECTION_TABLE_COLUMNS`."""
    targets = target_table(data, target_set, year)
    names = _names(data, lang)
    reg = data.registry.set_index("id")
    rows = []
    wanted = _indicators(indicators)
    t = targets[targets["indicator"].isin(wanted)].sort_values(["indicator", "year"], kind="mergesort")
    for r in t.to_dict("records"):
        ind, ty = r["indicator"], int(r["year"])
        base = {
            "indicator": ind,
            "name": names.get(ind, ind),
            "target_year": ty,
            "target": float(r["target"]),
        }
        if ty <= int(year):
            continue
        p, fit = projection(
            data,
            region_code,
            ind,
            target=float(r["target"]),
            target_year=ty,
            year=year,
            direction=reg.loc[ind, "direction"],
            level=level,
        )
        if p is None:
            rows.append({**base, "reason": fit.message(lang)})
        else:
            rows.append(
                {
                    **base,
                    **{
                        c: p[c]
                        for c in (
                            "rate",
                            "lower",
                            "upper",
                            "pi_lower",
                            "pi_upper",
                            "p_meets",
                            "needed",
                            "basis",
                            "fit_start",
                        )
                    },
                    "reason": "",
                }
            )
    return pd.DataFrame(rows).reindex(columns=PROJECTION_TABLE_COLUMNS)


# ----------------------------------------------------------------------------------------------
# small numbers


def pooled_rate(
    data: AnalysisData,
    region_code: str,
    indicator: str,
    *,
    year: int,
    years: int = rules.POOL_YEARS,
    level: float | None = None,
) -> dict | None:
    """The rate pooled over the last *years* consecutive reported years up to *year*
    (Σ events / Σ denominator × multiplier; exact Poisson interval below 10 events, Byar from
    10: :func:`mchanalysis.stats.rate_ci`), as small-area practice reports a rare event
    (:mod:`mchanalysis.analysis.rules`). None when fewer than
    :data:`~mchanalysis.analysis.rules.MIN_POOL_YEARS` consecutive years end at *year*.

    Returns ``start, end, n_years, events, denominator, value, lower, upper``.
    """
    s = series(data, region_code, indicator, until=year)
    s = s[s["year"] > int(year) - int(years)]
    ys = s["year"].astype(int).tolist()
    if not ys or ys[-1] != int(year):
        return None
    run = 1  # consecutive years ending at `year`
    while run < len(ys) and ys[-run - 1] == ys[-run] - 1:
        run += 1
    s = s.iloc[len(ys) - run :]
    if run < rules.MIN_POOL_YEARS:
        return None
    d, n = int(s["numerator"].sum()), int(s["denominator"].sum())
    mult = float(data.registry.set_index("id").loc[indicator, "multiplier"])
    ci = rate_ci([d], [n], multiplier=mult, level=_level(data, level)).iloc[0]
    return {
        "start": int(s["year"].min()),
        "end": int(s["year"].max()),
        "n_years": run,
        "events": d,
        "denominator": n,
        "value": float(ci["value"]),
        "lower": float(ci["lower"]),
        "upper": float(ci["upper"]),
    }


def smoothed_subregions(
    data: AnalysisData, region_code: str, year: int, *, indicator: str = "imr"
) -> pd.DataFrame:
    """Empirical Bayes smoothed rates of the region's sub-regions in *year* beside the crude
    rates (:func:`mchanalysis.models.eb_smooth`, Marshall 1991). A sub-region without a
    positive denominator that year is listed with ``reason`` and no rate, never dropped. Empty
    for a region without sub-regions."""
    t = data.indicators
    sub = t[(t["parent_code"] == str(region_code)) & (t["indicator"] == indicator) & (t["year"] == int(year))]
    cols = ["region_code", "region_name", "numerator", "denominator"]
    out_cols = cols + ["crude_rate", "smoothed_rate", "shrinkage", "reason"]
    if sub.empty:
        return pd.DataFrame(columns=out_cols)
    usable = sub["numerator"].notna() & sub["denominator"].notna() & (sub["denominator"] > 0)
    mult = float(data.registry.set_index("id").loc[indicator, "multiplier"])
    parts = []
    if usable.sum() >= 2:
        table = sub.loc[usable, cols].astype({"numerator": "int64", "denominator": "int64"})
        sm = eb_smooth(table, events="numerator", population="denominator", multiplier=mult)
        parts.append(sm.assign(reason=""))
        left = sub.loc[~usable, cols]
    else:
        left = sub[cols]
    if len(left):
        why = np.where(
            left["denominator"].isna() | left["numerator"].isna(),
            "未报告 · not reported",
            "分母为0 · no births",
        )
        if usable.sum() < 2:
            why = np.where(usable[left.index], "少于2个地区可平滑 · fewer than 2 areas to smooth", why)
        parts.append(left.assign(reason=why))
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values("region_code", kind="mergesort").reset_index(drop=True)


def funnel_data(data: AnalysisData, region_code: str, year: int, *, indicator: str = "imr"):
    """Funnel limits around the parent's value for :func:`comparison_regions` in *year*
    (:func:`mchanalysis.funnel.funnel`, limits at 95% and 99.8%), or ``None`` when there are
    fewer than two regions with both a count and a denominator to compare (e.g. a file with
    service measures only). Exact (PHE) limits, adjusted for overdispersion (Spiegelhalter,
    multiplicative) when the dispersion test is significant
    (:data:`mchanalysis.analysis.rules.DISPERSION_POLICY`); ``result.choice`` says which and
    gives the sentence for the caption."""
    parent, codes = comparison_regions(data, region_code)
    if len(codes) < 2:
        return None
    t = data.indicators
    t = t[(t["indicator"] == indicator) & (t["year"] == int(year))]
    centre = t.loc[t["region_code"] == parent, "value"].dropna()
    rows = t[
        t["region_code"].isin(codes)
        & t["numerator"].notna()
        & t["denominator"].notna()
        & (t["denominator"] > 0)
    ]
    if len(rows) < 2:
        return None
    return funnel(
        rows,
        target=float(centre.iloc[0]) if len(centre) else None,
        registry=data.registry,
        adjustment="auto",
        alpha=rules.FUNNEL_DISPERSION_ALPHA,
    )


def region_parent(data: AnalysisData, region_code: str) -> str:
    return str(region_row(data, region_code)["parent_code"] or "")
