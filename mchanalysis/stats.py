"""Array-level statistics: confidence intervals, two-sample comparisons, benchmark verdicts.

Every function here takes arrays of counts (or limits) and knows nothing of the indicator
registry; the registry-aware table functions built on them (:func:`change_table`,
:func:`benchmark_table`) are in :mod:`mchanalysis.compare`.

Intervals follow UKHSA's PHEindicatormethods (2.1.0): Wilson score for proportions; for rates
the exact Poisson interval (Garwood, chi-square form) below 10 events and Byar's approximation
from 10. Comparisons between two years or periods use the exact conditional (binomial) test for
a rate ratio as R's ``poisson.test``, the MOVER interval for a rate difference, and Newcombe's
hybrid score interval for a difference of proportions. Benchmarks follow the Fingertips method
(a region's 95 % / 99.8 % interval against the benchmark value).

Hand-written with numpy/scipy because no maintained Python package reproduces these conventions
vectorised over whole tables: ``statsmodels.stats.proportion`` has Wilson and Newcombe intervals
but leaves 1e-17 residues at the boundaries and works on one method at a time, and
``scipy.stats.binomtest`` (same p-value as R's ``binom.test``) is scalar. The code is checked
against R (``tests/data/r``), PHEindicatormethods' own test data (``tests/data/phe``) and
Newcombe (1998) (``tests/data/published``).

Confidence levels are always fractions (0.95, 0.998); 95 is an error
(:func:`mchanalysis.confidence.check_level`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special as _sp

# scipy.stats is imported in the functions that use it, not here: it costs ~0.5 s of start-up,
# which `mch validate` and `mch --help` never need (the indicators' limits use scipy.special).
from mchanalysis.confidence import check_level
from mchanalysis.errors import MchError

#: Events below which the exact Poisson interval is used instead of Byar's (PHEindicatormethods).
BYAR_MIN_EVENTS = 10

#: Verdicts of :func:`compare_rates`, :func:`compare_proportions` and :func:`mchanalysis.compare.change_table`.
CHANGE_VERDICTS = ("rise", "fall", "no_significant_change", "not_compared")

#: Values of the ``comparison`` column of :func:`compare_interval_with_benchmark` and
#: :func:`mchanalysis.compare.benchmark_table` (direction-free).
COMPARISONS = ("higher", "similar", "lower", "not_compared")

#: Values of the ``verdict`` column of :func:`mchanalysis.compare.benchmark_table` for indicators with a direction.
BENCHMARK_VERDICTS = ("better", "similar", "worse", "not_compared")

# Relative tolerance R's binom.test uses to decide which outcomes are "as extreme" (1 + 1e-7).
_R_REL_ERR = 1 + 1e-7


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _z(level: float) -> float:
    """The standard normal quantile z_{1−α/2}: ``scipy.special.ndtri``, which is what
    ``scipy.stats.norm.ppf`` evaluates (identical to the last bit), without importing
    scipy.stats."""
    return float(_sp.ndtri(1 - (1 - check_level(level)) / 2))


def _index_of(*arrays):
    for a in arrays:
        if isinstance(a, pd.Series):
            return a.index
    return None


def _as_float(a) -> np.ndarray:
    """Any array-like (pandas nullable Int64 with NA included) as a float array, NA -> NaN."""
    if isinstance(a, (pd.Series, pd.Index)) or pd.api.types.is_extension_array_dtype(
        getattr(a, "dtype", None)
    ):
        return pd.Series(a).astype("float64").to_numpy()
    return np.asarray(a, dtype=float)


def _labels(labels, codes):
    """A text column ``labels[codes]`` (``labels[0]`` is None: missing), built fast.

    pandas converts an object array of strings element by element (5 ms per 45,000 rows); the
    same column is built from codes through a pyarrow dictionary array when pandas' default
    text dtype is pyarrow-backed, else as an object array.
    """
    codes = np.asarray(codes)
    default = pd.Series(np.array(["x"], dtype=object)).dtype
    if getattr(default, "storage", None) == "pyarrow":
        import pyarrow as pa

        cats = pa.array(list(labels[1:]), type=pa.large_string())
        idx = pa.array((np.maximum(codes, 1) - 1).astype(np.int32), mask=codes == 0)
        arr = pa.DictionaryArray.from_arrays(idx, cats).cast(pa.large_string())
        return arr.to_pandas(types_mapper=lambda t: default).array
    return np.array(labels, dtype=object)[codes]


def _check_non_negative(arr: np.ndarray, what: str) -> None:
    bad = np.flatnonzero(np.atleast_1d(arr) < 0)
    if bad.size:
        raise MchError(
            f"{what} must be >= 0; found {np.atleast_1d(arr)[bad[0]]:g} at position {bad[0]}"
            f" ({bad.size} negative value(s) in all)"
        )


# --------------------------------------------------------------------------------------------
# 1. intervals
# --------------------------------------------------------------------------------------------


def wilson_limits(x, n, *, level: float = 0.95):
    """Wilson score interval of a proportion, as fractions (0-1).

    Parameters
    ----------
    x, n : array-like of float
        Numerators and denominators (non-integer numerators are allowed, as in PHE's tests).
        ``x`` must not exceed ``n``; :func:`proportion_ci` caps it first.
    level : float
        Confidence level, a fraction (0.95, 0.998).

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits; ``lower`` is exactly 0 where ``x == 0`` and ``upper`` exactly 1 where
        ``x == n``. NaN where ``x`` or ``n`` is missing or ``n`` is 0.

    Notes
    -----
    In PHEindicatormethods' form (algebraically the textbook one)::

        lower, upper = (2x + z² ∓ z·sqrt(z² + 4x(1 − x/n))) / (2(n + z²))

    with z = Φ⁻¹(1 − α/2). No continuity correction.

    References
    ----------
    Wilson EB (1927). Probable inference, the law of succession, and statistical inference.
    JASA 22:209-212. Newcombe RG (1998). Two-sided confidence intervals for the single
    proportion. Stat Med 17:857-872 (method 3). PHEindicatormethods 2.1.0,
    ``wilson_lower``/``wilson_upper``.
    """
    x = _as_float(x)
    n = _as_float(n)
    z = _z(level)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        root = z * np.sqrt(np.clip(z2 + 4 * x * (1 - x / n), 0, None))
        denom = 2 * (n + z2)
        lower = (2 * x + z2 - root) / denom
        upper = (2 * x + z2 + root) / denom
    lower = np.where(x == 0, 0.0, np.clip(lower, 0.0, 1.0))
    upper = np.where(x == n, 1.0, np.clip(upper, 0.0, 1.0))
    bad = ~(n > 0) | np.isnan(x)
    lower = np.where(bad, np.nan, lower)
    upper = np.where(bad, np.nan, upper)
    return lower, upper


def exact_poisson_limits(events, *, level: float = 0.95):
    """Exact (Garwood) Poisson limits of a count, chi-square form.

    Parameters
    ----------
    events : array-like of float
        Observed counts d >= 0.
    level : float
        Confidence level, a fraction.

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits of the expected count; ``lower`` is exactly 0 where d = 0. NaN where d is NaN.

    Notes
    -----
    lower = χ²(α/2; 2d)/2 (0 when d = 0), upper = χ²(1 − α/2; 2d + 2)/2. The quantiles are
    computed once per distinct count, so a table of a million rows costs a few dozen calls.
    χ²(p; 2k)/2 is the gamma quantile G⁻¹(p; k), evaluated as ``scipy.special.gammaincinv(k, p)``:
    ``scipy.stats.chi2.ppf(p, 2k)`` computes ``2·gammaincinv(k, p)``, so the limits are identical
    to the last bit (tested), without importing scipy.stats.

    References
    ----------
    Garwood F (1936). Fiducial limits for the Poisson distribution. Biometrika 28:437-442.
    Breslow NE, Day NE (1987). Statistical methods in cancer research, vol. II. IARC, p. 69.
    """
    d = _as_float(events)
    a = 1 - check_level(level)
    shape = d.shape
    flat = d.ravel()
    ok = ~np.isnan(flat)
    lower = np.full(flat.shape, np.nan)
    upper = np.full(flat.shape, np.nan)
    if ok.any():
        u, inv = np.unique(flat[ok], return_inverse=True)
        pos = u > 0
        lo_u = np.zeros_like(u)
        lo_u[pos] = _sp.gammaincinv(u[pos], a / 2)
        up_u = _sp.gammaincinv(u + 1, 1 - a / 2)
        lower[ok] = lo_u[inv]
        upper[ok] = up_u[inv]
    return lower.reshape(shape), upper.reshape(shape)


def byar_limits(events, *, level: float = 0.95):
    """Byar's approximation to the exact Poisson limits of a count.

    Parameters
    ----------
    events : array-like of float
        Observed counts d >= 0.
    level : float
        Confidence level, a fraction.

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits of the expected count. ``lower`` is NaN where Byar's formula is undefined
        (d = 0) or negative (e.g. d = 1 at 99.8 %), exactly as PHEindicatormethods'
        ``byars_lower`` returns NA. :func:`rate_ci` never meets these cases because it uses
        the exact interval below 10 events.

    Notes
    -----
    lower = d(1 − 1/(9d) − z/(3√d))³, upper = (d+1)(1 − 1/(9(d+1)) + z/(3√(d+1)))³.

    References
    ----------
    Breslow NE, Day NE (1987). Statistical methods in cancer research, vol. II. IARC, p. 69.
    PHEindicatormethods 2.1.0, ``byars_lower``/``byars_upper``.
    """
    d = _as_float(events)
    z = _z(level)
    pos = d > 0
    ds = np.where(pos, d, 1.0)
    base = 1 - 1 / (9 * ds) - z / (3 * np.sqrt(ds))
    lower = np.where(pos & (base >= 0), ds * base**3, np.nan)
    with np.errstate(invalid="ignore"):
        upper = (d + 1) * (1 - 1 / (9 * (d + 1)) + z / (3 * np.sqrt(d + 1))) ** 3
    return lower, upper


def rate_ci(events, denominator, *, multiplier=100_000, level: float = 0.95):
    """Confidence interval of a rate, the way PHEindicatormethods' ``phe_rate`` computes it.

    Exact Poisson limits (Garwood) when fewer than 10 events, Byar's approximation from 10.

    Parameters
    ----------
    events, denominator : array-like
        Event counts and their denominators (e.g. maternal deaths, live births); pandas
        nullable integers with NA are accepted (NA gives NaN).
    multiplier : float or array-like
        Scale of the result (100_000 for a rate per 100,000); may vary by row.
    level : float
        Confidence level, a fraction (0.95, 0.998).

    Returns
    -------
    pandas.DataFrame
        Columns ``value``, ``lower``, ``upper``, ``ci_method`` ("exact" or "byar"; None where
        the value is missing); indexed like the input when it is a Series. Rows with a missing
        or zero denominator give NaN. Events above the denominator are allowed (as in PHE).

    Raises
    ------
    MchError
        Negative events or denominators; a level that is not a fraction.

    Notes
    -----
    value = d/n × multiplier. Exact (d < 10): lower = χ²(α/2; 2d)/2, upper = χ²(1−α/2; 2d+2)/2.
    Byar (d >= 10): lower = d(1 − 1/(9d) − z/(3√d))³,
    upper = (d+1)(1 − 1/(9(d+1)) + z/(3√(d+1)))³. Limits are divided by n and × multiplier.

    References
    ----------
    Breslow NE, Day NE (1987). Statistical methods in cancer research, vol. II. IARC.
    PHEindicatormethods 2.1.0, ``phe_rate``.

    Examples
    --------
    >>> rate_ci([0, 3, 12], [5000, 15000, 50000], multiplier=100_000).round(2)
       value  lower  upper ci_method
    0    0.0   0.00  73.78     exact
    1   20.0   4.12  58.45     exact
    2   24.0  12.39  41.93      byar
    """
    idx = _index_of(events, denominator)
    d = _as_float(events)
    n = _as_float(denominator)
    check_level(level)
    _check_non_negative(d, "events")
    _check_non_negative(n, "denominators")
    d, n = np.broadcast_arrays(d, n)
    d = np.atleast_1d(d)
    n = np.atleast_1d(n)
    use_exact = d < BYAR_MIN_EVENTS
    lo = np.full(d.shape, np.nan)
    up = np.full(d.shape, np.nan)
    if use_exact.any():
        lo[use_exact], up[use_exact] = exact_poisson_limits(d[use_exact], level=level)
    big = d >= BYAR_MIN_EVENTS
    if big.any():
        lo[big], up[big] = byar_limits(d[big], level=level)
    ok = n > 0
    scale = np.where(ok, np.asarray(multiplier, dtype=float) / np.where(ok, n, 1), np.nan)
    missing = np.isnan(d) | ~ok
    method = _labels((None, "exact", "byar"), np.where(missing, 0, np.where(use_exact, 1, 2)))
    return pd.DataFrame(
        {"value": d * scale, "lower": lo * scale, "upper": up * scale, "ci_method": method},
        index=idx,
    )


def proportion_ci(numerator, denominator, *, multiplier=100, level: float = 0.95):
    """Wilson score interval of a proportion, as PHEindicatormethods' ``phe_proportion``.

    A numerator above its denominator (service counts that include non-resident women) keeps its
    value as computed; its interval is computed on ``min(numerator, denominator)`` (docs/design.md).

    Parameters
    ----------
    numerator, denominator : array-like
        Counts; pandas nullable integers with NA are accepted (NA gives NaN).
    multiplier : float or array-like
        100 for a percentage, 10_000 for a rate per 10,000; may vary by row.
    level : float
        Confidence level, a fraction.

    Returns
    -------
    pandas.DataFrame
        Columns ``value``, ``lower``, ``upper``, ``ci_method`` ("wilson"; None where missing).

    Raises
    ------
    MchError
        Negative numerators or denominators; a level that is not a fraction.

    Notes
    -----
    value = x/n × multiplier; limits from :func:`wilson_limits` on min(x, n), × multiplier.

    References
    ----------
    Wilson EB (1927). JASA 22:209-212. PHEindicatormethods 2.1.0, ``phe_proportion``.

    Examples
    --------
    >>> proportion_ci([0, 10], [10, 20]).round(2)
       value  lower  upper ci_method
    0    0.0   0.00  27.75    wilson
    1   50.0  29.93  70.07    wilson
    """
    idx = _index_of(numerator, denominator)
    x = _as_float(numerator)
    n = _as_float(denominator)
    check_level(level)
    _check_non_negative(x, "numerators")
    _check_non_negative(n, "denominators")
    x, n = np.broadcast_arrays(x, n)
    x = np.atleast_1d(x)
    n = np.atleast_1d(n)
    mult = np.asarray(multiplier, dtype=float)
    lo, up = wilson_limits(np.minimum(x, n), n, level=level)
    ok = n > 0
    value = np.where(ok, x / np.where(ok, n, 1), np.nan) * mult
    method = _labels((None, "wilson"), np.where(np.isnan(x) | ~ok, 0, 1))
    return pd.DataFrame(
        {"value": value, "lower": lo * mult, "upper": up * mult, "ci_method": method},
        index=idx,
    )


# --------------------------------------------------------------------------------------------
# 2. change for one region
# --------------------------------------------------------------------------------------------


def _binom_two_sided_p(x, n, p):
    """Two-sided exact binomial p-value exactly as R's ``binom.test`` (and scipy's binomtest).

    Vectorised: the count of outcomes in the opposite tail whose probability does not exceed
    ``dbinom(x) * (1 + 1e-7)`` is found by bisection (the pmf is monotone on each side of the
    mode), so no Python loop over rows. NaN where n is 0 or missing.
    """
    from scipy import stats as _st

    x, n, p = np.broadcast_arrays(_as_float(x), _as_float(n), _as_float(p))
    x, n, p = (np.atleast_1d(a).astype(float) for a in (x, n, p))
    out = np.full(x.shape, np.nan)
    ok = (n > 0) & ~np.isnan(x) & ~np.isnan(p)
    if not ok.any():
        return out
    x, n, p = x[ok], n[ok], p[ok]
    m = n * p
    d = _st.binom.pmf(x, n, p) * _R_REL_ERR
    res = np.ones(x.shape)
    below = x < m
    above = x > m
    # x below the mean: first k >= ceil(m) with pmf(k) <= d; p = P(X <= x) + P(X >= k).
    if below.any():
        lo = np.ceil(m[below])
        hi = n[below] + 1  # "none found" sentinel
        nb, pb, db = n[below], p[below], d[below]
        for _ in range(64):
            active = lo < hi
            if not active.any():
                break
            mid = np.floor((lo + hi) / 2)
            ok_mid = _st.binom.pmf(mid, nb, pb) <= db
            hi = np.where(active & ok_mid, mid, hi)
            lo = np.where(active & ~ok_mid, mid + 1, lo)
        res[below] = _st.binom.cdf(x[below], nb, pb) + _st.binom.sf(lo - 1, nb, pb)
    # x above the mean: last k <= floor(m) with pmf(k) <= d; p = P(X <= k) + P(X >= x).
    if above.any():
        lo = np.full(above.sum(), -1.0)  # "none found" sentinel
        hi = np.floor(m[above])
        na, pa, da = n[above], p[above], d[above]
        for _ in range(64):
            active = lo < hi
            if not active.any():
                break
            mid = np.ceil((lo + hi) / 2)
            ok_mid = _st.binom.pmf(mid, na, pa) <= da
            lo = np.where(active & ok_mid, mid, lo)
            hi = np.where(active & ~ok_mid, mid - 1, hi)
        res[above] = _st.binom.cdf(lo, na, pa) + _st.binom.sf(x[above] - 1, na, pa)
    out[ok] = np.minimum(res, 1.0)
    return out


def _binom_central_p(x, n, p):
    """Two-sided *central* exact binomial p-value: min(1, 2·min(P(X ≤ x), P(X ≥ x))).

    The test dual to the Clopper–Pearson interval: the interval at level 1 − α excludes p
    exactly when this p-value is below α (R: ``exactci::binom.exact(tsmethod = "central")``;
    Fay 2010, R Journal 2(1):53-58). NaN where n is 0 or missing.
    """
    from scipy import stats as _st

    x, n, p = np.broadcast_arrays(_as_float(x), _as_float(n), _as_float(p))
    x, n, p = (np.atleast_1d(a).astype(float) for a in (x, n, p))
    out = np.full(x.shape, np.nan)
    ok = (n > 0) & ~np.isnan(x) & ~np.isnan(p)
    lower = _st.binom.cdf(x[ok], n[ok], p[ok])
    upper = _st.binom.sf(x[ok] - 1, n[ok], p[ok])
    out[ok] = np.minimum(1.0, 2 * np.minimum(lower, upper))
    return out


def _newcombe_limits(x1, n1, x2, n2, z):
    """Newcombe (method 10) limits of p2 − p1 for an array of normal quantiles ``z``."""

    def wilson(x, n):
        z2 = z * z
        with np.errstate(divide="ignore", invalid="ignore"):
            root = z * np.sqrt(np.clip(z2 + 4 * x * (1 - x / n), 0, None))
            lo = (2 * x + z2 - root) / (2 * (n + z2))
            hi = (2 * x + z2 + root) / (2 * (n + z2))
        return np.where(x == 0, 0.0, np.clip(lo, 0, 1)), np.where(x == n, 1.0, np.clip(hi, 0, 1))

    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    d = p2 - p1
    return d - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), d + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)


def _newcombe_p(x1, n1, x2, n2):
    """The p-value dual to Newcombe's interval: the α at which the interval just reaches 0.

    p = sup{α : the Newcombe interval at level 1 − α excludes 0}, found by bisection on
    log α (60 steps, 1e-300 ≤ α ≤ 1); 1 when the difference is 0. The interval at level 1 − α
    excludes 0 exactly when p < α (the limits move monotonically with z).
    """
    x1, n1, x2, n2 = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (x1, n1, x2, n2))
    out = np.full(x1.shape, np.nan)
    ok = (n1 > 0) & (n2 > 0) & ~np.isnan(x1) & ~np.isnan(x2)
    if not ok.any():
        return out
    a1, m1, a2, m2 = x1[ok], n1[ok], x2[ok], n2[ok]
    d = a2 / m2 - a1 / m1
    lo, hi = np.full(d.shape, np.log(1e-300)), np.zeros(d.shape)  # log α bracket
    for _ in range(60):
        mid = (lo + hi) / 2
        # z = Φ⁻¹(1 − α/2): scipy.stats.norm.isf(q) evaluates −ndtri(q); called directly, the
        # same bits without the distribution wrapper's argument checks (half of a report's
        # comparisons time); 0.0 − keeps +0.0 where the wrapper gives it
        z = 0.0 - _sp.ndtri(np.exp(mid) / 2)
        L, U = _newcombe_limits(a1, m1, a2, m2, z)
        excludes = (L > 0) | (U < 0)
        # excludes at this α: the dual p is at most α
        hi = np.where(excludes, mid, hi)
        lo = np.where(excludes, lo, mid)
    p = np.exp(hi)
    p = np.where(d == 0, 1.0, p)
    out[ok] = np.minimum(p, 1.0)
    return out


def _verdict(lower, upper, null):
    """'rise' if the interval lies above ``null``, 'fall' if below, else no change."""
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    v = np.where(lower > null, "rise", np.where(upper < null, "fall", "no_significant_change"))
    return v.astype(object)


def compare_rates(d1, n1, d2, n2, *, multiplier=100_000, level: float = 0.95) -> pd.DataFrame:
    """Change of a rate from a first year or period (1) to a second (2).

    Rate ratio (2 over 1) with the exact conditional interval and p-value of R's
    ``poisson.test`` and, alongside, the Wald interval on the log scale; rate difference (2
    minus 1) with the MOVER interval; a plain verdict.

    Parameters
    ----------
    d1, n1 : array-like
        Events and denominator (e.g. live births) of the first year or pooled period.
    d2, n2 : array-like
        The same for the second.
    multiplier : float or array-like
        Scale of the rates and their difference (100_000 for MMR, 1000 for IMR).
    level : float
        Confidence level, a fraction.

    Returns
    -------
    pandas.DataFrame
        ``value_a, value_b`` (rates × multiplier), ``ratio, ratio_lower, ratio_upper``
        (exact conditional), ``p_value`` (exact conditional, two-sided *central*: the test dual
        to that interval), ``p_value_minlike`` (R's ``poisson.test`` two-sided rule),
        ``log_ratio_se, ratio_wald_lower, ratio_wald_upper, p_value_wald``,
        ``difference, difference_lower, difference_upper`` (× multiplier), ``verdict``,
        ``method``. Indexed like the input when it is a Series.

    Notes
    -----
    Exact conditional (Clopper-Pearson on the split of events): given D = d1 + d2, d2 ~
    Binomial(D, π) with π = RR·n2 / (RR·n2 + n1). With πL = Beta⁻¹(α/2; d2, D − d2 + 1) and
    πU = Beta⁻¹(1 − α/2; d2 + 1, D − d2), RR limits = π/(1 − π) · n1/n2 (upper = ∞ when
    d1 = 0). **One rule links p-value and interval**: ``p_value`` is the central two-sided
    p = min(1, 2·min(P(X ≤ d2), P(X ≥ d2))) under π0 = n2/(n1 + n2), the test whose
    acceptance region is the Clopper–Pearson interval, so p < α exactly when the interval
    excludes 1 and a table never prints p < 0.05 beside an interval covering 1 (R:
    ``exactci::poisson.exact(..., tsmethod = "central")``, Fay 2010). R's ``poisson.test``
    p-value (sum of the probabilities of outcomes no more likely than the observed one, which
    can fall below α while the central interval covers 1) is kept as ``p_value_minlike``.

    Wald: log RR ± z·sqrt(1/d1 + 1/d2), p = 2Φ(−|log RR|/SE); NaN when a count is 0.

    Difference (MOVER, Zou & Donner 2008; Li, Tang & Wong 2011) with the single-rate limits
    (l, u) of :func:`rate_ci` (exact < 10 events, Byar from 10)::

        L = (r2 − r1) − sqrt((r2 − l2)² + (u1 − r1)²)
        U = (r2 − r1) + sqrt((u2 − r2)² + (r1 − l1)²)

    Verdict from the exact rate-ratio interval: 'rise' if its lower limit > 1, 'fall' if its
    upper limit < 1, else 'no_significant_change'; 'not_compared' when an input is missing or a
    denominator is 0. With no events in either period the ratio is undefined (NaN) and the
    verdict is 'no_significant_change' (p = 1).

    References
    ----------
    Breslow NE, Day NE (1987). Statistical methods in cancer research, vol. II, §2.2. IARC.
    R Core Team, ``stats::poisson.test`` (two-sample case) and ``binom.test``.
    Zou GY, Donner A (2008). Construction of confidence limits about effect measures: a general
    approach. Stat Med 27:1693-1702. Li HQ, Tang ML, Wong WK (2011). Confidence intervals for
    ratio of two Poisson rates using the method of variance estimates recovery. Comput Stat
    29:869-889.

    Examples
    --------
    >>> r = compare_rates(8, 29400, 5, 26700, multiplier=100_000)
    >>> r[["ratio", "ratio_lower", "ratio_upper", "p_value", "verdict"]].round(3)
       ratio  ratio_lower  ratio_upper  p_value                verdict
    0  0.688        0.177        2.386    0.707  no_significant_change
    """
    from scipy import stats as _st

    idx = _index_of(d1, n1, d2, n2)
    arrs = [np.atleast_1d(_as_float(a)) for a in (d1, n1, d2, n2)]
    for a, what in zip(
        arrs, ("events (first)", "denominators (first)", "events (second)", "denominators (second)")
    ):
        _check_non_negative(a, what)
    d1, n1, d2, n2 = np.broadcast_arrays(*arrs)
    level = check_level(level)
    alpha = 1 - level
    z = _z(level)
    mult = np.asarray(multiplier, dtype=float)

    ci1 = rate_ci(d1, n1, multiplier=1.0, level=level)
    ci2 = rate_ci(d2, n2, multiplier=1.0, level=level)
    r1, l1, u1 = (ci1[c].to_numpy(float) for c in ("value", "lower", "upper"))
    r2, l2, u2 = (ci2[c].to_numpy(float) for c in ("value", "lower", "upper"))
    usable = ~np.isnan(r1) & ~np.isnan(r2)

    total = d1 + d2
    has = usable & (total > 0)
    tot_s = np.where(has, total, 1.0)
    d2s = np.where(has, d2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pi_lo = np.where(d2s > 0, _st.beta.ppf(alpha / 2, np.maximum(d2s, 1e-300), tot_s - d2s + 1), 0.0)
        pi_hi = np.where(
            d2s < tot_s, _st.beta.ppf(1 - alpha / 2, d2s + 1, np.maximum(tot_s - d2s, 1e-300)), 1.0
        )
        k = np.where(has, n1 / np.where(has, n2, 1), np.nan)
        odds_lo = pi_lo / (1 - pi_lo)
        odds_hi = np.where(pi_hi < 1, pi_hi / np.where(pi_hi < 1, 1 - pi_hi, 1), np.inf)
        rr_lo = np.where(has, odds_lo * k, np.nan)
        rr_hi = np.where(has, odds_hi * k, np.nan)
        ratio = np.where(has & (r1 > 0), r2 / np.where(r1 > 0, r1, 1), np.where(has, np.inf, np.nan))
        p0 = np.where(has, n2 / (n1 + n2), np.nan)
    p_minlike = _binom_two_sided_p(np.where(has, d2, np.nan), np.where(has, total, 0.0), p0)
    p_minlike = np.where(usable & ~has, 1.0, p_minlike)
    p_exact = _binom_central_p(np.where(has, d2, np.nan), np.where(has, total, 0.0), p0)
    p_exact = np.where(usable & ~has, 1.0, p_exact)

    wald_ok = usable & (d1 > 0) & (d2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(wald_ok, np.sqrt(1 / np.where(wald_ok, d1, 1) + 1 / np.where(wald_ok, d2, 1)), np.nan)
        logrr = np.where(wald_ok, np.log(np.where(wald_ok, ratio, 1.0)), np.nan)
    wl = np.exp(logrr - z * se)
    wu = np.exp(logrr + z * se)
    p_wald = 2 * _st.norm.sf(np.abs(logrr / se)) if wald_ok.any() else np.full(d1.shape, np.nan)
    p_wald = np.where(wald_ok, p_wald, np.nan)

    diff = r2 - r1
    dl = diff - np.sqrt((r2 - l2) ** 2 + (u1 - r1) ** 2)
    du = diff + np.sqrt((u2 - r2) ** 2 + (r1 - l1) ** 2)

    verdict = _verdict(rr_lo, rr_hi, 1.0)
    verdict = np.where(usable & ~has, "no_significant_change", verdict)
    verdict = np.where(usable, verdict, "not_compared").astype(object)
    method = np.where(
        usable,
        "rate ratio: exact conditional (poisson.test); difference: MOVER (exact/Byar limits)",
        None,
    ).astype(object)
    return pd.DataFrame(
        {
            "value_a": r1 * mult,
            "value_b": r2 * mult,
            "ratio": ratio,
            "ratio_lower": rr_lo,
            "ratio_upper": rr_hi,
            "p_value": p_exact,
            "p_value_minlike": p_minlike,
            "log_ratio_se": se,
            "ratio_wald_lower": wl,
            "ratio_wald_upper": wu,
            "p_value_wald": p_wald,
            "difference": diff * mult,
            "difference_lower": dl * mult,
            "difference_upper": du * mult,
            "verdict": verdict,
            "method": method,
        },
        index=idx,
    )


def compare_proportions(x1, n1, x2, n2, *, multiplier=100, level: float = 0.95) -> pd.DataFrame:
    """Change of a proportion from a first year or period (1) to a second (2).

    Difference (2 minus 1, in percentage points when ``multiplier`` = 100) with Newcombe's
    hybrid score interval (method 10), a two-proportion z test and a plain verdict.

    Parameters
    ----------
    x1, n1 : array-like
        Numerator and denominator of the first year or pooled period.
    x2, n2 : array-like
        The same for the second.
    multiplier : float or array-like
        Scale of the proportions and of their difference.
    level : float
        Confidence level, a fraction.

    Returns
    -------
    pandas.DataFrame
        ``value_a, value_b, difference, difference_lower, difference_upper`` (× multiplier),
        ``p_value`` (dual to the interval), ``p_value_z``, ``verdict``, ``method``. Indexed like the input when it is a Series.

    Notes
    -----
    With Wilson limits (l_i, u_i) of p_i = x_i/n_i (:func:`wilson_limits`)::

        L = (p2 − p1) − sqrt((p2 − l2)² + (u1 − p1)²)
        U = (p2 − p1) + sqrt((u2 − p2)² + (p1 − l1)²)

    ``p_value`` is the p-value dual to the Newcombe interval: the α at which the interval at
    level 1 − α just reaches 0 (bisection, :func:`_newcombe_p`), so p < α exactly when the
    interval excludes 0 (one rule for p-value and interval). ``p_value_z`` keeps the pooled
    two-proportion z test, z = (p2 − p1)/sqrt(p̄(1 − p̄)(1/n1 + 1/n2)), p̄ = (x1 + x2)/(n1 + n2)
    (p = 1 when p̄ is 0 or 1), which in borderline cases disagrees with the interval. The
    verdict comes from the Newcombe interval (lower > 0: 'rise', upper < 0: 'fall', else
    'no_significant_change'; 'not_compared' when an input is missing or a denominator is 0).

    A numerator above its denominator (coverage counted on live births that includes
    non-resident women) is capped at the denominator for the comparison, as for the interval
    of a single proportion (docs/design.md).

    References
    ----------
    Newcombe RG (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Stat Med 17:873-890 (method 10).
    Altman DG, Machin D, Bryant TN, Gardner MJ (2000). Statistics with Confidence, 2nd ed.,
    BMJ Books, pp 49-51.

    Examples
    --------
    >>> r = compare_proportions(48, 80, 56, 70, multiplier=1)
    >>> r[["difference", "difference_lower", "difference_upper", "verdict"]].round(4)
       difference  difference_lower  difference_upper verdict
    0         0.2            0.0524            0.3339    rise
    """
    from scipy import stats as _st

    idx = _index_of(x1, n1, x2, n2)
    arrs = [np.atleast_1d(_as_float(a)) for a in (x1, n1, x2, n2)]
    for a, what in zip(
        arrs, ("numerators (first)", "denominators (first)", "numerators (second)", "denominators (second)")
    ):
        _check_non_negative(a, what)
    x1, n1, x2, n2 = np.broadcast_arrays(*arrs)
    x1 = np.minimum(x1, n1)
    x2 = np.minimum(x2, n2)
    level = check_level(level)
    mult = np.asarray(multiplier, dtype=float)
    usable = (n1 > 0) & (n2 > 0) & ~np.isnan(x1) & ~np.isnan(x2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(usable, x1 / n1, np.nan)
        p2 = np.where(usable, x2 / n2, np.nan)
    l1, u1 = wilson_limits(x1, n1, level=level)
    l2, u2 = wilson_limits(x2, n2, level=level)
    diff = p2 - p1
    lo = diff - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    hi = diff + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pbar = (x1 + x2) / (n1 + n2)
        var = pbar * (1 - pbar) * (1 / n1 + 1 / n2)
        zstat = np.where(var > 0, diff / np.sqrt(np.where(var > 0, var, 1)), 0.0)
    pval_z = np.where(usable, 2 * _st.norm.sf(np.abs(zstat)), np.nan)
    pval = np.where(usable, _newcombe_p(x1, n1, x2, n2), np.nan)
    verdict = np.where(usable, _verdict(lo, hi, 0.0), "not_compared").astype(object)
    method = np.where(usable, "Newcombe hybrid score (method 10) with its dual p-value", None)
    return pd.DataFrame(
        {
            "value_a": p1 * mult,
            "value_b": p2 * mult,
            "difference": diff * mult,
            "difference_lower": lo * mult,
            "difference_upper": hi * mult,
            "p_value": pval,
            "p_value_z": pval_z,
            "verdict": verdict,
            "method": method.astype(object),
        },
        index=idx,
    )


# --------------------------------------------------------------------------------------------
# 3. benchmark comparison (Fingertips)
# --------------------------------------------------------------------------------------------


def compare_interval_with_benchmark(lower, upper, benchmark, direction="neutral"):
    """Fingertips comparison of intervals with benchmark values.

    Parameters
    ----------
    lower, upper : array-like of float
        The region's confidence limits.
    benchmark : array-like of float
        The benchmark values (same units).
    direction : str or array-like of str
        'lower_is_better', 'higher_is_better' or 'neutral' per row.

    Returns
    -------
    comparison, verdict : numpy.ndarray of object
        ``comparison``: 'higher' (lower limit above the benchmark), 'lower' (upper limit below),
        'similar' (the interval contains it), 'not_compared' (a missing value). ``verdict``:
        'better' / 'similar' / 'worse' / 'not_compared' for indicators with a direction; for
        neutral ones it repeats ``comparison``.

    References
    ----------
    Public Health England (2018). Fingertips technical guide: comparing with a benchmark.
    PHE Technical Guide, Confidence intervals (2018), "Comparing an indicator value with a
    benchmark".
    """
    lower = _as_float(lower)
    upper = _as_float(upper)
    bench = _as_float(benchmark)
    lower, upper, bench = np.broadcast_arrays(lower, upper, bench)
    missing = np.isnan(lower) | np.isnan(upper) | np.isnan(bench)
    comp = np.where(lower > bench, "higher", np.where(upper < bench, "lower", "similar"))
    comp = np.where(missing, "not_compared", comp).astype(object)
    return comp, direction_verdict(comp, direction)


def direction_verdict(comparison, direction):
    """Turn 'higher' / 'similar' / 'lower' into 'better' / 'similar' / 'worse' by direction.

    Parameters
    ----------
    comparison : array-like of str
        'higher', 'similar', 'lower' or 'not_compared'.
    direction : str or array-like of str
        The registry's direction: 'lower_is_better', 'higher_is_better' or 'neutral' (neutral
        indicators keep 'higher' / 'lower').

    Returns
    -------
    numpy.ndarray of object
    """
    comp = np.asarray(comparison, dtype=object)
    direction = np.broadcast_to(np.asarray(direction, dtype=object), comp.shape)
    bad = sorted(set(direction.ravel()) - {"lower_is_better", "higher_is_better", "neutral"})
    if bad:
        raise MchError(f"unknown direction(s): {', '.join(map(str, bad))}")
    better_when = np.where(direction == "lower_is_better", "lower", "higher")
    worse_when = np.where(direction == "lower_is_better", "higher", "lower")
    verdict = np.where(comp == better_when, "better", np.where(comp == worse_when, "worse", comp))
    return np.where(direction == "neutral", comp, verdict).astype(object)


# --------------------------------------------------------------------------------------------
# 4. multiplicity
# --------------------------------------------------------------------------------------------

#: Multiplicity adjustment of the package's policy (see :func:`adjust_p_values`).
MULTIPLICITY_METHOD = "holm"
#: Family-wise level at which an adjusted p-value counts as significant.
FAMILY_ALPHA = 0.05


def holm_adjust(p) -> np.ndarray:
    """Holm's step-down adjusted p-values of one family (NaN entries are not counted).

    Notes
    -----
    With the m non-missing p-values sorted p_(1) ≤ … ≤ p_(m):
    p̃_(i) = min(1, max_{j ≤ i} (m − j + 1) p_(j)); rejecting p̃ < α controls the
    family-wise error rate at α under any dependence. Identical to R's
    ``p.adjust(p, "holm")`` (NA entries are left out of m there too with ``na.rm``-free input
    filtered first).

    References
    ----------
    Holm S (1979). A simple sequentially rejective multiple test procedure. Scand J Stat
    6:65-70.

    Examples
    --------
    >>> holm_adjust([0.01, 0.04, 0.03, 0.005]).round(3).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    p = np.asarray(p, dtype=float).ravel()
    if np.any((p < 0) | (p > 1)):
        raise MchError("p-values must lie between 0 and 1")
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * q[order]))
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out


