"""What each analysis needs before it may say anything: years, events, a fit that converged.

One rule per analysis, decided here and nowhere else. The notebooks, the 答卷 and `mch validate`
ask :func:`check_series` (or :func:`capabilities` for a whole file) and print the sentence it
returns when an analysis cannot be done; a statistics function is never called on a series that
fails its rule, and a fit that stalls (separation, non-convergence) is treated the same way.

Hand-written because these are reporting rules, not statistics. Their sources:

* **20 events** (:data:`MIN_TOTAL_EVENTS`): rates based on fewer than 20 events are flagged as
  unreliable by the U.S. National Center for Health Statistics (NCHS, *Health, United States*,
  "Data presentation standards": relative standard error ≥ 23% when fewer than 20 events) and
  the same threshold is used by PHE Fingertips for suppressing trend statements. A trend, an
  interrupted time series or a projection is therefore fitted only on a series with at least 20
  events in all, and with events in at least two different years (one year's events alone admit
  no finite slope: the maximum-likelihood estimate runs to infinity).
* **Years**: a log-linear APC needs at least :data:`MIN_YEARS_APC` = 5 points (three
  is the mathematical minimum for an interval; five is the NCI Joinpoint documentation's
  practical minimum for a single-segment trend); joinpoint regression needs at least 7
  (:func:`mchanalysis.joinpoint.nci_max_joinpoints`: fewer than 7 points allow no joinpoint) and a
  median of 10 events a year (below that the segments are noise); an interrupted time series
  needs 3 years on each side of the break (Wagner et al. 2002, *J Clin Pharm Ther* 27:299, who
  recommend more; 3 is the least that estimates a slope with a residual on each side).
* **Period ratio**: the last five years against the first five when there are 10 years; a
  shorter series of at least 4 years is split into two halves (⌊n/2⌋ years each); deaths are
  needed in both periods for a ratio with an interval.
* **Projection**: only from an APC that passed its rule and converged, and only when the
  interval of the projected rate is informative: its upper limit at most
  :data:`MAX_PROJECTION_RATIO` = 4 times its lower limit (a project convention: a wider
  interval says "anything between a quarter and four times" and is not printed).
* **Overdispersion** (:data:`DISPERSION_POLICY`, one policy for every analysis): yearly counts
  of one region vary more than Poisson when the dispersion is estimated above 1. The trend
  (negative binomial when Pearson's X² test is significant at 5%, else Poisson), the interrupted
  time series and the period rate ratio (quasi-Poisson: variance φμ with φ = max(1, X²/df) of
  the region's own series, Student's t on the residual df as R's ``summary.glm``) and the funnel
  plots of sub-regions (Spiegelhalter's multiplicative/additive adjustment when the dispersion
  test of :func:`mchanalysis.funnel.overdispersion` is significant at 5%) allow for it. The
  year-on-year change test compares two single years: a dispersion estimated from the series is
  not applied to it and the methods text says that it assumes Poisson variation
  (:data:`CHANGE_ASSUMPTION`).
* **Projection basis and wording**: when the selected joinpoint model has joinpoints the
  projection is fitted to the last segment only (from the last joinpoint on: the trend the
  joinpoint model says holds now), which must itself pass the projection's event rule and have
  at least :data:`MIN_YEARS_LAST_SEGMENT` years; otherwise no projection is given, with the
  reason, rather than extending a whole-period trend the joinpoint model contradicts. The
  target "可望实现" (likely to be met) when the probability that the *reported* rate meets it is
  at least :data:`PROJECTION_LIKELY` = 2/3 and "难以实现" (unlikely) when at most
  :data:`PROJECTION_UNLIKELY` = 1/3 — the calibrated language of the IPCC (Mastrandrea MD et
  al., *Guidance note for lead authors of the IPCC AR5 on consistent treatment of
  uncertainties*, 2010: "likely" 66–100%, "unlikely" 0–33%); between them "尚不确定".
* **Multiplicity** (:data:`MULTIPLICITY`): a report tests about twenty things per region. Every
  table of a section (one region) carries ``p_adjusted``, Holm's step-down adjustment within
  that table's family (:func:`mchanalysis.stats.adjust_p_values`; Holm 1979, *Scand J Stat*
  6:65). A rise, fall or difference is *stated* in the text and the 存在问题 list only when its
  adjusted p-value is below 0.05; intervals stay unadjusted (they describe each estimate).
* **Small numbers**: fewer than :data:`FEW_EVENTS` = 10 events in the report year are told as a
  count, with a rate pooled over the last :data:`POOL_YEARS` = 5 years (at least 3 consecutive
  reported years), as MCH practice does for small areas (WHO, *Trends in maternal mortality*,
  2023: sub-national MMR from pooled years; PHE: 3- or 5-year pooled rates for small areas).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

#: Fewer events than this over the whole series: no trend, ITS or projection (NCHS).
MIN_TOTAL_EVENTS = 20
#: Fewest distinct years with at least one event for any fitted trend.
MIN_YEARS_WITH_EVENTS = 2
#: Fewest years for a log-linear APC.
MIN_YEARS_APC = 5
#: Fewest years, and median events per year, for joinpoint regression.
MIN_YEARS_JOINPOINT = 7
MIN_MEDIAN_EVENTS_JOINPOINT = 10
#: Fewest years on each side of the break for an interrupted time series.
MIN_YEARS_EACH_SIDE_ITS = 3
#: Period ratio: full periods of this many years when the series is twice as long, else halves.
PERIOD_YEARS = 5
MIN_YEARS_PERIOD = 4
#: A projection interval wider than this ratio (upper / lower) is not informative.
MAX_PROJECTION_RATIO = 4.0
#: Projection from the last joinpoint segment: fewest years in that segment.
MIN_YEARS_LAST_SEGMENT = 3
#: Probability that the reported rate meets the target: "likely" at or above, "unlikely" at or below.
PROJECTION_LIKELY = 2 / 3
PROJECTION_UNLIKELY = 1 / 3
#: Fewer events in the report year: told as a count, with a pooled rate beside it.
FEW_EVENTS = 10
#: Years pooled for a small area's rate, and the fewest consecutive reported years to pool.
POOL_YEARS = 5
MIN_POOL_YEARS = 3

#: Overdispersion policy (see the module docstring): how each analysis allows for extra-Poisson
#: variation of a region's yearly counts.
DISPERSION_POLICY = {
    "apc": "negbin_if_overdispersed",  # trends.loglinear_trend(model='auto')
    "its": "quasipoisson",  # models.interrupted_time_series(dispersion=...)
    "period_ratio": "quasipoisson",  # models.period_rate_ratio(dispersion=...)
    "funnel": "adjust_if_significant",  # funnel.funnel(adjustment='auto')
    "change": "poisson",  # stats.compare_rates: two single years
}
#: Multiplicity policy: Holm within each section's family of tests, family-wise level 0.05.
MULTIPLICITY = {"method": "holm", "alpha": 0.05}
#: Significance level of the dispersion test that switches the funnel to adjusted limits.
FUNNEL_DISPERSION_ALPHA = 0.05
#: The sentence the methods text uses for the change test's assumption.
CHANGE_ASSUMPTION = (
    "与上年比较采用精确条件检验（泊松分布假设），未考虑年度间超泊松离散；趋势、时期率比和政策断点分析已按离散程度调整。",
    "The change on the previous year uses the exact conditional test under Poisson variation "
    "(no allowance for extra-Poisson variation between years); trends, period ratios and the "
    "interrupted time series allow for it.",
)

#: The analyses ruled here, with their names in both languages.
ANALYSES = {
    "indicators": ("年度指标", "yearly indicators"),
    "change": ("与上年比较", "change on the previous year"),
    "apc": ("趋势分析", "trend analysis (annual percent change)"),
    "joinpoint": ("Joinpoint分段趋势分析", "joinpoint regression"),
    "its": ("政策断点分析", "interrupted time series"),
    "period_ratio": ("时期率比", "period rate ratio"),
    "projection": ("目标年预测", "projection to the target year"),
    "targets": ("目标评价", "target scorecard"),
    "comparison": ("地区比较", "comparison of sub-regions"),
}


@dataclass(frozen=True)
class Fitness:
    """Whether one analysis may be run on one series, and if not, why (both languages).

    ``code`` is '' when it may, else one of ``too_few_years``, ``too_few_events``,
    ``events_in_one_year``, ``too_few_events_per_year``, ``too_few_years_each_side``,
    ``no_events_in_a_period``, ``fit_failed``, ``uninformative``, ``no_denominator``.
    """

    ok: bool
    code: str = ""
    zh: str = ""
    en: str = ""

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


OK = Fitness(True)


def _no(code: str, zh: str, en: str) -> Fitness:
    return Fitness(False, code, zh, en)


def _years_text(n: int) -> tuple[str, str]:
    return f"仅有{n}年数据", f"only {n} year{'s' if n != 1 else ''} of data"


def check_series(
    analysis: str,
    years,
    events,
    *,
    break_year: int | None = None,
    event_name: tuple[str, str] = ("死亡", "deaths"),
) -> Fitness:
    """Whether *analysis* may run on a yearly series of *events* (before any model is fitted).

    Parameters
    ----------
    analysis : {'apc', 'joinpoint', 'its', 'period_ratio', 'projection'}
    years, events : array-like
        The reported years (with a denominator) and their event counts.
    break_year : int, optional
        For 'its'.
    event_name : (str, str)
        The events' name in Chinese and English, for the sentence ("孕产妇死亡", "maternal deaths").

    Returns
    -------
    Fitness
        ``ok`` or the first rule the series fails, with a one-sentence reason in both languages,
        e.g. "仅有5年数据，不作Joinpoint分段趋势分析（需至少7年）".

    Notes
    -----
    The rules read only a few numbers of the series (:class:`SeriesSummary`): this is
    ``judge(analysis, summarise_series(years, events, break_year=break_year), event_name=...)``.
    Many series at once: :func:`summarise_segments`, then :func:`judge` on each summary.
    """
    return judge(analysis, summarise_series(years, events, break_year=break_year), event_name=event_name)


class SeriesSummary(NamedTuple):
    """The numbers of one yearly series that the rules of :func:`judge` read.

    ``n`` years; ``total`` events (``int`` of the sum, missing counts skipped); ``first_year``
    and ``last_year``: the least and the greatest year (0 for an empty series); ``years_with_events``: years with more than 0
    events; ``median``: of the yearly events (NaN for an empty series); ``before`` / ``after``:
    years before *break_year* and from it on (0 without one); ``first_period`` /
    ``last_period``: events of the first and of the last :func:`period_length` (n) years in year
    order; ``break_year`` as given.
    """

    n: int
    total: int
    first_year: float
    last_year: float
    years_with_events: int
    median: float
    before: int
    after: int
    first_period: float
    last_period: float
    break_year: int | None


def summarise_series(years, events, *, break_year: int | None = None) -> SeriesSummary:
    """:class:`SeriesSummary` of one series (the *years* and *events* of :func:`check_series`)."""
    y = np.asarray(years, dtype=float)
    e = np.asarray(events, dtype=float)
    n = len(y)
    if not n:
        return SeriesSummary(0, 0, 0.0, 0.0, 0, float("nan"), 0, 0, 0.0, 0.0, break_year)
    k = period_length(n)
    order = np.argsort(y)
    before, after = (
        (int((y < break_year).sum()), int((y >= break_year).sum())) if break_year is not None else (0, 0)
    )
    return SeriesSummary(
        n=n,
        total=int(np.nansum(e)),
        first_year=float(y.min()),
        last_year=float(y.max()),
        years_with_events=int((e > 0).sum()),
        median=float(np.median(e)),
        before=before,
        after=after,
        first_period=float(e[order][:k].sum()),
        last_period=float(e[order][-k:].sum()) if k else 0.0,
        break_year=break_year,
    )


def summarise_segments(years, events, bounds, *, break_year: int | None = None) -> list[SeriesSummary]:
    """:func:`summarise_series` of many series at once, as array operations.

    Parameters
    ----------
    years, events : array-like
        The series one after another: series *i* is ``years[bounds[i]:bounds[i + 1]]`` (and
        its events).
    bounds : array-like of int
        Nondecreasing, ``bounds[0] == 0`` and ``bounds[-1] == len(years)``; an empty series is
        two equal bounds.

    Returns
    -------
    list of SeriesSummary
        Equal to ``summarise_series`` of each series (tests/test_capabilities.py checks it on
        random series). A series whose years are not strictly increasing, or whose events are
        not all finite whole numbers, is summarised by :func:`summarise_series` itself.
    """
    y = np.asarray(years, dtype=float)
    e = np.asarray(events, dtype=float)
    b = np.asarray(bounds, dtype=np.int64)
    if len(b) < 1 or b[0] != 0 or b[-1] != len(y) or len(e) != len(y) or (np.diff(b) < 0).any():
        raise ValueError("summarise_segments: bounds must run from 0 to len(years), nondecreasing")
    starts, ends = b[:-1], b[1:]
    n = ends - starts
    m = len(n)
    if not len(y):
        return [summarise_series([], [], break_year=break_year) for _ in range(m)]
    # a series goes the array way when its years strictly increase and its events are whole
    # numbers (their sums are then exact in any order)
    ordinary = np.isfinite(e) & (e == np.round(e)) & np.isfinite(y)
    if np.abs(e[ordinary]).sum() >= 2.0**53:  # partial sums no longer exact
        ordinary[:] = False
    if len(y) > 1:
        step = np.concatenate([[True], np.diff(y) > 0])
        step[starts[n > 0]] = True  # each series' first year
        ordinary &= step
    bad = np.add.reduceat(~ordinary, starts[n > 0]) > 0
    fallback = np.zeros(m, dtype=bool)
    fallback[np.flatnonzero(n > 0)] = bad

    def cum(v):  # sums over each series through a cumulative sum (exact for whole numbers)
        return np.concatenate([[0.0], np.cumsum(np.where(ordinary, v, 0.0))])

    c_e = cum(e)
    c_pos = cum((e > 0).astype(float))
    c_before = cum((y < break_year).astype(float)) if break_year is not None else None
    total = c_e[ends] - c_e[starts]
    with_events = c_pos[ends] - c_pos[starts]
    k = np.array([period_length(int(v)) for v in n], dtype=np.int64)
    first_period = c_e[starts + k] - c_e[starts]
    last_period = c_e[ends] - c_e[ends - k]
    # medians: the events sorted within each series, the middle one or the mean of the middle two
    # (an empty series reads a neighbour's: it is summarised by summarise_series below)
    sorted_e = e[np.lexsort((e, np.repeat(np.arange(m), n)))]
    hi = np.minimum(starts + n // 2, len(e) - 1)
    lo = np.minimum(starts + (n - 1) // 2, len(e) - 1)
    median = np.where(n % 2 == 1, sorted_e[hi], (sorted_e[lo] + sorted_e[hi]) / 2)
    first_year, last_year = y[np.minimum(starts, len(y) - 1)], y[np.maximum(ends - 1, 0)]
    if c_before is not None:
        before = (c_before[ends] - c_before[starts]).astype(np.int64)
        after = n - before
    else:
        before = after = np.zeros(m, dtype=np.int64)
    columns = zip(
        n.tolist(),
        total.astype(np.int64).tolist(),
        first_year.tolist(),
        last_year.tolist(),
        with_events.astype(np.int64).tolist(),
        median.tolist(),
        before.tolist(),
        after.tolist(),
        first_period.tolist(),
        last_period.tolist(),  # 0 where k is 0
    )
    out = [SeriesSummary._make((*c, break_year)) for c in columns]
    for i in np.flatnonzero(fallback | (n == 0)).tolist():
        out[i] = summarise_series(y[starts[i] : ends[i]], e[starts[i] : ends[i]], break_year=break_year)
    return out


def judge(analysis: str, s: SeriesSummary, *, event_name: tuple[str, str] = ("死亡", "deaths")) -> Fitness:
    """The rules of :func:`check_series`, read off the series' :class:`SeriesSummary`."""
    n = s.n
    name_zh, name_en = ANALYSES[analysis]
    ev_zh, ev_en = event_name
    total = s.total
    yz, ye = _years_text(n)
    need_years = {
        "apc": MIN_YEARS_APC,
        "projection": MIN_YEARS_APC,
        "joinpoint": MIN_YEARS_JOINPOINT,
        "period_ratio": MIN_YEARS_PERIOD,
        "its": 2 * MIN_YEARS_EACH_SIDE_ITS,
    }.get(analysis, 1)
    if n < need_years:
        return _no(
            "too_few_years",
            f"{yz}，不作{name_zh}（需至少{need_years}年）。",
            f"{ye[0].upper()}{ye[1:]}: no {name_en} (needs at least {need_years} years).",
        )
    if analysis in ("apc", "projection", "joinpoint", "its") and total < MIN_TOTAL_EVENTS:
        return _no(
            "too_few_events",
            f"{int(s.first_year)}—{int(s.last_year)}年合计{ev_zh}{total}例，例数过少，不作{name_zh}"
            f"（需至少{MIN_TOTAL_EVENTS}例）。",
            f"{total} {ev_en} in {int(s.first_year)}–{int(s.last_year)}: too few for {name_en} "
            f"(needs at least {MIN_TOTAL_EVENTS}).",
        )
    if analysis in ("apc", "projection", "joinpoint", "its"):
        if s.years_with_events < MIN_YEARS_WITH_EVENTS:
            return _no(
                "events_in_one_year",
                f"{ev_zh}仅出现在一个年份，趋势无法估计，不作{name_zh}。",
                f"All {ev_en} fall in one year: no trend can be estimated, so no {name_en}.",
            )
    if analysis == "joinpoint" and s.median < MIN_MEDIAN_EVENTS_JOINPOINT:
        return _no(
            "too_few_events_per_year",
            f"每年{ev_zh}例数中位数为{s.median:g}例，不作{name_zh}"
            f"（需每年至少{MIN_MEDIAN_EVENTS_JOINPOINT}例）。",
            f"A median of {s.median:g} {ev_en} a year: no {name_en} "
            f"(needs at least {MIN_MEDIAN_EVENTS_JOINPOINT} a year).",
        )
    if analysis == "its":
        break_year = s.break_year
        if break_year is None:
            raise ValueError("check_series('its') needs break_year")
        before, after = s.before, s.after
        if min(before, after) < MIN_YEARS_EACH_SIDE_ITS:
            return _no(
                "too_few_years_each_side",
                f"{break_year}年前有{before}年、之后有{after}年数据，不作{name_zh}"
                f"（断点两侧各需至少{MIN_YEARS_EACH_SIDE_ITS}年）。",
                f"{before} year(s) before {break_year} and {after} from it on: no {name_en} "
                f"(needs at least {MIN_YEARS_EACH_SIDE_ITS} on each side).",
            )
    if analysis == "period_ratio":
        k = period_length(n)
        if s.first_period == 0 or s.last_period == 0:
            return _no(
                "no_events_in_a_period",
                f"最初{k}年或最近{k}年无{ev_zh}，不计算{name_zh}。",
                f"No {ev_en} in the first or the last {k} years: no {name_en}.",
            )
    return OK


