"""Joinpoint regression against NCI Joinpoint 5.x output, known breaks, and a straightforward
reference implementation of the permutation test."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mchanalysis.cli import main
from mchanalysis.errors import MchError
from mchanalysis.joinpoint import (
    candidate_joinpoints,
    joinpoint,
    joinpoint_table,
    nci_max_joinpoints,
)

DATA = Path(__file__).parent / "data" / "joinpoint"


@pytest.fixture(scope="module")
def nci_run(tmp_path_factory):
    """Run ``mch joinpoint`` on NCI's input exactly as the README states."""
    tmp = tmp_path_factory.mktemp("jp")
    out, fitted = tmp / "out.csv", tmp / "fitted.csv"
    code = main(
        [
            "joinpoint",
            "--data",
            str(DATA / "england_cancer_mortality_input.csv"),
            "--x",
            "year",
            "--y",
            "asr_rolling3",
            "--by",
            "series_id",
            "--variance",
            "constant",
            "--select",
            "wbic",
            "--out",
            str(out),
            "--fitted",
            str(fitted),
        ]
    )
    assert code == 0
    return pd.read_csv(out, dtype={"segment": str}), pd.read_csv(fitted)


EXPECTED = pd.read_csv(DATA / "england_cancer_mortality_expected.csv")
SERIES = sorted(EXPECTED["series_id"].unique())


@pytest.mark.parametrize("series", SERIES)
def test_cli_reproduces_nci_joinpoints(nci_run, series):
    out, _ = nci_run
    exp = EXPECTED[EXPECTED["series_id"] == series]
    got = out[(out["series_id"] == series) & (out["segment"] != "aapc")]
    assert got["k"].iloc[0] == exp["selected_k"].iloc[0]
    assert len(got) == len(exp)
    # joinpoint years = segment boundaries
    assert got["start"].tolist() == exp["segment_start"].tolist()
    assert got["end"].tolist() == exp["segment_end"].tolist()


@pytest.mark.parametrize("series", SERIES)
def test_cli_reproduces_nci_apc_to_printed_decimals(nci_run, series):
    out, _ = nci_run
    exp = EXPECTED[EXPECTED["series_id"] == series]
    got = out[(out["series_id"] == series) & (out["segment"] != "aapc")]
    np.testing.assert_array_equal(got["apc"].round(4).to_numpy(), exp["apc"].to_numpy())
    # NCI's significance flag (its CIs are empirical-quantile; ours parametric): same verdict
    sig = ((got["apc_lower"] > 0) | (got["apc_upper"] < 0)).astype(int).to_numpy()
    np.testing.assert_array_equal(sig, exp["apc_significant_0.05"].to_numpy())


def test_cli_reproduces_nci_fitted_values(nci_run):
    _, fitted = nci_run
    exp = pd.read_csv(DATA / "england_cancer_mortality_expected_fitted.csv")
    m = exp.merge(fitted, on=["series_id", "year"], how="left", validate="1:1")
    assert m["fitted"].notna().all()
    np.testing.assert_array_equal(m["fitted"].round(2).to_numpy(), m["model_fitted"].to_numpy())
    jp = m["flag"].fillna("").str.startswith("Joinpoint")
    assert (jp == m["joinpoint"]).all()


def test_cli_writes_full_range_aapc_by_clegg_formula_from_nci_apcs(nci_run):
    """AAPC = 100(exp(sum w_j ln(1 + APC_j/100) / sum w_j) - 1), w_j = segment lengths."""
    out, _ = nci_run
    for series in SERIES:
        exp = EXPECTED[EXPECTED["series_id"] == series]
        w = (exp["segment_end"] - exp["segment_start"]).to_numpy(float)
        b = np.log1p(exp["apc"].to_numpy() / 100)
        aapc = 100 * np.expm1(np.sum(w * b) / w.sum())
        got = out[(out["series_id"] == series) & (out["segment"] == "aapc")]
        assert len(got) == 1
        assert got["start"].iloc[0] == 2002 and got["end"].iloc[0] == 2018
        assert got["apc"].iloc[0] == pytest.approx(aapc, abs=1e-4)  # APCs printed to 4 dp


