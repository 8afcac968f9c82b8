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
        scale="X2", use_t=True, tol=1e-13, tol_criterion="params", maxiter=200)


def its_reference():
    s = pd.read_csv(HERE / "its_series.csv")
    t = s["year"].to_numpy(float)
    post = (t >= 2016).astype(float)
    X = np.column_stack([np.ones_like(t), t - t.min(), post, (t - 2016) * post])
    f = quasi(s["deaths"].to_numpy(float), X, np.log(s["births"].to_numpy(float)))
    ci = f.conf_int(0.05)
    rows = []
    for i, name in enumerate(["b0", "b1", "b2", "b3"]):
        rows.append(dict(term=name, estimate=f.params[i], se=f.bse[i], t_value=f.tvalues[i],
                         p_value=f.pvalues[i], lower=ci[i, 0], upper=ci[i, 1]))
    # slope after the break, b1 + b3 (R: multcomp or the contrast by hand)
    c = np.array([0, 1, 0, 1.0])
    tt = f.t_test(c)
    lo, hi = np.asarray(tt.conf_int(0.05)).ravel()
    rows.append(dict(term="b1+b3", estimate=float(tt.effect[0]), se=float(np.asarray(tt.sd).ravel()[0]),
                     t_value=float(np.asarray(tt.tvalue).ravel()[0]), p_value=float(tt.pvalue), lower=lo, upper=hi))
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
    pd.DataFrame([dict(term="year", estimate=f.params[1], se=f.bse[1], p_value=f.pvalues[1],
                       lower=ci[1, 0], upper=ci[1, 1], dispersion=f.scale, df_residual=f.df_resid)]
                 ).to_csv(HERE / "trend_quasipoisson_reference.csv", index=False, float_format="%.15g")


def period_reference():
    s = pd.read_csv(HERE / "its_series.csv")
    sel = (s["year"] <= 2012) | (s["year"] >= 2019)
    g = s[sel]
    period = (g["year"] >= 2019).astype(float).to_numpy()
    X = np.column_stack([np.ones(len(g)), period])
    f = quasi(g["deaths"].to_numpy(float), X, np.log(g["births"].to_numpy(float)))
    ci = f.conf_int(0.05)
    pd.DataFrame([dict(first_start=2008, first_end=2012, last_start=2019, last_end=2023,
                       log_rr=f.params[1], se=f.bse[1], p_value=f.pvalues[1],
                       rate_ratio=np.exp(f.params[1]), lower=np.exp(ci[1, 0]), upper=np.exp(ci[1, 1]),
                       dispersion=f.scale, df_residual=f.df_resid)]
                 ).to_csv(HERE / "period_quasipoisson_reference.csv", index=False, float_format="%.15g")


if __name__ == "__main__":
    its_reference()
    trend_reference()
    period_reference()