def period_length(n_years: int) -> int:
    """Years in each period of the period ratio: 5 when there are 10 or more, else ⌊n/2⌋."""
    return PERIOD_YEARS if n_years >= 2 * PERIOD_YEARS else n_years // 2


def fit_failed(analysis: str, reason: str = "") -> Fitness:
    """The sentence for a fit that stalled (no finite estimate, or no convergence)."""
    name_zh, name_en = ANALYSES[analysis]
    return _no(
        "fit_failed",
        f"模型未能收敛（估计值不存在或不稳定），不报告{name_zh}。",
        f"The model did not converge (no finite or stable estimate): no {name_en} is "
        f"reported{': ' + reason if reason else ''}.",
    )


def last_segment_fitness(years, events, *, event_name: tuple[str, str] = ("死亡", "deaths")) -> Fitness:
    """Whether the last joinpoint segment (its *years* and *events*) may carry a projection:
    :data:`MIN_YEARS_LAST_SEGMENT` years, :data:`MIN_TOTAL_EVENTS` events, events in two years."""
    y = np.asarray(years, dtype=float)
    e = np.asarray(events, dtype=float)
    ev_zh, ev_en = event_name
    start = int(y.min()) if len(y) else 0
    if len(y) < MIN_YEARS_LAST_SEGMENT:
        return _no(
            "last_segment_short",
            f"Joinpoint分析显示{start}年以来趋势已改变，该段仅有{len(y)}年数据，不作目标年预测"
            f"（需至少{MIN_YEARS_LAST_SEGMENT}年）。",
            f"The joinpoint model shows the trend changed in {start}; that segment has only "
            f"{len(y)} years: no projection (needs at least {MIN_YEARS_LAST_SEGMENT}).",
        )
    total = int(np.nansum(e))
    if total < MIN_TOTAL_EVENTS or int((e > 0).sum()) < MIN_YEARS_WITH_EVENTS:
        return _no(
            "last_segment_few_events",
            f"Joinpoint分析显示{start}年以来趋势已改变，该段合计{ev_zh}{total}例，例数过少，不作目标年预测"
            f"（需至少{MIN_TOTAL_EVENTS}例）。",
            f"The joinpoint model shows the trend changed in {start}; that segment has {total} "
            f"{ev_en}: too few for a projection (needs at least {MIN_TOTAL_EVENTS}).",
        )
    return OK


