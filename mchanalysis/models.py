"""Models beyond the trend line: period comparison, policy breaks, small-area smoothing, projection.

* :func:`period_rate_ratio` — pooled rate ratio of two periods (e.g. the last five years against
  the first five) from a Poisson GLM with a period indicator and a log(births) offset.
* :func:`interrupted_time_series` — segmented Poisson regression around a policy year (default
  2016, the universal two-child policy): level change and slope change with intervals.
* :func:`eb_smooth` — empirical Bayes Poisson–gamma smoothing of the rates of small areas
  (Marshall's moment estimator, or Clayton & Kaldor's maximum likelihood).
* :func:`project_rate` and :func:`needed_annual_decline` — the rate expected in a target year
  from the fitted log-linear trend, its intervals, the probability that the *reported* rate
  meets a target (:func:`predictive_probability`) and the yearly decline a target requires.

The GLMs are fitted with statsmodels. Hand-written code is limited to closed-form formulas
(Marshall's moment estimator, the delta method for an APC difference, the gamma–Poisson
posterior mean) and to the predictive simulation of a projection, which statsmodels does not
offer for a GLM with an offset and an overdispersion model.

References
----------
Clayton D, Kaldor J (1987). Empirical Bayes estimates of age-standardized relative risks for use
in disease mapping. Biometrics 43:671-681.
Marshall RJ (1991). Mapping disease and mortality rates using empirical Bayes estimators.
Applied Statistics 40(2):283-294.
Bernal JL, Cummins S, Gasparrini A (2017). Interrupted time series regression for the evaluation
of public health interventions: a tutorial. Int J Epidemiol 46(1):348-355.
Wagner AK, Soumerai SB, Zhang F, Ross-Degnan D (2002). Segmented regression analysis of
interrupted time series studies in medication use research. J Clin Pharm Ther 27:299-309.
McCullagh P, Nelder JA (1989). Generalized Linear Models, 2nd ed., §4.5 (quasi-likelihood).
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
from mchanalysis.trends import loglinear_trend, mle_exists, wald_p_value, wald_quantile, yearly_series

DEFAULT_BREAK_YEAR = 2016
DEFAULT_SEED = 20240601


def _z(level: float) -> float:
    from scipy import stats as _st

    return float(_st.norm.ppf(1 - (1 - level) / 2))


def _glm_poisson(y, X, offset, scale=None):
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    with warnings.catch_warnings():
        # a saturated or noiseless fit is flagged as "perfect prediction": not an error here
        warnings.simplefilter("ignore", (ConvergenceWarning, PerfectSeparationWarning, RuntimeWarning))
        # converge on the parameters (not the deviance) so that standard errors are exact to
        # ~1e-15, as R's closed-form values (IRLS stopping on the deviance leaves ~1e-8 in se)
        return sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit(
            scale=scale, tol=1e-12, tol_criterion="params", maxiter=200
        )


# --------------------------------------------------------------------------- period rate ratio
PERIOD_COLUMNS = [
    "first_start",
    "first_end",
    "last_start",
    "last_end",
    "events_first",
    "events_last",
    "exposure_first",
    "exposure_last",
    "rate_ratio",
    "log_rr",
    "se",
    "lower",
    "upper",
    "p_value",
    "conf_level",
    "method",
    "scale",
    "df_resid",
    "note",
]


def period_rate_ratio(
    years,
    events,
    exposure,
    *,
    first: int = 5,
    last: int = 5,
    level: float = 0.95,
    dispersion: str = "poisson",
) -> pd.DataFrame:
    """Pooled rate ratio of the last ``last`` years to the first ``first`` years (Poisson GLM).

    Parameters
    ----------
    years, events, exposure : array-like
        One value per year (e.g. maternal deaths and live births). No missing values.
    first, last : int
        Length in calendar years of the first and the last period, counted from the first and
        the last year with data (they must not overlap). A year not reported inside a period is
        left out of the pooled sums and named in ``note``.
    level : float
        Confidence level, a fraction.
    dispersion : {'poisson', 'quasipoisson'}
        'poisson': variance = mean. 'quasipoisson': the covariance is multiplied by
        φ = max(1, X²/(n − 2)), Pearson's X² of the same Poisson fit over the n years of both
        periods (the year-to-year variation of the region's own series), and the interval and
        p-value use Student's t on n − 2 degrees of freedom (R's ``summary.glm``). The analysis
        layer uses 'quasipoisson' (:data:`mchanalysis.analysis.rules.DISPERSION_POLICY`).

    Returns
    -------
    pandas.DataFrame
        One row, columns :data:`PERIOD_COLUMNS`; ``method`` = 'poisson_glm_wald' or
        'quasipoisson_glm_t'; ``scale`` = φ used, ``df_resid`` (NaN under 'poisson');
        ``note`` names years left out ('' when none).

    Notes
    -----
    Fitted on the years of both periods: log E[d_t] = log B_t + b0 + b1·I(t in last period).
    The MLE is the pooled ratio RR = e^b1 = (ΣD_last/ΣB_last)/(ΣD_first/ΣB_first) with
    se(b1) = sqrt(1/ΣD_last + 1/ΣD_first); Wald limits e^(b1 ± z se); p from the Wald z.
    The exact conditional test and interval (R's ``poisson.test``) are in
    :mod:`mchanalysis.stats`. This is R's ``glm(d ~ period + offset(log(B)), poisson)``;
    with 'quasipoisson', ``family = quasipoisson`` (se·√φ, t(n − 2)), φ floored at 1.
    No interval when either period has no events (the MLE is 0 or infinite).
    """
    level = check_level(level)
    if dispersion not in ("poisson", "quasipoisson"):
        raise MchError(f"dispersion must be 'poisson' or 'quasipoisson', got {dispersion!r}")
    t, d, b, notes = yearly_series(years, events, exposure, events_name="events", exposure_name="exposure")
    if first < 1 or last < 1:
        raise MchError("first and last must be at least 1 year")
    if len(t) == 0:
        raise MchError("no year with both events and exposure reported")
    lo_end, hi_start = t[0] + first - 1, t[-1] - last + 1
    if lo_end >= hi_start:
        raise MchError(
            f"need at least first + last = {first + last} years, got {int(t[-1] - t[0] + 1)} "
            f"({int(t[0])}–{int(t[-1])})"
        )
    in_first, in_last = t <= lo_end, t >= hi_start
    sel = in_first | in_last
    period = in_last[sel].astype(float)
    D1, D2 = d[in_first].sum(), d[in_last].sum()
    row = dict(
        first_start=int(t[0]),
        first_end=int(lo_end),
        last_start=int(hi_start),
        last_end=int(t[-1]),
        events_first=D1,
        events_last=D2,
        exposure_first=b[in_first].sum(),
        exposure_last=b[in_last].sum(),
        rate_ratio=np.nan,
        log_rr=np.nan,
        se=np.nan,
        lower=np.nan,
        upper=np.nan,
        p_value=np.nan,
        conf_level=level,
        method="poisson_glm_wald" if dispersion == "poisson" else "quasipoisson_glm_t",
        scale=1.0,
        df_resid=np.nan,
        note="; ".join(notes),
    )
    if D1 > 0 and D2 > 0:
        X = np.column_stack([np.ones(int(sel.sum())), period])
        fit = _glm_poisson(d[sel], X, np.log(b[sel]))
        df_t = None
        if dispersion == "quasipoisson":
            df = int(sel.sum()) - 2
            if df > 0:
                df_t = df
                phi = max(1.0, float(fit.pearson_chi2) / df)
                row.update(scale=phi, df_resid=df)
                if phi > 1.0:
                    fit = _glm_poisson(d[sel], X, np.log(b[sel]), scale=phi)
            else:
                row["note"] = "; ".join([*notes, "no residual degrees of freedom: Poisson variance used"])
        beta, se = float(fit.params[1]), float(fit.bse[1])
        z = wald_quantile(level, df_t)
        row.update(
            rate_ratio=float(np.exp(beta)),
            log_rr=beta,
            se=se,
            lower=float(np.exp(beta - z * se)),
            upper=float(np.exp(beta + z * se)),
            p_value=wald_p_value(beta, se, df_t),
        )
    elif D2 == 0 and D1 > 0:
        row.update(rate_ratio=0.0)
    return pd.DataFrame([row], columns=PERIOD_COLUMNS)


# --------------------------------------------------------------------------- interrupted time series
ITS_COLUMNS = ["parameter", "estimate", "lower", "upper", "p_value", "scale", "break_year", "conf_level"]


@dataclass
class ITSResult:
    """Segmented Poisson regression around a break year.

    Attributes
    ----------
    level_change, level_lower, level_upper, level_p : float
        e^b2: rate ratio in the break year against the pre-break trend extended (the step).
    apc_before, apc_after (+ _lower, _upper) : float
        100(e^b1 − 1) and 100(e^(b1+b3) − 1): annual percent change before and from the break.
    slope_ratio, slope_ratio_lower, slope_ratio_upper, slope_p : float
        e^b3 = (1 + APC_after/100)/(1 + APC_before/100); 1 means no change of slope.
    apc_difference, apc_difference_lower, apc_difference_upper : float
        APC_after − APC_before in percentage points (delta-method interval).
    scale : float
        Dispersion used: max(1, Pearson X²/(n − 4)) for 'quasipoisson', 1 for 'poisson'.
    df_resid : int or None
        n − 4 when the dispersion was estimated ('quasipoisson'): limits and p-values then use
        Student's t on these degrees of freedom (R's ``summary.glm``); None: normal reference.
    dispersion : float
        Pearson X²/(n − 4) of the Poisson fit (NaN with no residual degrees of freedom).
    params, cov : the coefficients (b0, b1, b2, b3) and their covariance (scaled).
    fitted : pandas.DataFrame
        ``year, fitted, counterfactual``: the segmented fit and the pre-break trend extended
        (b2 = b3 = 0), as rates × ``multiplier``.
    result : the statsmodels results object.
    """

    break_year: int
    conf_level: float
    params: np.ndarray
    cov: np.ndarray
    scale: float
    dispersion: float
    n_years: int
    level_change: float = np.nan
    level_lower: float = np.nan
    level_upper: float = np.nan
    level_p: float = np.nan
    apc_before: float = np.nan
    apc_before_lower: float = np.nan
    apc_before_upper: float = np.nan
    apc_after: float = np.nan
    apc_after_lower: float = np.nan
    apc_after_upper: float = np.nan
    slope_ratio: float = np.nan
    slope_ratio_lower: float = np.nan
    slope_ratio_upper: float = np.nan
    slope_p: float = np.nan
    apc_difference: float = np.nan
    apc_difference_lower: float = np.nan
    apc_difference_upper: float = np.nan
    warnings: list = field(default_factory=list)
    fitted: pd.DataFrame | None = None
    result: object = None
    df_resid: int | None = None

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows: level_change, apc_before, apc_after, slope_ratio, apc_difference."""
        rows = [
            ("level_change", self.level_change, self.level_lower, self.level_upper, self.level_p),
            ("apc_before", self.apc_before, self.apc_before_lower, self.apc_before_upper, np.nan),
            ("apc_after", self.apc_after, self.apc_after_lower, self.apc_after_upper, np.nan),
            ("slope_ratio", self.slope_ratio, self.slope_ratio_lower, self.slope_ratio_upper, self.slope_p),
            (
                "apc_difference",
                self.apc_difference,
                self.apc_difference_lower,
                self.apc_difference_upper,
                self.slope_p,
            ),
        ]
        out = pd.DataFrame(rows, columns=ITS_COLUMNS[:5])
        out["scale"] = self.scale
        out["break_year"] = self.break_year
        out["conf_level"] = self.conf_level
        return out


