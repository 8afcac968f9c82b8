"""The fast paths of `mch validate`'s capability line (issue 12) give what the slow paths give.

- :func:`mchanalysis.indicators.indicator_counts` (the rows, counts and flags of the indicator
  table without its intervals) equals those columns of
  :func:`~mchanalysis.indicators.compute_indicators`, on the demo, on cut-down copies of it (a
  parent left incomplete, a measure absent, a table not sorted, cells written -2), with and
  without aggregation;
- the capability module names each mortality rate's events as
  :func:`mchanalysis.analysis.mortality.event_name` does;
- importing the capability module (what `mch validate` does) imports neither scipy nor the models.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import support

from mchanalysis.indicators import COUNT_COLUMNS, compute_indicators, indicator_counts
from mchanalysis.registry import load_registry


def _load_demo() -> pd.DataFrame:
    from mchanalysis.validation import load_counts

    return load_counts(support.DEMO).counts


def _variants():
    demo = _load_demo()
    yield "demo", demo
    rng = np.random.default_rng(12)
    cut = demo.copy()
    for m in ("live_births", "infant_deaths", "early_registered"):
        drop = rng.random(len(cut)) < 0.1
        cut[m] = cut[m].mask(drop)  # children not reported: parents incomplete
    yield "holes", cut
    yield "measure_absent", demo.drop(columns=["maternal_deaths", "deliveries"])
    yield "unsorted", demo.sample(frac=1.0, random_state=3).reset_index(drop=True)
    done = demo.copy()
    rows = done.index[done["level"] == "county"][:5]
    done.loc[rows, "infant_deaths"] = pd.NA
    done.attrs["not_carried_out"] = tuple(
        (done.at[i, "region_code"], int(done.at[i, "year"]), "infant_deaths") for i in rows
    )
    yield "not_carried_out", done


@pytest.mark.parametrize("aggregate", [True, False])
@pytest.mark.parametrize("conf_level", [0.95, 0.998])
def test_indicator_counts_equal_the_indicator_tables_columns(aggregate, conf_level):
    registry = load_registry()
    for name, counts in _variants():
        for reg in (
            registry,
            registry[registry["id"].isin(["mmr", "imr", "nmr", "u5mr"])].reset_index(drop=True),
        ):
            whole = compute_indicators(counts, registry=reg, conf_level=conf_level, aggregate=aggregate)
            fast = indicator_counts(counts, registry=reg, aggregate=aggregate)
            assert list(fast.columns) == COUNT_COLUMNS
            assert len(fast) > 0, name
            pd.testing.assert_frame_equal(fast, whole[COUNT_COLUMNS], check_exact=True, obj=name)


def test_indicator_counts_of_a_table_without_any_indicator():
    counts = _load_demo()[["region_code", "region_name", "parent_code", "level", "year", "live_births"]]
    reg = load_registry()
    reg = reg[reg["id"] == "mmr"].reset_index(drop=True)
    assert list(indicator_counts(counts, registry=reg).columns) == COUNT_COLUMNS
    assert indicator_counts(counts, registry=reg).empty
    assert compute_indicators(counts, registry=reg).empty


def test_the_capability_module_names_the_events_as_the_mortality_module():
    from mchanalysis.analysis import MORTALITY
    from mchanalysis.analysis.capabilities import _event_name
    from mchanalysis.analysis.data import from_counts
    from mchanalysis.analysis.mortality import event_name

    data = from_counts(_load_demo())
    for indicator in MORTALITY:
        assert _event_name(data.registry, indicator) == event_name(data, indicator)


def test_the_capability_module_imports_no_scipy_nor_models():
    probe = (
        "import sys\n"
        "import mchanalysis.cli.validate, mchanalysis.analysis.capabilities\n"
        "heavy = [m for m in ('scipy', 'statsmodels', 'mchanalysis.stats', 'mchanalysis.analysis.mortality')"
        " if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
        "from mchanalysis.analysis import trend, capabilities\n"  # the lazy names still resolve
        "import mchanalysis.analysis as A\n"
        "print('CAP:' + str(callable(A.capabilities) and A.capabilities.__name__ == 'capabilities'))\n"
    )
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "HEAVY:\n" in res.stdout
    assert "CAP:True" in res.stdout


def test_every_name_of_the_analysis_package_is_its_modules():
    import importlib

    import mchanalysis.analysis as A

    for name in A.__all__:
        value = getattr(A, name)
        if name in ("capabilities", "capability_sentence"):
            module = "capabilities"
        else:
            module = A._LAZY[name]
        assert value is getattr(importlib.import_module(f"mchanalysis.analysis.{module}"), name), name
    assert set(A.__all__) == {*A._LAZY, "capabilities", "capability_sentence"}
    with pytest.raises(AttributeError):
        A.no_such_name  # noqa: B018
