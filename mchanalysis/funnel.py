"""Funnel plots for comparing regions (Spiegelhalter 2005), as PHEindicatormethods draws them,
plus the overdispersion adjustment it lacks.

Control limits are drawn around a target (the parent region's pooled value by default) at 95 %
and 99.8 %:

* proportions: the value whose Wilson score interval just touches the target,
  θ0 ± z·sqrt(θ0(1 − θ0)/n) (PHEindicatormethods' ``calculate_funnel_limits``, "Wilson");
* rates: exact Poisson limits in events O, drawn parametrically as PHE does: the lower limit
  θ0·O/λU(O) at population λU(O)/θ0 and the upper θ0·O/λL(O) at λL(O)/θ0, with λL, λU the
  exact (χ²) limits of O ("Poisson");
* ratios (observed/expected): O/λU(O) and O/λL(O).

Regions are classified as PHE's ``assign_funnel_significance`` does ('above_998', 'above_95',
'within', 'below_95', 'below_998') and, respecting the indicator's direction, 'better' /
'similar' / 'worse' (neutral: 'higher' / 'similar' / 'lower').

Overdispersion (Spiegelhalter 2005, QSHC): z-scores against the target, winsorised, give
φ = mean z²; I·φ is tested against χ²(I − 1). Limits are then inflated multiplicatively
(θ0 ± z·sqrt(φ)·s) or by an additive between-region variance τ² (θ0 ± z·sqrt(s² + τ²)).
PHEindicatormethods has no such option; the estimator is checked against a hand calculation.

Hand-written with numpy/scipy: no Python package implements these funnel limits (FunnelPlotR
and PHEindicatormethods are R).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# scipy.stats is imported in the functions that use it, not here: with statsmodels it costs
# ~0.9 s of start-up, which `mch validate` and `mch --help` never need (issue 12).
from mchanalysis.confidence import check_level, level_tag
from mchanalysis.errors import MchError
from mchanalysis.registry import indicator_meta, load_registry
from mchanalysis.stats import (
    _as_float,
    _z,
    direction_verdict,
    exact_poisson_limits,
    rate_ci,
)

#: Kinds of funnel.
KINDS = ("proportion", "rate", "ratio")

#: PHEindicatormethods' significance labels for our classes at the default levels.
PHE_LABELS = {
    "above_998": "High (0.001)",
    "above_95": "High (0.025)",
    "within": "Not significant",
    "below_95": "Low (0.025)",
    "below_998": "Low (0.001)",
}

DEFAULT_LEVELS = (0.95, 0.998)


def _levels(levels) -> list[float]:
    lv = sorted({check_level(x) for x in np.atleast_1d(levels)})
    if not lv:
        raise MchError("give at least one confidence level")
    return lv


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise MchError(f"funnel kind must be one of {', '.join(KINDS)}, got {kind!r}")


# --------------------------------------------------------------------------------------------
# control limits (PHEindicatormethods)
# --------------------------------------------------------------------------------------------


def proportion_funnel_limits(denominator, *, target, level=0.95, multiplier=100):
    """Funnel control limits of a proportion at given denominators (Wilson-based, as PHE).

    Parameters
    ----------
    denominator : array-like of float
        Denominators n at which to evaluate the limits (the x-axis).
    target : float
        Target (baseline) in the indicator's units, e.g. 80.6 for 80.6 %.
    level : float
        Confidence level, a fraction (0.95: PHE's "2s", 0.998: "3s").
    multiplier : float
        Scale of the indicator (100 for %).

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits in the indicator's units, floored at 0 and capped at ``multiplier`` (PHE caps at
        a hard-coded 100, which is the same for percentages).

    Notes
    -----
    The limit is the observed proportion p whose Wilson interval has the target P = target /
    multiplier as its bound: solving the Wilson quadratic (n + z²)P² − (2np + z²)P + np² = 0
    for p gives p = P ± z·sqrt(P(1 − P)/n), which is PHEindicatormethods' closed form.

    References
    ----------
    Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance. Stat Med
    24:1185-1202. PHEindicatormethods 2.1.0, ``calculate_funnel_limits`` (statistic
    "proportion").
    """
    n = _as_float(denominator)
    p0 = float(target) / multiplier
    if not 0 <= p0 <= 1:
        raise MchError(f"target {target} is outside 0..{multiplier} for a proportion")
    z = _z(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(p0 * (1 - p0) / n)
    lower = np.clip(p0 - half, 0.0, 1.0) * multiplier
    upper = np.clip(p0 + half, 0.0, 1.0) * multiplier
    return lower, upper


def ratio_funnel_limits(observed, *, level=0.95) -> pd.DataFrame:
    """Funnel control limits of an observed/expected ratio at given observed counts (as PHE).

    Parameters
    ----------
    observed : array-like of float
        Observed events O (the x-axis of PHE's ratio funnel).
    level : float
        Confidence level, a fraction.

    Returns
    -------
    pandas.DataFrame
        ``observed``; ``lower_expected`` = λU(O), the expected count at which O is the lower
        limit, and ``lower`` = O/λU(O); ``upper_expected`` = λL(O) and ``upper`` = O/λL(O)
        (∞ at O = 0). Ratios on the 1-scale: PHE's ratio_type "isr" is × 100, "count" is − 1.

    Notes
    -----
    λL(O) = χ²(α/2; 2O)/2, λU(O) = χ²(1 − α/2; 2O + 2)/2 (exact Poisson). PHE finds them by
    bisection (to ~2.5e-7 relative); the closed form is used here.

    References
    ----------
    Spiegelhalter DJ (2005). Stat Med 24:1185-1202. PHEindicatormethods 2.1.0,
    ``calculate_funnel_limits`` (statistic "ratio").
    """
    o = _as_float(observed)
    lam_lo, lam_up = exact_poisson_limits(o, level=level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lower = o / lam_up
        upper = np.where(lam_lo > 0, o / np.where(lam_lo > 0, lam_lo, 1), np.inf)
    return pd.DataFrame(
        {"observed": o, "lower_expected": lam_up, "lower": lower, "upper_expected": lam_lo, "upper": upper}
    )


def rate_funnel_limits(events, *, target, multiplier, level=0.95, years_of_data=1) -> pd.DataFrame:
    """Funnel control limits of a crude rate, parametric in events (as PHE).

    Parameters
    ----------
    events : array-like of float
        Events O at which to evaluate the limits (PHE's x-axis; non-integer O interpolates).
    target : float
        Target rate in the indicator's units (e.g. 15.7 per 100,000).
    multiplier : float
        Scale of the rate (100_000 for MMR).
    level : float
        Confidence level, a fraction.
    years_of_data : float
        Years pooled in the denominators; populations are reported per year (PHE's
        ``*_population_1_year``).

    Returns
    -------
    pandas.DataFrame
        ``events``; ``lower_population`` = λU(O)/θ0/years and ``lower`` = target·O/λU(O);
        ``upper_population`` = λL(O)/θ0/years and ``upper`` = target·O/λL(O) (∞ at O = 0),
        where θ0 = target/multiplier. Plot ``lower`` against ``lower_population`` and
        ``upper`` against ``upper_population``.

    References
    ----------
    Spiegelhalter DJ (2005). Stat Med 24:1185-1202. PHEindicatormethods 2.1.0,
    ``calculate_funnel_limits`` (statistic "rate", rate_type "crude").
    """
    theta0 = float(target) / multiplier
    if not theta0 > 0:
        raise MchError(f"the target rate must be > 0 for a rate funnel, got {target}")
    r = ratio_funnel_limits(events, level=level)
    return pd.DataFrame(
        {
            "events": r["observed"],
            "lower_population": r["lower_expected"] / theta0 / years_of_data,
            "lower": r["lower"] * float(target),
            "upper_population": r["upper_expected"] / theta0 / years_of_data,
            "upper": r["upper"] * float(target),
        }
    )


def funnel_significance(numerator, denominator, *, kind, target, multiplier=1, levels=DEFAULT_LEVELS):
    """Classify points against funnel limits, as PHE's ``assign_funnel_significance``.

    Parameters
    ----------
    numerator, denominator : array-like
        Counts; for ``kind="ratio"`` the denominator is the expected count.
    kind : {'proportion', 'rate', 'ratio'}
    target : float
        Target in the indicator's units (ratios: 1 × multiplier).
    multiplier : float
        Scale of the indicator.
    levels : sequence of float
        Confidence levels (fractions).

    Returns
    -------
    numpy.ndarray of object
        'above_<tag>' / 'below_<tag>' for the widest level the point lies outside
        (tags '95', '998'), 'within', or None where a count is missing.

    Notes
    -----
    Proportions: x/n against :func:`proportion_funnel_limits` at n (strict inequalities).
    Rates and ratios: the point's own interval (:func:`mchanalysis.stats.rate_ci`: exact
    Poisson below 10 events, Byar from 10) against the target: above if its lower limit
    exceeds the target, below if its upper limit is under it. This is PHE's rule (its plotted
    lines are exact for every count, its labels Byar from 10 events).

    References
    ----------
    PHEindicatormethods 2.1.0, ``assign_funnel_significance``.
    """
    _check_kind(kind)
    x = _as_float(numerator)
    n = _as_float(denominator)
    lv = _levels(levels)
    out = np.full(x.shape, "within", dtype=object)
    missing = np.isnan(x) | np.isnan(n) | ~(n > 0)
    decided = missing.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = x / n * multiplier
    for level in reversed(lv):  # widest first
        tag = level_tag(level)
        if kind == "proportion":
            lo, up = proportion_funnel_limits(n, target=target, level=level, multiplier=multiplier)
            above, below = value > up, value < lo
        else:
            ci = rate_ci(x, np.where(missing, 1.0, n), multiplier=multiplier, level=level)
            above = ci["lower"].to_numpy() > target
            below = ci["upper"].to_numpy() < target
        out = np.where(~decided & below, f"below_{tag}", out)
        out = np.where(~decided & above, f"above_{tag}", out)
        decided |= above | below
    out = np.where(missing, None, out).astype(object)
    return out


# --------------------------------------------------------------------------------------------
# overdispersion (Spiegelhalter 2005, QSHC)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overdispersion:
    """Overdispersion of a set of regions around a target (Spiegelhalter 2005).

    Attributes
    ----------
    n : int
        Number of regions I.
    phi : float
        φ̂ = (1/I) Σ z_w², from winsorised z-scores.
    tau2 : float
        τ̂² (additive between-region variance, on the fraction/rate scale, not × multiplier).
    statistic : float
        I·φ̂, approximately χ²(I − 1) without overdispersion.
    p_value : float
        P(χ²(I − 1) > I·φ̂).
    significant : bool
        ``p_value < alpha``: the adjustment is applied only then.
    winsor, alpha : float
        Settings used.
    z, z_winsorised : numpy.ndarray
        Raw and winsorised z-scores, in the input order.
    """

    n: int
    phi: float
    tau2: float
    statistic: float
    p_value: float
    significant: bool
    winsor: float
    alpha: float
    z: np.ndarray = field(repr=False)
    z_winsorised: np.ndarray = field(repr=False)


def _se_at_target(n, theta0, kind):
    var = theta0 * (1 - theta0) if kind == "proportion" else theta0
    with np.errstate(divide="ignore"):
        return np.sqrt(var / n)


def overdispersion(
    numerator, denominator, *, kind, target, multiplier=1, winsor=0.1, alpha=0.05
) -> Overdispersion:
    """Estimate overdispersion of regions around a target from winsorised z-scores.

    Parameters
    ----------
    numerator, denominator : array-like
        Counts of each region (no missing values; at least 3 regions).
    kind : {'proportion', 'rate', 'ratio'}
        Proportion: V(θ) = θ(1 − θ); rate and ratio: V(θ) = θ (Poisson).
    target : float
        Target θ0 in the indicator's units.
    multiplier : float
        Scale of the indicator.
    winsor : float
        Fraction winsorised at each tail (0.1: z below the 10th percentile set to it, above
        the 90th set to it; percentiles by linear interpolation, R's type 7).
    alpha : float
        Level of the χ² test deciding whether to adjust.

    Returns
    -------
    Overdispersion

    Notes
    -----
    With y_i = x_i/n_i, θ0 = target/multiplier and s_i = sqrt(V(θ0)/n_i)::

        z_i  = (y_i − θ0) / s_i
        φ̂    = (1/I) Σ z_w,i²                        (z_w winsorised)
        I·φ̂  ~ χ²(I − 1) under no overdispersion
        τ̂²   = max(0, (I·φ̂ − (I − 1)) / (Σ w_i − Σ w_i² / Σ w_i)),  w_i = 1/s_i²

    (τ̂² is the DerSimonian-Laird moment estimator of the paper.)

    References
    ----------
    Spiegelhalter DJ (2005). Handling over-dispersion of performance indicators. Qual Saf
    Health Care 14:347-351. Spiegelhalter DJ (2005). Stat Med 24:1185-1202, §6.
    DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control Clin Trials
    7:177-188.
    """
    from scipy import stats as _st

    _check_kind(kind)
    x = np.atleast_1d(_as_float(numerator))
    n = np.atleast_1d(_as_float(denominator))
    if np.isnan(x).any() or np.isnan(n).any() or (n <= 0).any():
        raise MchError("overdispersion needs a numerator and a positive denominator for every region")
    if x.size < 3:
        raise MchError(f"overdispersion needs at least 3 regions, got {x.size}")
    if not 0 <= winsor < 0.5:
        raise MchError(f"winsor must be a fraction in [0, 0.5), got {winsor}")
    theta0 = float(target) / multiplier
    if not (0 < theta0 < 1 if kind == "proportion" else theta0 > 0):
        raise MchError(f"target {target} gives no variance for a {kind} funnel")
    s = _se_at_target(n, theta0, kind)
    z = (x / n - theta0) / s
    if winsor > 0:
        lo, hi = np.quantile(z, [winsor, 1 - winsor])
        zw = np.clip(z, lo, hi)
    else:
        zw = z.copy()
    size = z.size
    phi = float(np.mean(zw**2))
    stat = size * phi
    p = float(_st.chi2.sf(stat, size - 1))
    w = 1 / s**2
    tau2 = max(0.0, (stat - (size - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return Overdispersion(
        n=size,
        phi=phi,
        tau2=float(tau2),
        statistic=float(stat),
        p_value=p,
        significant=bool(p < alpha),
        winsor=float(winsor),
        alpha=float(alpha),
        z=z,
        z_winsorised=zw,
    )


def adjusted_funnel_limits(denominator, *, kind, target, multiplier=1, level=0.95, phi=1.0, tau2=0.0):
    """Funnel limits inflated for overdispersion (normal approximation).

    Parameters
    ----------
    denominator : array-like
        Denominators n at which to evaluate.
    kind : {'proportion', 'rate', 'ratio'}
    target : float
        Target in the indicator's units.
    multiplier : float
        Scale of the indicator.
    level : float
        Confidence level, a fraction.
    phi : float
        Multiplicative factor φ (1: none).
    tau2 : float
        Additive between-region variance τ² on the fraction/rate scale (0: none).

    Returns
    -------
    lower, upper : numpy.ndarray
        θ0 ± z·sqrt(φ·s² + τ²) × multiplier, s² = V(θ0)/n; floored at 0 (and capped at
        ``multiplier`` for proportions).

    References
    ----------
    Spiegelhalter DJ (2005). Qual Saf Health Care 14:347-351.
    """
    _check_kind(kind)
    n = _as_float(denominator)
    theta0 = float(target) / multiplier
    z = _z(level)
    s = _se_at_target(n, theta0, kind)
    half = z * np.sqrt(phi * s**2 + tau2)
    hi_cap = 1.0 if kind == "proportion" else np.inf
    return (np.clip(theta0 - half, 0, hi_cap) * multiplier, np.clip(theta0 + half, 0, hi_cap) * multiplier)


# --------------------------------------------------------------------------------------------
# one call for a report: points, limits, classes
# --------------------------------------------------------------------------------------------


#: Adjustment used by ``funnel(adjustment='auto')`` when the dispersion test is significant:
#: Spiegelhalter's multiplicative φ (a handful of sub-regions make the additive τ² unstable).
AUTO_ADJUSTMENT = "multiplicative"
#: Level of the χ² dispersion test that switches ``'auto'`` to adjusted limits.
DISPERSION_ALPHA = 0.05


@dataclass(frozen=True)
class FunnelChoice:
    """Which funnel limits were drawn, and why (both languages).

    Attributes
    ----------
    requested : str
        'auto', 'none', 'multiplicative' or 'additive'.
    applied : str
        'none', 'multiplicative' or 'additive'.
    phi, tau2, p_value : float
        The dispersion estimate and its χ² test (NaN when not estimated).
    alpha : float
        Level of the test.
    zh, en : str
        One sentence for a caption or methods text.
    """

    requested: str
    applied: str
    phi: float = np.nan
    tau2: float = np.nan
    p_value: float = np.nan
    alpha: float = DISPERSION_ALPHA
    zh: str = ""
    en: str = ""

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


def _choice(requested, applied, od, alpha, why_not=("", "")):
    if applied != "none":
        how_zh = "乘法模型" if applied == "multiplicative" else "加法（随机效应）模型"
        zh = (
            f"各地区间存在超出随机波动的离散（离散系数φ={od.phi:.2f}，P={od.p_value:.3g}），"
            f"控制限已按Spiegelhalter{how_zh}校正。"
        )
        en = (
            f"The areas vary more than chance allows (dispersion φ = {od.phi:.2f}, p = {od.p_value:.3g}): "
            f"the limits are adjusted for overdispersion (Spiegelhalter, {applied})."
        )
    elif od is not None:
        zh = f"各地区间离散未超出随机波动（φ={od.phi:.2f}，P={od.p_value:.3g}），控制限未作校正。"
        en = (
            f"No overdispersion detected (φ = {od.phi:.2f}, p = {od.p_value:.3g}): unadjusted "
            f"(exact Poisson/binomial) limits."
        )
    elif requested == "none":
        zh, en = "控制限未作过度离散校正。", "Limits not adjusted for overdispersion (as requested)."
    else:
        zh = f"过度离散无法估计（{why_not[0]}），控制限未作校正。" if why_not[0] else "控制限未作校正。"
        en = (
            f"Overdispersion could not be estimated ({why_not[1]}): unadjusted limits."
            if why_not[1]
            else "Unadjusted limits."
        )
    return FunnelChoice(
        requested=requested,
        applied=applied,
        phi=np.nan if od is None else od.phi,
        tau2=np.nan if od is None else od.tau2,
        p_value=np.nan if od is None else od.p_value,
        alpha=alpha,
        zh=zh,
        en=en,
    )


@dataclass
class FunnelResult:
    """Everything a funnel chart needs.

    Attributes
    ----------
    points : pandas.DataFrame
        One row per region: ``region_code`` (``region_name``), ``numerator, denominator,
        value, z, funnel_class, verdict``.
    limits : pandas.DataFrame
        Long: ``conf_level, bound`` ('lower'/'upper'), ``denominator, limit, target``.
    target : float
        The centre line, in the indicator's units.
    adjustment : str
        'none', 'multiplicative' or 'additive' — what was applied.
    overdispersion : Overdispersion or None
        The estimate, when an adjustment was asked for.
    meta : dict
        The indicator's registry entry.
    choice : FunnelChoice
        The adjustment requested and applied, the test behind it, a sentence saying so.
    """

    points: pd.DataFrame
    limits: pd.DataFrame
    target: float
    adjustment: str
    overdispersion: Overdispersion | None
    meta: dict
    choice: FunnelChoice | None = None


def _grid(n_min, n_max, size):
    lo = max(n_min / 2, 1.0)
    hi = max(n_max * 1.05, lo * 1.01)
    return np.geomspace(lo, hi, size)


def _limits_long(kind, target, multiplier, levels, n_min, n_max, size, phi, tau2, adjusted):
    parts = []
    grid = _grid(n_min, n_max, size)
    for level in levels:
        if adjusted:
            lo, up = adjusted_funnel_limits(
                grid, kind=kind, target=target, multiplier=multiplier, level=level, phi=phi, tau2=tau2
            )
            pieces = [("lower", grid, lo), ("upper", grid, up)]
        elif kind == "proportion":
            lo, up = proportion_funnel_limits(grid, target=target, level=level, multiplier=multiplier)
            pieces = [("lower", grid, lo), ("upper", grid, up)]
        elif target <= 0:
            # no events expected anywhere: the funnel collapses onto 0 (any event lies above)
            zero = np.zeros_like(grid)
            pieces = [("lower", grid, zero), ("upper", grid, zero)]
        else:
            theta0 = target / multiplier
            e_max = theta0 * grid[-1]
            ev = np.geomspace(0.02, e_max + 6 * np.sqrt(e_max) + 20, 4 * size)
            r = rate_funnel_limits(ev, target=target, multiplier=multiplier, level=level)
            pieces = []
            for bound in ("lower", "upper"):
                pop = r[f"{bound}_population"].to_numpy()
                lim = r[bound].to_numpy()
                keep = (pop >= grid[0]) & (pop <= grid[-1]) & np.isfinite(lim)
                pop, lim = pop[keep], lim[keep]
                if bound == "lower" and (pop.size == 0 or pop[0] > grid[0]):
                    # below λU(0)/θ0 the lower limit is 0 (no events can be "too few")
                    start = min(exact_poisson_limits([0.0], level=level)[1][0] / theta0, grid[-1])
                    pop = np.concatenate([[grid[0], max(start, grid[0])], pop])
                    lim = np.concatenate([[0.0, 0.0], lim])
                pieces.append((bound, pop, lim))
        for bound, x, y in pieces:
            parts.append(pd.DataFrame({"conf_level": level, "bound": bound, "denominator": x, "limit": y}))
    out = pd.concat(parts, ignore_index=True)
    out["target"] = target
    return out


def funnel(
    table: pd.DataFrame,
    *,
    target=None,
    levels=DEFAULT_LEVELS,
    adjustment="auto",
    winsor=0.1,
    alpha=DISPERSION_ALPHA,
    registry: pd.DataFrame | None = None,
    n_grid: int = 200,
) -> FunnelResult:
    """Funnel plot data for the regions of one indicator and year (e.g. counties of a city).

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of the indicator table for one indicator and year: ``region_code, indicator,
        year, numerator, denominator`` (``region_name`` kept if present).
    target : float, optional
        Centre line in the indicator's units (e.g. the parent region's value); default the
        pooled value Σnumerator/Σdenominator × multiplier (PHE's baseline).
    levels : sequence of float
        Confidence levels of the limits (fractions).
    adjustment : {'auto', None, 'none', 'multiplicative', 'additive'}
        Overdispersion adjustment (Spiegelhalter 2005 QSHC), applied only when the χ² test of
        :func:`overdispersion` is significant at ``alpha``; otherwise the PHE limits are used
        and ``FunnelResult.adjustment`` says 'none'. 'auto' (default; the package's policy,
        :data:`mchanalysis.analysis.rules.DISPERSION_POLICY`) = :data:`AUTO_ADJUSTMENT` when
        there are at least 3 regions to estimate the dispersion from; None / 'none': never
        adjust. ``FunnelResult.choice`` names what was done and why.
    winsor, alpha : float
        See :func:`overdispersion`.
    registry : pandas.DataFrame, optional
        Indicator registry (kind, multiplier, direction).
    n_grid : int
        Points per limit line.

    Returns
    -------
    FunnelResult

    Notes
    -----
    Unadjusted classes follow :func:`funnel_significance` (PHE). Adjusted classes compare
    z_adj = (y − θ0)/sqrt(φ·s² + τ²) with the normal quantiles of each level. ``verdict``:
    outside the 95 % limits above → 'higher', below → 'lower', else 'similar', then turned
    into 'better' / 'worse' by the indicator's direction (:func:`mchanalysis.stats.
    direction_verdict`). Regions with a missing count or zero denominator are kept with
    ``funnel_class`` None and verdict 'not_compared'.

    References
    ----------
    Spiegelhalter DJ (2005). Stat Med 24:1185-1202; Qual Saf Health Care 14:347-351.
    PHEindicatormethods 2.1.0 (``calculate_funnel_limits``, ``assign_funnel_significance``).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"region_code": ["990102", "990103", "990104"], "indicator": "imr",
    ...                   "year": 2024, "numerator": [20, 60, 22],
    ...                   "denominator": [5000, 6000, 5500]})
    >>> res = funnel(t, adjustment=None)          # PHE's exact limits
    >>> round(res.target, 3)
    6.182
    >>> res.points[["region_code", "value", "funnel_class", "verdict"]]
      region_code  value funnel_class verdict
    0      990102    4.0     below_95  better
    1      990103   10.0    above_998   worse
    2      990104    4.0     below_95  better
    >>> auto = funnel(t)                           # the policy: adjust when overdispersed
    >>> auto.adjustment, round(auto.choice.phi, 2), round(auto.choice.p_value, 4)
    ('multiplicative', 4.95, 0.0006)
    >>> auto.points["funnel_class"].tolist()
    ['within', 'within', 'within']
    """
    for col in ("region_code", "indicator", "numerator", "denominator"):
        if col not in table.columns:
            raise MchError(f"funnel table: missing column {col}")
    inds = table["indicator"].unique()
    if len(inds) != 1:
        raise MchError(f"a funnel shows one indicator; the table has {len(inds)}")
    if "year" in table.columns and table["year"].nunique() > 1:
        raise MchError("a funnel shows one year; filter the table first")
    if adjustment not in (None, "none", "auto", "multiplicative", "additive"):
        raise MchError(f"adjustment must be 'auto', None, 'multiplicative' or 'additive', got {adjustment!r}")
    requested = "none" if adjustment is None else adjustment
    meta = indicator_meta(inds[0], load_registry() if registry is None else registry)
    kind, mult = meta["kind"], float(meta["multiplier"])
    lv = _levels(levels)
    x = table["numerator"].astype("float64").to_numpy()
    n = table["denominator"].astype("float64").to_numpy()
    ok = ~np.isnan(x) & (n > 0)
    if ok.sum() == 0:
        raise MchError(f"no region has data for {inds[0]}")
    if target is None:
        target = float(x[ok].sum() / n[ok].sum() * mult)
    target = float(target)
    value = np.where(ok, x / np.where(ok, n, 1) * mult, np.nan)
    theta0 = target / mult
    s = _se_at_target(np.where(ok, n, 1.0), theta0, kind)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(ok, (value / mult - theta0) / s, np.nan)

    od = None
    applied = "none"
    phi, tau2 = 1.0, 0.0
    why_not = ("", "")
    method = AUTO_ADJUSTMENT if requested == "auto" else requested
    if requested != "none":
        if requested == "auto" and int(ok.sum()) < 3:
            why_not = (f"仅{int(ok.sum())}个地区", f"only {int(ok.sum())} areas")
        else:
            try:
                od = overdispersion(
                    x[ok], n[ok], kind=kind, target=target, multiplier=mult, winsor=winsor, alpha=alpha
                )
            except MchError as exc:
                if requested != "auto":
                    raise
                why_not = ("目标值为0" if target == 0 else str(exc), str(exc))
        if od is not None and od.significant:
            applied = method
            if method == "multiplicative":
                phi = od.phi
            else:
                tau2 = od.tau2
    if applied == "none":
        cls = funnel_significance(x, n, kind=kind, target=target, multiplier=mult, levels=lv)
    else:
        z_adj = (value / mult - theta0) / np.sqrt(phi * s**2 + tau2)
        cls = np.full(len(x), "within", dtype=object)
        decided = ~ok
        for level in reversed(lv):
            q = _z(level)
            tag = level_tag(level)
            cls = np.where(~decided & (z_adj < -q), f"below_{tag}", cls)
            cls = np.where(~decided & (z_adj > q), f"above_{tag}", cls)
            decided |= np.abs(z_adj) > q
        cls = np.where(ok, cls, None).astype(object)
    comp = np.array(
        [
            "higher"
            if c and c.startswith("above")
            else "lower"
            if c and c.startswith("below")
            else "similar"
            if c
            else "not_compared"
            for c in cls
        ],
        dtype=object,
    )
    verdict = direction_verdict(comp, meta["direction"])

    keep = [c for c in ("region_code", "region_name") if c in table.columns]
    points = table[keep].reset_index(drop=True).copy()
    points["numerator"] = table["numerator"].to_numpy()
    points["denominator"] = table["denominator"].to_numpy()
    points["value"] = value
    points["z"] = z
    points["funnel_class"] = cls
    points["verdict"] = verdict
    points = points.sort_values("region_code", kind="stable").reset_index(drop=True)
    limits = _limits_long(
        kind, target, mult, lv, n[ok].min(), n[ok].max(), n_grid, phi, tau2, applied != "none"
    )
    return FunnelResult(
        points=points,
        limits=limits,
        target=target,
        adjustment=applied,
        overdispersion=od,
        meta=meta,
        choice=_choice(requested, applied, od, alpha, why_not),
    )
