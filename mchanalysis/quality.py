"""Data-quality review of routine MCH reports, after WHO's Data Quality Review toolkit (2017).

WHO (2017). *Data quality review: a toolkit for facility data quality assessment. Module 2: Desk
review of data quality.* Geneva: World Health Organization. The desk review has four dimensions;
this module implements the parts that annual 妇幼卫生年报 counts allow (no facility-level monthly
reports, no survey values), and two checks particular to Chinese MCH reporting.

Checks (``check`` column; severity E error, W warning, I info)
--------------------------------------------------------------
=============================  ==  ===================================================================
``region_not_reported``         W  DQR dimension 1 (completeness of reporting): a region of the table
                                   has no row for a year that other regions report, or its row has
                                   every measure empty while it has no child regions to sum from.
``measure_not_reported``        W  DQR 1 (completeness of indicator data): an empty cell of a
                                   reporting region without children, for a measure that other
                                   regions report that year ("2019年孕产妇系统管理人数未上报").
                                   Parents' empty cells are normal (filled from their children).
``measure_not_collected``       I  a measure empty for every region in every year (one finding).
``outlier_extreme``             W  DQR 2a: an indicator's value in one year with |modified z| >
                                   ``outlier_extreme`` (3.5) among the region's years, see below.
``outlier_moderate``            I  DQR 2a: ``outlier_moderate`` (2.0) < |modified z| <= 3.5.
``consistency_over_time``       W  DQR 2b: value / mean of the three preceding years outside
                                   1 ± ``consistency_threshold`` (0.33).
``impossible_count``            E  DQR 2c: a count above one it is part of by definition: neonatal >
                                   infant > under-5 deaths, deaths > live births
                                   (:data:`mchanalysis.schema.ORDERED_CHAINS`), under-3 > under-7
                                   children, high-risk managed > high-risk, high-risk or caesarean >
                                   deliveries, low birth weight > live births, birth defects >
                                   perinatal births, exclusively breastfed > infants surveyed.
``over_100``                    W  DQR 2c: any other numerator above its denominator in the registry
                                   (hospital births, visits, screening, management counts may include
                                   non-resident women and children); also early registrations or
                                   systematically managed women above women with prenatal checks.
``deliveries_ratio``            W  DQR 2c: deliveries / live births outside ``deliveries_ratio``
                                   (0.95–1.05; twins make it ~0.99, stillbirth-only deliveries ~+0.005).
``denominator_change``          W  DQR dimension 4 (consistency of denominators), over time: a
                                   registry denominator (live births, deliveries, children under 3/7,
                                   women due for screening, ...) changing by more than
                                   ``denominator_change`` (25%) from the previous year.
``parent_children_mismatch``    W  a parent's own reported total differs from the sum of its children
                                   (:func:`mchanalysis.regions.aggregate_counts`).
=============================  ==  ===================================================================

Outliers, precisely
-------------------
The DQR defines extreme outliers as values at least 3 standard deviations from the mean of the
series and moderate outliers as 2–3 SD, offering the modified z-score (Iglewicz & Hoaglin 1993)
as the robust alternative. With annual data a series has 5–15 points, and a single outlier
inflates the SD it is measured by: a value can never lie more than (n−1)/√n SD from the mean of
n values (2.85 SD with 10 years, 1.79 with 5), so the SD rule cannot flag an extreme outlier in
a ten-year series. We therefore use the modified z-score throughout::

    M_i = 0.6745 (r_i − median(r)) / MAD,   MAD = median |r_i − median(r)|

(when MAD = 0: M_i = (r_i − median(r)) / (1.253314 · mean |r_i − median(r)|), the usual
fallback; when that is 0 too the series is constant and nothing is an outlier), with the
thresholds the brief fixes: |M| > 3.5 extreme (Iglewicz & Hoaglin's recommended cut-off) and
|M| > 2.0 moderate (the DQR's 2-SD line on the robust scale). Two deliberate departures, both
parameters:

* ``detrend=True``: ``r`` is the residual from each year's *local* expectation, not the raw
  value: the median of the predictions at that year of the lines through every pair of other
  reported years within ±3 years (:func:`local_expected`, a leave-one-out local Theil–Sen
  estimate). MCH indicators trend strongly and not in straight lines (MMR halves in ten years,
  coverage saturates near 100%); around a median a steady trend pushes the first and last years
  past the cut-offs, around the local trend only a year that breaks it stands out.
  ``detrend=False`` gives the DQR's plain version (deviation from the series' median).
* ``require_significance=True``: routine rates of small counties swing by chance, and the DQR's
  rules, made for large facility counts, would flag that noise. So an outlier is reported only
  if its expected value lies outside the year's confidence interval (indicator table); a
  consistency-over-time change only if |value − mean| > 1.96·√(se_t² + Σse_i²/k²), the standard
  errors read off the intervals as (upper − lower)/(2z) (a symmetric approximation, adequate as
  a guard since series of fewer than ``min_events`` events are skipped); a ``denominator_change``
  only if |a − b| > 1.96·√(a + b) (two Poisson counts). ``require_significance=False`` applies
  the DQR rules alone.
* ``min_relative_deviation=0.10``: an outlier must also differ from its expected value by 10%
  of it (materiality, in the spirit of the DQR's percentage thresholds): with large counts the
  year-to-year scatter is so small that 89.5% against 90.0% expected scores |M| > 3.5.
* ``min_events=10``: a region's indicator whose median yearly numerator is below 10 (0–3
  maternal deaths a year) is not assessed for outliers or consistency over time; chance
  dominates such series, and the funnel plot and intervals show them better.

* Position scaling: a residual at either end of a series is an extrapolation and scatters
  about 1.5 times more than one inside it; each modified z is divided by its position's factor
  (:func:`position_scale`, simulated once per set of years under pure noise), so the first and
  last years are not flagged merely for being at the ends.

On the demo data (示例省, 19 regions × 15 years × 24 indicators) the defaults report 12 extreme
outliers, among them the deliberate 2020 hospital-delivery rate of 石桥县 (|M| ≈ 800), and 59
consistency-over-time warnings, mostly neonatal/infant mortality in counties whose rates fall
faster than a three-year mean can follow: the DQR's ratio rule flags steep genuine trends too,
raise ``consistency_threshold`` to see fewer.

A series needs ``min_years`` (5) reported values for outliers; consistency over time needs at
least two of the three preceding years (their mean is used).

Hand-written because no Python package implements the WHO DQR metrics; the robust statistics are
a few numpy lines, vectorised over all series at once (scipy.stats.theilslopes fits one series per
call).

References
----------
WHO (2017). Data quality review: a toolkit for facility data quality assessment. Module 2:
Desk review of data quality. ISBN 978-92-4-151273-2.
Iglewicz B, Hoaglin DC (1993). How to detect and handle outliers. ASQC Quality Press.
Sen PK (1968). Estimates of the regression coefficient based on Kendall's tau. JASA 63:1379-89.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import pandas as pd

from mchanalysis.errors import MchError
from mchanalysis.regions import aggregate_counts
from mchanalysis.registry import load_registry
from mchanalysis.schema import ALL_MEASURES, ALL_MEASURES_EN, ORDERED_CHAINS

#: Columns of the findings table, in order.
FINDING_COLUMNS = (
    "region_code",
    "region_name",
    "year",
    "item",
    "check",
    "severity",
    "category",
    "value",
    "expected",
    "message_zh",
    "message_en",
)

#: check -> severity.
CHECKS: dict[str, str] = {
    "region_not_reported": "warning",
    "measure_not_reported": "warning",
    "measure_not_collected": "info",
    "outlier_extreme": "warning",
    "outlier_moderate": "info",
    "consistency_over_time": "warning",
    "impossible_count": "error",
    "over_100": "warning",
    "deliveries_ratio": "warning",
    "denominator_change": "warning",
    "parent_children_mismatch": "warning",
    "rate_typed_as_count": "warning",
    "digit_jump": "warning",
    "exceeds_parent_total": "warning",
}

#: check -> its name for people (中文, English): the notebooks' tables show these.
CHECK_NAMES: dict[str, tuple[str, str]] = {
    "region_not_reported": ("地区未报告", "region not reported"),
    "measure_not_reported": ("项目未报告", "measure not reported"),
    "measure_not_collected": ("项目未收集", "measure not collected"),
    "outlier_extreme": ("极端离群值", "extreme outlier"),
    "outlier_moderate": ("中度离群值", "moderate outlier"),
    "consistency_over_time": ("前后不一致", "inconsistent over time"),
    "impossible_count": ("不可能的计数", "impossible count"),
    "over_100": ("超过100%", "over 100%"),
    "deliveries_ratio": ("分娩数与活产数不符", "deliveries ratio"),
    "denominator_change": ("分母突变", "denominator change"),
    "parent_children_mismatch": ("上下级合计不符", "parent/children mismatch"),
    "rate_typed_as_count": ("疑似将比例填入人数栏", "rate typed as a count"),
    "digit_jump": ("疑似多录或漏录一位数字", "extra or dropped digit"),
    "exceeds_parent_total": ("超过上级合计", "exceeds the parent's total"),
}

#: Categories of findings, in the order reports list them: likely typing mistakes first
#: (``entry_error``), then what is wrong by definition (``invalid``), then what a reviewer should
#: check (``verify``), then what is only worth knowing (``notice``).
CATEGORIES = ("entry_error", "invalid", "verify", "notice")

#: Checks that point at a likely entry (typing) error.
ENTRY_CHECKS = ("rate_typed_as_count", "digit_jump", "exceeds_parent_total")

#: Checks of quality and validation whose category is not given by severity alone.
_NOTICE_CHECKS = {"measure_not_collected", "outlier_moderate", "measure_absent", "measure_empty"}


def category_of(check: str, severity: str) -> str:
    """The category of a finding: ``entry_error`` for :data:`ENTRY_CHECKS` (even when
    ``--strict`` made them errors), ``invalid`` for other errors, ``notice`` for info findings
    and for measures merely absent or empty, ``verify`` for every other warning."""
    if check in ENTRY_CHECKS:
        return "entry_error"
    if severity == "error":
        return "invalid"
    if severity == "info" or check in _NOTICE_CHECKS:
        return "notice"
    return "verify"


#: Pairs (part, whole) where the part cannot exceed the whole by definition (``impossible_count``).
SUBSET_PAIRS: tuple[tuple[str, str], ...] = tuple(
    (chain[i], chain[i + 1]) for chain in ORDERED_CHAINS for i in range(len(chain) - 1)
) + (
    ("children_under3", "children_under7"),
    ("high_risk_managed", "high_risk_pregnancies"),
    ("high_risk_pregnancies", "deliveries"),
    ("cesarean_deliveries", "deliveries"),
    ("low_birth_weight", "live_births"),
    ("birth_defects", "perinatal_births"),
    ("exclusive_breastfed", "infants_0_6m_surveyed"),
)

#: Pairs (part, whole) expected but not bound to hold (``over_100``), beyond the registry's own
#: numerator/denominator pairs: early registration and systematic management imply prenatal checks.
SOFT_PAIRS: tuple[tuple[str, str], ...] = (
    ("early_registered", "prenatal_checked"),
    ("maternal_system_managed", "prenatal_checked"),
    ("first_trimester_checked", "prenatal_checked"),
    ("prenatal_checked_5plus", "prenatal_checked"),
)

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_ID = ["region_code", "region_name", "parent_code", "level", "year"]


def _zh(m: str) -> str:
    return ALL_MEASURES.get(m, m)


def _en(m: str) -> str:
    return ALL_MEASURES_EN.get(m, m)


def _fmt(x: float, decimals: int = 2) -> str:
    """Numbers in messages: integers without decimals, others with up to ``decimals``."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    if float(x) == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.{decimals}f}"


