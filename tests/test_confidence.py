"""One confidence-level rule (mchanalysis.confidence.check_level), used by every function that
takes a level: 95 instead of 0.95 gets the same message, with its hint, from all of them."""

from __future__ import annotations

import numpy as np
import pytest

from mchanalysis import compare, indicators, joinpoint, models, stats, trends
from mchanalysis.confidence import check_level, level_tag
from mchanalysis.errors import MchError

YEARS = np.arange(2015, 2025)
DEATHS = np.array([30, 28, 29, 25, 24, 22, 23, 20, 19, 18])
BIRTHS = np.full(10, 20000)

CALLERS = {
    "stats.rate_ci": lambda lv: stats.rate_ci([3], [100], level=lv),
    "stats.compare_rates": lambda lv: stats.compare_rates([3], [100], [4], [100], level=lv),
    "compare.benchmark_table": lambda lv: compare.benchmark_table(
        __import__("pandas").DataFrame(
            {
                "region_code": ["1"],
                "year": [2024],
                "indicator": ["mmr"],
                "numerator": [1],
                "denominator": [1000],
            }
        ),
        __import__("pandas").DataFrame({"indicator": ["mmr"], "year": [2024], "value": [10.0]}),
        levels=[lv],
    ),
    "trends.loglinear_trend": lambda lv: trends.loglinear_trend(YEARS, DEATHS, BIRTHS, level=lv),
    "joinpoint.joinpoint": lambda lv: joinpoint.joinpoint(YEARS, np.log(DEATHS / BIRTHS), level=lv),
    "models.period_rate_ratio": lambda lv: models.period_rate_ratio(YEARS, DEATHS, BIRTHS, level=lv),
    "indicators.compute_indicators": lambda lv: indicators.compute_indicators(
        __import__("pandas").DataFrame(), conf_level=lv
    ),
}


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_every_caller_rejects_a_percentage_with_the_same_hint(caller):
    with pytest.raises(MchError, match=r"fraction such as 0\.95 or 0\.998, got 95 \(did you mean 0\.95\?\)"):
        CALLERS[caller](95)


@pytest.mark.parametrize("bad", [0, 1, -0.5, True, "x", None])
def test_check_level_rejects_what_is_not_a_fraction(bad):
    with pytest.raises(MchError, match="fraction"):
        check_level(bad)


def test_check_level_names_the_argument_and_tags_levels():
    with pytest.raises(MchError, match=r"^--conf must be a fraction"):
        check_level(95, "--conf")
    assert check_level(0.998) == 0.998
    assert (level_tag(0.95), level_tag(0.998)) == ("95", "998")