def its_design(years, break_year: int) -> np.ndarray:
    """Design matrix [1, t − t0, post, (t − break)·post] with post = 1 from the break year on."""
    t = np.asarray(years, dtype=float)
    post = (t >= break_year).astype(float)
    return np.column_stack([np.ones_like(t), t - t.min(), post, (t - break_year) * post])


def interrupted_time_series(
    years,
    deaths,
    births,
    *,
    break_year: int = DEFAULT_BREAK_YEAR,
    level: float = 0.95,
    dispersion: str = "quasipoisson",
    multiplier: float = 1.0,
) -> ITSResult:
    """Level and slope change of a rate at a policy year (segmented Poisson regression).

    Parameters
    ----------
    years, deaths, births : array-like
        Yearly events and live births (zeros allowed in ``deaths``). Years not reported are left
        out and named in ``warnings``.
    break_year : int
        First year under the new policy (default 2016, universal two-child policy). At least two
        years before it and two from it on are required.
    level : float
        Confidence level, a fraction.
    dispersion : {'quasipoisson', 'poisson'}
        'quasipoisson' (default) multiplies the covariance by φ = max(1, X²/(n − 4)), Pearson's
        statistic of the Poisson fit (never narrower than Poisson), with t(n − 4) inference;
        'poisson' uses φ = 1 and the normal.
    multiplier : float
        Scale of the rates in ``fitted`` (1000 for ‰, 100000 for /10万).

    Returns
    -------
    ITSResult
        Estimates with Wald limits; ``to_frame()`` gives tidy rows.

    Notes
    -----
    log μ_t = log B_t + b0 + b1 (t − t0) + b2 post_t + b3 (t − T) post_t, post_t = I(t ≥ T).
    Level change e^b2 (rate in year T against the pre-break trend extended to T); APC before
    100(e^b1 − 1), after 100(e^(b1+b3) − 1) with var(b1 + b3) = V11 + V33 + 2 V13; slope ratio
    e^b3; APC difference 100(e^(b1+b3) − e^b1), delta-method se with gradient
    100·(e^(b1+b3) − e^b1, e^(b1+b3)) on (b1, b3). All limits are Wald limits est ± q·se on the
    coefficients' scale, transformed; q and the p-values come from Student's t on n − 4 degrees
    of freedom under 'quasipoisson' (dispersion estimated, as R's ``summary.glm`` for
    ``family = quasipoisson``), from the normal under 'poisson' or when n = 4. Fitted with statsmodels GLM (Poisson, offset log B).

    References
    ----------
    Bernal, Cummins & Gasparrini (2017) Int J Epidemiol 46:348; Wagner et al. (2002).
    """
    level = check_level(level)
    if dispersion not in ("quasipoisson", "poisson"):
        raise MchError(f"dispersion must be 'quasipoisson' or 'poisson', got {dispersion!r}")
    t, d, b, notes = yearly_series(years, deaths, births)
    n_pre, n_post = int((t < break_year).sum()), int((t >= break_year).sum())
    if n_pre < 2 or n_post < 2:
        raise MchError(
            f"break year {break_year} needs at least 2 years before and 2 from it on "
            f"(have {n_pre} before, {n_post} from it)"
        )
    if d[t < break_year].sum() == 0 or d[t >= break_year].sum() == 0:
        raise MchError("no events before or after the break year: level and slope change are not estimable")
    X = its_design(t, break_year)
    if not mle_exists(X, d):
        raise MchError(
            "no finite maximum-likelihood estimate (separation: the events allow the "
            "level or slope change to run to infinity): no interrupted time series"
        )
    offset = np.log(b)
    pois = _glm_poisson(d, X, offset)
    df = len(t) - X.shape[1]
    disp = float(pois.pearson_chi2) / df if df > 0 else np.nan
    if dispersion == "quasipoisson":
        if df > 0:
            scale = max(1.0, disp)
        else:
            scale = 1.0
            notes.append("no residual degrees of freedom: dispersion not estimable, Poisson variance used")
    else:
        scale = 1.0
    fit = _glm_poisson(d, X, offset, scale=scale) if scale != 1.0 else pois
    p = np.asarray(fit.params, dtype=float)
    V = np.asarray(fit.cov_params(), dtype=float)
    # dispersion estimated -> t on the residual df, as R's summary.glm (quasipoisson)
    df_t = df if (dispersion == "quasipoisson" and df > 0) else None
    z = wald_quantile(level, df_t)
    r = ITSResult(
        break_year=int(break_year),
        conf_level=level,
        params=p,
        cov=V,
        scale=scale,
        dispersion=disp,
        n_years=len(t),
        warnings=notes,
        result=fit,
        df_resid=int(df_t) if df_t else None,
    )

    def wald(est, se):
        return est, est - z * se, est + z * se, wald_p_value(est, se, df_t)

    e, lo, hi, pv = wald(p[2], np.sqrt(V[2, 2]))
    r.level_change, r.level_lower, r.level_upper, r.level_p = np.exp(e), np.exp(lo), np.exp(hi), pv
    e, lo, hi, _ = wald(p[1], np.sqrt(V[1, 1]))
    r.apc_before, r.apc_before_lower, r.apc_before_upper = (100 * np.expm1(v) for v in (e, lo, hi))
    s_after = p[1] + p[3]
    se_after = np.sqrt(V[1, 1] + V[3, 3] + 2 * V[1, 3])
    e, lo, hi, _ = wald(s_after, se_after)
    r.apc_after, r.apc_after_lower, r.apc_after_upper = (100 * np.expm1(v) for v in (e, lo, hi))
    e, lo, hi, pv = wald(p[3], np.sqrt(V[3, 3]))
    r.slope_ratio, r.slope_ratio_lower, r.slope_ratio_upper, r.slope_p = np.exp(e), np.exp(lo), np.exp(hi), pv
    diff = 100 * (np.exp(s_after) - np.exp(p[1]))
    g = 100 * np.array([np.exp(s_after) - np.exp(p[1]), np.exp(s_after)])
    Vs = V[np.ix_([1, 3], [1, 3])]
    se_diff = float(np.sqrt(g @ Vs @ g))
    r.apc_difference, r.apc_difference_lower, r.apc_difference_upper = (
        diff,
        diff - z * se_diff,
        diff + z * se_diff,
    )
    # counterfactual: the pre-break trend extended (b2 = b3 = 0)
    eta = X @ p
    cf = X[:, :2] @ p[:2]
    r.fitted = pd.DataFrame(
        {"year": t.astype(int), "fitted": multiplier * np.exp(eta), "counterfactual": multiplier * np.exp(cf)}
    )
    for k in (
        "level_change",
        "level_lower",
        "level_upper",
        "apc_before",
        "apc_before_lower",
        "apc_before_upper",
        "apc_after",
        "apc_after_lower",
        "apc_after_upper",
        "slope_ratio",
        "slope_ratio_lower",
        "slope_ratio_upper",
        "apc_difference",
        "apc_difference_lower",
        "apc_difference_upper",
    ):
        setattr(r, k, float(getattr(r, k)))
    return r


