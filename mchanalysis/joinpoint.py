"""Joinpoint regression as the US NCI Joinpoint Regression Program computes it.

The model (log-linear, "ln(y) = xb" in NCI's program) for a series (x_i, y_i), i = 1..n::

    ln y_i = b0 + b1 x_i + d1 (x_i - t1)+ + ... + dk (x_i - tk)+ + e_i,    (u)+ = max(u, 0)

a continuous piecewise-linear trend of ln y with k joinpoints t1 < ... < tk. The slope of segment
j is b_j = b1 + d1 + ... + d_(j-1) and its annual percent change APC_j = 100 (exp(b_j) - 1).

Fitting (NCI's defaults, METHOD.md in the project's reference notes):

* weighted least squares on ln y with weight w_i: 1 (constant variance), y_i^2 / se_i^2 (supplied
  standard error; the delta method gives var(ln y) ~ (se/y)^2) or the count c_i (Poisson
  variance: var(ln y) ~ 1/c). All sums of squares below are weighted.
* grid search (Lerman 1980): joinpoints only at observed x; at least ``min_obs_end`` (2)
  observations, not counting the joinpoint, between a joinpoint and either end, and at least
  ``min_obs_between`` (2) between two joinpoints; for every k the admissible combination with the
  smallest SSE is the k-joinpoint model.
* the maximum number of joinpoints by series length (NCI's "determined by number of points"):
  n 7-11 -> 1, 12-16 -> 2, 17-21 -> 3, 22-26 -> 4, 27 or more -> 5, never more than the
  constraints allow.
* model selection: weighted BIC (NCI's default since version 5.0), BIC, or the sequential
  permutation test of Kim et al. (2000).
* APC confidence interval and p-value: NCI's parametric method (its statistical notes,
  "Estimated Regression Coefficients"), see :func:`joinpoint`; optionally empirical quantiles of
  a residual bootstrap (NCI 5.x's default, whose exact variant is undocumented, so those limits
  are not checked against NCI). The point estimates (joinpoint locations, APCs, fitted values)
  do not depend on the interval method.

Why hand-written: no Python package implements NCI's grid, constraints and selection rules
(pwlf, piecewise-regression, R's segmented fit continuous breakpoints without NCI's selection).
statsmodels' WLS is not used because the grid search and the permutation test solve the same
least-squares problem for every admissible placement (tens) times every permuted data set
(4,499): one stacked matrix product on precomputed orthonormal bases in numpy
(:meth:`_Grid.min_sse`) does that about a thousand times faster than a fit per problem. The
selected model's coefficients are then computed by a plain least-squares solve.

References
----------
Kim HJ, Fay MP, Feuer EJ, Midthune DN (2000). Permutation tests for joinpoint regression with
applications to cancer rates. Stat Med 19:335-351 (correction 2001;20:655).
Lerman PM (1980). Fitting segmented regression models by grid search. Appl Stat 29:77-84.
Kim HJ, Chen HS, Midthune D, et al. (2023). Data-driven choice of a model selection method in
joinpoint regression. J Appl Stat 50:1992-2013 (weighted BIC).
Clegg LX, Hankey BF, Tiwari R, Feuer EJ, Edwards BK (2009). Estimating average annual per cent
change in trend analysis. Stat Med 28:3670-3682.
NCI Joinpoint Regression Program help and statistical notes,
https://surveillance.cancer.gov/help/joinpoint.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# scipy.stats is imported in the functions that use it, not here: with statsmodels it costs
# ~0.9 s of start-up, which `mch validate` and `mch --help` never need (issue 12).
from mchanalysis.confidence import check_level
from mchanalysis.errors import MchError

#: NCI defaults (grid search).
MIN_OBS_END = 2
MIN_OBS_BETWEEN = 2
#: NCI's default number of permutations and random seed (command-line version).
N_PERM = 4499
NCI_SEED = 7160

VARIANCES = ("constant", "se", "poisson")
SELECTIONS = ("wbic", "bic", "permutation")

SEGMENT_COLUMNS = ["k", "segment", "start", "end", "apc", "apc_lower", "apc_upper", "p_value"]


# --------------------------------------------------------------------------------------------
# grid and constraints
# --------------------------------------------------------------------------------------------


def nci_max_joinpoints(n: int) -> int:
    """NCI's recommended maximum number of joinpoints for a series of ``n`` points.

    n < 7 -> 0, 7-11 -> 1, 12-16 -> 2, 17-21 -> 3, 22-26 -> 4, 27 or more -> 5. (Checked
    against NCI 5.x runs: 2 for n = 16, 3 for n = 17.)
    """
    if n < 7:
        return 0
    return int(min(5, (n - 7) // 5 + 1))


def feasible_max_joinpoints(
    n: int, *, min_obs_end: int = MIN_OBS_END, min_obs_between: int = MIN_OBS_BETWEEN
) -> int:
    """Largest k for which k joinpoints at observed points satisfy the grid constraints.

    Joinpoint indices j (0-based) need ``min_obs_end <= j <= n - 1 - min_obs_end`` and
    consecutive joinpoints ``j' - j >= min_obs_between + 1``, hence
    k <= (n - 1 - 2 min_obs_end) / (min_obs_between + 1) + 1.
    """
    span = n - 1 - 2 * min_obs_end
    if span < 0:
        return 0
    return int(span // (min_obs_between + 1) + 1)


def candidate_joinpoints(
    n: int, k: int, *, min_obs_end: int = MIN_OBS_END, min_obs_between: int = MIN_OBS_BETWEEN
) -> np.ndarray:
    """All admissible k-joinpoint placements as an (m, k) array of 0-based point indices.

    Rows are in lexicographic order (the order ties are broken in).
    """
    if k == 0:
        return np.zeros((1, 0), dtype=int)
    positions = range(min_obs_end, n - min_obs_end)
    rows = [
        c
        for c in itertools.combinations(positions, k)
        if all(b - a > min_obs_between for a, b in zip(c, c[1:]))
    ]
    return np.array(rows, dtype=int).reshape(len(rows), k)


def design_matrix(x, joinpoints) -> np.ndarray:
    """Columns 1, x, (x - t1)+, ..., (x - tk)+ for joinpoint locations ``joinpoints``."""
    x = np.asarray(x, dtype=float)
    cols = [np.ones_like(x), x] + [np.clip(x - t, 0.0, None) for t in joinpoints]
    return np.column_stack(cols)


#: Largest number of projections held at once by :meth:`_Grid.min_sse` (about 64 MB).
_BLOCK = 8_000_000


class _Grid:
    """Orthonormal bases of all admissible designs of one series, for batched grid search.

    With S = diag(sqrt w), Q0 an orthonormal basis of S[1, x] and, for a placement c, Qc an
    orthonormal basis of (I - Q0 Q0') S H_c (H_c the hinge columns), the weighted SSE of any
    response z under design c is ||e0||^2 - ||Qc' e0||^2 with e0 = (I - Q0 Q0') S z. Stacking the
    Qc' of all placements turns the grid search for B responses into one matrix product.
    """

    def __init__(self, x, sw, kmax, min_obs_end, min_obs_between):
        self.x = x
        self.sw = sw
        n = len(x)
        q0, _ = np.linalg.qr(sw[:, None] * design_matrix(x, []))
        self.q0 = q0
        hinge = sw[:, None] * np.clip(x[:, None] - x[None, :], 0.0, None)  # column j: knot x_j
        hinge = hinge - q0 @ (q0.T @ hinge)
        self.combos = {}
        self.bases = {}
        for k in range(1, kmax + 1):
            combos = candidate_joinpoints(n, k, min_obs_end=min_obs_end, min_obs_between=min_obs_between)
            mats = np.transpose(hinge[:, combos], (1, 0, 2))  # (m, n, k)
            q, _ = np.linalg.qr(mats)
            self.combos[k] = combos
            self.bases[k] = np.ascontiguousarray(np.transpose(q, (0, 2, 1)).reshape(-1, n))

    def residual0(self, zs):
        """(I - Q0 Q0') applied to each row of weighted responses zs (B, n)."""
        return zs - (zs @ self.q0) @ self.q0.T

    def min_sse(self, k, e0):
        """Smallest weighted SSE over the k-placements, and the placement, per row of e0 (B, n).

        SSE_c = ||e0||² - ||Qc' e0||²; the minimum over c is ||e0||² minus the maximum of the
        projections (floating-point subtraction is monotone, so this is exactly the minimum of
        the differences). Ties go to the first placement in lexicographic order.
        """
        sse0 = np.einsum("bn,bn->b", e0, e0)
        B = len(sse0)
        if k == 0:
            return sse0, np.zeros(B, dtype=int)
        bases = self.bases[k]
        m = len(self.combos[k])
        step = max(1, _BLOCK // max(1, B * k))  # placements per block: bounded memory
        best = np.full(B, -np.inf)
        arg = np.zeros(B, dtype=int)
        rows = np.arange(B)
        for c0 in range(0, m, step):
            c1 = min(m, c0 + step)
            proj = e0 @ bases[c0 * k : c1 * k].T  # (B, (c1-c0)*k): column c*k + j = vector j of c
            np.square(proj, out=proj)
            if k > 1:  # sum each placement's k columns (strided adds: faster than reshape-sum)
                acc = proj[:, 0::k].copy()
                for j in range(1, k):
                    acc += proj[:, j::k]
                proj = acc  # (B, c1-c0)
            i = np.argmax(proj, axis=1)
            v = proj[rows, i]
            better = v > best  # strict: an earlier block keeps a tie
            best[better] = v[better]
            arg[better] = i[better] + c0
        return sse0 - best, arg


# --------------------------------------------------------------------------------------------
# fits and selection criteria
# --------------------------------------------------------------------------------------------


@dataclass
class _Fit:
    k: int
    idx: tuple  # 0-based indices of the joinpoints
    joinpoints: tuple  # their x values
    beta: np.ndarray
    sse: float
    fitted_log: np.ndarray


def _wls_fit(x, z, sw, idx) -> _Fit:
    t = tuple(float(x[i]) for i in idx)
    X = design_matrix(x, t)
    beta, *_ = np.linalg.lstsq(sw[:, None] * X, sw * z, rcond=None)
    fl = X @ beta
    sse = float(np.sum((sw * (z - fl)) ** 2))
    return _Fit(len(idx), tuple(int(i) for i in idx), t, beta, sse, fl)


def _partial_r2_max(x, z, sw, idx) -> float:
    """R²max of the weighted BIC: the largest partial R² of a joinpoint in its local window.

    For joinpoint i the window runs from the previous joinpoint (or the first point) to the next
    joinpoint (or the last point), inclusive; with M = I - H0 the residual maker of a straight
    line fitted to the window (weighted) and u = (x - t_i)+,
    R²_i = (z'Mu)² / ((z'Mz)(u'Mu)).
    """
    n = len(x)
    bounds = [0, *idx, n - 1]
    best = 0.0
    for i in range(1, len(bounds) - 1):
        lo, hi = bounds[i - 1], bounds[i + 1]
        xs, zs, ws = x[lo : hi + 1], z[lo : hi + 1], sw[lo : hi + 1]
        A = ws[:, None] * design_matrix(xs, [])
        q, _ = np.linalg.qr(A)
        u = ws * np.clip(xs - x[bounds[i]], 0.0, None)
        v = ws * zs
        mu = u - q @ (q.T @ u)
        mv = v - q @ (q.T @ v)
        den = float(mv @ mv) * float(mu @ mu)
        r2 = float(mv @ mu) ** 2 / den if den > 0 else 0.0
        best = max(best, r2)
    return best


def _criteria(fits, x, z, sw):
    n = len(x)
    rows = []
    ln_n = np.log(n) / n
    for f in fits:
        k = f.k
        lsse = np.log(max(f.sse, np.finfo(float).tiny) / n)
        r2 = _partial_r2_max(x, z, sw, f.idx) if k else np.nan
        rows.append(
            {
                "k": k,
                "joinpoints": ";".join(_fmt_x(t) for t in f.joinpoints),
                "sse": f.sse,
                "bic": lsse + 2 * (k + 1) * ln_n,
                "bic3": lsse + (3 * k + 2) * ln_n,
                "r2max": r2,
                "wbic": lsse + ((2 + (r2 if k else 0.0)) * k + 2) * ln_n,
            }
        )
    return pd.DataFrame(rows)


def _fmt_x(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else repr(v)


def permutation_indices(rng: np.random.Generator, n_perm: int, n: int) -> np.ndarray:
    """The permutations of one test: ``rng.permuted(tile(arange(n), (n_perm, 1)), axis=1)``.

    Each test of the sequence draws its own permutations from the one generator, in order; a
    seed therefore fixes every p-value.
    """
    return rng.permuted(np.tile(np.arange(n), (n_perm, 1)), axis=1)


def _permutation_select(grid, fits, z, kmin, kmax, n_perm, alpha, rng):
    """Sequential permutation tests of Kim et al. (2000) as NCI runs them.

    Start with k_a = kmin, k_b = kmax. Test H0: k = k_a against H1: k = k_b with statistic
    T = SSE(k_a) / SSE(k_b); the permutation data sets are the null model's fitted values plus
    its permuted (weight-standardised) residuals, z* = f_a + P(S r_a) / sqrt(w), and for each the
    grid search is redone for both k_a and k_b. p = (1 + #{T* >= T}) / (n_perm + 1). Reject when
    p < alpha / (kmax - k_a) (NCI's corrected levels since version 3.0), then k_a += 1, else
    k_b -= 1, until k_a = k_b.
    """
    sw = grid.sw
    ka, kb = kmin, kmax
    tests = []
    while ka < kb:
        null, alt = fits[ka], fits[kb]
        t_obs = null.sse / alt.sse if alt.sse > 0 else np.inf
        rs = sw * (z - null.fitted_log)
        perms = permutation_indices(rng, n_perm, len(z))
        e0 = grid.residual0((sw * null.fitted_log)[None, :] + rs[perms])  # (B, n) weighted
        sa, _ = grid.min_sse(ka, e0)
        sb, _ = grid.min_sse(kb, e0)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_perm = sa / sb
        p = (1 + int(np.sum(t_perm >= t_obs))) / (n_perm + 1)
        level = alpha / (kmax - ka)
        reject = p < level
        tests.append(
            {
                "k_null": ka,
                "k_alt": kb,
                "statistic": t_obs,
                "p_value": p,
                "alpha": level,
                "reject": bool(reject),
            }
        )
        if reject:
            ka += 1
        else:
            kb -= 1
    return ka, pd.DataFrame(tests, columns=["k_null", "k_alt", "statistic", "p_value", "alpha", "reject"])


# --------------------------------------------------------------------------------------------
# APC, AAPC
# --------------------------------------------------------------------------------------------


def _segment_slopes(fit):
    return np.cumsum(fit.beta[1:])


def _segment_se(x, z, sw, idx):
    """NCI's parametric SEs of segment slopes and their degrees of freedom.

    Conditional on the joinpoints, each segment gets its own line (the unconstrained model of
    Lerman 1980) fitted to its points *excluding points that lie on a joinpoint*; with pooled
    weighted residual variance s² = SSE_u / d, d = n* - p* (n* points used, p* = 2 per segment
    with two or more points, 1 with one), var(b_j) = s² / sum_seg w (x - xbar_w)².
    """
    n = len(x)
    bounds = [0, *idx, n - 1]
    on_jp = set(idx)
    sse_u, n_star, p_star, sxx = 0.0, 0, 0, []
    for j in range(len(bounds) - 1):
        lo, hi = bounds[j], bounds[j + 1]
        pts = [i for i in range(lo, hi + 1) if i not in on_jp]
        # the first segment owns x[0] and the last owns x[n-1]; interior joinpoints are dropped
        xs, zs, w = x[pts], z[pts], sw[pts] ** 2
        n_star += len(pts)
        if len(pts) >= 2:
            p_star += 2
            xbar = np.sum(w * xs) / np.sum(w)
            zbar = np.sum(w * zs) / np.sum(w)
            s = float(np.sum(w * (xs - xbar) ** 2))
            b = float(np.sum(w * (xs - xbar) * (zs - zbar))) / s
            sse_u += float(np.sum(w * (zs - zbar - b * (xs - xbar)) ** 2))
            sxx.append(s)
        else:
            p_star += len(pts)
            sxx.append(np.nan)
    d = n_star - p_star
    s2 = sse_u / d if d > 0 else np.nan
    return np.sqrt(s2 / np.array(sxx)), d


def _apc(b):
    return 100.0 * np.expm1(b)


def _segments_table(x, fit, se, df, level):
    from scipy import stats as _st

    b = _segment_slopes(fit)
    edges = [float(x[0]), *fit.joinpoints, float(x[-1])]
    q = _st.t.ppf(1 - (1 - level) / 2, df) if df > 0 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        tstat = b / se
    p = 2 * _st.t.sf(np.abs(tstat), df) if df > 0 else np.full(len(b), np.nan)
    return pd.DataFrame(
        {
            "k": fit.k,
            "segment": np.arange(1, len(b) + 1),
            "start": edges[:-1],
            "end": edges[1:],
            "apc": _apc(b),
            "apc_lower": _apc(b - q * se),
            "apc_upper": _apc(b + q * se),
            "p_value": p,
        }
    )


def _aapc_weights(edges, lo, hi):
    """Clegg weights: length of each segment (rows of ``edges``, shape (..., k+2)) inside
    [lo, hi]; for lo == hi, 1 for the first segment containing that year."""
    if hi > lo:
        return np.clip(np.minimum(edges[..., 1:], hi) - np.maximum(edges[..., :-1], lo), 0.0, None)
    inside = (edges[..., :-1] <= lo) & (lo <= edges[..., 1:])
    return (inside & (np.cumsum(inside, axis=-1) == 1)).astype(float)


def _empirical_ci(grid, x, z, sw, fit, ranges, level, n_resample, seed):
    """Empirical-quantile limits of the APCs and AAPCs (NCI 5.x's default interval method).

    Residual bootstrap of the final k-joinpoint model (Kim et al. 2022): weight-standardised
    residuals r = sqrt(w)(z - f) are drawn with replacement, z* = f + r*/sqrt(w); on each
    resample the k joinpoints are placed again by the grid search and the segment slopes
    re-estimated; the limits are the (1 - level)/2 and (1 + level)/2 quantiles (numpy's linear
    interpolation) of the resampled APC_j and AAPC. NCI's exact variant ("method 1/2") is not
    documented; limits from NCI will differ by resampling noise at least.
    """
    rng = np.random.default_rng(seed)
    n, k = len(x), fit.k
    rs = sw * (z - fit.fitted_log)
    zw = (sw * fit.fitted_log)[None, :] + rs[rng.integers(0, n, size=(n_resample, n))]
    if k:
        _, place = grid.min_sse(k, grid.residual0(zw))
    else:
        place = np.zeros(n_resample, dtype=int)
    slopes = np.empty((n_resample, k + 1))
    edges = np.empty((n_resample, k + 2))
    for p in np.unique(place):
        rows = place == p
        idx = grid.combos[k][p] if k else np.zeros(0, dtype=int)
        X = sw[:, None] * design_matrix(x, x[idx])
        beta = np.linalg.lstsq(X, zw[rows].T, rcond=None)[0]
        slopes[rows] = np.cumsum(beta[1:], axis=0).T
        edges[rows] = np.r_[x[0], x[idx], x[-1]]
    qs = [(1 - level) / 2, (1 + level) / 2]
    seg = _apc(np.quantile(slopes, qs, axis=0)).T  # (k+1, 2)
    aapc = []
    for lo, hi in ranges:
        w = _aapc_weights(edges, lo, hi)
        aapc.append(_apc(np.quantile(np.sum(w * slopes, axis=1) / np.sum(w, axis=1), qs)))
    return seg, np.array(aapc)


def slope_covariance(x, sw, fit):
    """Covariance of the segment slopes b_1..b_(k+1) of the fitted continuous model, given its
    joinpoints, and its residual degrees of freedom.

    With X the design (:func:`design_matrix`), W = diag(w) and the coefficients
    β = (b0, b1, d1..dk): Cov(β) = s² (X'WX)⁻¹, s² = SSE_w/(n − k − 2) (R's
    ``vcov(lm(log y ~ X - 1, weights = w))`` with the joinpoints fixed); b_j = A β with
    A[j] = (0, 1, 1_{i<j}), so Cov(b) = A Cov(β) A'. Returns (Cov(b), n − k − 2).
    """
    n, k = len(x), fit.k
    x0 = float(x[0])  # centred: same slopes, a well-conditioned design
    Xw = sw[:, None] * design_matrix(x - x0, [t - x0 for t in fit.joinpoints])
    df = n - k - 2
    if df <= 0:
        return np.full((k + 1, k + 1), np.nan), df
    s2 = fit.sse / df
    r_inv = np.linalg.inv(np.linalg.qr(Xw, mode="r"))
    cov_beta = s2 * (r_inv @ r_inv.T)
    A = np.zeros((k + 1, k + 2))
    for j in range(k + 1):
        A[j, 1] = 1.0
        A[j, 2 : 2 + j] = 1.0
    return A @ cov_beta @ A.T, df


AAPC_CI_METHODS = ("delta", "independent")


def _aapc_table(x, fit, se, df, level, ranges, sw=None, method="delta"):
    """AAPC over each (A, B) of ``ranges`` (Clegg et al. 2009).

    AAPC = 100 (exp(sum w_j b_j / sum w_j) - 1), w_j = length of segment j inside [A, B].
    Inside one segment, AAPC = APC with the APC's interval and p-value (t, NCI's segment df).
    Across segments, the interval is Wald's with the normal quantile on μ = g'b, g = w/Σw:

    * ``'delta'`` (default; Clegg et al. 2009, eq. 4; the conditional-on-joinpoints standard
      error of R's ``segmented::aapc``, its ``wrong.se``): var μ = g' Cov(b) g with Cov(b)
      the slopes' covariance of the continuous model (:func:`slope_covariance`), which carries
      the strong negative correlation of adjacent slopes that share the joinpoint;
    * ``'independent'``: var μ = Σ g_j² var(b_j) with NCI's per-segment variances, treating the
      slopes as independent (the method before issue 11: intervals about 2–3 times too wide).
    """
    from scipy import stats as _st

    b = _segment_slopes(fit)
    edges = np.array([float(x[0]), *fit.joinpoints, float(x[-1])])
    q_t = _st.t.ppf(1 - (1 - level) / 2, df) if df > 0 else np.nan
    q_z = _st.norm.ppf(1 - (1 - level) / 2)
    if method == "delta":
        cov_b, _ = slope_covariance(x, np.ones(len(x)) if sw is None else sw, fit)
    rows = []
    for lo, hi in ranges:
        w = _aapc_weights(edges, lo, hi)
        g = w / np.sum(w)
        sb = float(g @ b)
        use = w > 0
        if use.sum() == 1:
            j = int(np.argmax(use))
            sse, q = float(se[j]), q_t
            p = 2 * _st.t.sf(abs(sb / sse), df) if df > 0 and sse > 0 else np.nan
        else:
            if method == "delta":
                sse = float(np.sqrt(max(float(g @ cov_b @ g), 0.0)))
            else:
                sse = float(np.sqrt(np.sum(g[use] ** 2 * se[use] ** 2)))
            q = q_z
            p = float(2 * _st.norm.sf(abs(sb / sse))) if sse > 0 else np.nan
        rows.append(
            {
                "k": fit.k,
                "segment": "aapc",
                "start": float(lo),
                "end": float(hi),
                "apc": _apc(sb),
                "apc_lower": _apc(sb - q * sse),
                "apc_upper": _apc(sb + q * sse),
                "p_value": p,
            }
        )
    return pd.DataFrame(rows, columns=SEGMENT_COLUMNS)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


@dataclass
class JoinpointResult:
    """A fitted joinpoint model and how it was chosen.

    Attributes
    ----------
    k : int
        Selected number of joinpoints.
    joinpoints : tuple of float
        Their x values.
    segments : pandas.DataFrame
        ``k, segment, start, end, apc, apc_lower, apc_upper, p_value`` (segment 1..k+1).
    aapc : pandas.DataFrame
        Same columns, ``segment = 'aapc'``, one row per AAPC range (the whole range first).
    fitted : pandas.DataFrame
        ``x, y, fitted, weight, joinpoint`` (fitted on the rate scale, exp of the log-scale fit).
    models : pandas.DataFrame
        The best model for every k tried: ``k, joinpoints, sse, bic, bic3, r2max, wbic``.
    tests : pandas.DataFrame
        Permutation tests run (empty unless ``select='permutation'``): ``k_null, k_alt,
        statistic, p_value, alpha, reject``.
    coef : numpy.ndarray
        b0, b1, d1..dk of the selected model (log scale).
    settings : dict
        The options that produced the result.
    """

    k: int
    joinpoints: tuple
    segments: pd.DataFrame
    aapc: pd.DataFrame
    fitted: pd.DataFrame
    models: pd.DataFrame
    tests: pd.DataFrame
    coef: np.ndarray
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Segment rows then AAPC rows, columns ``k, segment, start, end, apc, apc_lower,
        apc_upper, p_value`` (``segment`` is text: '1', '2', ..., 'aapc')."""
        seg, aapc = self.segments, self.aapc
        cols = {
            c: np.concatenate([seg[c].to_numpy(), aapc[c].to_numpy()])
            for c in SEGMENT_COLUMNS
            if c not in ("k", "segment")
        }
        cols["k"] = np.full(len(seg) + len(aapc), self.k)
        cols["segment"] = [str(v) for v in seg["segment"]] + ["aapc"] * len(aapc)
        return pd.DataFrame(cols, columns=SEGMENT_COLUMNS)


def _as_float(name, v, n=None):
    a = np.asarray(v, dtype=float).ravel()
    if n is not None and len(a) != n:
        raise MchError(f"{name} has {len(a)} values, x has {n}")
    return a


def _check_positive(name, a, x):
    bad = ~np.isfinite(a) | (a <= 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise MchError(
            f"{name} must be positive and finite for the log-linear model, got {a[i]!r} at x = "
            f"{_fmt_x(x[i])}"
            + (
                " (a zero count: give the denominator so 0.5 can be added, as NCI does)"
                if name == "count" or a[i] == 0
                else ""
            )
        )


def joinpoint(
    x,
    y,
    *,
    se=None,
    count=None,
    denominator=None,
    variance: str | None = None,
    select: str = "wbic",
    max_joinpoints: int | None = None,
    min_joinpoints: int = 0,
    min_obs_end: int = MIN_OBS_END,
    min_obs_between: int = MIN_OBS_BETWEEN,
    n_perm: int = N_PERM,
    alpha: float = 0.05,
    seed: int = NCI_SEED,
    level: float = 0.95,
    aapc_ranges=(),
    ci_method: str = "parametric",
    n_resample: int = 1000,
    ci_seed: int = 10000,
    aapc_ci: str = "delta",
    aapc_outside: str = "error",
) -> JoinpointResult:
    """Joinpoint regression of a rate series, following NCI's Joinpoint Regression Program.

    Parameters
    ----------
    x : array-like of float
        Time points (years), distinct; need not be equally spaced. Sorted here.
    y : array-like of float
        The rates (any positive values) analysed on the log scale.
    se : array-like of float, optional
        Standard errors of ``y`` (for ``variance='se'``).
    count : array-like of float, optional
        Event counts behind ``y`` (for ``variance='poisson'``).
    denominator : array-like of float, optional
        Denominators behind ``y`` (with ``count``). Needed only when a count is 0: as NCI does,
        0.5 is added to a zero count, its rate becomes 0.5 / denominator × m, where the
        multiplier m = y·denominator/count is taken from the other points (their median), and
        the Poisson weight is 0.5.
    variance : {'constant', 'se', 'poisson'}, optional
        Error model: weight 1, y²/se², or count. Default: 'se' if ``se`` is given, 'poisson' if
        ``count`` is, else 'constant'.
    select : {'wbic', 'bic', 'permutation'}
        Model selection: weighted BIC (NCI's default since 5.0), BIC, or Kim et al.'s permutation
        test.
    max_joinpoints : int, optional
        Default :func:`nci_max_joinpoints` (n), capped by what the constraints allow.
    min_joinpoints : int
        Smallest k considered (0).
    min_obs_end, min_obs_between : int
        Grid constraints (NCI's defaults 2 and 2; joinpoints not counted).
    n_perm, alpha, seed : int, float, int
        Permutation test: number of permutations (NCI 4,499), overall level (0.05) and seed of
        ``numpy.random.default_rng`` (NCI's 7160); the same seed gives the same result.
    level : float
        Confidence level of the APC/AAPC intervals, a fraction.
    aapc_ranges : sequence of (start, end)
        AAPC ranges besides the whole range (always first), e.g. ``[(2019, 2023)]``.
    ci_method : {'parametric', 'empirical'}
        APC/AAPC limits: NCI's parametric t intervals (default), or empirical quantiles of a
        residual bootstrap that re-places the joinpoints (NCI 5.x's default method; see
        :func:`_empirical_ci`). p-values are the parametric ones either way. The empirical
        limits are **not validated against NCI** (NCI's resampling variant is undocumented); only
        the point estimates are (tests/data/joinpoint).
    n_resample, ci_seed : int
        Empirical method: resamples (NCI command-line default 1000) and seed (NCI's 10000).
    aapc_ci : {'delta', 'independent'}
        Parametric AAPC interval across segments: the delta method with the slopes' covariance
        (default; Clegg et al. 2009, ``segmented::aapc``) or the sum of independent segment
        variances (see :func:`_aapc_table`).

    Returns
    -------
    JoinpointResult

    Raises
    ------
    MchError
        Non-positive rates (or SE/counts), duplicate x, too few points, bad options.

    Notes
    -----
    Model: ln y = b0 + b1 x + sum_j d_j (x - t_j)+, fitted by (weighted) least squares at every
    admissible placement of joinpoints at observed x (grid search); APC_j = 100 (exp(b_j) - 1).

    Selection, with SSE(k) the smallest weighted SSE with k joinpoints and n points:

    * BIC(k) = ln(SSE(k)/n) + 2(k+1) ln(n)/n;
    * WBIC(k) = ln(SSE(k)/n) + ((2 + R²max) k + 2) ln(n)/n = (1 - R²max) BIC + R²max BIC3, with
      R²max the largest local partial R² of the joinpoints (see :func:`_partial_r2_max`);
    * permutation: see :func:`_permutation_select`.

    APC interval (NCI's parametric method): b_j ± t(d, 1 - (1-level)/2) SE(b_j), SE from separate
    lines per segment after removing the points on joinpoints, d = n* - p* (see
    :func:`_segment_se`); p-value 2{1 - F_t,d(|b_j / SE(b_j)|)}. AAPC (Clegg et al. 2009):
    100 (exp(μ) - 1), μ = sum w_j b_j / sum w_j with w_j the length of segment j in the range;
    across segments var μ = g' Cov(b) g (delta method, g = w/Σw, Cov(b) of
    :func:`slope_covariance`, given the joinpoints) and a normal-quantile interval; inside one
    segment the APC's own t interval.

    References
    ----------
    Kim et al. (2000) Stat Med 19:335-351; Lerman (1980) Appl Stat 29:77-84; Kim et al. (2023)
    J Appl Stat 50:1992-2013 (WBIC); Clegg et al. (2009) Stat Med 28:3670-3682; NCI Joinpoint
    help, "Weighted BIC", "Permutation Test Details", "Estimated Regression Coefficients".
    """
    x = _as_float("x", x)
    n = len(x)
    y = _as_float("y", y, n)
    if not np.isfinite(x).all():
        raise MchError("x has missing or non-finite values")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if np.any(np.diff(x) == 0):
        dup = x[1:][np.diff(x) == 0][0]
        raise MchError(f"x value {_fmt_x(dup)} occurs more than once")
    if n < 3:
        raise MchError(f"a joinpoint series needs at least 3 points, got {n}")
    if variance is None:
        variance = "se" if se is not None else "poisson" if count is not None else "constant"
    if variance not in VARIANCES:
        raise MchError(f"variance must be one of {', '.join(VARIANCES)}, got {variance!r}")
    if select not in SELECTIONS:
        raise MchError(f"select must be one of {', '.join(SELECTIONS)}, got {select!r}")
    level = check_level(level)
    if not 0 < alpha < 1:
        raise MchError(f"alpha must be a fraction between 0 and 1, got {alpha!r}")
    if ci_method not in ("parametric", "empirical"):
        raise MchError(f"ci_method must be 'parametric' or 'empirical', got {ci_method!r}")
    if aapc_outside not in ("error", "skip"):
        raise MchError(f"aapc_outside must be 'error' or 'skip', got {aapc_outside!r}")
    if aapc_ci not in AAPC_CI_METHODS:
        raise MchError(f"aapc_ci must be one of {', '.join(AAPC_CI_METHODS)}, got {aapc_ci!r}")

    notes = []
    y_used = y.copy()
    if variance == "constant":
        w = np.ones(n)
    elif variance == "se":
        if se is None:
            raise MchError("variance 'se' needs standard errors (se)")
        s = _as_float("se", se, n)[order]
        _check_positive("se", s, x)
        w = (y / s) ** 2
    else:
        if count is None:
            raise MchError("variance 'poisson' needs counts (count)")
        c = _as_float("count", count, n)[order]
        if not np.isfinite(c).all() or (c < 0).any():
            raise MchError("counts must be non-negative and finite")
        zero = c == 0
        if zero.any():
            if denominator is None:
                _check_positive("count", c, x)
            d = _as_float("denominator", denominator, n)[order]
            _check_positive("denominator", d, x)
            if zero.all():
                raise MchError("every count is 0: no trend can be estimated")
            m = float(np.median(y[~zero] * d[~zero] / c[~zero]))
            y_used[zero] = 0.5 / d[zero] * m
            c = np.where(zero, 0.5, c)
            notes.append(f"0.5 added to {int(zero.sum())} zero count(s)")
        w = c
    _check_positive("y", y_used, x)
    z = np.log(y_used)
    sw = np.sqrt(w)

    kmax_default = nci_max_joinpoints(n)
    kfeas = feasible_max_joinpoints(n, min_obs_end=min_obs_end, min_obs_between=min_obs_between)
    kmax = kmax_default if max_joinpoints is None else int(max_joinpoints)
    if kmax < 0 or min_joinpoints < 0:
        raise MchError("numbers of joinpoints must be >= 0")
    kmax = min(kmax, kfeas)
    kmin = min(int(min_joinpoints), kmax)

    grid = _Grid(x, sw, kmax, min_obs_end, min_obs_between)
    e0 = grid.residual0((sw * z)[None, :])
    fits = {}
    for k in range(0, kmax + 1):
        _, i = grid.min_sse(k, e0)
        idx = grid.combos[k][int(i[0])] if k else ()
        fits[k] = _wls_fit(x, z, sw, idx)
    models = _criteria([fits[k] for k in range(kmin, kmax + 1)], x, z, sw)

    tests = pd.DataFrame(columns=["k_null", "k_alt", "statistic", "p_value", "alpha", "reject"])
    if select == "permutation":
        rng = np.random.default_rng(seed)
        k, tests = _permutation_select(grid, fits, z, kmin, kmax, n_perm, alpha, rng)
    else:
        k = int(models.loc[models[select].idxmin(), "k"])
    fit = fits[k]

    se_b, df = _segment_se(x, z, sw, fit.idx)
    segments = _segments_table(x, fit, se_b, df, level)
    ranges = [(float(x[0]), float(x[-1]))]
    for lo, hi in aapc_ranges:
        lo, hi = float(lo), float(hi)
        if not (x[0] <= lo <= hi <= x[-1]):
            msg = f"AAPC range {_fmt_x(lo)}-{_fmt_x(hi)} is outside the data ({_fmt_x(x[0])}-{_fmt_x(x[-1])})"
            if aapc_outside == "skip":
                notes.append(msg + ": skipped")
                continue
            raise MchError(msg)
        ranges.append((lo, hi))
    aapc = _aapc_table(x, fit, se_b, df, level, ranges, sw=sw, method=aapc_ci)
    if ci_method == "empirical":
        seg_lim, aapc_lim = _empirical_ci(grid, x, z, sw, fit, ranges, level, int(n_resample), ci_seed)
        segments[["apc_lower", "apc_upper"]] = seg_lim
        aapc[["apc_lower", "apc_upper"]] = aapc_lim
    jp_flag = np.zeros(n, dtype=bool)
    jp_flag[list(fit.idx)] = True
    fitted = pd.DataFrame(
        {"x": x, "y": y_used, "fitted": np.exp(fit.fitted_log), "weight": w, "joinpoint": jp_flag}
    )
    settings = {
        "variance": variance,
        "select": select,
        "max_joinpoints": kmax,
        "min_joinpoints": kmin,
        "min_obs_end": min_obs_end,
        "min_obs_between": min_obs_between,
        "n_perm": n_perm,
        "alpha": alpha,
        "seed": seed,
        "level": level,
        "ci_method": ci_method,
        "n_resample": n_resample if ci_method == "empirical" else None,
        "ci_seed": ci_seed if ci_method == "empirical" else None,
        "aapc_ci": aapc_ci,
        "notes": notes,
    }
    return JoinpointResult(
        k=k,
        joinpoints=fit.joinpoints,
        segments=segments,
        aapc=aapc,
        fitted=fitted,
        models=models,
        tests=tests,
        coef=fit.beta,
        settings=settings,
    )


def _one_series(args):
    key, x, y, se, count, denominator, kwargs = args
    try:
        res = joinpoint(x, y, se=se, count=count, denominator=denominator, **kwargs)
    except MchError as exc:
        label = ", ".join(str(k) for k in key) if isinstance(key, tuple) else str(key)
        raise MchError(f"series {label}: {exc.message}") from None
    return key, res


def _iter_series(df, x, y, by, se, count, denominator, kwargs):
    cols = [c for c in (x, y, se, count, denominator) if c is not None] + list(by)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise MchError(f"column(s) not in the data: {', '.join(missing)}")
    groups = df.groupby(list(by), sort=True, dropna=False) if by else [((), df)]
    for key, g in groups:
        for c in (x, y, se, count, denominator):
            if c is not None and g[c].isna().any():
                i = int(np.argmax(g[c].isna().to_numpy()))
                raise MchError(f"missing value in column {c} (series {key}, row {g.index[i]})", column=c)
        yield (
            key,
            g[x].to_numpy(float),
            g[y].to_numpy(float),
            None if se is None else g[se].to_numpy(float),
            None if count is None else g[count].to_numpy(float),
            None if denominator is None else g[denominator].to_numpy(float),
            kwargs,
        )


def joinpoint_results(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    by=None,
    se=None,
    count=None,
    denominator=None,
    n_jobs: int = 1,
    **kwargs,
) -> dict:
    """Fit :func:`joinpoint` to every series of a tidy frame; returns {by-key: JoinpointResult}.

    ``by`` is a column name or list of names (None: one series). ``n_jobs`` > 1 fits series in
    that many worker processes; results do not depend on it (every series uses the same seed).
    """
    by = [] if by is None else [by] if isinstance(by, str) else list(by)
    tasks = _iter_series(df, x, y, by, se, count, denominator, kwargs)
    if n_jobs is None or n_jobs < 1:
        raise MchError(f"n_jobs must be a positive number of processes, got {n_jobs!r}")
    if n_jobs == 1:
        out = [_one_series(t) for t in tasks]
    else:
        tasks = list(tasks)
        with _worker_pool(n_jobs) as ex:
            out = list(ex.map(_one_series, tasks, chunksize=max(1, len(tasks) // (4 * n_jobs))))
    return dict(out)


@contextlib.contextmanager
def _worker_pool(n_jobs):
    """A pool of freshly started ("spawn") worker processes with single-threaded BLAS.

    The matrices here are small (15 x 72 by 4,499): a multi-threaded BLAS in every worker only
    competes for the cores the workers already use (it tripled CPU time per series in
    benchmarks/bench_joinpoint.py). The thread variables are read when numpy loads, so they are
    set while the pool lives (workers start on demand) and restored afterwards.
    """
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {k: os.environ.get(k) for k in names}
    for k in names:
        os.environ.setdefault(k, "1")
    try:
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=multiprocessing.get_context("spawn")) as ex:
            yield ex
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def joinpoint_table(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    by=None,
    se=None,
    count=None,
    denominator=None,
    n_jobs: int = 1,
    **kwargs,
) -> pd.DataFrame:
    """Segment and AAPC rows of :func:`joinpoint` for every series of a tidy frame.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per series and x.
    x, y : str
        Columns of the time points and of the rates.
    by : str or list of str, optional
        Columns identifying a series.
    se, count, denominator : str, optional
        Columns of standard errors, counts, denominators (see :func:`joinpoint`).
    n_jobs : int
        Worker processes.
    **kwargs
        Options of :func:`joinpoint` (variance, select, max_joinpoints, seed, aapc_ranges, ...).

    Returns
    -------
    pandas.DataFrame
        ``<by columns>, k, segment, start, end, apc, apc_lower, apc_upper, p_value``: for each
        series its segments (``segment`` '1', '2', ...) then its AAPC rows (``'aapc'``).
    """
    results = joinpoint_results(
        df, x, y, by=by, se=se, count=count, denominator=denominator, n_jobs=n_jobs, **kwargs
    )
    return _stack(results, by, lambda r: r.to_frame())


def fitted_table(results: dict, by=None) -> pd.DataFrame:
    """Fitted values of :func:`joinpoint_results` as one frame: ``<by>, x, y, fitted, weight,
    joinpoint``."""
    return _stack(results, by, lambda r: r.fitted)


def _stack(results, by, part):
    by = [] if by is None else [by] if isinstance(by, str) else list(by)
    if not results:
        return pd.DataFrame(columns=by + SEGMENT_COLUMNS)
    frames = [part(res) for res in results.values()]
    out = pd.concat(frames, ignore_index=True)
    lengths = [len(f) for f in frames]
    keys = [k if isinstance(k, tuple) else (k,) for k in results]
    for i, col in enumerate(by):
        out.insert(i, col, np.repeat(np.array([k[i] for k in keys], dtype=object), lengths))
    return out
