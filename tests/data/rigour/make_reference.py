"""Compute the reference values in this folder (run from the repository root).

Independent of mchanalysis: statsmodels' GLM with ``scale='X2', use_t=True`` is R's
``summary.glm`` for ``family = quasipoisson`` (dispersion = Pearson X²/df.residual, t on
df.residual); the same numbers come from ``reproduce.R`` in this folder.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

HERE = Path(__file__).parent


def quasi(y, X, offset):
    return sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit(
        scale="X2", use_t=True, tol=1e-13, tol_criterion="params", maxiter=200
    )


def its_reference():
    s = pd.read_csv(HERE / "its_series.csv")
    t = s["year"].to_numpy(float)
    post = (t >= 2016).astype(float)
    X = np.column_stack([np.ones_like(t), t - t.min(), post, (t - 2016) * post])
    f = quasi(s["deaths"].to_numpy(float), X, np.log(s["births"].to_numpy(float)))
    ci = f.conf_int(0.05)
    rows = []
    for i, name in enumerate(["b0", "b1", "b2", "b3"]):
        rows.append(
            dict(
                term=name,
                estimate=f.params[i],
                se=f.bse[i],
                t_value=f.tvalues[i],
                p_value=f.pvalues[i],
                lower=ci[i, 0],
                upper=ci[i, 1],
            )
        )
    # slope after the break, b1 + b3 (R: multcomp or the contrast by hand)
    c = np.array([0, 1, 0, 1.0])
    tt = f.t_test(c)
    lo, hi = np.asarray(tt.conf_int(0.05)).ravel()
    rows.append(
        dict(
            term="b1+b3",
            estimate=float(tt.effect[0]),
            se=float(np.asarray(tt.sd).ravel()[0]),
            t_value=float(np.asarray(tt.tvalue).ravel()[0]),
            p_value=float(tt.pvalue),
            lower=lo,
            upper=hi,
        )
    )
    out = pd.DataFrame(rows)
    out["dispersion"] = f.scale
    out["df_residual"] = f.df_resid
    out.to_csv(HERE / "its_quasipoisson_reference.csv", index=False, float_format="%.15g")


def trend_reference():
    s = pd.read_csv(HERE / "its_series.csv")
    t = s["year"].to_numpy(float)
    X = np.column_stack([np.ones_like(t), t - t.min()])
    f = quasi(s["deaths"].to_numpy(float), X, np.log(s["births"].to_numpy(float)))
    ci = f.conf_int(0.05)
    pd.DataFrame(
        [
            dict(
                term="year",
                estimate=f.params[1],
                se=f.bse[1],
                p_value=f.pvalues[1],
                lower=ci[1, 0],
                upper=ci[1, 1],
                dispersion=f.scale,
                df_residual=f.df_resid,
            )
        ]
    ).to_csv(HERE / "trend_quasipoisson_reference.csv", index=False, float_format="%.15g")


def period_reference():
    s = pd.read_csv(HERE / "its_series.csv")
    sel = (s["year"] <= 2012) | (s["year"] >= 2019)
    g = s[sel]
    period = (g["year"] >= 2019).astype(float).to_numpy()
    X = np.column_stack([np.ones(len(g)), period])
    f = quasi(g["deaths"].to_numpy(float), X, np.log(g["births"].to_numpy(float)))
    ci = f.conf_int(0.05)
    pd.DataFrame(
        [
            dict(
                first_start=2008,
                first_end=2012,
                last_start=2019,
                last_end=2023,
                log_rr=f.params[1],
                se=f.bse[1],
                p_value=f.pvalues[1],
                rate_ratio=np.exp(f.params[1]),
                lower=np.exp(ci[1, 0]),
                upper=np.exp(ci[1, 1]),
                dispersion=f.scale,
                df_residual=f.df_resid,
            )
        ]
    ).to_csv(HERE / "period_quasipoisson_reference.csv", index=False, float_format="%.15g")


def aapc_reference():
    """AAPC 2005-2023 by the delta method (Clegg et al. 2009) given the joinpoints in
    aapc_joinpoints.txt: weighted least squares of log(rate) on 1, year, (year - t_j)+ with
    weights = deaths (statsmodels WLS == R's lm(..., weights = deaths)); slopes b = A beta;
    var(g'b) = g' A V A' g with g the segment lengths / total length; normal quantile."""
    from scipy import stats

    a = pd.read_csv(HERE / "aapc_series.csv")
    J = [float(v) for v in (HERE / "aapc_joinpoints.txt").read_text().split()]
    x = a["year"].to_numpy(float)
    y = np.log(a["deaths"] / a["births"] * 1000).to_numpy()
    X = np.column_stack([np.ones_like(x), x] + [np.clip(x - j, 0, None) for j in J])
    f = sm.WLS(y, X, weights=a["deaths"].to_numpy(float)).fit()
    V = np.asarray(f.cov_params())
    k = len(J)
    A = np.zeros((k + 1, k + 2))
    for j in range(k + 1):
        A[j, 1] = 1
        A[j, 2 : 2 + j] = 1
    b = A @ f.params
    L = np.diff([x.min(), *J, x.max()])
    g = L / L.sum()
    mu = float(g @ b)
    se = float(np.sqrt(g @ A @ V @ A.T @ g))
    z = stats.norm.ppf(0.975)
    pd.DataFrame(
        [
            dict(
                start=x.min(),
                end=x.max(),
                aapc=100 * np.expm1(mu),
                lower=100 * np.expm1(mu - z * se),
                upper=100 * np.expm1(mu + z * se),
                log_aapc=mu,
                se=se,
                p_value=2 * stats.norm.sf(abs(mu / se)),
                df_residual=f.df_resid,
            )
        ]
    ).to_csv(HERE / "aapc_reference.csv", index=False, float_format="%.15g")


def rate_change_reference():
    """Central exact p of the rate ratio (closed form with scipy's binomial cdf) and the
    Clopper-Pearson limits of the ratio (scipy's beta quantiles): R's
    exactci::poisson.exact(c(d2, d1), c(n2, n1), tsmethod = "central")."""
    from scipy import stats

    rows = []
    for d1, n1, d2, n2 in [
        (5, 9000, 0, 9500),
        (8, 29400, 5, 26700),
        (12, 10000, 25, 11000),
        (40, 50000, 22, 52000),
        (3, 4000, 11, 4100),
        (0, 5000, 4, 5200),
    ]:
        D, pi0 = d1 + d2, n2 / (n1 + n2)
        p = min(1.0, 2 * min(stats.binom.cdf(d2, D, pi0), stats.binom.sf(d2 - 1, D, pi0)))
        lo = stats.beta.ppf(0.025, d2, D - d2 + 1) if d2 > 0 else 0.0
        hi = stats.beta.ppf(0.975, d2 + 1, D - d2) if d2 < D else 1.0
        k = n1 / n2
        rows.append(
            dict(
                d1=d1,
                n1=n1,
                d2=d2,
                n2=n2,
                p_central=p,
                ratio_lower=lo / (1 - lo) * k,
                ratio_upper=(hi / (1 - hi) * k) if hi < 1 else np.inf,
            )
        )
    pd.DataFrame(rows).to_csv(HERE / "rate_change_central_reference.csv", index=False, float_format="%.15g")


def holm_reference():
    """Holm-adjusted p-values: statsmodels multipletests(method='holm') == R p.adjust(p, 'holm')."""
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.046, 0.012, 0.30, 0.0004, 0.021, 0.75, 0.049, 0.0031])
    pd.DataFrame({"p": p, "holm": multipletests(p, method="holm")[1]}).to_csv(
        HERE / "holm_reference.csv", index=False, float_format="%.15g"
    )


if __name__ == "__main__":
    rate_change_reference()
    holm_reference()
    aapc_reference()
    its_reference()
    trend_reference()
    period_reference()
