"""Confidence intervals and comparisons of indicators, as UKHSA's PHEindicatormethods computes them.

Written with numpy/scipy rather than a library because no maintained Python package reproduces
PHEindicatormethods' conventions (Wilson for proportions; exact Poisson below 10 events and Byar
from 10 for rates) vectorised over whole tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

#: Events below which the exact Poisson interval is used instead of Byar's (PHEindicatormethods).
BYAR_MIN_EVENTS = 10


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be a fraction between 0 and 1, got {level!r}")
    return float(_st.norm.ppf(1 - (1 - level) / 2))


def _index_of(*arrays):
    for a in arrays:
        if isinstance(a, pd.Series):
            return a.index
    return None


def wilson_limits(x, n, *, level: float = 0.95):
    """Wilson score interval of a proportion, as fractions (0-1).

    Parameters
    ----------
    x, n : array-like of float
        Numerators and denominators. ``x`` may exceed ``n`` only if the caller has already
        capped it (see :func:`proportion_ci`).
    level : float
        Confidence level, a fraction (0.95, 0.998).

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits; ``lower`` is exactly 0 where ``x == 0`` and ``upper`` exactly 1 where ``x == n``.
        NaN where ``n`` is missing or 0.

    Notes
    -----
    (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n), p = x/n.

    References
    ----------
    Wilson EB (1927). Probable inference, the law of succession, and statistical inference.
    JASA 22:209-212. Newcombe RG (1998). Stat Med 17:857-872 (method 3).
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    z = _z(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = p + z * z / (2 * n)
        half = z * np.sqrt(np.clip(p * (1 - p), 0, None) / n + z * z / (4 * n * n))
        denom = 1 + z * z / n
        lower = (centre - half) / denom
        upper = (centre + half) / denom
    lower = np.where(x == 0, 0.0, np.clip(lower, 0.0, 1.0))
    upper = np.where(x == n, 1.0, np.clip(upper, 0.0, 1.0))
    bad = ~(n > 0)
    lower = np.where(bad, np.nan, lower)
    upper = np.where(bad, np.nan, upper)
    return lower, upper


def exact_poisson_limits(events, *, level: float = 0.95):
    """Exact (Garwood) Poisson limits of a count, chi-square form.

    Notes
    -----
    lower = χ²(α/2; 2d)/2 (0 when d = 0), upper = χ²(1−α/2; 2d+2)/2.

    References
    ----------
    Garwood F (1936). Fiducial limits for the Poisson distribution. Biometrika 28:437-442.
    """
    d = np.asarray(events, dtype=float)
    a = 1 - level
    _z(level)
    with np.errstate(invalid="ignore"):
        lower = np.where(d > 0, _st.chi2.ppf(a / 2, 2 * np.where(d > 0, d, 1)) / 2, 0.0)
        upper = _st.chi2.ppf(1 - a / 2, 2 * d + 2) / 2
    lower = np.where(np.isnan(d), np.nan, lower)
    return lower, upper


def byar_limits(events, *, level: float = 0.95):
    """Byar's approximation to the exact Poisson limits of a count.

    Notes
    -----
    lower = d(1 − 1/(9d) − z/(3√d))³, upper = (d+1)(1 − 1/(9(d+1)) + z/(3√(d+1)))³.

    References
    ----------
    Breslow NE, Day NE (1987). Statistical methods in cancer research, vol. II. IARC, p. 69.
    """
    d = np.asarray(events, dtype=float)
    z = _z(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = d * (1 - 1 / (9 * d) - z / (3 * np.sqrt(d))) ** 3
        upper = (d + 1) * (1 - 1 / (9 * (d + 1)) + z / (3 * np.sqrt(d + 1))) ** 3
    lower = np.where(d == 0, 0.0, lower)
    return lower, upper


def rate_ci(events, denominator, *, multiplier: float = 100_000, level: float = 0.95):
    """Confidence interval of a rate, the way PHEindicatormethods' ``phe_rate`` computes it.

    Exact Poisson limits (Garwood) when fewer than 10 events, Byar's approximation from 10.

    Parameters
    ----------
    events, denominator : array-like of int
        Event counts and their denominators (e.g. maternal deaths, live births).
    multiplier : float
        Scale of the result (100_000 for a rate per 100,000).
    level : float
        Confidence level, a fraction (0.95, 0.998).

    Returns
    -------
    pandas.DataFrame
        Columns ``value``, ``lower``, ``upper``, ``ci_method`` ("exact" or "byar"); indexed like
        the input when it is a Series. Rows with a missing or zero denominator give NaN.

    References
    ----------
    Breslow NE, Day NE (1987). Statistical methods in cancer research, vol. II. IARC.
    PHEindicatormethods 2.1.0, ``phe_rate``.
    """
    idx = _index_of(events, denominator)
    d = np.asarray(events, dtype=float)
    n = np.asarray(denominator, dtype=float)
    el, eu = exact_poisson_limits(d, level=level)
    bl, bu = byar_limits(d, level=level)
    use_exact = d < BYAR_MIN_EVENTS
    lo = np.where(use_exact, el, bl)
    up = np.where(use_exact, eu, bu)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = n > 0
        scale = np.where(ok, multiplier / np.where(ok, n, 1), np.nan)
    method = np.where(np.isnan(d), None, np.where(use_exact, "exact", "byar"))
    return pd.DataFrame(
        {"value": d * scale, "lower": lo * scale, "upper": up * scale, "ci_method": method}, index=idx
    )


def proportion_ci(numerator, denominator, *, multiplier: float = 100, level: float = 0.95):
    """Wilson score interval of a proportion, as PHEindicatormethods' ``phe_proportion``.

    A numerator above its denominator (service counts that include non-resident women) keeps its
    value as computed; its interval is computed on ``min(numerator, denominator)``.

    Parameters
    ----------
    numerator, denominator : array-like
    multiplier : float
        100 for a percentage, 10_000 for a rate per 10,000.
    level : float
        Confidence level, a fraction.

    Returns
    -------
    pandas.DataFrame
        Columns ``value``, ``lower``, ``upper``, ``ci_method`` ("wilson").

    References
    ----------
    Wilson EB (1927). JASA 22:209-212. PHEindicatormethods 2.1.0, ``phe_proportion``.
    """
    idx = _index_of(numerator, denominator)
    x = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    lo, up = wilson_limits(np.minimum(x, n), n, level=level)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n > 0, x / np.where(n > 0, n, 1), np.nan) * multiplier
    method = np.where(np.isnan(x) | ~(n > 0), None, "wilson")
    return pd.DataFrame(
        {"value": value, "lower": lo * multiplier, "upper": up * multiplier, "ci_method": method},
        index=idx,
    )