def test_cli_json_output_and_extra_aapc_range(tmp_path):
    out = tmp_path / "out.json"
    assert (
        main(
            [
                "joinpoint",
                "--data",
                str(DATA / "england_cancer_mortality_input.csv"),
                "--x",
                "year",
                "--y",
                "asr_rolling3",
                "--by",
                "series_id",
                "--aapc-range",
                "2014-2018",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rows = pd.DataFrame(json.loads(out.read_text(encoding="utf-8")))
    assert list(rows.columns) == [
        "series_id",
        "k",
        "segment",
        "start",
        "end",
        "apc",
        "apc_lower",
        "apc_upper",
        "p_value",
    ]
    men = rows[rows["series_id"] == "England|All sites excl. NMSC|Men"]
    last = men[(men["segment"] == "aapc") & (men["start"] == 2014)]
    # 2014-2018 lies inside the last segment (2013-2018): AAPC = that APC, same interval
    seg3 = men[men["segment"] == "3"].iloc[0]
    assert last["apc"].iloc[0] == pytest.approx(seg3["apc"], rel=1e-12)
    assert last["apc_lower"].iloc[0] == pytest.approx(seg3["apc_lower"], rel=1e-12)


def test_cli_user_error_exits_1(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"year": [2010, 2011, 2012, 2013], "r": [1.0, 0.0, 2.0, 3.0]}).to_csv(bad)
    code = main(
        ["joinpoint", "--data", str(bad), "--x", "year", "--y", "r", "--out", str(tmp_path / "o.csv")]
    )
    assert code == 1
    assert "positive" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# behaviour on simulated series
# ---------------------------------------------------------------------------------------------


def _broken(seed=1, n=20, sd=0.01):
    x = np.arange(2000, 2000 + n)
    rng = np.random.default_rng(seed)
    lny = np.log(100) - 0.05 * (x - 2000) + 0.08 * np.clip(x - 2010, 0, None)
    return x, np.exp(lny + rng.normal(0, sd, n))


@pytest.mark.parametrize("select", ["wbic", "bic", "permutation"])
def test_known_break_is_found(select):
    x, y = _broken()
    r = joinpoint(x, y, select=select, seed=3)
    assert r.k == 1
    assert r.joinpoints == (2010.0,)
    assert r.segments["apc"].iloc[0] == pytest.approx(100 * np.expm1(-0.05), abs=0.3)
    assert r.segments["apc"].iloc[1] == pytest.approx(100 * np.expm1(0.03), abs=0.3)


@pytest.mark.parametrize("select", ["wbic", "bic", "permutation"])
def test_straight_loglinear_series_has_no_joinpoint(select):
    x = np.arange(2009, 2024)
    rng = np.random.default_rng(11)
    y = 20 * np.exp(-0.06 * (x - 2009) + rng.normal(0, 0.02, len(x)))
    r = joinpoint(x, y, select=select, seed=5)
    assert r.k == 0
    assert len(r.segments) == 1
    assert r.segments["apc"].iloc[0] == pytest.approx(100 * np.expm1(-0.06), abs=0.5)
    # one segment: the full-range AAPC is that APC
    assert r.aapc["apc"].iloc[0] == pytest.approx(r.segments["apc"].iloc[0], rel=1e-12)


def test_county_series_with_zero_death_years_gives_valid_output():
    s = pd.read_csv(Path(__file__).parent / "data" / "r" / "trend_series.csv")
    s = s[s["region_code"] == 930101]
    assert (s["maternal_deaths"] == 0).sum() == 3
    s = s.assign(mmr=s["maternal_deaths"] / s["live_births"] * 1e5)
    tab = joinpoint_table(
        s,
        "year",
        "mmr",
        count="maternal_deaths",
        denominator="live_births",
        variance="poisson",
        aapc_ranges=[(2019, 2023)],
    )
    assert np.isfinite(tab[["apc", "apc_lower", "apc_upper", "p_value"]].to_numpy()).all()
    assert (tab["apc_lower"] <= tab["apc"]).all() and (tab["apc"] <= tab["apc_upper"]).all()
    assert tab["segment"].tolist()[-2:] == ["aapc", "aapc"]
    r = joinpoint(s["year"], s["mmr"], count=s["maternal_deaths"], denominator=s["live_births"])
    # 0.5 added to a zero count: rate 0.5 / births * 1e5, weight 0.5
    zero = r.fitted["x"].isin([2013, 2022, 2023])
    births = s.set_index("year").loc[[2013, 2022, 2023], "live_births"].to_numpy()
    np.testing.assert_allclose(r.fitted.loc[zero, "y"], 0.5 / births * 1e5, rtol=1e-12)
    assert (r.fitted.loc[zero, "weight"] == 0.5).all()
    assert r.settings["notes"] == ["0.5 added to 3 zero count(s)"]


def test_zero_rate_without_denominator_is_a_clear_error():
    with pytest.raises(MchError, match="positive"):
        joinpoint([2010, 2011, 2012, 2013], [3.0, 0.0, 2.0, 1.0])
    with pytest.raises(MchError, match="zero count"):
        joinpoint([2010, 2011, 2012, 2013], [3.0, 0.0, 2.0, 1.0], count=[3, 0, 2, 1])


def test_duplicate_years_are_an_error():
    with pytest.raises(MchError, match="more than once"):
        joinpoint([2010, 2011, 2011, 2013], [3.0, 2.0, 2.0, 1.0])


def test_nci_max_joinpoints_table():
    assert [nci_max_joinpoints(n) for n in (6, 7, 11, 12, 16, 17, 21, 22, 27, 40)] == [
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        5,
        5,
    ]


def test_grid_constraints_two_points_from_ends_and_between():
    c = candidate_joinpoints(10, 2)
    assert c.min() == 2 and c.max() == 7
    assert (np.diff(c, axis=1) >= 3).all()
    assert [2, 5] in c.tolist() and [2, 4] not in c.tolist()


# ---------------------------------------------------------------------------------------------
# permutation test: the fast (stacked) implementation against a straightforward one
# ---------------------------------------------------------------------------------------------


def _straight_best(x, z, sw, k, n):
    """Grid search written plainly: every admissible placement, one lstsq each."""
    best = (np.inf, None, None)
    positions = range(2, n - 2)
    for c in itertools.combinations(positions, k):
        if any(b - a < 3 for a, b in zip(c, c[1:])):
            continue
        X = np.column_stack([np.ones(n), x] + [np.clip(x - x[j], 0, None) for j in c])
        beta = np.linalg.lstsq(sw[:, None] * X, sw * z, rcond=None)[0]
        sse = float(np.sum((sw * (z - X @ beta)) ** 2))
        if sse < best[0]:
            best = (sse, c, X @ beta)
    return best


def straightforward_permutation_select(x, y, se, *, kmax, n_perm, alpha, seed):
    """Kim et al. (2000) sequential permutation tests, one permuted data set at a time."""
    x = np.asarray(x, float)
    n = len(x)
    z = np.log(y)
    sw = np.asarray(y) / np.asarray(se)
    fits = {k: _straight_best(x, z, sw, k, n) for k in range(kmax + 1)}
    rng = np.random.default_rng(seed)
    ka, kb, pvals = 0, kmax, []
    while ka < kb:
        fa = fits[ka][2]
        t_obs = fits[ka][0] / fits[kb][0]
        r = sw * (z - fa)
        perms = rng.permuted(np.tile(np.arange(n), (n_perm, 1)), axis=1)
        count = 0
        for p in perms:
            zs = fa + r[p] / sw
            count += _straight_best(x, zs, sw, ka, n)[0] / _straight_best(x, zs, sw, kb, n)[0] >= t_obs
        pval = (1 + count) / (n_perm + 1)
        pvals.append(pval)
        if pval < alpha / (kmax - ka):
            ka += 1
        else:
            kb -= 1
    sse, c, fitted = fits[ka]
    return ka, tuple(float(x[j]) for j in (c or ())), pvals, fitted


def _se_series(seed, n=15):
    rng = np.random.default_rng(seed)
    x = np.arange(2009, 2009 + n)
    slope2 = rng.choice([0.0, 0.04, 0.08])
    jp = 2009 + int(rng.integers(4, 11))
    lny = np.log(15) - 0.05 * (x - 2009) + slope2 * np.clip(x - jp, 0, None)
    births = rng.integers(3000, 20000, n)
    y = np.exp(lny + rng.normal(0, 0.05, n))
    se = y / np.sqrt(np.maximum(y * births / 1000, 1))
    return x, y, se


def _two_breaks(seed=4):
    x = np.arange(2009, 2024)
    rng = np.random.default_rng(seed)
    lny = (
        np.log(12) - 0.08 * (x - 2009) + 0.13 * np.clip(x - 2013, 0, None) - 0.15 * np.clip(x - 2018, 0, None)
    )
    y = np.exp(lny + rng.normal(0, 0.02, len(x)))
    return x, y, y * 0.02


@pytest.mark.parametrize("seed", [0, 1, 5, 7, "two_breaks"])
def test_fast_permutation_selection_equals_straightforward(seed):
    x, y, se = _two_breaks() if seed == "two_breaks" else _se_series(seed)
    seed = 4 if seed == "two_breaks" else seed
    k, jps, pvals, fitted = straightforward_permutation_select(
        x, y, se, kmax=2, n_perm=99, alpha=0.05, seed=seed
    )
    r = joinpoint(x, y, se=se, variance="se", select="permutation", max_joinpoints=2, n_perm=99, seed=seed)
    assert r.k == k
    assert r.joinpoints == jps
    assert r.tests["p_value"].tolist() == pvals
    np.testing.assert_allclose(r.fitted["fitted"], np.exp(fitted), rtol=1e-9)


def test_seed_makes_permutation_tests_repeat_exactly():
    x, y, se = _se_series(7)
    a = joinpoint(x, y, se=se, select="permutation", seed=123)
    b = joinpoint(x, y, se=se, select="permutation", seed=123)
    pd.testing.assert_frame_equal(a.tests, b.tests)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


def test_worker_processes_give_the_same_table():
    d = pd.read_csv(DATA / "england_cancer_mortality_input.csv")
    d = d[d["series_id"].isin(SERIES[:3])]
    opts = dict(by="series_id", select="permutation", n_perm=199, seed=9)
    one = joinpoint_table(d, "year", "asr_rolling3", n_jobs=1, **opts)
    two = joinpoint_table(d, "year", "asr_rolling3", n_jobs=2, **opts)
    pd.testing.assert_frame_equal(one, two)


def test_cli_reads_a_gbk_table_with_chinese_headers(tmp_path):
    d = pd.read_csv(DATA / "england_cancer_mortality_input.csv")
    d = d[d["series_id"] == SERIES[0]][["year", "asr_rolling3"]]
    d = d.rename(columns={"year": "年份", "asr_rolling3": "死亡率"}).assign(地区="示例")
    src = tmp_path / "gbk.csv"
    d.to_csv(src, index=False, encoding="gbk")
    out = tmp_path / "o.csv"
    assert (
        main(
            [
                "joinpoint",
                "--data",
                str(src),
                "--x",
                "年份",
                "--y",
                "死亡率",
                "--by",
                "地区",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    got = pd.read_csv(out)
    assert got.columns[0] == "地区"
    exp = EXPECTED[EXPECTED["series_id"] == SERIES[0]]
    np.testing.assert_array_equal(got.loc[got["segment"] != "aapc", "apc"].round(4), exp["apc"])


@pytest.mark.parametrize("select", ["wbic", "permutation"])
def test_two_known_breaks_are_found_with_se_weights(select):
    x, y, se = _two_breaks()
    r = joinpoint(x, y, se=se, select=select, seed=1)
    assert r.k == 2 and r.joinpoints == (2013.0, 2018.0)
    np.testing.assert_allclose(r.segments["apc"], 100 * np.expm1([-0.08, 0.05, -0.10]), atol=0.6)


def test_empirical_quantile_limits_repeat_with_seed_and_match_parametric_width_on_a_line():
    """On a straight series the bootstrap limits must be of the parametric t width: residual
    resampling gives a slope SD of about sqrt((n-2)/n) times the model-based SE, and z/t(13)
    shrinks it further (ratio ~0.85 for n = 15)."""
    x = np.arange(2009, 2024)
    rng = np.random.default_rng(21)
    y = 20 * np.exp(-0.06 * (x - 2009) + rng.normal(0, 0.03, len(x)))
    par = joinpoint(x, y, max_joinpoints=0)
    emp = joinpoint(x, y, max_joinpoints=0, ci_method="empirical", n_resample=4000, ci_seed=3)
    again = joinpoint(x, y, max_joinpoints=0, ci_method="empirical", n_resample=4000, ci_seed=3)
    pd.testing.assert_frame_equal(emp.to_frame(), again.to_frame())
    assert emp.segments["apc"].iloc[0] == par.segments["apc"].iloc[0]
    wp = par.segments["apc_upper"].iloc[0] - par.segments["apc_lower"].iloc[0]
    we = emp.segments["apc_upper"].iloc[0] - emp.segments["apc_lower"].iloc[0]
    assert 0.7 < we / wp < 1.0
    assert emp.segments["apc_lower"].iloc[0] < emp.segments["apc"].iloc[0] < emp.segments["apc_upper"].iloc[0]


def test_empirical_limits_through_the_cli(tmp_path):
    out = tmp_path / "o.csv"
    assert (
        main(
            [
                "joinpoint",
                "--data",
                str(DATA / "england_cancer_mortality_input.csv"),
                "--x",
                "year",
                "--y",
                "asr_rolling3",
                "--by",
                "series_id",
                "--ci",
                "empirical",
                "--n-resample",
                "500",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    got = pd.read_csv(out, dtype={"segment": str})
    seg = got[got["segment"] != "aapc"]
    np.testing.assert_array_equal(seg["apc"].round(4), EXPECTED["apc"])
    assert (got["apc_lower"] < got["apc_upper"]).all()


# ------------------------------------------------------------------ AAPC by the delta method (issue 11)
RIGOUR = Path(__file__).parent / "data" / "rigour"


def _aapc_series():
    a = pd.read_csv(RIGOUR / "aapc_series.csv")
    return a["year"].to_numpy(float), (a["deaths"] / a["births"] * 1000).to_numpy(), a


def test_aapc_delta_method_matches_lm_vcov_reference():
    """Clegg et al. (2009) delta method with the slopes' covariance, given the joinpoints:
    reference from weighted lm + vcov (tests/data/rigour/README.md, reproduce.R)."""
    x, y, a = _aapc_series()
    ref = pd.read_csv(RIGOUR / "aapc_reference.csv").iloc[0]
    jps = [float(v) for v in (RIGOUR / "aapc_joinpoints.txt").read_text().split()]
    r = joinpoint(x, y, count=a["deaths"], denominator=a["births"], variance="poisson")
    assert list(r.joinpoints) == jps
    got = r.aapc.iloc[0]
    assert got["apc"] == pytest.approx(ref["aapc"], rel=1e-9)
    assert got["apc_lower"] == pytest.approx(ref["lower"], rel=1e-8)
    assert got["apc_upper"] == pytest.approx(ref["upper"], rel=1e-8)
    assert got["p_value"] == pytest.approx(ref["p_value"], rel=1e-6)
    assert r.settings["aapc_ci"] == "delta"


def test_aapc_independent_option_is_wider_and_kept():
    x, y, a = _aapc_series()
    d = joinpoint(x, y, count=a["deaths"], denominator=a["births"], variance="poisson").aapc.iloc[0]
    i = joinpoint(
        x, y, count=a["deaths"], denominator=a["births"], variance="poisson", aapc_ci="independent"
    ).aapc.iloc[0]
    assert i["apc"] == pytest.approx(d["apc"], rel=1e-12)
    assert (i["apc_upper"] - i["apc_lower"]) > 2 * (d["apc_upper"] - d["apc_lower"])
    with pytest.raises(MchError, match="aapc_ci"):
        joinpoint(x, y, aapc_ci="bootstrap")


def test_slope_covariance_diagonal_is_the_continuous_models_variance():
    """Diagonal of Cov(b) for segment 1 equals var(b1) of the WLS fit (statsmodels)."""
    import statsmodels.api as sm

    from mchanalysis.joinpoint import design_matrix, slope_covariance

    x, y, a = _aapc_series()
    r = joinpoint(x, y, count=a["deaths"], denominator=a["births"], variance="poisson")
    X = design_matrix(x, r.joinpoints)
    f = sm.WLS(np.log(y), X, weights=a["deaths"].to_numpy(float)).fit()

    class _F:  # the selected model as slope_covariance sees it
        k, joinpoints, sse = r.k, r.joinpoints, float(f.ssr)

    cov, df = slope_covariance(x, np.sqrt(a["deaths"].to_numpy(float)), _F)
    assert df == len(x) - r.k - 2
    assert cov[0, 0] == pytest.approx(f.cov_params()[1, 1], rel=1e-9)
    assert cov[0, 1] < 0  # adjacent slopes share the joinpoint: negatively correlated


def test_cli_aapc_range_skips_series_that_do_not_cover_it(tmp_path, capsys):
    """One short series must not abort the whole run: it gets no row for the range, a note."""
    df = pd.read_csv(DATA / "england_cancer_mortality_input.csv")
    first = df["series_id"].iloc[0]
    short = df[(df["series_id"] != first) | (df["year"] <= 2015)]
    src = tmp_path / "in.csv"
    short.to_csv(src, index=False)
    out = tmp_path / "out.csv"
    assert (
        main(
            [
                "joinpoint",
                "--data",
                str(src),
                "--x",
                "year",
                "--y",
                "asr_rolling3",
                "--by",
                "series_id",
                "--aapc-range",
                "2016-2018",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rows = pd.read_csv(out)
    extra = rows[(rows["segment"] == "aapc") & (rows["start"] == 2016)]
    assert first not in set(extra["series_id"])
    assert len(extra) == df["series_id"].nunique() - 1
    err = capsys.readouterr().err
    assert f"series {first}" in err and "2016-2018 is outside the data" in err and "skipped" in err


def test_aapc_outside_range_still_raises_by_default():
    x, y, a = _aapc_series()
    with pytest.raises(MchError, match="outside the data"):
        joinpoint(x, y, aapc_ranges=[(2020, 2030)])
    r = joinpoint(x, y, aapc_ranges=[(2020, 2030)], aapc_outside="skip")
    assert len(r.aapc) == 1 and any("skipped" in n for n in r.settings["notes"])