def projection_outlook(p_meets: float) -> str:
    """'likely', 'unlikely' or 'uncertain' from the probability that the *reported* rate meets
    the target (:data:`PROJECTION_LIKELY`, :data:`PROJECTION_UNLIKELY`; IPCC calibrated language)."""
    if not np.isfinite(p_meets):
        return "uncertain"
    if p_meets >= PROJECTION_LIKELY:
        return "likely"
    if p_meets <= PROJECTION_UNLIKELY:
        return "unlikely"
    return "uncertain"


def projection_informative(lower: float, upper: float) -> Fitness:
    """Whether a projected rate's interval is narrow enough to print (:data:`MAX_PROJECTION_RATIO`)."""
    if not (np.isfinite(lower) and np.isfinite(upper)) or lower <= 0 or upper / lower > MAX_PROJECTION_RATIO:
        return _no(
            "uninformative",
            f"预测区间过宽（上限超过下限的{MAX_PROJECTION_RATIO:g}倍），不作目标年预测。",
            f"The projection's interval is too wide (upper limit more than "
            f"{MAX_PROJECTION_RATIO:g} times the lower): no projection is given.",
        )
    return OK


def minimums_table() -> list[dict]:
    """The minimum data of each analysis, for the README and `mch validate` (both languages)."""
    return [
        {"analysis": "indicators", "years": 1, "events": "", "zh": "任意1年", "en": "any one year"},
        {"analysis": "change", "years": 2, "events": "", "zh": "相邻两年", "en": "two consecutive years"},
        {
            "analysis": "apc",
            "years": MIN_YEARS_APC,
            "events": MIN_TOTAL_EVENTS,
            "zh": f"至少{MIN_YEARS_APC}年、合计至少{MIN_TOTAL_EVENTS}例",
            "en": f"{MIN_YEARS_APC} years and {MIN_TOTAL_EVENTS} events in all",
        },
        {
            "analysis": "joinpoint",
            "years": MIN_YEARS_JOINPOINT,
            "events": MIN_MEDIAN_EVENTS_JOINPOINT,
            "zh": f"至少{MIN_YEARS_JOINPOINT}年、每年中位数至少{MIN_MEDIAN_EVENTS_JOINPOINT}例",
            "en": f"{MIN_YEARS_JOINPOINT} years and a median of {MIN_MEDIAN_EVENTS_JOINPOINT} events a year",
        },
        {
            "analysis": "its",
            "years": 2 * MIN_YEARS_EACH_SIDE_ITS,
            "events": MIN_TOTAL_EVENTS,
            "zh": f"断点两侧各至少{MIN_YEARS_EACH_SIDE_ITS}年、合计至少{MIN_TOTAL_EVENTS}例",
            "en": f"{MIN_YEARS_EACH_SIDE_ITS} years each side of the break, {MIN_TOTAL_EVENTS} events",
        },
        {
            "analysis": "period_ratio",
            "years": MIN_YEARS_PERIOD,
            "events": 1,
            "zh": f"至少{MIN_YEARS_PERIOD}年、两个时期均有死亡",
            "en": f"{MIN_YEARS_PERIOD} years, events in both periods",
        },
        {
            "analysis": "projection",
            "years": MIN_YEARS_APC,
            "events": MIN_TOTAL_EVENTS,
            "zh": f"同APC，且预测区间上限不超过下限的{MAX_PROJECTION_RATIO:g}倍",
            "en": f"as APC, and an interval within a {MAX_PROJECTION_RATIO:g}-fold range",
        },
        {
            "analysis": "targets",
            "years": 1,
            "events": "",
            "zh": "报告年有该指标",
            "en": "the indicator in the report year",
        },
        {
            "analysis": "comparison",
            "years": 1,
            "events": "",
            "zh": "至少2个下级地区",
            "en": "at least 2 sub-regions",
        },
    ]