def _pct(ratio: float) -> str:
    return f"{(ratio - 1) * 100:+.0f}%"


def _registry_frame(registry) -> pd.DataFrame:
    if registry is None:
        registry = load_registry()
    return registry


def _measures_of(counts: pd.DataFrame) -> list[str]:
    return [c for c in counts.columns if c not in _ID]


def _num(col: pd.Series) -> np.ndarray:
    return pd.to_numeric(col, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)


# --------------------------------------------------------------------------------------------
# robust statistics


def _nanmedian_min_max(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_nanmedian`, ``numpy.nanmin`` and ``numpy.nanmax`` along the last axis from one sort
    (NaN where a row has no value)."""
    A = np.asarray(A, dtype=float)
    if A.shape[-1] == 0:
        empty = np.full(A.shape[:-1], np.nan)
        return empty, empty.copy(), empty.copy()
    S = np.sort(A, axis=-1)  # NaN sort last
    n = (~np.isnan(A)).sum(axis=-1, keepdims=True)
    h = n // 2
    lo = np.take_along_axis(S, np.where(n % 2 == 1, h, np.maximum(h - 1, 0)), axis=-1)
    hi = np.take_along_axis(S, np.minimum(h, A.shape[-1] - 1), axis=-1)
    top = np.take_along_axis(S, np.maximum(n - 1, 0), axis=-1)
    some = n > 0
    med = np.where(some, (lo + hi) / 2, np.nan)[..., 0]
    return med, np.where(some, S[..., :1], np.nan)[..., 0], np.where(some, top, np.nan)[..., 0]


def _nanmedian(A: np.ndarray, *, keepdims: bool = False) -> np.ndarray:
    """Median along the last axis ignoring NaN (NaN where a row has no value), one sort for all rows.

    The value of ``numpy.nanmedian(A, axis=-1)`` to the last bit: the mean (a + b) / 2 of the two
    middle values of each row's sorted values (a = b for an odd count), which numpy computes for
    short rows through a masked array (``numpy.ma.median``), 10–50 times slower.
    """
    med = _nanmedian_min_max(A)[0]
    return med[..., None] if keepdims else med


def local_expected(x: np.ndarray, Y: np.ndarray, *, window: int = 3) -> np.ndarray:
    """Leave-one-out local Theil–Sen prediction of every point of every row of ``Y``.

    For year t, every pair (i, j) of *other* reported years with |x_i − x_t| ≤ ``window`` and
    |x_j − x_t| ≤ ``window`` gives the line through them evaluated at x_t; the expected value is
    the median of those predictions (NaN if no pair). At the ends of a series this extrapolates
    the nearest years' trend; inside it interpolates. The point itself never enters its own
    expectation, and a single aberrant neighbour enters only a minority of the pairs.

    Parameters
    ----------
    x : numpy.ndarray, shape (T,)
    Y : numpy.ndarray, shape (S, T), NaN where missing.
    window : int
        Half-width of the neighbourhood in units of ``x`` (years).
    """
    x = np.asarray(x, dtype=float)
    Y = np.asarray(Y, dtype=float)
    S, T = Y.shape
    E = np.full((S, T), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for t in range(T):
            nb = [k for k in range(T) if k != t and abs(x[k] - x[t]) <= window]
            if len(nb) < 2:
                continue
            nb = np.array(nb)
            a, b = np.triu_indices(len(nb), k=1)
            i, j = nb[a], nb[b]
            pred = Y[:, i] + (Y[:, j] - Y[:, i]) / (x[j] - x[i]) * (x[t] - x[i])
            E[:, t] = _nanmedian(pred)
    return E


@lru_cache(maxsize=32)
def position_scale(years: tuple[int, ...], window: int = 3, *, n_sim: int = 4000) -> np.ndarray:
    """Relative spread of :func:`local_expected` residuals at each year, under pure noise.

    A residual at the end of a series is an extrapolation and scatters more than one inside it
    (about 1.7 times with ``window=3``), so one series-wide MAD would make the first and last
    years look like outliers. This factor, the robust SD (1.4826·median|r|) of the residuals at
    each position divided by their pooled robust SD, is estimated by simulating ``n_sim`` series
    of independent N(0, 1) noise on the same years (fixed seed: deterministic). The modified z of
    a residual is divided by its position's factor.
    """
    x = np.asarray(years, dtype=float)
    rng = np.random.default_rng(20170101)
    Y = rng.standard_normal((n_sim, len(x)))
    R = Y - local_expected(x, Y, window=window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        per = np.nanmedian(np.abs(R), axis=0)
        pooled = np.nanmedian(np.abs(R))
    f = per / pooled
    return np.where(np.isfinite(f) & (f > 0), f, 1.0)


def modified_z(R: np.ndarray) -> np.ndarray:
    """Modified z-scores of every row of ``R`` (NaN ignored), after Iglewicz & Hoaglin (1993).

    M = 0.6745 (r − median) / MAD; where MAD = 0, (r − median) / (1.253314 · mean absolute
    deviation); where both are 0 (a constant series), 0.
    """
    R = np.asarray(R, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = _nanmedian(R, keepdims=True)
        dev = R - med
        mad = _nanmedian(np.abs(dev), keepdims=True)
        meanad = np.nanmean(np.abs(dev), axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(
                mad > 0,
                0.6745 * dev / mad,
                np.where(meanad > 0, dev / (1.253314 * meanad), 0.0),
            )
    return np.where(np.isnan(R), np.nan, z)


# --------------------------------------------------------------------------------------------
# checks on the counts table


def _record(out, **kw):
    out.append(kw)


def _completeness(counts, measures, tree_children, out):
    years = sorted(counts["year"].unique())
    regions = counts.drop_duplicates("region_code", keep="last").set_index("region_code")["region_name"]
    present = set(zip(counts["region_code"].tolist(), counts["year"].tolist()))
    for code in sorted(regions.index):
        for y in years:
            if (code, y) not in present:
                name = regions[code]
                _record(
                    out,
                    region_code=code,
                    region_name=name,
                    year=y,
                    item="",
                    check="region_not_reported",
                    message_zh=f"{y}年{name}未上报（缺少该年数据行）",
                    message_en=f"{name}: no report for {y} (no row for that year)",
                )
    if not measures:
        return
    vals = {m: _num(counts[m]) for m in measures}
    reported = np.column_stack([~np.isnan(vals[m]) for m in measures])
    leaf = ~counts["region_code"].isin(tree_children).to_numpy()
    codes, names, yrs = (
        counts["region_code"].to_numpy(),
        counts["region_name"].to_numpy(),
        counts["year"].to_numpy(),
    )
    empty_row = leaf & ~reported.any(axis=1)
    for k in np.flatnonzero(empty_row):
        _record(
            out,
            region_code=codes[k],
            region_name=names[k],
            year=int(yrs[k]),
            item="",
            check="region_not_reported",
            message_zh=f"{int(yrs[k])}年{names[k]}各项数据均未填报",
            message_en=f"{names[k]}: every measure empty for {int(yrs[k])}",
        )
    year_has = pd.DataFrame(reported, columns=measures).groupby(yrs).any()
    for c, m in enumerate(measures):
        if not reported[:, c].any():
            _record(
                out,
                region_code="",
                region_name="",
                year=None,
                item=m,
                check="measure_not_collected",
                message_zh=f"{_zh(m)}在所有地区、所有年份均未填报（未收集该项）",
                message_en=f"{_en(m)}: empty for every region and year (not collected)",
            )
            continue
        collected = year_has[m].reindex(yrs).to_numpy()
        miss = leaf & ~empty_row & ~reported[:, c] & collected
        for k in np.flatnonzero(miss):
            _record(
                out,
                region_code=codes[k],
                region_name=names[k],
                year=int(yrs[k]),
                item=m,
                check="measure_not_reported",
                message_zh=f"{int(yrs[k])}年{_zh(m)}未上报",
                message_en=f"{_en(m)} not reported for {int(yrs[k])}",
            )


def over_100_pairs(measures, registry: pd.DataFrame | None = None) -> dict[tuple[str, str], tuple]:
    """The (numerator, denominator) pairs of the >100% rule among ``measures``.

    The rule, in one place: a count above the count it is a share of is *kept as reported* and
    flagged ``over_100`` (a warning: service counts often include non-resident women), for the
    numerator and denominator of every ``proportion`` indicator of the registry and the
    :data:`SOFT_PAIRS`, except pairs bound to hold (:data:`SUBSET_PAIRS`, ``impossible_count``).
    The indicator table's ``over_100`` flag (:func:`mchanalysis.indicators.compute_indicators`)
    marks the same cells of the registry's indicators.

    Returns
    -------
    dict
        ``(numerator, denominator) -> (name_zh, name_en)`` of the indicator (``(None, None)``
        for a soft pair that is no indicator), in registry order, then :data:`SOFT_PAIRS` order.
    """
    have = set(measures)
    strict = set(SUBSET_PAIRS)
    pairs: dict[tuple[str, str], tuple] = {}
    for r in _registry_frame(registry).itertuples(index=False):
        pair = (r.numerator, r.denominator)
        if r.kind == "proportion" and set(pair) <= have and pair not in strict:
            pairs.setdefault(pair, (r.name_zh, r.name_en))
    for pair in SOFT_PAIRS:
        if set(pair) <= have:
            pairs.setdefault(pair, (None, None))
    return pairs


def over_100(counts: pd.DataFrame, registry: pd.DataFrame | None = None) -> pd.DataFrame:
    """Findings of the >100% rule (:func:`over_100_pairs`): a count above its denominator.

    Parameters
    ----------
    counts : pandas.DataFrame
        Wide counts table (validated).
    registry : pandas.DataFrame, optional
        Indicator registry; default the package's.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FINDING_COLUMNS`, check ``over_100``, severity ``warning``; ``value`` the
        numerator, ``expected`` the denominator. The value is kept as reported everywhere: in
        validation (:func:`mchanalysis.validation.validate_counts` lists these findings with
        their spreadsheet row and column), in the quality review and in the indicator table.
    """
    out: list[dict] = []
    _over_100(counts, _measures_of(counts), _registry_frame(registry), out)
    return _frame(out)


def _over_100(counts, measures, registry, out):
    vals = {m: _num(counts[m]) for m in measures}
    codes, names, yrs = (
        counts["region_code"].to_numpy(),
        counts["region_name"].to_numpy(),
        counts["year"].to_numpy(),
    )
    for (part, whole), (ind_zh, ind_en) in over_100_pairs(measures, registry).items():
        a, b = vals[part], vals[whole]
        with np.errstate(invalid="ignore", divide="ignore"):
            bad = a > b
            share = np.where(b > 0, 100 * a / np.where(b > 0, b, 1), np.nan)
        for k in np.flatnonzero(bad):
            y = int(yrs[k])
            pct = f"{share[k]:.1f}%" if np.isfinite(share[k]) else None
            rate_zh = (
                f"{ind_zh}超过100%（{pct}）" if ind_zh and pct else f"{ind_zh}超过100%" if ind_zh else ""
            )
            rate_en = (
                f" ({ind_en} {pct}, above 100%)"
                if ind_en and pct
                else f" ({ind_en} above 100%)"
                if ind_en
                else ""
            )
            zh = (
                f"{y}年{_zh(part)}（{_fmt(a[k])}）超过{_zh(whole)}（{_fmt(b[k])}），"
                f"{rate_zh + '；' if rate_zh else ''}按原值保留，请核实是否计入了非常住人口"
            )
            en = (
                f"{y}: {_en(part)} ({_fmt(a[k])}) exceed {_en(whole)} ({_fmt(b[k])}){rate_en}; "
                "kept as reported: check whether non-residents are counted"
            )
            _record(
                out,
                region_code=codes[k],
                region_name=names[k],
                year=y,
                item=part,
                check="over_100",
                value=a[k],
                expected=b[k],
                message_zh=zh,
                message_en=en,
            )


def _pair_checks(counts, measures, registry, deliveries_ratio, out):
    have = set(measures)
    vals = {m: _num(counts[m]) for m in measures}
    codes, names, yrs = (
        counts["region_code"].to_numpy(),
        counts["region_name"].to_numpy(),
        counts["year"].to_numpy(),
    )
    for part, whole in (p for p in SUBSET_PAIRS if p[0] in have and p[1] in have):
        a, b = vals[part], vals[whole]
        with np.errstate(invalid="ignore"):
            bad = a > b
        for k in np.flatnonzero(bad):
            y = int(yrs[k])
            zh = f"{y}年{_zh(part)}（{_fmt(a[k])}）大于{_zh(whole)}（{_fmt(b[k])}），逻辑不符，请更正"
            en = f"{y}: {_en(part)} ({_fmt(a[k])}) exceed {_en(whole)} ({_fmt(b[k])}), which is impossible"
            _record(
                out,
                region_code=codes[k],
                region_name=names[k],
                year=y,
                item=part,
                check="impossible_count",
                value=a[k],
                expected=b[k],
                message_zh=zh,
                message_en=en,
            )
    _over_100(counts, measures, registry, out)
    if "deliveries" in have and "live_births" in have:
        lo, hi = deliveries_ratio
        d, lb = vals["deliveries"], vals["live_births"]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(lb > 0, d / lb, np.nan)
            bad = (ratio < lo) | (ratio > hi)
        for k in np.flatnonzero(bad):
            y = int(yrs[k])
            _record(
                out,
                region_code=codes[k],
                region_name=names[k],
                year=y,
                item="deliveries",
                check="deliveries_ratio",
                value=ratio[k],
                expected=lo if ratio[k] < lo else hi,
                message_zh=(
                    f"{y}年产妇数与活产数之比为{ratio[k]:.3f}（{_fmt(d[k])}/{_fmt(lb[k])}），"
                    f"超出合理范围{lo:g}–{hi:g}，请核实"
                ),
                message_en=(
                    f"{y}: deliveries / live births = {ratio[k]:.3f} ({_fmt(d[k])}/{_fmt(lb[k])}), "
                    f"outside the plausible {lo:g}–{hi:g}"
                ),
            )


def _denominator_change(counts, measures, registry, threshold, significance, out):
    dens = [m for m in dict.fromkeys(registry["denominator"]) if m in measures]
    frame = counts[["region_code", "region_name", "year", *dens]].copy()
    prev = frame.assign(year=frame["year"] + 1)
    merged = frame.merge(prev, on=["region_code", "year"], suffixes=("", "_prev"), how="inner")
    for m in dens:
        a = _num(merged[m])
        b = _num(merged[f"{m}_prev"])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(b > 0, a / b, np.nan)
            bad = np.abs(ratio - 1) > threshold
            if significance:
                bad &= np.abs(a - b) > 1.96 * np.sqrt(a + b)
        m_codes, m_names, m_years = (merged[c].to_numpy() for c in ("region_code", "region_name", "year"))
        for k in np.flatnonzero(bad):
            y = int(m_years[k])
            _record(
                out,
                region_code=m_codes[k],
                region_name=m_names[k],
                year=y,
                item=m,
                check="denominator_change",
                value=a[k],
                expected=b[k],
                message_zh=(
                    f"{y}年{_zh(m)}较上年变化{_pct(ratio[k])}（{_fmt(b[k])}→{_fmt(a[k])}），请核实分母"
                ),
                message_en=(
                    f"{y}: {_en(m)} changed by {_pct(ratio[k])} from the previous year "
                    f"({_fmt(b[k])} -> {_fmt(a[k])}); check the denominator"
                ),
            )


def _parent_mismatch(counts, out):
    dis = aggregate_counts(counts).disagreements
    if dis.empty:
        return
    names = counts.drop_duplicates("region_code", keep="last").set_index("region_code")["region_name"]
    for r in dis.itertuples(index=False):
        name = names.get(r.region_code, r.region_code)
        y, m = int(r.year), r.measure
        _record(
            out,
            region_code=r.region_code,
            region_name=name,
            year=y,
            item=m,
            check="parent_children_mismatch",
            value=float(r.reported),
            expected=float(r.children_sum),
            message_zh=(
                f"{y}年{name}自报{_zh(m)}为{_fmt(r.reported)}，与下辖地区合计{_fmt(r.children_sum)}"
                f"不一致（相差{int(r.difference):+,d}）"
            ),
            message_en=(
                f"{y}: {name} reports {_en(m)} = {_fmt(r.reported)}, its sub-regions sum to "
                f"{_fmt(r.children_sum)} (difference {int(r.difference):+,d})"
            ),
        )


# --------------------------------------------------------------------------------------------
# likely entry errors (typing mistakes): checked on the counts, reported before anything else

#: Entry-error thresholds (module constants, documented in :func:`entry_errors`).
ENTRY_FAR_BELOW = 0.2  # a numerator below this fraction of its expected value is "far below"
ENTRY_NEAR = 0.5  # "the other years are near the denominator": their median ratio at least this
ENTRY_MIN_EXPECTED = 20  # expected numerator needed before a shortfall means anything
ENTRY_MIN_REFERENCE = 10  # reference count needed for a digit jump
ENTRY_LOG_TOLERANCE = 0.3  # |log10(ratio) - k| within this: "about a factor 10^k" (5-20 for k=1)
ENTRY_WINDOW = 3  # the reference years of a digit jump: within +-3 years
ENTRY_CONSISTENT = 2.0  # reference years count only if within a factor 2 of their median


def _pivot(counts: pd.DataFrame, measures, codes: np.ndarray, years: np.ndarray) -> dict[str, np.ndarray]:
    """(region × year) float array of each measure, NaN where not reported or no row; the rows'
    places are looked up once for all measures."""
    r = np.searchsorted(codes, counts["region_code"].to_numpy())
    c = np.searchsorted(years, counts["year"].to_numpy())
    out = {}
    for m in measures:
        A = np.full((len(codes), len(years)), np.nan)
        A[r, c] = _num(counts[m])
        out[m] = A
    return out


def _digit_jumps(V: np.ndarray, years: np.ndarray):
    """Cells of ``V`` (regions × years) about 10^k (k ≠ 0) times their region's other years.

    For year t the reference is the median of the region's values in the other years within
    ±:data:`ENTRY_WINDOW` years that are above 0, counted only if at least two of them lie
    within a factor :data:`ENTRY_CONSISTENT` of that median (the other years agree among
    themselves). The year's value v is a jump when v > 0, the reference is at least
    :data:`ENTRY_MIN_REFERENCE`, |log10(v / ref) − k| ≤ :data:`ENTRY_LOG_TOLERANCE` for a whole
    k ≠ 0, the nearest reported year on each side (where there is one) is off by the same
    power of ten, and |v − ref| > 3·√(v + ref) (beyond Poisson chance). Returns a list of
    ``(row, column, reference, lowest, highest, k)``.
    """
    V = np.asarray(V, dtype=float)
    # Only rows that can hold a jump are examined (the others cannot pass the test below): a jump
    # needs v >= 10^0.7 ref or v <= 10^-0.7 ref with ref >= 10, and ref, a median of the row's
    # positive values, lies between their minimum and maximum.
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        P = np.where(V > 0, V, np.nan)
        low, high = np.nanmin(P, axis=1, keepdims=True), np.nanmax(P, axis=1, keepdims=True)
        maybe = ((P >= 5 * low) | (P <= 0.2 * high)) & (high >= ENTRY_MIN_REFERENCE)
    rows = np.flatnonzero(maybe.any(axis=1))
    return [(int(rows[s]), *rest) for s, *rest in _digit_jumps_of(V[rows], years)]


def _digit_jumps_of(V: np.ndarray, years: np.ndarray):
    """:func:`_digit_jumps` on the rows given, every one examined."""
    out = []
    S, T = V.shape
    for t in range(T):
        v = V[:, t]
        near = [j for j in range(T) if j != t and abs(years[j] - years[t]) <= ENTRY_WINDOW]
        if len(near) < 2:
            continue
        O = V[:, near]
        O = np.where(O > 0, O, np.nan)
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            ref = _nanmedian(O)
            agree = ((O >= ref[:, None] / ENTRY_CONSISTENT) & (O <= ref[:, None] * ENTRY_CONSISTENT)).sum(
                axis=1
            )
            L = np.log10(v / ref)
            k = np.round(L)
            cand = (
                (v > 0)
                & (ref >= ENTRY_MIN_REFERENCE)
                & (agree >= 2)
                & (k != 0)
                & (np.abs(L - k) <= ENTRY_LOG_TOLERANCE)
                & (np.abs(v - ref) > 3 * np.sqrt(v + ref))
            )
        for s in np.flatnonzero(cand):
            ok = True
            for side in (range(t - 1, -1, -1), range(t + 1, T)):
                j = next((j for j in side if not np.isnan(V[s, j])), None)
                if j is None or V[s, j] <= 0:
                    continue
                lj = np.log10(V[s, t] / V[s, j])
                if round(lj) != k[s] or abs(lj - k[s]) > ENTRY_LOG_TOLERANCE + 0.2:
                    ok = False
            if ok:
                agreeing = O[s][(O[s] >= ref[s] / ENTRY_CONSISTENT) & (O[s] <= ref[s] * ENTRY_CONSISTENT)]
                out.append((s, t, float(ref[s]), float(np.min(agreeing)), float(np.max(agreeing)), int(k[s])))
    return out


def entry_errors(counts: pd.DataFrame, registry: pd.DataFrame | None = None) -> pd.DataFrame:
    """Likely typing mistakes in a counts table: a rate typed as a count, a digit too many or
    too few, a county above its parent's total.

    Three checks, each a warning of category ``entry_error`` (``mch validate --strict`` makes
    them errors); a cell is named by one of them at most:

    ``digit_jump``
        A count about 10, 100, ... times (or a tenth, a hundredth of) the region's other years
        (an extra or a dropped digit), see :func:`_digit_jumps`; every measure is checked.
    ``rate_typed_as_count``
        A ``proportion`` indicator's numerator (registry) far below its denominator,
        n < :data:`ENTRY_FAR_BELOW` · p̃ · d, while the region's other reported years have
        n/d near the denominator (median p̃ ≥ :data:`ENTRY_NEAR`, at least two other years),
        the expected count p̃ · d is at least :data:`ENTRY_MIN_EXPECTED`, the denominator of that
        year is not itself a digit jump, and the numerator is at most 100 (a percentage) or not
        a digit jump of its own series. 早孕建册人数 = 98 against 5,600 live births when the
        other years have about 95%: the rate was typed in the count's cell.
    ``exceeds_parent_total``
        A region's count above its parent's own reported count of the same measure and year
        (a part above the whole), unless the parent's cell is itself a digit jump.

    The rules are deliberately coarse (factors of 5 and more) so that genuine changes of
    routine reports — a programme starting, a boundary change of 25% — are left to the DQR
    checks of :func:`review_quality`, and small numbers (a reference below 10, an expected
    count below 20, a change within 3 Poisson standard deviations) are never called typing
    errors.

    Parameters
    ----------
    counts : pandas.DataFrame
        The wide counts table (``region_code, region_name, parent_code, year`` and measures).
    registry : pandas.DataFrame, optional
        Indicator registry (numerator/denominator pairs); default the package's.

    Returns
    -------
    pandas.DataFrame
        Findings, columns :data:`FINDING_COLUMNS` (severity ``warning``, category
        ``entry_error``); ``item`` is the measure whose cell is suspect, ``value`` its count,
        ``expected`` the count the other years suggest.
    """
    out: list[dict] = []
    _entry_errors(counts, _registry_frame(registry), out)
    return _frame(out)


def _entry_errors(counts, registry, out) -> set:
    """Append entry-error records to ``out``; return the set of (region, year, measure) flagged."""
    counts = counts.copy()
    counts["region_code"] = counts["region_code"].astype(str)
    counts["year"] = pd.to_numeric(counts["year"]).astype(int)
    counts = counts.drop_duplicates(["region_code", "year"], keep="last")
    measures = [m for m in _measures_of(counts) if m not in ("region_code",)]
    if counts.empty or not measures:
        return set()
    codes = np.array(sorted(counts["region_code"].unique()), dtype=object)
    years = np.array(sorted(counts["year"].unique()), dtype=int)
    last = counts.drop_duplicates("region_code", keep="last").set_index("region_code")
    names = last["region_name"].astype(str).to_dict() if "region_name" in last.columns else {}
    parents = last["parent_code"].fillna("").astype(str).to_dict() if "parent_code" in last.columns else {}
    V = _pivot(counts, measures, codes, years)
    flagged: dict[tuple, str] = {}

    def name(c):
        return names.get(c, c)

    # digit jumps, every measure
    # (one call on the measures' arrays stacked: row m·S + s is region s of measure m)
    jumps = {}
    S = len(codes)
    stacked = np.concatenate([V[m] for m in measures], axis=0)
    for row, t, ref, lo, hi, k in _digit_jumps(stacked, years):
        m, s = measures[row // S], row % S
        jumps[(codes[s], int(years[t]), m)] = (V[m][s, t], ref, lo, hi, k)

    # a numerator far below its denominator (rate typed as a count)
    pairs = []
    for r in registry.itertuples(index=False):
        if (
            r.kind == "proportion"
            and r.numerator in V
            and r.denominator in V
            and (r.numerator, r.denominator) not in [p[:2] for p in pairs]
        ):
            pairs.append((r.numerator, r.denominator, r.name_zh, r.name_en))
    for num, den, ind_zh, ind_en in pairs if len(years) >= 3 else []:
        N, D = V[num], V[den]
        with np.errstate(divide="ignore", invalid="ignore"):
            R = np.where(D > 0, N / D, np.nan)
        # only regions with a year that can be a candidate are examined: the reference ratio is a
        # median of the region's ratios, so at most their maximum, and the candidate's d > 0
        with warnings.catch_warnings(), np.errstate(invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            top = np.nanmax(R, axis=1, keepdims=True)
            maybe = (D > 0) & (N < ENTRY_FAR_BELOW * (top * D)) & (top >= ENTRY_NEAR)
        sel = np.flatnonzero(maybe.any(axis=1))
        Rs, Ns, Ds = R[sel], N[sel], D[sel]
        for t in range(len(years)):
            others = np.delete(Rs, t, axis=1)
            n_other = (~np.isnan(others)).sum(axis=1)
            ref, lo, hi = _nanmedian_min_max(others)
            with np.errstate(invalid="ignore"):
                expected = ref * Ds[:, t]
                cand = (
                    (n_other >= 2)
                    & (ref >= ENTRY_NEAR)
                    & (expected >= ENTRY_MIN_EXPECTED)
                    & (Ns[:, t] < ENTRY_FAR_BELOW * expected)
                )
            for i in np.flatnonzero(cand):
                s = sel[i]
                code, y = codes[s], int(years[t])
                if (code, y, den) in jumps:
                    continue  # the denominator is the suspect cell
                n = N[s, t]
                if n > 100 and (code, y, num) in jumps:
                    continue  # a dropped digit of the numerator: reported as such
                jumps.pop((code, y, num), None)
                flagged[(code, y, num)] = "rate_typed_as_count"
                share = n / D[s, t] * 100 if D[s, t] > 0 else np.nan
                cause_zh = "疑似将比例（%）填入了人数栏" if n <= 100 else "疑似填入了率或其他指标的数值"
                cause_en = (
                    "a percentage was probably typed in place of the count"
                    if n <= 100
                    else "a rate or another figure was probably typed in place of the count"
                )
                _record(
                    out,
                    region_code=code,
                    region_name=name(code),
                    year=y,
                    item=num,
                    check="rate_typed_as_count",
                    value=n,
                    expected=float(expected[i]),
                    message_zh=(
                        f"{y}年{_zh(num)}为{_fmt(n)}，仅为{_zh(den)}（{_fmt(D[s, t])}）的"
                        f"{share:.1f}%，而该地区其他年份{ind_zh}为{lo[i] * 100:.1f}%–{hi[i] * 100:.1f}%："
                        f"{cause_zh}，请核实更正"
                    ),
                    message_en=(
                        f"{y}: {_en(num)} = {_fmt(n)} is only {share:.1f}% of {_en(den)} "
                        f"({_fmt(D[s, t])}) while the region's other years have "
                        f"{lo[i] * 100:.1f}%-{hi[i] * 100:.1f}% ({ind_en}): {cause_en}"
                    ),
                )

    for (code, y, m), (v, ref, lo, hi, k) in sorted(jumps.items()):
        flagged[(code, y, m)] = "digit_jump"
        factor_zh = f"{10**k:,}倍" if k > 0 else f"1/{10**-k:,}"
        factor_en = f"{10**k:,} times" if k > 0 else f"1/{10**-k:,} of"
        if k > 0:
            cause_zh = "疑似多录入了一位数字（如多一个0）" if k == 1 else f"疑似多录入了{k}位数字"
            cause_en = (
                "an extra digit was probably typed (e.g. one 0 too many)"
                if k == 1
                else f"{k} extra digits were probably typed"
            )
        else:
            cause_zh = "疑似漏录了一位数字" if k == -1 else f"疑似漏录了{-k}位数字"
            cause_en = "a digit was probably dropped" if k == -1 else f"{-k} digits were probably dropped"
        span = _fmt(lo) if lo == hi else f"{_fmt(lo)}–{_fmt(hi)}"
        _record(
            out,
            region_code=code,
            region_name=name(code),
            year=y,
            item=m,
            check="digit_jump",
            value=v,
            expected=ref,
            message_zh=(
                f"{y}年{_zh(m)}为{_fmt(v)}，约为该地区相邻年份（{span}）的{factor_zh}：{cause_zh}，请核实更正"
            ),
            message_en=(
                f"{y}: {_en(m)} = {_fmt(v)} is about {factor_en} the region's neighbouring "
                f"years ({span.replace('–', '-')}): {cause_en}"
            ),
        )

    # a region above its parent's own total: compared for every (region, parent) pair at once,
    # the findings then taken in the order of region, measure, year (a region whose own parent
    # was just flagged is not flagged again)
    row_of = {c: i for i, c in enumerate(codes)}
    pairs_rp = [(row_of[c], row_of[p]) for c in codes if (p := parents.get(c, "")) and p in row_of]
    if pairs_rp:
        child_rows, parent_rows = (np.array(x, dtype=int) for x in zip(*pairs_rp))
        with np.errstate(invalid="ignore"):
            above = np.stack([V[m][child_rows] > V[m][parent_rows] for m in measures], axis=1)
        for i, j, t in zip(*np.nonzero(above)):
            s, p, m = child_rows[i], parent_rows[i], measures[j]
            code, parent, y = codes[s], codes[p], int(years[t])
            if (parent, y, m) in flagged or (code, y, m) in flagged:
                continue
            flagged[(code, y, m)] = "exceeds_parent_total"
            v, total = V[m][s, t], V[m][p, t]
            _record(
                out,
                region_code=code,
                region_name=name(code),
                year=y,
                item=m,
                check="exceeds_parent_total",
                value=v,
                expected=total,
                message_zh=(
                    f"{y}年{name(code)}{_zh(m)}（{_fmt(v)}）超过上级{name(parent)}自报合计"
                    f"（{_fmt(total)}）：下级数不应大于上级合计，疑似录入错误"
                    f"（下级多录一位或上级合计有误），请核实更正"
                ),
                message_en=(
                    f"{y}: {name(code)} reports {_en(m)} = {_fmt(v)}, more than its parent "
                    f"{name(parent)}'s own total ({_fmt(total)}): a part cannot exceed the whole; "
                    "probably a typing error (an extra digit below, or a wrong total above)"
                ),
            )
    return set(flagged)


# --------------------------------------------------------------------------------------------
# checks on the indicator table


def _series(table: pd.DataFrame):
    """Pivot an indicator table to (series × years) arrays of value, lower, upper."""
    t = table[["region_code", "region_name", "indicator", "year", "value", "lower", "upper"]].copy()
    t["numerator"] = table["numerator"] if "numerator" in table.columns else np.nan
    level = pd.to_numeric(table["conf_level"], errors="coerce") if "conf_level" in table.columns else 0.95
    # scipy is loaded here, not with the module (start-up of mch validate); ndtri is what
    # scipy.stats.norm.ppf evaluates, to the last bit
    from scipy.special import ndtri

    z = ndtri(1 - (1 - pd.Series(level, index=t.index).fillna(0.95).to_numpy(dtype=float)) / 2)
    # standard error read off the interval (symmetric approximation, used only as a chance guard)
    t["se"] = (_num(t["upper"]) - _num(t["lower"])) / (2 * z)
    t["year"] = t["year"].astype(int)
    years = np.array(sorted(t["year"].unique()), dtype=int)
    keys = t[["region_code", "indicator"]].drop_duplicates().sort_values(["region_code", "indicator"])
    keys = keys.reset_index(drop=True)
    s_idx = pd.MultiIndex.from_frame(keys).get_indexer(
        pd.MultiIndex.from_frame(t[["region_code", "indicator"]])
    )
    y_idx = np.searchsorted(years, t["year"].to_numpy())
    arrays = {}
    for c in ("value", "lower", "upper", "numerator", "se"):
        A = np.full((len(keys), len(years)), np.nan)
        A[s_idx, y_idx] = _num(t[c])
        arrays[c] = A
    last = t.drop_duplicates("region_code", keep="last")
    names = dict(zip(last["region_code"], last["region_name"]))
    return keys, years, arrays, names


def _indicator_checks(
    table,
    registry,
    *,
    outlier_moderate,
    outlier_extreme,
    consistency_threshold,
    detrend,
    significance,
    min_years,
    window,
    min_relative_deviation,
    min_events,
    out,
    entry_cells=frozenset(),
):
    if table is None or table.empty:
        return
    if table.duplicated(["region_code", "indicator", "year"]).any():
        raise MchError(
            "indicator table has more than one row per region, indicator and year "
            "(several confidence levels? pass one)"
        )
    keys, years, A, names = _series(table)
    V, L, U, SE = A["value"], A["lower"], A["upper"], A["se"]
    key_codes, key_inds = keys["region_code"].to_numpy(), keys["indicator"].to_numpy()
    info = registry.set_index("id")
    meta = {
        i: (
            info.loc[i, "name_zh"],
            info.loc[i, "name_en"],
            info.loc[i, "unit"],
            int(info.loc[i, "decimals"])
            if "decimals" in info.columns and pd.notna(info.loc[i, "decimals"])
            else 2,
        )
        if i in info.index
        else (i, i, "", 2)
        for i in keys["indicator"].unique()
    }

    # series of rare events (median numerator below min_events) are left to the funnel plot
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med_num = _nanmedian(A["numerator"])
    enough = ~(med_num < min_events)  # NaN (numerator unknown) counts as enough

    # outliers (DQR 2a)
    n_ok = (~np.isnan(V)).sum(axis=1)
    if detrend:
        trend = local_expected(years, V, window=window)
        R = V - trend
    else:
        R = V
    Z = modified_z(R)
    if detrend:
        Z = Z / position_scale(tuple(int(y) for y in years), window)[None, :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = _nanmedian(R, keepdims=True)
    expected_all = np.broadcast_to((trend if detrend else 0.0) + centre, V.shape)
    # cells resting on a count flagged as a likely entry error: reported once, as that error
    suspect = np.zeros(V.shape, dtype=bool)
    if entry_cells:
        col_of = {int(y): i for i, y in enumerate(years)}
        row_of = {(c, i): k for k, (c, i) in enumerate(zip(key_codes, key_inds))}
        for code, y, ind in entry_cells:
            k = row_of.get((code, ind))
            if k is not None and int(y) in col_of:
                suspect[k, col_of[int(y)]] = True
    extreme_cells = np.zeros(V.shape, dtype=bool)
    cand = (np.abs(np.nan_to_num(Z)) > outlier_moderate) & ((n_ok >= min_years) & enough)[:, None] & ~suspect
    # the expected value outside the year's interval (or no interval), and a material deviation
    with np.errstate(invalid="ignore"):
        if significance:
            cand &= np.isnan(L) | np.isnan(U) | (expected_all < L) | (expected_all > U)
        cand &= ~(np.abs(V - expected_all) < min_relative_deviation * np.abs(expected_all))
    for k, t in zip(*np.nonzero(cand)):
        z = Z[k, t]
        exp = float(expected_all[k, t])
        code, ind = key_codes[k], key_inds[k]
        zh, en, unit, dec = meta[ind]
        y = int(years[t])
        extreme = abs(z) > outlier_extreme
        extreme_cells[k, t] = extreme
        basis_zh = "相邻年份的趋势" if detrend else "本地区历年中位数"
        basis_en = "the trend of the neighbouring years" if detrend else "the region's median"
        _record(
            out,
            region_code=code,
            region_name=names[code],
            year=y,
            item=ind,
            check="outlier_extreme" if extreme else "outlier_moderate",
            value=V[k, t],
            expected=exp,
            message_zh=(
                f"{y}年{zh}为{V[k, t]:.{dec}f}{unit}，偏离{basis_zh}（预期约{exp:.{dec}f}{unit}），"
                f"为{'极端' if extreme else '中度'}离群值（修正Z分数{z:+.1f}），请核实"
            ),
            message_en=(
                f"{y}: {en} {V[k, t]:.{dec}f}{unit} departs from {basis_en} "
                f"(about {exp:.{dec}f}{unit} expected): {'extreme' if extreme else 'moderate'} "
                f"outlier (modified z {z:+.1f})"
            ),
        )

    # consistency over time (DQR 2b): the year against the mean of the three preceding years.
    # Years reported as extreme outliers or resting on a likely entry error are left out of the
    # reference mean, so one bad year does not flag the three after it; a cell resting on an
    # entry error is not reported again here.
    ref_values = np.where(extreme_cells | suspect, np.nan, V)
    T = len(years)
    col = {int(y): i for i, y in enumerate(years)}
    for t in range(T):
        y = int(years[t])
        prev = [col[y - d] for d in (1, 2, 3) if (y - d) in col]
        if not prev:
            continue
        P = ref_values[:, prev]
        n_prev = (~np.isnan(P)).sum(axis=1)
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(P, axis=1)
            ratio = np.where(mean > 0, V[:, t] / mean, np.nan)
            bad = (n_prev >= 2) & (np.abs(ratio - 1) > consistency_threshold) & enough
            bad &= ~suspect[:, t]
            if significance:
                # the difference beyond chance: |v - mean| > 1.96 sqrt(se_t^2 + sum(se_i^2) / k^2)
                se_prev = np.sqrt(np.nansum(np.where(np.isnan(P), np.nan, SE[:, prev]) ** 2, axis=1)) / n_prev
                se_diff = np.sqrt(SE[:, t] ** 2 + se_prev**2)
                bad &= ~(np.abs(V[:, t] - mean) <= 1.959964 * se_diff)
        for k in np.flatnonzero(bad):
            code, ind = key_codes[k], key_inds[k]
            zh, en, unit, dec = meta[ind]
            _record(
                out,
                region_code=code,
                region_name=names[code],
                year=y,
                item=ind,
                check="consistency_over_time",
                value=V[k, t],
                expected=mean[k],
                message_zh=(
                    f"{y}年{zh}为{V[k, t]:.{dec}f}{unit}，较前三年均值（{mean[k]:.{dec}f}{unit}）"
                    f"变化{_pct(ratio[k])}，请核实"
                ),
                message_en=(
                    f"{y}: {en} {V[k, t]:.{dec}f}{unit} changed by {_pct(ratio[k])} against the "
                    f"mean of the three preceding years ({mean[k]:.{dec}f}{unit})"
                ),
            )


# --------------------------------------------------------------------------------------------


def review_quality(
    counts: pd.DataFrame,
    *,
    indicator_table: pd.DataFrame | None = None,
    registry: pd.DataFrame | None = None,
    consistency_threshold: float = 0.33,
    outlier_moderate: float = 2.0,
    outlier_extreme: float = 3.5,
    denominator_change: float = 0.25,
    deliveries_ratio: tuple[float, float] = (0.95, 1.05),
    detrend: bool = True,
    require_significance: bool = True,
    min_years: int = 5,
    window: int = 3,
    min_relative_deviation: float = 0.10,
    min_events: float = 10,
) -> pd.DataFrame:
    """Review a counts table after WHO's Data Quality Review (2017, module 2).

    Parameters
    ----------
    counts : pandas.DataFrame
        The wide counts table (docs/design.md): ``region_code, region_name, parent_code, level, year``
        and one nullable-integer column per measure (NA = not reported). Parents' empty measures
        are fine (they are the sums of their children).
    indicator_table : pandas.DataFrame, optional
        The indicator table (``region_code, region_name, year, indicator, value, lower, upper``),
        one confidence level. Default: :func:`mchanalysis.indicators.compute_indicators` of
        ``counts`` at 0.95 (parents filled from their children).
    registry : pandas.DataFrame, optional
        Indicator registry; default the package's.
    consistency_threshold : float
        DQR consistency over time: flag when |value / mean of the three preceding years − 1|
        exceeds it (0.33, the DQR's example threshold).
    outlier_moderate, outlier_extreme : float
        Cut-offs of |modified z| (2.0 and 3.5).
    denominator_change : float
        Flag a denominator changing by more than this fraction from the previous year (0.25).
    deliveries_ratio : (float, float)
        Plausible range of deliveries / live births.
    detrend : bool
        Outliers among the residuals from each year's local trend (True, :func:`local_expected`)
        or among the raw values around their median (False, the DQR's plain rule).
    require_significance : bool
        Report outliers and changes only where the expected value lies outside the year's
        confidence interval (Poisson test for denominators). See the module docstring.
    min_years : int
        Reported years a series needs for the outlier check.
    window : int
        Half-width in years of the neighbourhood of :func:`local_expected`.
    min_relative_deviation : float
        An outlier must also differ from its expected value by at least this fraction of it
        (0.10): a coverage of 89.5% against 90.0% expected is not worth a reviewer's time however
        small the county-to-year scatter. 0 applies the z-score rule alone.
    min_events : float
        Outliers and consistency over time are not assessed for a region's indicator whose median
        yearly numerator is below this (10, PHEindicatormethods' threshold for Byar's
        approximation): 0–3 maternal deaths a year swing by chance, which the funnel plot and the
        confidence intervals show better than any outlier rule.

    Returns
    -------
    pandas.DataFrame
        Findings, columns :data:`FINDING_COLUMNS`: ``region_code, region_name, year`` (Int64; NA
        for table-wide findings), ``item`` (measure or indicator id), ``check`` (:data:`CHECKS`),
        ``severity`` (error / warning / info), ``value``, ``expected`` (float; what the check
        compared, NaN if nothing), ``message_zh``, ``message_en``. Sorted by region_code, year,
        severity, check, item. Empty (with these columns) when nothing is found.

    Raises
    ------
    MchError
        If the counts lack an identity column or a threshold is out of range.
    """
    missing = [c for c in ("region_code", "region_name", "year") if c not in counts.columns]
    if missing:
        raise MchError(f"counts table lacks column(s) {', '.join(missing)}")
    if not 0 < consistency_threshold:
        raise MchError(
            f"consistency_threshold must be a positive fraction (0.33), got {consistency_threshold}"
        )
    if not 0 < outlier_moderate < outlier_extreme:
        raise MchError(
            "outlier thresholds need 0 < outlier_moderate < outlier_extreme "
            f"(got {outlier_moderate}, {outlier_extreme})"
        )
    if not 0 < denominator_change:
        raise MchError(f"denominator_change must be a positive fraction (0.25), got {denominator_change}")
    lo, hi = deliveries_ratio
    if not 0 < lo < hi:
        raise MchError(f"deliveries_ratio must be (low, high) with 0 < low < high, got {deliveries_ratio}")
    reg = _registry_frame(registry)
    counts = counts.copy()
    counts["region_code"] = counts["region_code"].astype(str)
    counts["year"] = pd.to_numeric(counts["year"]).astype(int)
    if "parent_code" not in counts.columns:
        counts["parent_code"] = ""
    counts["parent_code"] = counts["parent_code"].fillna("").astype(str)
    measures = _measures_of(counts)
    parents = set(counts["parent_code"]) - {""}

    out: list[dict] = []
    flagged = _entry_errors(counts, reg, out)
    _completeness(counts, measures, parents, out)
    _pair_checks(counts, measures, reg, deliveries_ratio, out)
    _denominator_change(counts, measures, reg, denominator_change, require_significance, out)
    if parents and "level" in counts.columns:
        _parent_mismatch(counts, out)
    if indicator_table is None:
        # imported here: the indicators bring scipy.special, which validation never needs
        from mchanalysis.indicators import compute_indicators

        indicator_table = compute_indicators(counts, registry=reg, conf_level=0.95)
    _indicator_checks(
        indicator_table,
        reg,
        outlier_moderate=outlier_moderate,
        outlier_extreme=outlier_extreme,
        consistency_threshold=consistency_threshold,
        detrend=detrend,
        significance=require_significance,
        min_years=min_years,
        window=window,
        min_relative_deviation=min_relative_deviation,
        min_events=min_events,
        out=out,
        entry_cells=_entry_indicator_cells(flagged, counts, reg),
    )
    return _frame(out)


def _entry_indicator_cells(flagged: set, counts: pd.DataFrame, registry: pd.DataFrame) -> set:
    """(region, year, indicator) cells computed from a count flagged as an entry error, in the
    region itself and in every region above it (parents are filled from their children)."""
    if not flagged:
        return set()
    parent = dict(zip(counts["region_code"].tolist(), counts["parent_code"].tolist()))
    uses: dict[str, list[str]] = {}
    for r in registry.itertuples(index=False):
        for m in (r.numerator, r.denominator):
            uses.setdefault(m, []).append(r.id)
    cells = set()
    for code, y, m in flagged:
        seen = set()
        while code and code not in seen:
            seen.add(code)
            cells.update((code, y, ind) for ind in uses.get(m, ()))
            code = parent.get(code, "")
    return cells


def _frame(records: list[dict]) -> pd.DataFrame:
    f = pd.DataFrame(records, columns=list(FINDING_COLUMNS))
    f["severity"] = f["check"].map(CHECKS)
    f["category"] = [category_of(c, v) for c, v in zip(f["check"].tolist(), f["severity"].tolist())]
    f["year"] = pd.array(
        [None if y is None or pd.isna(y) else int(y) for y in f["year"].tolist()], dtype="Int64"
    )
    for c in ("value", "expected"):
        f[c] = pd.to_numeric(f[c], errors="coerce").astype(float)
    for c in (
        "region_code",
        "region_name",
        "item",
        "check",
        "severity",
        "category",
        "message_zh",
        "message_en",
    ):
        f[c] = f[c].fillna("").astype(str)
    f["_sev"] = f["severity"].map(_SEVERITY_ORDER)
    f["_y"] = f["year"].fillna(-1).astype(int)
    f = f.sort_values(["region_code", "_y", "_sev", "check", "item"], kind="mergesort")
    return f.drop(columns=["_sev", "_y"]).reset_index(drop=True)[list(FINDING_COLUMNS)]


def summarise_quality(findings: pd.DataFrame) -> pd.DataFrame:
    """Count findings by check and severity.

    Parameters
    ----------
    findings : pandas.DataFrame
        From :func:`review_quality`.

    Returns
    -------
    pandas.DataFrame
        ``check, severity, findings, regions, items`` (number of findings, of distinct regions
        and of distinct items), one row per check of :data:`CHECKS` in that order (checks with
        no finding get 0), so reports show what was checked as well as what was found.
    """
    rows = []
    for check, sev in CHECKS.items():
        f = findings[findings["check"] == check]
        rows.append(
            {
                "check": check,
                "severity": sev,
                "findings": len(f),
                "regions": f.loc[f["region_code"] != "", "region_code"].nunique(),
                "items": f.loc[f["item"] != "", "item"].nunique(),
            }
        )
    return pd.DataFrame(rows, columns=["check", "severity", "findings", "regions", "items"])


#: Columns of :func:`combine_findings`, in order.
COMBINED_COLUMNS = (
    "category",
    "severity",
    "check",
    "region_code",
    "region_name",
    "year",
    "item",
    "file",
    "row",
    "column",
    "value",
    "expected",
    "message_zh",
    "message_en",
)

_CATEGORY_ORDER = {c: i for i, c in enumerate(CATEGORIES)}


def combine_findings(*frames: pd.DataFrame | None) -> pd.DataFrame:
    """All findings of a file in one table, likely entry errors first, each finding once.

    Parameters
    ----------
    *frames : pandas.DataFrame or None
        Findings tables of :func:`mchanalysis.validation.validate_counts` (``file, row,
        column, ..., message_zh, message_en``) and of :func:`review_quality` /
        :func:`entry_errors`, in any number and order; ``None`` and empty frames are skipped.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMBINED_COLUMNS`. ``category`` is taken from the frame or derived by
        :func:`category_of`; ``item`` is the
        measure or indicator id. A finding that two frames both report (same ``check``,
        ``region_code``, ``year`` and ``item``, e.g. ``over_100`` or an entry error found by
        validation and by the quality review) is kept once, from the first frame given (pass the
        validation findings first to keep their row and column); a finding with no region is
        identical only when its message is too. Ordered by category (:data:`CATEGORIES`:
        entry errors, invalid, verify, notice), then severity, region, year, item, check.
    """
    parts = []
    for n, f in enumerate(frames):
        if f is None or len(f) == 0:
            continue
        f = f.copy()
        for c in COMBINED_COLUMNS:
            if c not in f.columns:
                f[c] = np.nan if c in ("value", "expected") else ("" if c != "row" else None)
        if f["category"].isna().any() or (f["category"].astype(str) == "").any():
            f["category"] = [
                c if isinstance(c, str) and c else category_of(k, s)
                for c, k, s in zip(f["category"], f["check"], f["severity"])
            ]
        f["_frame"] = n
        parts.append(f[[*COMBINED_COLUMNS, "_frame"]])
    if not parts:
        return pd.DataFrame(
            {
                c: pd.Series(
                    dtype="Int64" if c == "year" else (float if c in ("value", "expected") else object)
                )
                for c in COMBINED_COLUMNS
            }
        )
    f = pd.concat(parts, ignore_index=True)
    f["year"] = pd.array([None if y is None or pd.isna(y) else int(y) for y in f["year"]], dtype="Int64")
    for c in (
        "category",
        "severity",
        "check",
        "region_code",
        "region_name",
        "item",
        "file",
        "column",
        "message_zh",
        "message_en",
    ):
        f[c] = f[c].astype(object).where(f[c].notna(), "").astype(str)
    f["row"] = pd.Series([None if r is None or pd.isna(r) else int(r) for r in f["row"]], dtype=object)
    names = f.loc[f["region_name"] != "", ["region_code", "region_name"]].drop_duplicates("region_code")
    f["region_name"] = f["region_name"].where(
        f["region_name"] != "", f["region_code"].map(dict(zip(names["region_code"], names["region_name"])))
    )
    f["region_name"] = f["region_name"].fillna("").astype(str)
    f["_msg"] = np.where(f["region_code"] == "", f["message_en"], "")
    f = f.sort_values("_frame", kind="stable")
    f = f.drop_duplicates(["check", "region_code", "year", "item", "_msg"], keep="first")
    f["_c"] = f["category"].map(_CATEGORY_ORDER).fillna(len(CATEGORIES))
    f["_s"] = f["severity"].map(_SEVERITY_ORDER).fillna(3)
    f["_y"] = f["year"].fillna(-1).astype(int)
    f = f.sort_values(["_c", "_s", "region_code", "_y", "item", "check", "_frame"], kind="mergesort")
    return f[list(COMBINED_COLUMNS)].reset_index(drop=True)
