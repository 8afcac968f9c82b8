"""``plots.png_cache``: a figure equal to one drawn before gets that drawing's bytes, and only
such a figure.

The reference for every image is matplotlib's own ``savefig`` of the figure in hand, not the
cache's output: the same pixels, size, resolution and text chunks (``write_png`` encodes them
faster than savefig, so its bytes differ; tests/test_plots_save.py).
"""

from __future__ import annotations

import io
import warnings

import matplotlib
import numpy as np
import pytest
from matplotlib.ticker import FuncFormatter
from PIL import Image

from mchanalysis.plots import new_figure, png_cache, write_png

DPI = 100


@pytest.fixture(autouse=True)
def _empty_cache():
    png_cache.clear()
    yield
    png_cache.clear()


def _chart(*, title="示例县孕产妇死亡率（/10万）", last=13.0, color="C0", tick_lambda=False):
    fig, ax = new_figure()
    years = np.arange(2015, 2025)
    values = np.linspace(30, 14, len(years))
    values[-1] = last
    ax.errorbar(years, values, yerr=np.ones((2, len(years))), fmt="o", color=color, label="观察值")
    ax.axhline(16, ls="-.", color="C1", label="2025年目标")
    ax.set_title(title)
    ax.set_xlabel("年份")
    ax.legend(loc="upper right")
    if tick_lambda:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}"))
    return fig


def _image(png: bytes) -> tuple:
    """What a PNG shows: size, resolution, text chunks and the RGBA pixels."""
    im = Image.open(io.BytesIO(png))
    return im.size, im.info.get("dpi"), dict(im.text), im.convert("RGBA").tobytes()


def _savefig(fig, dpi=DPI):
    """savefig's image of *fig* (see :func:`_image`)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    return _image(buf.getvalue())


def _write(fig, dpi=DPI):
    buf = io.BytesIO()
    write_png(fig, buf, dpi=dpi)
    return buf.getvalue()


def test_an_equal_figure_built_again_is_not_drawn_and_gets_the_first_drawings_bytes():
    first = _write(_chart())
    assert png_cache.STATS == {"hits": 0, "misses": 1, "unpicklable": 0}
    again = _chart()
    got = _write(again)
    assert png_cache.STATS["hits"] == 1
    assert got == first  # the very bytes of the first drawing
    assert _image(got) == _savefig(_chart())
    # not drawn: the axes are where the figure was built with them (savefig would move them)
    assert again.axes[0].get_position().bounds == _chart().axes[0].get_position().bounds


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda: _chart(title="示例县婴儿死亡率（‰）"), id="a title"),
        pytest.param(lambda: _chart(last=13.5), id="one value"),
        pytest.param(lambda: _chart(color="C2"), id="a colour"),
    ],
)
def test_a_figure_that_differs_in_one_thing_is_drawn(change):
    _write(_chart())
    fig = change()
    want = _savefig(change())
    assert _image(_write(fig)) == want
    assert png_cache.STATS["hits"] == 0 and png_cache.STATS["misses"] == 2


def test_a_figure_changed_after_it_was_built_is_drawn():
    _write(_chart())
    fig = _chart()
    fig.axes[0].set_ylim(0, 40)
    want = _chart()
    want.axes[0].set_ylim(0, 40)
    assert _image(_write(fig)) == _savefig(want)
    assert png_cache.STATS["hits"] == 0


def test_another_resolution_or_rc_setting_is_another_drawing():
    _write(_chart())
    assert _image(_write(_chart(), dpi=120)) == _savefig(_chart(), dpi=120)
    with matplotlib.rc_context({"lines.antialiased": False, "patch.antialiased": False}):
        assert _image(_write(_chart())) == _savefig(_chart())
    assert png_cache.STATS["hits"] == 0 and png_cache.STATS["misses"] == 3
    assert _image(_write(_chart())) == _savefig(_chart())  # the first one, found again
    assert png_cache.STATS["hits"] == 1


def test_a_figure_that_cannot_be_pickled_is_drawn_every_time():
    want = _savefig(_chart(tick_lambda=True))
    assert _image(_write(_chart(tick_lambda=True))) == want
    assert _image(_write(_chart(tick_lambda=True))) == want
    assert png_cache.STATS == {"hits": 0, "misses": 0, "unpicklable": 2}


def test_a_drawings_warnings_are_raised_again_when_its_bytes_are_reused():
    def chart():
        fig = _chart()
        fig.axes[0].set_xlabel("年份 \u0e01")  # a Thai letter: in neither shipped font
        return fig

    for _ in range(2):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            _write(chart())
        assert any("missing from font" in str(w.message) for w in record), [str(w.message) for w in record]
    assert png_cache.STATS["hits"] == 1


def test_the_cache_keeps_the_most_recently_used_figures_only():
    for k in range(png_cache.ENTRIES + 1):
        _write(_chart(last=float(k)))
    assert png_cache.STATS["misses"] == png_cache.ENTRIES + 1
    _write(_chart(last=0.0))  # the oldest: dropped
    _write(_chart(last=float(png_cache.ENTRIES)))  # the newest: kept
    assert png_cache.STATS["misses"] == png_cache.ENTRIES + 2 and png_cache.STATS["hits"] == 1
