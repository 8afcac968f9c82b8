"""The shipped font read from memory (``mchanalysis.plots.font_stream``): installed by the house
style, the very pixels and PDF/PostScript bytes of the font read from its file, and safe across
``fork()``."""

from __future__ import annotations

import io
import os
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import matplotlib.font_manager as fm
import numpy as np
import pytest

from mchanalysis.plots import font_path, font_stream, new_figure, use_mch_style

SHIPPED = os.path.realpath(font_path())


def _shipped_font():
    use_mch_style()
    return fm.get_font([SHIPPED, fm.findfont("DejaVu Sans")])


@contextmanager
def _read_from_file():
    """matplotlib's own font cache, as without :mod:`font_stream`, for the duration."""
    wrapper = fm._get_font
    assert wrapper.original is not None
    fm._get_font = wrapper.original
    try:
        yield
    finally:
        fm._get_font = wrapper


def _figure():
    fig, ax = new_figure()
    years = np.arange(2015, 2025)
    ax.plot(years, 30 - 1.2 * (years - 2015), marker="o", label="孕产妇死亡率（/10万）")
    ax.set_title("示例县孕产妇死亡率，2015—2024年 MMR 12.5")
    ax.set_xlabel("年份 year")
    ax.legend(loc="upper right")
    ax.annotate("目标值 ≤ 12/10万", (2020, 20))
    return fig


def _rgba(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="raw", dpi=150)
    return buf.getvalue()


def _saved(fig, fmt: str) -> bytes:
    buf = io.BytesIO()
    meta = {"pdf": {"CreationDate": None}, "ps": {"CreationDate": None}}[fmt]
    fig.savefig(buf, format=fmt, metadata=meta)
    return buf.getvalue()


def test_the_house_style_has_freetype_read_the_shipped_font_from_memory():
    font = _shipped_font()
    assert isinstance(font.fname, font_stream.FontBytes)
    assert str(font.fname) == SHIPPED  # what the PDF/PS writers ask to embed it
    # other fonts are read by matplotlib as before
    assert isinstance(fm.get_font(fm.findfont("DejaVu Sans")).fname, str)
    with _read_from_file():
        assert isinstance(_shipped_font().fname, str)


def test_the_rendered_pixels_are_those_of_the_font_read_from_its_file():
    got = _rgba(_figure())
    with _read_from_file():
        want = _rgba(_figure())
    assert len(got) == len(want)
    assert got == want


@pytest.mark.parametrize(("fmt", "fonttype"), [("pdf", 3), ("pdf", 42), ("ps", 42)])
def test_pdf_and_postscript_embed_the_same_font_as_from_its_file(fmt, fonttype, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # PostScript dates itself otherwise
    with matplotlib.rc_context({f"{fmt}.fonttype": fonttype}):
        got = _saved(_figure(), fmt)
        with _read_from_file():
            want = _saved(_figure(), fmt)
    assert b"NotoSansCJK" in got  # the shipped font is embedded, by its name
    assert got == want


def test_installing_again_keeps_the_one_wrapper():
    _shipped_font()
    wrapper = fm._get_font
    assert font_stream.install(Path(SHIPPED)) is True
    assert fm._get_font is wrapper


def test_a_matplotlib_whose_font_cache_differs_is_left_alone(monkeypatch):
    def plain_get_font(font_filepaths, **kwargs):  # no lru_cache, no __wrapped__
        raise AssertionError("not called")

    monkeypatch.setattr(fm, "_get_font", plain_get_font)
    monkeypatch.setattr(font_stream, "_installed", {})
    assert font_stream.install(Path(SHIPPED)) is False
    assert fm._get_font is plain_get_font


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only")
def test_a_forked_child_builds_its_own_fonts():
    _shipped_font()
    assert fm._get_font.cache_info().currsize > 0
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            size = fm._get_font.cache_info().currsize
            font = _shipped_font()
            font.set_text("孕产妇", 0.0)
            os.write(write, f"{size} {font.get_num_glyphs()}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        answer = fh.read()
    os.waitpid(pid, 0)
    assert answer == "0 3"
