"""The multiplicity policy: Holm within each family, against R's p.adjust (via statsmodels'
multipletests, which reproduces it) and hand values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from mchanalysis.errors import MchError
from mchanalysis.stats import adjust_p_values, holm_adjust


def test_holm_hand_values():
    # m = 4: sorted 0.005, 0.01, 0.03, 0.04 -> 0.02, 0.03, 0.06, max(0.06, 0.04) = 0.06
    np.testing.assert_allclose(holm_adjust([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    assert holm_adjust([0.5, 0.6]).tolist() == [1.0, 1.0]
    np.testing.assert_allclose(holm_adjust([0.02, np.nan, 0.04]), [0.04, np.nan, 0.04])


def test_holm_matches_multipletests_on_random_families():
    rng = np.random.default_rng(1)
    for m in (1, 2, 5, 20, 57):
        p = rng.uniform(0, 0.2, m) ** 2
        np.testing.assert_allclose(holm_adjust(p), multipletests(p, method="holm")[1], rtol=1e-12)


def test_adjust_within_families_only():
    t = pd.DataFrame({"region": ["a", "a", "a", "b"], "p_value": [0.01, 0.02, 0.2, 0.03]})
    out = adjust_p_values(t, family="region")
    np.testing.assert_allclose(out["p_adjusted"], [0.03, 0.04, 0.2, 0.03])
    assert out["significant_adjusted"].tolist() == [True, True, False, True]
    assert out["family_size"].tolist() == [3, 3, 3, 1]
    one = adjust_p_values(t, family=[])
    np.testing.assert_allclose(one["p_adjusted"], multipletests(t["p_value"], method="holm")[1])
    # a borderline 'rise' (p = 0.046) in a family of 20 tests is not stated
    many = pd.DataFrame({"f": 1, "p_value": [0.046] + [0.5] * 19})
    assert not adjust_p_values(many, family="f")["significant_adjusted"].iloc[0]
    assert adjust_p_values(many, family="f", method="none")["significant_adjusted"].iloc[0]


def test_adjust_errors_name_the_problem():
    t = pd.DataFrame({"p_value": [0.1, 1.2]})
    with pytest.raises(MchError, match="between 0 and 1"):
        adjust_p_values(t, family=[])
    with pytest.raises(MchError, match="family column"):
        adjust_p_values(t.iloc[:1], family="region")
    with pytest.raises(MchError, match="method"):
        adjust_p_values(t.iloc[:1], family=[], method="bonferroni")


def test_duplicate_index_labels_are_handled_by_position():
    t = pd.DataFrame({"f": ["a", "b", "a"], "p_value": [0.01, 0.02, 0.03]}, index=[0, 0, 0])
    np.testing.assert_allclose(adjust_p_values(t, family="f")["p_adjusted"], [0.02, 0.02, 0.03])


def test_holm_matches_reference_file():
    """tests/data/rigour/holm_reference.csv (R: p.adjust(p, 'holm'))."""
    from pathlib import Path

    ref = pd.read_csv(Path(__file__).parent / "data" / "rigour" / "holm_reference.csv")
    np.testing.assert_allclose(holm_adjust(ref["p"]), ref["holm"], rtol=1e-12)
