"""Ranking sibling regions with rank intervals: properties that must hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mchanalysis.errors import MchError
from mchanalysis.ranking import rank_with_uncertainty


def _table(num, den, indicator="mmr", parent="990100"):
    k = len(num)
    return pd.DataFrame(
        {
            "region_code": [f"9901{i:02d}" for i in range(2, 2 + k)],
            "region_name": [f"县{i}" for i in range(k)],
            "parent_code": parent,
            "year": 2024,
            "indicator": indicator,
            "numerator": pd.array(num, dtype="Int64"),
            "denominator": pd.array(den, dtype="Int64"),
        }
    )


def test_clearly_best_region_has_rank_interval_one_to_one():
    # IMR per 1000: one county at 1‰ on 200,000 births, the others at 8-12‰
    t = _table([200, 1600, 2000, 2400], [200_000] * 4, indicator="imr")
    r = rank_with_uncertainty(t, seed=1).set_index("region_code")
    assert (r.loc["990102", ["rank", "rank_lower", "rank_upper"]] == [1, 1, 1]).all()
    assert r.loc["990102", "prob_best"] == 1.0
    assert r.loc["990102", "clearly_better_than"] == 3
    assert r.loc["990105", "rank"] == 4  # the worst: highest IMR


def test_identical_regions_get_identical_intervals():
    t = _table([2, 2, 2, 0, 5], [9000, 9000, 9000, 12000, 8000])
    r = rank_with_uncertainty(t, seed=7).set_index("region_code")
    same = r.loc[["990102", "990103", "990104"], ["rank", "rank_lower", "rank_upper", "mean_rank"]]
    assert (same.nunique() == 1).all()


def test_small_counts_cannot_be_told_apart():
    t = _table([0, 1, 2, 3, 1, 2], [9000, 8000, 10000, 9500, 7000, 12000])
    r = rank_with_uncertainty(t, seed=3)
    assert (r["rank_upper"] - r["rank_lower"] >= 2).all()
    assert (r["indistinguishable_from"] >= 3).all()


def test_same_seed_same_result_and_direction_of_ranks():
    t = _table([950, 990, 700, 990], [1000] * 4, indicator="hospital_delivery_rate")
    a = rank_with_uncertainty(t, seed=11)
    b = rank_with_uncertainty(t.sample(frac=1, random_state=0), seed=11)
    pd.testing.assert_frame_equal(a, b)  # order of input rows does not matter
    r = a.set_index("region_code")
    assert r.loc["990103", "rank"] == 1 and r.loc["990105", "rank"] == 1  # ties share rank 1
    assert r.loc["990104", "rank"] == 4  # 70 %: worst


def test_groups_are_ranked_separately_and_missing_rows_kept():
    t = pd.concat(
        [
            _table([1, 5, None], [9000, 9000, 9000]),
            _table([10, 20], [5000, 5000], parent="990200").assign(region_code=["990201", "990202"]),
        ]
    )
    r = rank_with_uncertainty(t, seed=5)
    assert len(r) == 5
    miss = r[r["region_code"] == "990104"].iloc[0]
    assert pd.isna(miss["rank"]) and pd.isna(miss["rank_lower"])
    assert r.loc[r["parent_code"] == "990200", "n_ranked"].tolist() == [2, 2]
    assert r.loc[r["parent_code"] == "990100", "rank"].dropna().tolist() == [1, 2]


def test_bad_arguments():
    t = _table([1, 2], [100, 100])
    with pytest.raises(MchError, match="n_sim"):
        rank_with_uncertainty(t, n_sim=10)
    with pytest.raises(MchError, match="fraction"):
        rank_with_uncertainty(t, level=95)
    with pytest.raises(MchError, match="missing column"):
        rank_with_uncertainty(t.drop(columns="denominator"))


def test_sixteen_counties_with_few_deaths_all_get_a_rank_interval():
    """(Its speed is timed in benchmarks/bench_stats.py, not here.)"""
    rng = np.random.default_rng(0)
    t = _table(rng.integers(0, 4, 16).tolist(), rng.integers(5000, 30000, 16).tolist())
    r = rank_with_uncertainty(t, n_sim=5000)
    assert len(r) == 16 and (r["rank_lower"] <= r["rank"]).all() and (r["rank"] <= r["rank_upper"]).all()
    assert r["rank_lower"].min() == 1 and r["rank_upper"].max() == 16


def test_docstring_examples_of_ranking_run():
    import doctest

    import mchanalysis.ranking as mod

    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------- issue 11: order and Monte Carlo error


def _fifteen(seed=4):
    rng = np.random.default_rng(seed)
    births = rng.integers(3000, 30000, 15)
    deaths = rng.poisson(births * 6 / 1000)
    return pd.DataFrame(
        {
            "region_code": [f"9901{i:02d}" for i in range(15)],
            "indicator": "imr",
            "year": 2024,
            "numerator": deaths,
            "denominator": births,
        }
    )


def test_shuffled_rows_give_identical_rank_intervals():
    t = _fifteen()
    a = rank_with_uncertainty(t, seed=3)
    for k in range(3):
        b = rank_with_uncertainty(t.sample(frac=1, random_state=k), seed=3)
        pd.testing.assert_frame_equal(a, b)
    # and a region's draws do not depend on the other regions either
    c = rank_with_uncertainty(t.iloc[:10], seed=3)
    d = rank_with_uncertainty(t.iloc[:10].iloc[::-1], seed=3)
    pd.testing.assert_frame_equal(c, d)


def test_default_draws_agree_with_a_long_run_except_where_flagged():
    t = _fifteen(9)
    short = rank_with_uncertainty(t, seed=1).set_index("region_code")
    long = rank_with_uncertainty(t, seed=2, n_sim=200_000).set_index("region_code")
    differ = (short["rank_lower"] != long["rank_lower"]) | (short["rank_upper"] != long["rank_upper"])
    assert not (differ & ~short["mc_unstable"].astype(bool)).any()
    assert differ.mean() < 0.15
    assert "Monte Carlo se of the 0.025 tail 0.0011" in short["method"].iloc[0]
    assert "20000 draws" in short["method"].iloc[0]
