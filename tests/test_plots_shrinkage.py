"""Shrinkage chart of EB smoothed rates."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mchanalysis.errors import MchError
from mchanalysis.models import eb_smooth
from mchanalysis.plots import save_figure
from mchanalysis.plots.shrinkage import plot_shrinkage
from mchanalysis.registry import indicator_meta

TABLE = pd.DataFrame(
    {
        "region_name": ["浉河区", "猇亭区", "临江县", "石桥县", "川中区"],
        "deaths": [0, 9, 1, 3, 5],
        "births": [1200, 4000, 2500, 6000, 20000],
    }
)


def _fig(lang="zh"):
    eb = eb_smooth(TABLE, events="deaths", population="births", multiplier=100_000)
    return eb, plot_shrinkage(eb, meta=indicator_meta("mmr"), lang=lang)


def _gid(fig, gid):
    return [a for a in fig.axes[0].get_children() if a.get_gid() == gid]


def test_shrinkage_chart_shows_crude_smoothed_and_mean():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eb, fig = _fig()
        fig.canvas.draw()
    (crude,) = _gid(fig, "crude")
    (smooth,) = _gid(fig, "smoothed")
    order = eb.sort_values(["smoothed_rate", "region_name"])
    assert order["shrinkage"].between(0.05, 0.95).all()  # real shrinkage, not all-or-nothing
    np.testing.assert_allclose(smooth.get_xdata(), order["smoothed_rate"])
    np.testing.assert_allclose(crude.get_xdata(), order["crude_rate"])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list(order["region_name"])
    (mean,) = _gid(fig, "mean")
    assert mean.get_xdata()[0] == pytest.approx(eb["prior_mean"].iloc[0])
    assert len(_gid(fig, "shrink")[0].get_segments()) == len(TABLE)
    assert fig.axes[0].get_xlim()[0] < 0 <= crude.get_xdata().min()  # a zero rate is not cut off
    assert fig.axes[0].get_xlabel() == "孕产妇死亡率（/10万）"


def test_shrinkage_chart_bytes_repeat_and_bad_input(tmp_path):
    a = save_figure(_fig("en")[1], tmp_path / "a.png").read_bytes()
    b = save_figure(_fig("en")[1], tmp_path / "b.png").read_bytes()
    assert a == b
    with pytest.raises(MchError, match="eb_smooth"):
        plot_shrinkage(TABLE, meta=indicator_meta("mmr"))
