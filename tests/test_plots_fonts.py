"""The shipped chart font renders every Chinese text of the project; figures save byte-identically."""

from __future__ import annotations

import hashlib
import unicodedata
import warnings
from importlib import resources
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
import yaml
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from mchanalysis.plots import (
    FONT_FALLBACK_CHAIN,
    FONT_FAMILY,
    font_path,
    new_figure,
    save_figure,
    use_mch_style,
)

REPO = Path(__file__).resolve().parents[1]
PKG = Path(str(resources.files("mchanalysis")))
from support import DEMO as DEMO_COUNTS  # noqa: E402


def _registry() -> list[dict]:
    return yaml.safe_load((PKG / "indicators.yaml").read_text(encoding="utf-8"))["indicators"]


def _demo_region_names() -> list[str]:
    names = pd.read_csv(DEMO_COUNTS, dtype=str, usecols=["region_name"])["region_name"]
    return sorted(set(names))


def _font_chars() -> set[int]:
    return set(FT2Font(str(font_path())).get_charmap())


def _chain_chars() -> set[int]:
    """Characters the style's font chain draws: the shipped font, then DejaVu Sans fallback."""
    dejavu = font_manager.findfont(
        font_manager.FontProperties(family=["DejaVu Sans"]), fallback_to_default=False
    )
    return _font_chars() | set(FT2Font(dejavu).get_charmap())


def _drawable(text: str) -> set[str]:
    return {ch for ch in text if not unicodedata.category(ch).startswith(("C", "Z"))}


def _draw(fig) -> None:
    fig.canvas.draw()


def test_font_ships_with_licence_and_readme():
    fdir = font_path().parent
    assert font_path().stat().st_size > 2_000_000  # the GB2312 subset, not an empty stub
    ofl = (fdir / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in ofl
    readme = (fdir / "README.md").read_text(encoding="utf-8")
    assert "Noto Sans CJK SC" in readme and "OFL" in readme


def test_every_name_record_names_the_subset_not_the_source():
    """A modified OFL font carries its own name in every record (the source's Chinese records
    said "Noto Sans CJK SC"), and the README states the file's real size and hash."""
    from fontTools.ttLib import TTFont

    names = TTFont(str(font_path()))["name"].names
    family = {r.toUnicode() for r in names if r.nameID in (1, 4)}
    assert family == {"Noto Sans CJK SC MCH"}, family
    assert {r.toUnicode() for r in names if r.nameID == 6} == {"NotoSansCJKsc-MCH-Regular"}
    readme = (font_path().parent / "README.md").read_text(encoding="utf-8")
    data = font_path().read_bytes()
    assert f"{len(data):,} bytes" in readme and hashlib.sha256(data).hexdigest() in readme


def test_style_puts_the_shipped_font_first():
    family = use_mch_style()
    assert family == FONT_FAMILY
    assert matplotlib.rcParams["font.sans-serif"][0] == FONT_FAMILY
    assert tuple(matplotlib.rcParams["font.sans-serif"]) == FONT_FALLBACK_CHAIN
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    found = font_manager.findfont(
        font_manager.FontProperties(family=["sans-serif"]), fallback_to_default=False
    )
    assert Path(found).resolve() == font_path().resolve()
    # idempotent: a second call registers nothing new
    n = len(font_manager.fontManager.ttflist)
    use_mch_style()
    assert len(font_manager.fontManager.ttflist) == n


def test_font_covers_gb2312_and_rare_place_names():
    cmap = _font_chars()
    gb = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                gb.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    assert len(gb) > 7000
    assert gb <= cmap
    for ch in "浉猇埇鄠硚瀍‰％，。、：；（）【】“”·—－～±≤≥×÷":
        assert ord(ch) in cmap, ch


def test_font_covers_registry_demo_targets_and_templates():
    """Re-run tools/subset_font.py when this fails: a new character is not in the font."""
    texts = [str(v) for ind in _registry() for v in ind.values() if isinstance(v, str)]
    texts += _demo_region_names()
    for pattern in ("targets/*.yaml", "report/templates/**/*"):
        texts += [
            p.read_text(encoding="utf-8") for p in PKG.glob(pattern) if p.is_file() and p.suffix != ".docx"
        ]  # the Word reference is binary
    wanted = set().union(*(_drawable(t) for t in texts))
    chain = _chain_chars()
    missing = sorted(ch for ch in wanted if ord(ch) not in chain)
    assert not missing, (
        f"characters missing from the chart font (re-run tools/subset_font.py): {''.join(missing)}"
    )


def _chinese_chart():
    fig, ax = new_figure()
    reg = _registry()
    names = _demo_region_names()
    ax.set_title("示例省 " + "、".join(i["name_zh"] for i in reg[:6]))
    ax.set_ylabel("孕产妇死亡率（/10万）；婴儿死亡率（‰）；覆盖率（%）")
    ax.set_xlabel("年份 −1 -1")
    ax.plot(range(len(names)), range(len(names)), marker="o", label="观察值")
    ax.set_xticks(range(len(names)), names, rotation=90)
    for k, ind in enumerate(reg):
        # inside the axes whatever the registry's length (text outside would collapse the layout)
        ax.text(0.02, k / len(reg), f"{ind['name_zh']} {ind['unit']}", transform=ax.transAxes, fontsize=4)
    ax.legend(title="图例：示例省")
    return fig


def test_chinese_chart_emits_no_missing_glyph_warning():
    use_mch_style()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = _chinese_chart()
        _draw(fig)
    title = fig.axes[0].title
    used = font_manager.fontManager._find_fonts_by_props(title.get_fontproperties())
    assert Path(used[0]).resolve() == font_path().resolve()


def test_missing_glyph_check_can_fail_without_the_font():
    """Control: with only DejaVu Sans the same chart warns, so the check above is meaningful."""
    fig = _chinese_chart()
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        with pytest.warns(UserWarning, match="Glyph .* missing"):
            _draw(fig)


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_saving_twice_gives_identical_bytes(tmp_path, suffix):
    fig = _chinese_chart()
    a = save_figure(fig, tmp_path / f"a{suffix}")
    b = save_figure(_chinese_chart(), tmp_path / f"b{suffix}")
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    if suffix == ".png":
        assert b"Software" not in a.read_bytes()[:200]
        assert a.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_figure_rejects_unknown_format(tmp_path):
    from mchanalysis.errors import MchError

    fig, _ = new_figure()
    with pytest.raises(MchError, match="png"):
        save_figure(fig, tmp_path / "chart.gif")
    assert not list(tmp_path.iterdir())


def test_a_dollar_in_a_name_is_drawn_as_written_not_as_math():
    """Issue 15 item 5: '$x_1$' in a region name would be parsed as math text (or fail) without
    text.parse_math = False."""
    fig, ax = new_figure()
    t = ax.set_title("县$x_1$区 $500")
    _draw(fig)
    assert matplotlib.rcParams["text.parse_math"] is False
    assert not t.get_parse_math()