def adjust_p_values(
    table: pd.DataFrame,
    *,
    family,
    p_column: str = "p_value",
    method: str = MULTIPLICITY_METHOD,
    alpha: float = FAMILY_ALPHA,
) -> pd.DataFrame:
    """The package's multiplicity policy: adjust p-values within each family of statements.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with a p-value column.
    family : str or list of str
        Columns whose values define one family (e.g. ``['region_code', 'section']``: every
        test a report makes about one region in one section). An empty list: one family.
    p_column : str
        The p-value column.
    method : {'holm', 'none'}
        'holm' (default): Holm's step-down procedure within each family (:func:`holm_adjust`);
        'none': the p-value unchanged (for a single pre-specified comparison).
    alpha : float
        Family-wise level.

    Returns
    -------
    pandas.DataFrame
        A copy with ``p_adjusted``, ``significant_adjusted`` (p_adjusted < alpha; False for a
        missing p), ``family_size`` (number of p-values in the family) and
        ``multiplicity_method``.

    Notes
    -----
    Policy (issue 11): a report makes about twenty tests per region; a statement that a value
    rose, fell or differs is made in the text (and in the 存在问题 list) only when it holds
    after Holm's adjustment within its section's family, which controls the chance of any false
    statement in that section at ``alpha``. Intervals stay unadjusted (they describe each
    estimate); the adjusted p-value says whether to *state* the change.

    References
    ----------
    Holm S (1979). Scand J Stat 6:65-70. R Core Team, ``stats::p.adjust``.
    """
    if method not in ("holm", "none"):
        raise MchError(f"method must be 'holm' or 'none', got {method!r}")
    if p_column not in table.columns:
        raise MchError(f"column {p_column!r} not in the table", column=p_column)
    fam = [family] if isinstance(family, str) else list(family)
    for c in fam:
        if c not in table.columns:
            raise MchError(f"family column {c!r} not in the table", column=c)
    out = table.copy()
    p = pd.to_numeric(out[p_column], errors="coerce").to_numpy(float)
    adj = np.full(len(out), np.nan)
    size = np.zeros(len(out), dtype=int)
    groups = (
        list(out.groupby(fam, sort=False, dropna=False).indices.values()) if fam else [np.arange(len(out))]
    )
    for pos in groups:
        vals = p[pos]
        adj[pos] = holm_adjust(vals) if method == "holm" else vals
        size[pos] = int((~np.isnan(vals)).sum())
    out["p_adjusted"] = adj
    out["significant_adjusted"] = np.where(np.isnan(adj), False, adj < alpha)
    out["family_size"] = size
    out["multiplicity_method"] = method
    return out
