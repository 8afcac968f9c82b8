"""Log-linear Poisson / negative binomial APC against R (glm, MASS::glm.nb)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mchanalysis.errors import MchError
from mchanalysis.trends import loglinear_trend

DATA = Path(__file__).parent / "data" / "r"
SERIES = pd.read_csv(DATA / "trend_series.csv")
REF = pd.read_csv(DATA / "trends_glm.csv")
REF = REF[REF["model"].isin(["poisson", "negbin"])].reset_index(drop=True)
#: relative tolerances (tests/data/r/README.md says why)
RTOL = {"poisson": 1e-6, "negbin": 1e-4}
COLUMNS = ["beta", "se", "apc", "apc_lower", "apc_upper", "deviance", "aic"]


def _series(code, numerator):
    s = SERIES[SERIES["region_code"] == code]
    return s["year"], s[numerator], s["live_births"]


@pytest.mark.parametrize(
    "row", REF.to_dict("records"), ids=lambda r: f"{r['region_code']}-{r['numerator']}-{r['model']}"
)
def test_reproduces_r_glm(row):
    res = loglinear_trend(*_series(row["region_code"], row["numerator"]), model=row["model"])
    assert res.model == row["model"]
    for c in COLUMNS:
        assert getattr(res, c) == pytest.approx(row[c], rel=RTOL[row["model"]]), c
    if row["model"] == "poisson":
        assert res.dispersion == pytest.approx(row["dispersion"], rel=1e-6)
        assert np.isnan(res.theta)
    elif row["theta"] < 1e4:
        assert res.theta == pytest.approx(row["theta"], rel=1e-3)
    else:
        assert res.theta > 1e4


def test_auto_falls_back_to_negbin_only_for_the_overdispersed_series():
    models = {
        (c, n): loglinear_trend(*_series(c, n)).model
        for c in (930101, 930102)
        for n in ("maternal_deaths", "infant_deaths")
    }
    assert models == {
        (930101, "maternal_deaths"): "poisson",
        (930101, "infant_deaths"): "poisson",
        (930102, "maternal_deaths"): "negbin",
        (930102, "infant_deaths"): "poisson",
    }
    res = loglinear_trend(*_series(930102, "maternal_deaths"))
    assert any("overdispersed" in w for w in res.warnings)


def test_quasipoisson_interval_is_wider_by_sqrt_dispersion():
    pois = loglinear_trend(*_series(930102, "maternal_deaths"), model="poisson")
    qp = loglinear_trend(*_series(930102, "maternal_deaths"), model="quasipoisson")
    assert qp.beta == pytest.approx(pois.beta, rel=1e-10)
    assert qp.se == pytest.approx(pois.se * np.sqrt(1.93647993784088), rel=1e-6)


def test_quasipoisson_dispersion_floored_at_one():
    # 930101 maternal: X²/df = 0.77 < 1, so the se stays Poisson's; the dispersion was still
    # estimated, so the limits use t(n - 2) (summary.glm's rule), never narrower than Poisson's
    pois = loglinear_trend(*_series(930101, "maternal_deaths"), model="poisson")
    qp = loglinear_trend(*_series(930101, "maternal_deaths"), model="quasipoisson")
    assert qp.se == pytest.approx(pois.se, rel=1e-9)
    q = stats.t.ppf(0.975, qp.n_years - 2)
    assert qp.apc_lower == pytest.approx(100 * np.expm1(pois.beta - q * pois.se), rel=1e-9)
    assert qp.apc_lower < pois.apc_lower
    assert qp.p_value == pytest.approx(2 * stats.t.sf(abs(pois.beta / pois.se), qp.n_years - 2), rel=1e-9)


def test_zero_death_years_are_used():
    years, deaths, births = _series(930101, "maternal_deaths")
    assert (deaths == 0).sum() == 3
    res = loglinear_trend(years, deaths, births)
    assert res.n_years == 14 and res.reason == ""
    assert np.isfinite([res.apc, res.apc_lower, res.apc_upper, res.p_value]).all()


def test_all_zero_series_gives_no_apc_and_a_reason():
    res = loglinear_trend(range(2015, 2024), [0] * 9, [800] * 9)
    assert np.isnan(res.apc) and res.model == ""
    assert "no events" in res.reason
    assert res.to_frame()["reason"].iloc[0] == res.reason


def test_missing_years_are_left_out_and_named():
    years, deaths, births = _series(930102, "infant_deaths")
    d = deaths.astype("Int64").copy()
    d.iloc[3] = pd.NA
    res = loglinear_trend(years, d, births)
    assert res.n_years == 13
    assert any("2013" in w for w in res.warnings)


def test_bad_input_is_a_clear_error():
    with pytest.raises(MchError, match="whole numbers"):
        loglinear_trend([2010, 2011, 2012], [1, -1, 2], [100, 100, 100])
    with pytest.raises(MchError, match="positive"):
        loglinear_trend([2010, 2011, 2012], [1, 1, 2], [100, 0, 100])
    with pytest.raises(MchError, match="fraction"):
        loglinear_trend([2010, 2011, 2012], [1, 1, 2], [100, 100, 100], level=95)


# ---------------------------------------------------------------------------------------------
# mch trends: the same R references through the counts file and the indicator table
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def counts_file(tmp_path_factory):
    """The R series as a counts table: a province 930000 over the two counties."""
    s = pd.read_csv(DATA / "trend_series.csv", dtype={"region_code": str})
    c = s.assign(
        region_name=s["region_code"].map({"930101": "甲县", "930102": "乙县"}),
        parent_code="930000",
        level="county",
    )
    top = pd.DataFrame({"year": sorted(s["year"].unique())}).assign(
        region_code="930000", region_name="测试省", parent_code="", level="province"
    )
    cols = [
        "region_code",
        "region_name",
        "parent_code",
        "level",
        "year",
        "live_births",
        "maternal_deaths",
        "infant_deaths",
    ]
    path = tmp_path_factory.mktemp("counts") / "counts.csv"
    pd.concat([top, c], ignore_index=True)[cols].to_csv(path, index=False)
    return path


def _ref(code, numerator, model):
    r = REF[(REF["region_code"] == code) & (REF["numerator"] == numerator) & (REF["model"] == model)]
    return r.iloc[0]


@pytest.fixture(scope="module")
def indicator_table(counts_file):
    from mchanalysis.indicators import compute_indicators
    from mchanalysis.validation import load_counts

    return compute_indicators(load_counts(counts_file).counts)


def _check_against_r(got, code, numerator, model):
    assert got["segment"].tolist() == ["1", "aapc"]
    assert (got["model"] == model).all()
    ref = _ref(int(code), numerator, model)
    for c in ("apc", "apc_lower", "apc_upper"):
        np.testing.assert_allclose(got[c].astype(float), ref[c], rtol=RTOL[model])
    assert got["start"].tolist() == [2010, 2010] and got["end"].tolist() == [2023, 2023]


def test_cli_trends_apc_reproduces_r_negbin(counts_file, tmp_path):
    """930102 maternal deaths are overdispersed: the negative binomial fallback, as glm.nb."""
    from mchanalysis.cli import main

    out = tmp_path / "t.csv"
    assert (
        main(
            [
                "trends",
                "--data",
                str(counts_file),
                "--indicator",
                "mmr",
                "--region",
                "930102",
                "--method",
                "apc",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    got = pd.read_csv(out, dtype={"region_code": str, "segment": str})
    _check_against_r(got, "930102", "maternal_deaths", "negbin")
    assert "overdispersed" in got["note"].iloc[0]


@pytest.mark.parametrize(
    "indicator,code,numerator,model",
    [
        ("imr", "930101", "infant_deaths", "poisson"),
        ("mmr", "930101", "maternal_deaths", "poisson"),  # zero-death years
        ("imr", "930102", "infant_deaths", "poisson"),
    ],
)
def test_indicator_trend_apc_reproduces_r(indicator_table, indicator, code, numerator, model):
    from mchanalysis.trends import indicator_trend

    got = indicator_trend(indicator_table, indicator=indicator, region_code=code, method="apc")
    _check_against_r(got, code, numerator, model)


def test_cli_trends_joinpoint_on_zero_death_county(counts_file, tmp_path):
    from mchanalysis.cli import main

    out = tmp_path / "t.json"
    assert (
        main(
            [
                "trends",
                "--data",
                str(counts_file),
                "--indicator",
                "mmr",
                "--region",
                "930101",
                "--method",
                "joinpoint",
                "--aapc-range",
                "2019-2023",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    got = pd.read_json(out, dtype={"region_code": str, "segment": str})
    assert got["segment"].tolist()[-2:] == ["aapc", "aapc"]
    assert np.isfinite(got[["apc", "apc_lower", "apc_upper", "p_value"]].to_numpy()).all()
    assert "0.5 added to 3 zero count(s)" in got["note"].iloc[0]


def test_indicator_trend_unknown_region_or_indicator_is_an_error(indicator_table):
    from mchanalysis.trends import indicator_trend

    with pytest.raises(MchError, match="999999"):
        indicator_trend(indicator_table, indicator="mmr", region_code="999999")
    with pytest.raises(MchError, match="unknown indicator"):
        indicator_trend(indicator_table, indicator="nope", region_code="930101")


def test_quasipoisson_trend_matches_summary_glm_t_inference():
    """R: glm(deaths ~ t + offset(log(births)), quasipoisson): t on df.residual (tests/data/rigour)."""
    here = Path(__file__).parent / "data" / "rigour"
    s = pd.read_csv(here / "its_series.csv")
    ref = pd.read_csv(here / "trend_quasipoisson_reference.csv").iloc[0]
    r = loglinear_trend(s["year"], s["deaths"], s["births"], model="quasipoisson")
    assert r.se == pytest.approx(ref["se"], rel=1e-7)
    assert r.p_value == pytest.approx(ref["p_value"], rel=1e-6)
    assert r.apc_lower == pytest.approx(100 * np.expm1(ref["lower"]), rel=1e-7)
    assert r.apc_upper == pytest.approx(100 * np.expm1(ref["upper"]), rel=1e-7)


def test_mle_exists_closed_cases():
    """Finite MLE of a log-linear trend iff events in two years, or in one interior year."""
    from mchanalysis.trends import mle_exists

    t = np.arange(6.0)
    X = np.column_stack([np.ones(6), t])
    assert mle_exists(X, [3, 0, 0, 0, 0, 2])
    assert mle_exists(X, [0, 0, 4, 0, 0, 0])  # interior year: the slope is finite (0)
    assert not mle_exists(X, [5, 0, 0, 0, 0, 0])  # first year only: slope → −∞
    assert not mle_exists(X, [0, 0, 0, 0, 0, 7])  # last year only: slope → +∞
    assert not mle_exists(X, np.zeros(6))
    assert mle_exists(X, [1, 2, 3, 4, 5, 6])


def test_trend_without_a_finite_mle_gives_no_apc():
    years = np.arange(2015, 2024)
    deaths = np.r_[np.zeros(8), 25]
    res = loglinear_trend(years, deaths, np.full(9, 10_000))
    assert np.isnan(res.apc) and res.result is None
    assert "no finite maximum-likelihood estimate" in res.reason
    # statsmodels alone would report a huge, meaningless slope: the check is what stops it
    interior = loglinear_trend(years, np.r_[np.zeros(4), 25, np.zeros(4)], np.full(9, 10_000))
    assert interior.reason == "" and abs(interior.beta) < 1e-6