# --------------------------------------------------------------------------- empirical Bayes smoothing
EB_METHODS = ("marshall", "clayton_kaldor")


def eb_smooth(
    table: pd.DataFrame,
    *,
    events: str = "events",
    population: str = "population",
    method: str = "marshall",
    multiplier: float = 1.0,
) -> pd.DataFrame:
    """Empirical Bayes (Poisson–gamma) smoothed rates of small areas, beside the crude rates.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per area (e.g. the counties of one city in one year), with the columns named by
        ``events`` and ``population`` (e.g. ``maternal_deaths`` and ``live_births``). An area
        with population 0 (a county with no births that year) stays in the output with no rate
        and a reason in ``eb_note``; it takes no part in the estimate of the prior.
    events, population : str
        Column names. Events non-negative, population positive; no missing values.
    method : {'marshall', 'clayton_kaldor'}
        'marshall': Marshall's (1991) global moment estimator; 'clayton_kaldor': Clayton &
        Kaldor's (1987) maximum likelihood of the gamma–Poisson (negative binomial) marginal
        model, fitted with statsmodels ``NegativeBinomial`` (intercept, exposure = population).
    multiplier : float
        Scale of the rate columns (1000 for ‰, 100000 for /10万).

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with ``crude_rate``, ``smoothed_rate``, ``shrinkage`` (weight of the
        global mean in the smoothed rate, 0 = not shrunk, 1 = fully shrunk), ``prior_mean`` and
        ``prior_var`` (of the gamma prior, in rate units), ``eb_method``, ``eb_note`` (why an
        area has no rate; '' otherwise).

    Notes
    -----
    Crude r_i = d_i/n_i. Prior rate λ_i ~ Gamma with mean m and variance a; posterior mean
    r̃_i = m + C_i (r_i − m) with C_i = a/(a + m/n_i); shrinkage = 1 − C_i.

    Marshall (1991, eq. 3–5): m = Σd/Σn; s² = Σ n_i (r_i − m)²/Σn; a = s² − m/n̄ with
    n̄ = Σn/k; a is set to 0 when negative (all areas then get the global mean).

    Clayton & Kaldor (1987): d_i ~ NegBin(mean n_i m, var n_i m + (n_i m)² α), i.e. a
    Gamma(shape ν = 1/α, rate ν/m) prior; m and α by maximum likelihood; a = m² α;
    posterior mean (d_i + ν)/(n_i + ν/m). When the ML estimate of α is on the boundary 0
    (no extra-Poisson variation) a = 0.
    """
    if method not in EB_METHODS:
        raise MchError(f"method must be one of {', '.join(EB_METHODS)}, got {method!r}")
    for col in (events, population):
        if col not in table.columns:
            raise MchError(f"column {col!r} not in the table", column=col)
    d = pd.to_numeric(table[events], errors="coerce").to_numpy(float)
    n = pd.to_numeric(table[population], errors="coerce").to_numpy(float)
    for name, arr in ((events, d), (population, n)):
        bad = np.flatnonzero(np.isnan(arr))
        if len(bad):
            raise MchError(
                f"{name} missing or not a number in {len(bad)} row(s) (first: table row {bad[0] + 1})",
                column=name,
                row=int(bad[0]) + 2,
            )
    if (d < 0).any():
        raise MchError(f"{events} must be non-negative", column=events)
    if (n < 0).any():
        bad = int(np.flatnonzero(n < 0)[0])
        raise MchError(
            f"{population} must not be negative (table row {bad + 1})", column=population, row=bad + 2
        )
    use = n > 0
    if use.sum() < 2:
        raise MchError(
            "empirical Bayes smoothing needs at least 2 areas with a positive "
            f"{population} (have {int(use.sum())})"
        )
    du, nu = d[use], n[use]
    r = du / nu
    if method == "marshall":
        m = du.sum() / nu.sum()
        s2 = float(np.sum(nu * (r - m) ** 2) / nu.sum())
        a = max(0.0, s2 - m / nu.mean())
    else:
        m, a = _clayton_kaldor(du, nu)
    C = a / (a + m / nu) if m > 0 else np.zeros_like(nu)
    out = table.copy()
    crude = np.full(len(d), np.nan)
    smooth = np.full(len(d), np.nan)
    shrink = np.full(len(d), np.nan)
    crude[use] = r * multiplier
    smooth[use] = (m + C * (r - m)) * multiplier
    shrink[use] = 1.0 - C
    out["crude_rate"] = crude
    out["smoothed_rate"] = smooth
    out["shrinkage"] = shrink
    out["prior_mean"] = m * multiplier
    out["prior_var"] = a * multiplier**2
    out["eb_method"] = method
    out["eb_note"] = np.where(
        use,
        "",
        np.where(
            d > 0,
            f"{population} 0 with events: no rate, not smoothed",
            f"{population} 0: no rate, not smoothed",
        ),
    )
    return out


