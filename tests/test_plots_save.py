"""``write_png``: the pixels of matplotlib's own ``savefig``, with the layout computed once and
a faster encoding (RGB when opaque, scanlines unfiltered at zlib level 1: ``png_bytes``), the
same PNG text chunks and resolution."""

from __future__ import annotations

import io
import struct

import matplotlib
import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from mchanalysis.plots import encode_png, new_figure, png_bytes, png_cache, write_png


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


def _savefig(fig, dpi, metadata=None):
    buf = io.BytesIO()
    meta = {"Software": None} if metadata is None else metadata
    fig.savefig(buf, format="png", dpi=dpi, metadata=meta, facecolor="white")
    return buf.getvalue()


def _pixels(png: bytes) -> np.ndarray:
    """The decoded image as an RGBA array (an RGB PNG gets alpha 255)."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def _same_image(got: bytes, want: bytes) -> None:
    """Equal pixels, size, resolution and text chunks (what savefig's PNG says)."""
    g, w = Image.open(io.BytesIO(got)), Image.open(io.BytesIO(want))
    assert g.size == w.size
    assert g.info.get("dpi") == w.info.get("dpi")
    assert getattr(g, "text", {}) == getattr(w, "text", {})
    np.testing.assert_array_equal(_pixels(got), _pixels(want))


@pytest.mark.parametrize("dpi", [100, 300])
def test_the_pixels_are_savefigs_and_the_figure_is_left_as_it_was(dpi):
    # the drawing path; a figure found in the cache is not drawn (tests/test_plots_png_cache.py)
    png_cache.clear()
    ref = _figure()
    want, want_next = _savefig(ref, dpi), _savefig(ref, dpi)
    fig = _figure()
    engine, fig_dpi = fig.get_layout_engine(), fig.dpi
    buf = io.BytesIO()
    write_png(fig, buf, dpi=dpi)
    _same_image(buf.getvalue(), want)
    assert Image.open(buf).mode == "RGB"  # every pixel opaque: no alpha channel stored
    assert fig.get_layout_engine() is engine and fig.dpi == fig_dpi
    # left as savefig leaves it: constrained layout starts from the last positions, so a second
    # savefig of a figure is not the first's pixels (matplotlib's own behaviour), but the same
    assert not np.array_equal(_pixels(want_next), _pixels(want))
    assert _savefig(fig, dpi) == want_next


def test_a_figure_without_a_layout_engine_is_saved_as_savefig_saves_it():
    fig = _figure()
    fig.set_layout_engine("none")
    want = _savefig(fig, 150)
    buf = io.BytesIO()
    write_png(fig, buf, dpi=150)
    _same_image(buf.getvalue(), want)


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
    _same_image(buf.getvalue(), want)


def test_the_encoding_is_deterministic_and_not_savefigs_own():
    # the same figure twice gives the same bytes; zlib level 1 of RGB, not savefig's level 6 of RGBA
    png_cache.clear()
    first, second = io.BytesIO(), io.BytesIO()
    encode_png(_figure(), first, dpi=150, metadata={"Software": None})
    encode_png(_figure(), second, dpi=150, metadata={"Software": None})
    assert first.getvalue() == second.getvalue()
    assert first.getvalue() != _savefig(_figure(), 150)


def test_a_figure_with_transparent_pixels_keeps_its_alpha_channel():
    # no background drawn: the corners are transparent, which RGB would turn black
    def figure():
        fig = _figure()
        fig.patch.set_visible(False)
        return fig

    want = _savefig(figure(), 100)
    assert _pixels(want)[0, 0, 3] == 0
    buf = io.BytesIO()
    encode_png(figure(), buf, dpi=100, metadata={"Software": None})
    assert Image.open(io.BytesIO(buf.getvalue())).mode == "RGBA"
    _same_image(buf.getvalue(), want)


@pytest.mark.parametrize(
    "metadata", [{}, {"Software": None, "Title": "孕产妇死亡率"}, {"Author": "示例县妇幼保健院"}]
)
def test_the_text_chunks_are_savefigs(metadata):
    # savefig's default Software chunk unless it is set to None, then the metadata given
    fig = _figure()
    fig.set_layout_engine("none")
    want = _savefig(fig, 100, metadata)
    buf = io.BytesIO()
    encode_png(fig, buf, dpi=100, metadata=metadata)
    _same_image(buf.getvalue(), want)
    assert ("Software" in Image.open(io.BytesIO(want)).text) == ("Software" not in metadata)


def test_a_cropped_save_is_left_to_savefig():
    # an rc bbox "tight" makes savefig's image smaller than the figure: savefig writes it
    fig = _figure()
    fig.set_layout_engine("none")
    with matplotlib.rc_context({"savefig.bbox": "tight"}):
        want = _savefig(fig, 100)
        buf = io.BytesIO()
        encode_png(fig, buf, dpi=100, metadata={"Software": None})
    assert Image.open(io.BytesIO(want)).size != (
        int(fig.get_figwidth() * 100),
        int(fig.get_figheight() * 100),
    )
    assert buf.getvalue() == want


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, data) of each chunk, after the signature."""
    out, i = [], 8
    while i < len(png):
        (n,) = struct.unpack(">I", png[i : i + 4])
        out.append((png[i + 4 : i + 8], png[i + 8 : i + 8 + n]))
        i += 12 + n
    return out


def _pillow_png(pixels, dpi, texts):
    info = PngImagePlugin.PngInfo()
    for k, v in texts.items():
        info.add_text(k, v)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="png", pnginfo=info, dpi=(dpi, dpi))
    return buf.getvalue()


@pytest.mark.parametrize("channels", [3, 4])
def test_png_bytes_decode_to_their_pixels_with_pillows_chunks(channels):
    # the peer: Pillow decodes the file (checking every CRC) and writes the same image with the
    # same text and resolution: every chunk but the image data is the same, in the same order
    rng = np.random.default_rng(12)
    pixels = np.full((37, 53, channels), 255, np.uint8)
    pixels[5:30, 10:40] = rng.integers(0, 256, (25, 30, channels), dtype=np.uint8)
    texts = {"Title": "MMR trend", "Description": "孕产妇死亡率（/10万）"}  # tEXt and iTXt
    got = png_bytes(pixels, dpi=300, texts=texts)
    Image.open(io.BytesIO(got)).verify()
    image = Image.open(io.BytesIO(got))
    assert image.mode == ("RGB" if channels == 3 else "RGBA")
    np.testing.assert_array_equal(np.asarray(image), pixels)
    want = _pillow_png(pixels, 300, texts)
    assert image.info["dpi"] == Image.open(io.BytesIO(want)).info["dpi"]
    assert image.text == texts
    assert [c for c in _chunks(got) if c[0] != b"IDAT"] == [c for c in _chunks(want) if c[0] != b"IDAT"]
    assert [k for k, _ in _chunks(got)][-2:] == [b"IDAT", b"IEND"]


def test_png_bytes_are_smaller_than_pillows_on_a_chart():
    fig = _figure()
    buf = io.BytesIO()
    fig.savefig(buf, format="raw", dpi=150, facecolor="white")
    w, h = (int(v * 150) for v in fig.get_size_inches())
    rgb = np.frombuffer(buf.getvalue(), np.uint8).reshape(h, w, 4)[..., :3].copy()
    assert len(png_bytes(rgb, dpi=150)) < len(_pillow_png(rgb, 150, {}))
