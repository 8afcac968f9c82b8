"""Log-linear trend of a rate: annual percent change (APC) from a Poisson or negative binomial GLM.

The model for deaths d_t among live births B_t in year t::

    log E[d_t] = log B_t + b0 + b1 t,            APC = 100 (exp(b1) - 1)

fitted with statsmodels' GLM (Poisson family, ``offset = log B``). Overdispersion is checked with
Pearson's statistic X² = sum (d - mu)² / mu on n - 2 degrees of freedom; when X² exceeds the
upper ``overdispersion_alpha`` quantile of chi-square(n - 2) the fallback model is used:

* ``'negbin'`` (default): negative binomial (NB2, var = mu + mu²/theta) with theta estimated by
  maximum likelihood, alternating theta (Newton steps on the score, as MASS::theta.ml) and the
  GLM for fixed theta (statsmodels ``families.NegativeBinomial``) until both settle, which is
  MASS::glm.nb's algorithm; standard errors are the GLM's at the final theta, as glm.nb reports.
  The theta step is hand-written because statsmodels' discrete ``NegativeBinomial`` estimates
  alpha jointly and fails to converge on near-Poisson series, where glm.nb's theta runs off to
  very large values.
* ``'quasipoisson'``: Poisson estimates with standard errors multiplied by sqrt(max(1, X²/df))
  (dispersion floored at 1: never narrower than Poisson).

The interval is Wald's on the log scale: 100 (exp(b1 ± q se) - 1). The reference distribution
follows R's ``summary.glm`` (:func:`wald_quantile`): the normal for Poisson and negative binomial
fits (dispersion known, or theta treated as known as ``glm.nb`` does), Student's t on the residual
degrees of freedom for quasi-Poisson (dispersion estimated).

References
----------
Venables WN, Ripley BD (2002). Modern Applied Statistics with S, 4th ed., §7.4 (glm.nb).
McCullagh P, Nelder JA (1989). Generalized Linear Models, 2nd ed., §4.5 (overdispersion).
Kim HJ, Fay MP, Feuer EJ, Midthune DN (2000). Stat Med 19:335-351 (APC = 100(e^b - 1)).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# scipy.stats and statsmodels are imported in the functions that use them, not here: they cost
# ~0.9 s of start-up, which `mch validate` and `mch --help` never need (issue 12).
from mchanalysis.confidence import check_level
from mchanalysis.errors import MchError
from mchanalysis.joinpoint import SEGMENT_COLUMNS, joinpoint

MODELS = ("auto", "poisson", "negbin", "quasipoisson")

TREND_COLUMNS = [
    "start",
    "end",
    "n_years",
    "apc",
    "apc_lower",
    "apc_upper",
    "p_value",
    "model",
    "beta",
    "se",
    "dispersion",
    "theta",
    "deviance",
    "aic",
    "conf_level",
    "reason",
]


@dataclass
class TrendResult:
    """A log-linear trend: APC with its interval and the model that produced it.

    Attributes
    ----------
    apc, apc_lower, apc_upper : float
        Annual percent change 100(e^b - 1) and its Wald limits (NaN when not estimable).
    p_value : float
        Two-sided Wald test of b = 0 (normal reference; t(n − 2) for quasi-Poisson).
    model : str
        'poisson', 'negbin', 'quasipoisson', or '' when no model could be fitted.
    beta, se : float
        Slope per year on the log scale and its standard error.
    dispersion : float
        Pearson X²/df of the Poisson fit (the overdispersion check).
    theta : float
        Negative binomial theta (NaN unless model = 'negbin').
    deviance, aic : float
        Of the model used (AIC counts theta as a parameter, as glm.nb).
    start, end, n_years : year range and number of years used.
    conf_level : float
    reason : str
        Why there is no APC ('' when there is one).
    warnings : list of str
        Notes on the fit (fallback used, missing years left out, non-convergence).
    result : statsmodels results object or None
        The raw fit of the model used.
    """

    apc: float = np.nan
    apc_lower: float = np.nan
    apc_upper: float = np.nan
    p_value: float = np.nan
    model: str = ""
    beta: float = np.nan
    se: float = np.nan
    dispersion: float = np.nan
    theta: float = np.nan
    deviance: float = np.nan
    aic: float = np.nan
    start: float = np.nan
    end: float = np.nan
    n_years: int = 0
    conf_level: float = 0.95
    reason: str = ""
    warnings: list = field(default_factory=list)
    result: object = None

    def to_frame(self) -> pd.DataFrame:
        """One row with the columns of :data:`TREND_COLUMNS`."""
        return pd.DataFrame([{c: getattr(self, c) for c in TREND_COLUMNS}], columns=TREND_COLUMNS)


def wald_quantile(level: float, df_resid: float | None = None) -> float:
    """Two-sided critical value of a Wald interval: z, or t on ``df_resid`` degrees of freedom.

    Parameters
    ----------
    level : float
        Confidence level, a fraction.
    df_resid : float, optional
        Residual degrees of freedom when the dispersion was *estimated* (quasi-likelihood);
        None (or a non-positive value) when it is known (Poisson, binomial) or not estimable.

    Returns
    -------
    float
        Φ⁻¹(1 − α/2), or the t quantile t_{df}⁻¹(1 − α/2).

    Notes
    -----
    The single rule of the package for quasi-likelihood inference, as R's ``summary.glm``: when
    the family's dispersion is estimated from Pearson's X² (quasipoisson, quasibinomial) the
    coefficient tests and intervals use t with the residual degrees of freedom n − p; otherwise
    the normal. See :func:`wald_p_value` for the matching test.

    References
    ----------
    McCullagh P, Nelder JA (1989). Generalized Linear Models, 2nd ed., §4.5.
    R Core Team. ``summary.glm``: "df.residual ... t value" when ``est.disp`` is TRUE.
    """
    from scipy import stats as _st

    if df_resid is not None and df_resid > 0:
        return float(_st.t.ppf(1 - (1 - level) / 2, df_resid))
    return float(_st.norm.ppf(1 - (1 - level) / 2))


def wald_p_value(estimate, se, df_resid: float | None = None) -> float:
    """Two-sided Wald p-value of ``estimate/se`` against N(0, 1), or t(df_resid) (see
    :func:`wald_quantile`); the interval from the same quantile excludes 0 exactly when p < α."""
    from scipy import stats as _st

    stat = abs(float(estimate) / float(se))
    if df_resid is not None and df_resid > 0:
        return float(2 * _st.t.sf(stat, df_resid))
    return float(2 * _st.norm.sf(stat))


def mle_exists(X, y) -> bool:
    """Whether a Poisson (or negative binomial) log-linear GLM has a finite maximum-likelihood
    estimate for design ``X`` and counts ``y`` (any offset).

    Notes
    -----
    Along a direction v the log-likelihood is Σ y_i s(Xv)_i − Σ μ_i e^{s(Xv)_i} (+ const). It
    increases without bound (the estimate runs to infinity: "separation") exactly when some
    v ≠ 0 has (Xv)_i = 0 wherever y_i > 0 and (Xv)_i ≤ 0 wherever y_i = 0, with at least one
    strict inequality (Haberman 1974, Theorem 2.3; Albert & Anderson 1984 for the logistic
    analogue). Checked by the linear programme min Σ_{y=0} (Xv)_i subject to those constraints
    and (Xv)_i ≥ −1 (scipy ``linprog``, HiGHS): a negative optimum means no finite MLE. For a
    log-linear trend it fails when all events fall in the first or in the last year, or there
    are none at all.

    References
    ----------
    Haberman SJ (1974). The Analysis of Frequency Data. University of Chicago Press.
    Albert A, Anderson JA (1984). On the existence of maximum likelihood estimates in logistic
    regression models. Biometrika 71:1-10.
    """
    from scipy.optimize import linprog

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    pos, zero = y > 0, y <= 0
    if not zero.any():
        return bool(pos.any())
    Xz, Xp = X[zero], X[pos]
    c = Xz.sum(axis=0)
    A_ub = np.vstack([Xz, -Xz])
    b_ub = np.concatenate([np.zeros(len(Xz)), np.ones(len(Xz))])
    res = linprog(
        c,
        A_ub=A_ub,
        b_ub=b_ub,
        A_eq=Xp if len(Xp) else None,
        b_eq=np.zeros(len(Xp)) if len(Xp) else None,
        bounds=[(None, None)] * X.shape[1],
        method="highs",
    )
    return not (res.status == 0 and res.fun < -1e-9)


def _glm(y, X, offset, family, start=None, scale=None):
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, PerfectSeparationWarning, RuntimeWarning))
        return sm.GLM(y, X, family=family, offset=offset).fit(
            start_params=start, scale=scale, tol=1e-12, maxiter=200
        )


def theta_ml(y, mu, *, limit: int = 25, eps: float = np.finfo(float).eps ** 0.25):
    """ML estimate of the negative binomial theta for fixed means (MASS::theta.ml).

    Newton's method on the score
    U(θ) = Σ [ψ(θ + y) − ψ(θ) + log θ + 1 − log(θ + μ) − (y + θ)/(θ + μ)],
    information I(θ) = Σ [−ψ'(θ + y) + ψ'(θ) − 1/θ + 2/(θ + μ) − (y + θ)/(θ + μ)²],
    starting from θ0 = n / Σ (y/μ − 1)². Returns (theta, converged).
    """
    from scipy import special as _sp

    y = np.asarray(y, float)
    mu = np.asarray(mu, float)
    n = len(y)
    denom = np.sum((y / mu - 1) ** 2)
    t0 = n / denom if denom > 0 else 1e8
    it, delta = 0, 1.0
    while it < limit and abs(delta) > eps:
        it += 1
        t0 = abs(t0)
        score = np.sum(
            _sp.digamma(t0 + y) - _sp.digamma(t0) + np.log(t0) + 1 - np.log(t0 + mu) - (y + t0) / (t0 + mu)
        )
        info = np.sum(
            -_sp.polygamma(1, t0 + y)
            + _sp.polygamma(1, t0)
            - 1 / t0
            + 2 / (t0 + mu)
            - (y + t0) / (t0 + mu) ** 2
        )
        delta = score / info
        t0 = t0 + delta
    if t0 < 0:
        return 0.0, False
    return float(t0), it < limit


def _glm_nb(y, X, offset, pois):
    """MASS::glm.nb: alternate theta.ml and the NB GLM for fixed theta until both settle."""
    import statsmodels.api as sm

    notes = []
    mu = pois.fittedvalues
    theta, ok = theta_ml(y, mu)
    if not ok:
        notes.append("theta iteration limit reached (theta large: little overdispersion)")
    fit = pois
    prev_dev = None
    for _ in range(25):
        fit = _glm(y, X, offset, sm.families.NegativeBinomial(alpha=1 / theta), start=fit.params)
        theta_new, ok = theta_ml(y, fit.fittedvalues)
        if not ok and "theta iteration limit" not in " ".join(notes):
            notes.append("theta iteration limit reached (theta large: little overdispersion)")
        done = prev_dev is not None and (
            abs(prev_dev - fit.deviance) / (abs(fit.deviance) + 0.1) + abs(theta_new - theta) / theta < 1e-10
        )
        prev_dev, theta = fit.deviance, theta_new
        if done:
            break
    fit = _glm(y, X, offset, sm.families.NegativeBinomial(alpha=1 / theta), start=fit.params)
    return fit, theta, notes


def _nb_loglik(y, mu, theta):
    from scipy import special as _sp

    return float(
        np.sum(
            _sp.gammaln(theta + y)
            - _sp.gammaln(theta)
            - _sp.gammaln(y + 1)
            + theta * np.log(theta / (theta + mu))
            + y * np.log(mu / (theta + mu))
        )
    )


def yearly_series(years, events, exposure, *, events_name: str = "deaths", exposure_name: str = "births"):
    """Check and sort a yearly count series; leave out (and name) years not reported.

    Parameters
    ----------
    years, events, exposure : array-like
        Calendar years (distinct, no missing), event counts (non-negative whole numbers; NA =
        not reported) and denominators (positive; NA = not reported).
    events_name, exposure_name : str
        Names used in messages.

    Returns
    -------
    t, d, b : numpy.ndarray of float
        The years with both values reported, sorted, and their counts and denominators.
    notes : list of str
        Names the years left out, e.g. "left out (deaths or births not reported): 2015".

    Raises
    ------
    MchError
        Missing or repeated years, negative or fractional counts, non-positive denominators.
    """
    t = pd.to_numeric(pd.Series(np.asarray(years).ravel()), errors="coerce").to_numpy(float)
    d = pd.to_numeric(pd.Series(np.asarray(events, dtype=object).ravel()), errors="coerce").to_numpy(float)
    b = pd.to_numeric(pd.Series(np.asarray(exposure, dtype=object).ravel()), errors="coerce").to_numpy(float)
    if not len(t) == len(d) == len(b):
        raise MchError(f"years, {events_name} and {exposure_name} must have the same length")
    if np.isnan(t).any():
        raise MchError("years has missing values")
    if len(np.unique(t)) != len(t):
        raise MchError("a year occurs more than once")
    notes = []
    miss = np.isnan(d) | np.isnan(b)
    if miss.any():
        notes.append(
            f"left out ({events_name} or {exposure_name} not reported): "
            + ", ".join(str(int(v)) for v in np.sort(t[miss]))
        )
    t, d, b = t[~miss], d[~miss], b[~miss]
    if (d < 0).any() or (np.floor(d) != d).any():
        raise MchError(f"{events_name} must be non-negative whole numbers")
    if (b <= 0).any():
        raise MchError(f"{exposure_name} must be positive in every year used")
    order = np.argsort(t)
    return t[order], d[order], b[order], notes


def loglinear_trend(
    years,
    deaths,
    births,
    *,
    level: float = 0.95,
    model: str = "auto",
    fallback: str = "negbin",
    overdispersion_alpha: float = 0.05,
) -> TrendResult:
    """APC of a rate from a log-linear Poisson (or negative binomial) regression.

    Parameters
    ----------
    years : array-like of int
        Calendar years (distinct).
    deaths : array-like of int
        Events per year (zeros allowed). Years with a missing count or denominator are left out
        and named in ``warnings``.
    births : array-like of int
        Denominators per year (live births), positive.
    level : float
        Confidence level, a fraction (0.95).
    model : {'auto', 'poisson', 'negbin', 'quasipoisson'}
        'auto': Poisson unless overdispersed, then ``fallback``.
    fallback : {'negbin', 'quasipoisson'}
        Model used for overdispersed series under 'auto'.
    overdispersion_alpha : float
        Overdispersed when Pearson X² > chi2.ppf(1 - overdispersion_alpha, n - 2).

    Returns
    -------
    TrendResult
        With no APC (and ``reason``) when every count is 0 or fewer than 3 years remain.

    Notes
    -----
    log E[d_t] = log B_t + b0 + b1 t; APC = 100(e^b1 - 1); limits 100(e^(b1 ± q se) - 1),
    q = Φ⁻¹(1 - (1 - level)/2); p = 2(1 - Φ(|b1/se|)). Dispersion = X²/(n - 2) of the Poisson
    fit. Negative binomial: MASS::glm.nb (see module docstring); AIC = -2 loglik + 2(p + 1).
    Quasi-Poisson: se = se_Poisson · sqrt(max(1, X²/(n - 2))) and q, p from Student's t on
    n - 2 degrees of freedom (R's ``summary.glm`` for an estimated dispersion).

    References
    ----------
    Venables & Ripley (2002) MASS §7.4; McCullagh & Nelder (1989) §4.5.
    """
    import statsmodels.api as sm
    from scipy import stats as _st

    if model not in MODELS:
        raise MchError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if fallback not in ("negbin", "quasipoisson"):
        raise MchError(f"fallback must be 'negbin' or 'quasipoisson', got {fallback!r}")
    level = check_level(level)
    t, d, b, notes = yearly_series(years, deaths, births)
    res = TrendResult(
        conf_level=level,
        warnings=notes,
        n_years=len(t),
        start=float(t[0]) if len(t) else np.nan,
        end=float(t[-1]) if len(t) else np.nan,
    )
    if len(t) < 3:
        res.reason = f"fewer than 3 years with data ({len(t)})"
        return res
    if d.sum() == 0:
        res.reason = "no events in any year: the rate's trend cannot be estimated"
        return res

    X = np.column_stack([np.ones_like(t), t - t[0]])  # centred year: same slope, stable fit
    if not mle_exists(X, d):
        res.reason = (
            "no finite maximum-likelihood estimate (the events fall only in the first "
            "or the last year): the rate's trend cannot be estimated"
        )
        return res
    offset = np.log(b)
    pois = _glm(d, X, offset, sm.families.Poisson())
    df = len(t) - 2
    x2 = float(pois.pearson_chi2)
    res.dispersion = x2 / df
    over = x2 > _st.chi2.ppf(1 - overdispersion_alpha, df)
    use = model if model != "auto" else (fallback if over else "poisson")
    if model == "auto" and over:
        notes.append(f"overdispersed (Pearson X²/df = {res.dispersion:.3g}): {fallback} used")

    if use == "poisson":
        fit, beta, se = pois, pois.params[1], pois.bse[1]
        res.deviance, res.aic = float(pois.deviance), float(pois.aic)
    elif use == "quasipoisson":
        scale = max(1.0, res.dispersion)
        fit = _glm(d, X, offset, sm.families.Poisson(), scale=scale)
        beta, se = fit.params[1], fit.bse[1]
        res.deviance, res.aic = float(fit.deviance), np.nan
    else:
        fit, theta, nb_notes = _glm_nb(d, X, offset, pois)
        notes.extend(nb_notes)
        beta, se = fit.params[1], fit.bse[1]
        res.theta = theta
        res.deviance = float(fit.deviance)
        res.aic = -2 * _nb_loglik(d, fit.fittedvalues, theta) + 2 * (X.shape[1] + 1)

    df_t = df if use == "quasipoisson" else None
    z = wald_quantile(level, df_t)
    res.model, res.result = use, fit
    res.beta, res.se = float(beta), float(se)
    res.apc = 100 * float(np.expm1(beta))
    res.apc_lower = 100 * float(np.expm1(beta - z * se))
    res.apc_upper = 100 * float(np.expm1(beta + z * se))
    res.p_value = wald_p_value(beta, se, df_t)
    return res


#: Columns of :func:`indicator_trend` (and of ``mch trends``).
INDICATOR_TREND_COLUMNS = [
    "region_code",
    "region_name",
    "indicator",
    "method",
    "model",
    "k",
    "segment",
    "start",
    "end",
    "apc",
    "apc_lower",
    "apc_upper",
    "p_value",
    "note",
]


def indicator_trend(
    table: pd.DataFrame,
    *,
    indicator: str,
    region_code: str,
    method: str = "apc",
    level: float = 0.95,
    aapc_ranges=(),
    **joinpoint_options,
) -> pd.DataFrame:
    """Trend of one region's indicator series: segment rows, then AAPC rows.

    Parameters
    ----------
    table : pandas.DataFrame
        The indicator table (:func:`mchanalysis.indicators.compute_indicators`): needs
        ``region_code, region_name, year, indicator, numerator, denominator, value``.
    indicator, region_code : str
        Which series.
    method : {'apc', 'joinpoint'}
        'apc': one log-linear trend (:func:`loglinear_trend`, Poisson GLM of the numerator with
        log(denominator) offset, overdispersion fallback); a single segment, and every AAPC equals
        the APC. 'joinpoint': :func:`mchanalysis.joinpoint.joinpoint` on ``value`` with the
        numerator as count and Poisson variance by default (0.5 added to zero counts, as NCI).
    level : float
        Confidence level, a fraction.
    aapc_ranges : sequence of (start, end)
        AAPC ranges besides the whole range (always first).
    **joinpoint_options
        Passed to :func:`mchanalysis.joinpoint.joinpoint` (variance, select, seed, ...).

    Returns
    -------
    pandas.DataFrame
        :data:`INDICATOR_TREND_COLUMNS`; ``segment`` is '1', '2', ... or 'aapc'; ``note`` names
        years left out (numerator or denominator not reported), zero-count adjustments, or why
        no trend could be estimated (then the APC columns are empty).

    Raises
    ------
    MchError
        Unknown region or indicator, or an indicator without years for the region.
    """
    if method not in ("apc", "joinpoint"):
        raise MchError(f"method must be 'apc' or 'joinpoint', got {method!r}")
    if region_code not in set(table["region_code"]):
        raise MchError(f"region {region_code} is not in the data")
    reg = table[table["region_code"] == region_code]
    if indicator not in set(table["indicator"]):
        known = ", ".join(sorted(set(table["indicator"])))
        raise MchError(f"unknown indicator {indicator!r} (known: {known})")
    s = reg[reg["indicator"] == indicator].sort_values("year")
    if s.empty:
        raise MchError(f"indicator {indicator} has no years for region {region_code}")
    name = str(s["region_name"].iloc[0])
    num = pd.to_numeric(s["numerator"], errors="coerce").astype(float)
    den = pd.to_numeric(s["denominator"], errors="coerce").astype(float)
    miss = num.isna() | den.isna() | (den <= 0)
    notes = []
    if miss.any():
        notes.append("left out (not reported): " + ", ".join(str(int(y)) for y in s.loc[miss, "year"]))
    s, num, den = s[~miss], num[~miss], den[~miss]
    years = s["year"].to_numpy(float)
    lo, hi = (float(years[0]), float(years[-1])) if len(years) else (np.nan, np.nan)
    ranges = [(lo, hi)] + [(float(a), float(b)) for a, b in aapc_ranges]

    def empty(reason, model=""):
        rows = [{"k": 0, "segment": "1", "start": lo, "end": hi}] + [
            {"k": 0, "segment": "aapc", "start": a, "end": b} for a, b in ranges
        ]
        f = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
        return _finish(f, region_code, name, indicator, method, model, notes + [reason])

    if method == "apc":
        tr = loglinear_trend(years, num.to_numpy(), den.to_numpy(), level=level)
        notes.extend(tr.warnings)
        if tr.reason:
            return empty(tr.reason)
        for a, b in ranges[1:]:
            if not (lo <= a <= b <= hi):
                raise MchError(f"AAPC range {a:g}-{b:g} is outside the data ({lo:g}-{hi:g})")
        seg = {
            "k": 0,
            "start": lo,
            "end": hi,
            "apc": tr.apc,
            "apc_lower": tr.apc_lower,
            "apc_upper": tr.apc_upper,
            "p_value": tr.p_value,
        }
        rows = [dict(seg, segment="1")] + [dict(seg, segment="aapc", start=a, end=b) for a, b in ranges]
        f = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
        return _finish(f, region_code, name, indicator, method, tr.model, notes)

    if len(years) < 3:
        return empty(f"fewer than 3 years with data ({len(years)})")
    if num.sum() == 0:
        return empty("no events in any year: the rate's trend cannot be estimated")
    opts = {"variance": "poisson", **joinpoint_options}
    value = pd.to_numeric(s["value"], errors="coerce").to_numpy(float)
    res = joinpoint(
        years,
        value,
        count=num.to_numpy(),
        denominator=den.to_numpy(),
        level=level,
        aapc_ranges=ranges[1:],
        **opts,
    )
    notes.extend(res.settings["notes"])
    model = f"joinpoint: ln-linear, {res.settings['variance']} variance, {res.settings['select']}"
    return _finish(res.to_frame(), region_code, name, indicator, method, model, notes)


def _finish(f, region_code, name, indicator, method, model, notes):
    f = f.copy()
    f.insert(0, "model", model)
    f.insert(0, "method", method)
    f.insert(0, "indicator", indicator)
    f.insert(0, "region_name", name)
    f.insert(0, "region_code", region_code)
    f["note"] = "; ".join(notes)
    f["segment"] = f["segment"].astype(str)
    return f[INDICATOR_TREND_COLUMNS]