def _clayton_kaldor(d: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """ML (m, a) of the gamma–Poisson model by statsmodels' NegativeBinomial (NB2)."""
    import statsmodels.api as sm
    from scipy import stats as _st

    m0 = d.sum() / n.sum()
    if m0 == 0:
        return 0.0, 0.0
    X = np.ones((len(d), 1))
    model = sm.NegativeBinomial(d, X, exposure=n, loglike_method="nb2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # start at the Poisson estimate and a moment guess of alpha; NM then BFGS for robustness
        r = d / n
        a_mom = max(1e-6, (np.sum(n * (r - m0) ** 2) / n.sum() - m0 / n.mean()) / m0**2)
        fit = model.fit(start_params=np.array([np.log(m0), a_mom]), method="nm", maxiter=5000, disp=0)
        fit = model.fit(start_params=fit.params, method="bfgs", maxiter=500, disp=0)
    b0, alpha = float(fit.params[0]), float(fit.params[1])
    # the boundary: alpha -> 0 is the Poisson model; compare log-likelihoods
    ll_pois = float(np.sum(_st.poisson.logpmf(d, n * m0)))
    if not np.isfinite(alpha) or alpha <= 1e-8 or fit.llf <= ll_pois + 1e-9:
        return m0, 0.0
    m = float(np.exp(b0))
    return m, m * m * alpha


# --------------------------------------------------------------------------- projection
def needed_annual_decline(current, target, years):
    """Annual percent decline needed to go from ``current`` to ``target`` in ``years`` years.

    100·(1 − (target/current)^(1/years)). Negative when the target is above the current value
    (already met: the rate may rise by that much a year and still meet it). Vectorised.

    Examples
    --------
    >>> round(needed_annual_decline(20.0, 12.0, 6), 4)   # MMR 20 → 12 /10万 in 6 years
    8.1614
    """
    c = np.asarray(current, dtype=float)
    tg = np.asarray(target, dtype=float)
    y = np.asarray(years, dtype=float)
    if np.any(y <= 0):
        raise MchError("years to the target must be positive")
    if np.any(c <= 0) or np.any(tg <= 0):
        raise MchError("current value and target must be positive to compute a percent decline")
    out = 100 * (1 - (tg / c) ** (1 / y))
    return float(out) if out.ndim == 0 else out


PROJECTION_COLUMNS = [
    "target_year",
    "births_assumed",
    "rate",
    "lower",
    "upper",
    "pi_lower",
    "pi_upper",
    "target",
    "p_meets_target",
    "p_mean_meets_target",
    "p_observed_meets_target",
    "p_observed_mc_se",
    "latest_year",
    "latest_rate",
    "fitted_latest_rate",
    "needed_annual_decline",
    "needed_annual_decline_crude",
    "model_apc",
    "model",
    "fit_start",
    "conf_level",
    "seed",
]

#: Gauss–Hermite nodes used to integrate the predictive probability over the log mean.
N_QUADRATURE = 120


@dataclass
class ProjectionResult:
    """Projection of a rate to a target year from a log-linear trend (see :func:`project_rate`)."""

    frame: pd.DataFrame
    trend: object
    simulated_rates: np.ndarray | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()


def _count_cdf(c, mu, model: str, theta: float = np.nan, phi: float = 1.0):
    """P(D ≤ c) for D with mean ``mu`` (array): Poisson, NB2(θ) or gamma–Poisson with variance φμ."""
    from scipy import stats as _st

    if c < 0:
        return np.zeros_like(mu)
    if model == "negbin":
        return _st.nbinom.cdf(c, theta, theta / (theta + mu))
    if model == "quasipoisson" and phi > 1:
        # gamma(shape μ/(φ−1), scale φ−1) mixture of Poissons = NB(n = μ/(φ−1), p = 1/φ): var φμ
        return _st.nbinom.cdf(c, mu / (phi - 1), 1 / phi)
    return _st.poisson.cdf(c, mu)


def predictive_probability(
    eta,
    se,
    births,
    target,
    *,
    multiplier,
    direction="lower_is_better",
    model="poisson",
    theta=np.nan,
    phi=1.0,
    n_nodes: int = N_QUADRATURE,
) -> float:
    """Probability that the *reported* rate D/B·multiplier meets the target (no simulation).

    Parameters
    ----------
    eta, se : float
        Projected log rate x_T'b and its standard error.
    births : float
        Live births B assumed in the target year.
    target : float
        The target in rate units.
    multiplier : float
    direction : {'lower_is_better', 'higher_is_better'}
    model : {'poisson', 'negbin', 'quasipoisson'}
        Count distribution given the mean μ = B e^η: Poisson; NB2 with ``theta``
        (var μ + μ²/θ); gamma–Poisson with variance φμ (``phi`` > 1).
    n_nodes : int
        Gauss–Hermite nodes.

    Returns
    -------
    float

    Notes
    -----
    With c = ⌊target·B/multiplier⌋ the largest count meeting a lower-is-better target,
    P = ∫ F(c; B e^η) φ((η − η_T)/se)/se dη, F the count distribution's cdf given its mean: the
    predictive distribution of the count combines the model's uncertainty about the log mean
    (normal, from the GLM's covariance) with the year's own Poisson/NB variation. The integral is
    computed by probabilists' Gauss–Hermite quadrature; :func:`project_rate`'s seeded simulation
    of the same distribution checks it (``p_observed_meets_target``). For higher-is-better,
    1 − F(⌈target·B/multiplier⌉ − 1). θ and φ are plugged in (their uncertainty is ignored).
    """
    x, w = np.polynomial.hermite_e.hermegauss(int(n_nodes))
    mu = births * np.exp(eta + se * x)
    k = target * births / multiplier
    if direction == "lower_is_better":
        cdf = _count_cdf(int(np.floor(k + 1e-9)), mu, model, theta, phi)
    else:
        cdf = 1 - _count_cdf(int(np.ceil(k - 1e-9)) - 1, mu, model, theta, phi)
    return float(np.clip(np.sum(w * cdf) / np.sqrt(2 * np.pi), 0.0, 1.0))


def project_rate(
    years,
    deaths,
    births,
    *,
    target_years=(2025, 2030),
    target: float | None = None,
    births_assumed: float | None = None,
    multiplier: float = 1000.0,
    direction: str = "lower_is_better",
    level: float = 0.95,
    model: str = "auto",
    n_sim: int = 20000,
    seed: int = DEFAULT_SEED,
) -> ProjectionResult:
    """Expected and reported rate in target years from the fitted log-linear trend.

    Parameters
    ----------
    years, deaths, births : array-like
        The observed series (as :func:`mchanalysis.trends.loglinear_trend`). To project from
        the last joinpoint segment pass only its years (as
        :func:`mchanalysis.analysis.mortality.projection` does).
    target_years : int or sequence of int
        Years to project to (after the last observed year or not: any year).
    target : float, optional
        The target value in rate units (e.g. 12 for MMR ≤ 12/10万). Adds the probabilities and
        the needed annual decline.
    births_assumed : float, optional
        Live births assumed in the target year (default: the latest year's births). The
        prediction interval and ``p_meets_target`` depend on it.
    multiplier : float
        Rate scale (1000 for ‰, 100000 for /10万).
    direction : {'lower_is_better', 'higher_is_better'}
        Meeting the target means rate ≤ target, or ≥ target.
    level : float
        Confidence level of both intervals, a fraction.
    model : {'auto', 'poisson', 'negbin', 'quasipoisson'}
        Passed to :func:`mchanalysis.trends.loglinear_trend`.
    n_sim, seed : int
        Size and seed of the predictive simulation (fixed seed: results repeat exactly).

    Returns
    -------
    ProjectionResult
        ``frame``: one row per target year, columns :data:`PROJECTION_COLUMNS`; ``trend``: the
        :class:`~mchanalysis.trends.TrendResult` used.

    Notes
    -----
    From the trend fit log μ_t/B_t = b0 + b1 (t − t0): η_T = x_T'b, var η_T = x_T' V x_T
    (V = the model's covariance: Poisson, negative binomial, or quasi-Poisson scaled).

    * rate, lower, upper: multiplier · exp(η_T ± q se(η_T)) — interval for the *expected* rate
      (q normal; t(n − 2) for quasi-Poisson, :func:`mchanalysis.trends.wald_quantile`).
    * pi_lower, pi_upper: prediction interval for the *reported* rate d_T/B_T·multiplier given
      B_T = births_assumed: quantiles of n_sim draws of η ~ N(η_T, se²), μ = B_T e^η, then
      d ~ Poisson(μ) (Poisson), NegBin(μ, θ) (negative binomial) or a gamma–Poisson mixture
      with variance φμ (quasi-Poisson, φ > 1).
    * **p_meets_target**: probability that the *reported* rate meets the target, from that
      predictive distribution, computed by quadrature (:func:`predictive_probability`). This is
      the number to report ("达标概率"): it includes the year's own random variation.
    * p_observed_meets_target: the same probability estimated from the seeded simulation, with
      its Monte Carlo standard error ``p_observed_mc_se`` = sqrt(p(1 − p)/n_sim) (a check).
    * p_mean_meets_target = Φ((log(target/multiplier) − η_T)/se(η_T)) for lower_is_better:
      the probability, under the normal sampling distribution of the projected log mean, that
      the model's *expected* rate meets the target (kept for comparison; not the reported rate).
    * fitted_latest_rate: multiplier · exp(x_L'b), the trend's rate in the latest year L;
      needed_annual_decline = 100(1 − (target/fitted_latest_rate)^(1/(T − L))) from it (the
      latest crude rate is noisy: ``needed_annual_decline_crude`` keeps that version).
    * fit_start: first year of the series the trend was fitted to.
    """
    from scipy import stats as _st

    level = check_level(level)
    if direction not in ("lower_is_better", "higher_is_better"):
        raise MchError(f"direction must be 'lower_is_better' or 'higher_is_better', got {direction!r}")
    if target is not None and not target > 0:
        raise MchError(f"target must be a positive rate, got {target!r}")
    t, d, b, _ = yearly_series(years, deaths, births)  # the trend fit notes the years left out itself
    tr = loglinear_trend(t, d, b, level=level, model=model)
    if tr.result is None:
        raise MchError(f"no trend could be fitted: {tr.reason}")
    fit = tr.result
    p = np.asarray(fit.params, dtype=float)
    V = np.asarray(fit.cov_params(), dtype=float)
    if not (np.isfinite(p).all() and np.isfinite(V).all()):
        raise MchError("the trend has no finite estimate (no finite MLE): no projection")
    t0 = float(tr.start)
    ty = np.atleast_1d(np.asarray(target_years, dtype=float))
    B = float(b[-1]) if births_assumed is None else float(births_assumed)
    if not B > 0:
        raise MchError("births_assumed must be positive")
    z = wald_quantile(level, len(t) - 2 if tr.model == "quasipoisson" else None)
    rng = np.random.default_rng(seed)
    latest_year, latest_rate = int(t[-1]), float(d[-1] / b[-1] * multiplier)
    x_latest = np.array([1.0, latest_year - t0])
    fitted_latest = float(multiplier * np.exp(x_latest @ p))
    phi = float(fit.scale) if tr.model == "quasipoisson" else 1.0
    rows, sims = [], []
    for T in ty:
        x = np.array([1.0, T - t0])
        eta = float(x @ p)
        se = float(np.sqrt(x @ V @ x))
        eta_s = rng.normal(eta, se, n_sim)
        mu = B * np.exp(eta_s)
        if tr.model == "negbin":
            theta = tr.theta
            lam = rng.gamma(theta, mu / theta)
        elif tr.model == "quasipoisson" and phi > 1:
            shape = mu / (phi - 1)
            lam = rng.gamma(shape, mu / shape)
        else:
            lam = mu
        obs = rng.poisson(lam) / B * multiplier
        sims.append(obs)
        row = dict(
            target_year=int(T),
            births_assumed=B,
            rate=multiplier * np.exp(eta),
            lower=multiplier * np.exp(eta - z * se),
            upper=multiplier * np.exp(eta + z * se),
            pi_lower=float(np.quantile(obs, (1 - level) / 2)),
            pi_upper=float(np.quantile(obs, 1 - (1 - level) / 2)),
            target=np.nan if target is None else float(target),
            p_meets_target=np.nan,
            p_mean_meets_target=np.nan,
            p_observed_meets_target=np.nan,
            p_observed_mc_se=np.nan,
            latest_year=latest_year,
            latest_rate=latest_rate,
            fitted_latest_rate=fitted_latest,
            needed_annual_decline=np.nan,
            needed_annual_decline_crude=np.nan,
            model_apc=tr.apc,
            model=tr.model,
            fit_start=int(t[0]),
            conf_level=level,
            seed=seed,
        )
        if target is not None:
            zt = (np.log(target / multiplier) - eta) / se
            p_low = float(_st.norm.cdf(zt))
            row["p_mean_meets_target"] = p_low if direction == "lower_is_better" else 1 - p_low
            row["p_meets_target"] = predictive_probability(
                eta,
                se,
                B,
                target,
                multiplier=multiplier,
                direction=direction,
                model=tr.model,
                theta=tr.theta,
                phi=phi,
            )
            meets = obs <= target if direction == "lower_is_better" else obs >= target
            po = float(meets.mean())
            row["p_observed_meets_target"] = po
            row["p_observed_mc_se"] = float(np.sqrt(po * (1 - po) / n_sim))
            if T > latest_year:
                if fitted_latest > 0:
                    row["needed_annual_decline"] = needed_annual_decline(
                        fitted_latest, target, T - latest_year
                    )
                if latest_rate > 0:
                    row["needed_annual_decline_crude"] = needed_annual_decline(
                        latest_rate, target, T - latest_year
                    )
        rows.append(row)
    return ProjectionResult(
        frame=pd.DataFrame(rows, columns=PROJECTION_COLUMNS), trend=tr, simulated_rates=np.vstack(sims)
    )


__all__ = [
    "EB_METHODS",
    "ITSResult",
    "ProjectionResult",
    "eb_smooth",
    "interrupted_time_series",
    "its_design",
    "needed_annual_decline",
    "period_rate_ratio",
    "predictive_probability",
    "project_rate",
]
