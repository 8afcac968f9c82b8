"""``write_png``: the bytes of matplotlib's own ``savefig``, with the layout computed once."""

from __future__ import annotations

import io

import numpy as np
import pytest

from mchanalysis.plots import new_figure, png_cache, write_png


def _figure():
    fig, axes = new_figure(1, 2, sharey=True)
    years = np.arange(2010, 2025)
    for k, ax in enumerate(axes):
        ax.plot(years, 20 - 0.6 * (years - 2010) + k, marker="o", label="孕产妇死亡率")
        ax.set_title(f"示例县 {k}（/10万）")
        ax.set_xlabel("年份")
        ax.legend(loc="best")
    axes[0].set_ylabel("孕产妇死亡率（/10万）")
    fig.suptitle("示例省孕产妇死亡率变化，2010—2024年")
    return fig


def _savefig(fig, dpi):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


@pytest.mark.parametrize("dpi", [100, 300])
def test_the_bytes_are_savefigs_and_the_figure_is_left_as_it_was(dpi):
    # the drawing path; a figure found in the cache is not drawn (tests/test_plots_png_cache.py)
    png_cache.clear()
    ref = _figure()
    want, want_next = _savefig(ref, dpi), _savefig(ref, dpi)
    fig = _figure()
    engine, fig_dpi = fig.get_layout_engine(), fig.dpi
    buf = io.BytesIO()
    write_png(fig, buf, dpi=dpi)
    assert buf.getvalue() == want
    assert fig.get_layout_engine() is engine and fig.dpi == fig_dpi
    # left as savefig leaves it: constrained layout starts from the last positions, so a second
    # savefig of a figure is not the first's bytes (matplotlib's own behaviour), but the same
    assert want_next != want
    assert _savefig(fig, dpi) == want_next


def test_a_figure_without_a_layout_engine_is_saved_as_savefig_saves_it():
    fig = _figure()
    fig.set_layout_engine("none")
    want = _savefig(fig, 150)
    buf = io.BytesIO()
    write_png(fig, buf, dpi=150)
    assert buf.getvalue() == want


def test_fixed_aspect_and_located_axes_give_savefigs_bytes_too():
    # axes that savefig's draw adjusts before the layout (apply_aspect): an inset, a square panel
    def figure():
        fig, ax = new_figure()
        ax.plot([0, 1], [0, 2])
        ax.set_title("插图")
        inset = ax.inset_axes([0.6, 0.1, 0.35, 0.35])
        inset.plot([0, 1], [1, 0])
        square = fig.add_axes([0.1, 0.6, 0.2, 0.2])
        square.set_aspect("equal")
        square.plot([0, 1], [0, 3])
        return fig

    want = _savefig(figure(), 200)
    buf = io.BytesIO()
    write_png(figure(), buf, dpi=200)
    assert buf.getvalue() == want
