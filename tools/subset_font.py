#!/usr/bin/env python
"""Make the Chinese chart font shipped in ``mchanalysis/fonts/`` (a development tool).

The charts must render Chinese on a fresh machine with no system font and nothing downloaded at
run time, so the package ships a subset of Noto Sans CJK SC Regular (SIL Open Font License 1.1).
This script makes that subset reproducibly:

1. source: ``NotoSansCJK-Regular.ttc`` from Debian's ``fonts-noto-cjk`` package
   (``apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb /tmp/noto``), the
   face whose family is "Noto Sans CJK SC";
2. characters: all of GB2312, printable ASCII and Latin-1, common punctuation and symbols used in
   reports (‰ ％ ，。、：；（）【】“”·—－～ ± ≤ ≥ × ÷ ✓ ▲ ▼ …), the extra place-name characters
   listed in ``mchanalysis/fonts/extra_chars.txt`` (characters of real county names that are
   not in GB2312, e.g. 浉 猇 埇 鄠 硚), and every character found in the project's own text:
   ``mchanalysis/**/*.{py,yaml,yml,j2,jinja,html,md,txt,csv}`` (registry, targets, report
   templates, narrative code) and ``data/demo/*.csv`` (demo region names). Re-run the script
   after adding Chinese text or region names; ``tests/test_plots_fonts.py`` fails when a
   character of those files is missing from the shipped font;
3. subset with fontTools (CFF outlines kept: an OpenType ``.otf`` that matplotlib's Agg, SVG
   and PDF backends load), timestamps of the source kept so the output is byte-reproducible;
4. rename the family to "Noto Sans CJK SC MCH" so a full Noto Sans CJK SC installed on the
   machine can never be picked instead of the shipped file (the OFL's Reserved Font Name of
   this font is "Source", which the new name does not use);
5. write the font, the OFL text and a README with the counts.

Usage::

    .venv/bin/python tools/subset_font.py --source /tmp/noto/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import unicodedata
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parents[1]
FONT_DIR = ROOT / "mchanalysis" / "fonts"
OUT_NAME = "NotoSansCJKsc-Regular-MCH-subset.otf"
FAMILY = "Noto Sans CJK SC MCH"
PS_NAME = "NotoSansCJKsc-MCH-Regular"
SOURCE_FAMILY = "Noto Sans CJK SC"
DEFAULT_SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

# Punctuation and symbols that reports and charts use, beyond GB2312 (most are in it already;
# listing them makes the intent explicit and survives a change of base set).
SYMBOLS = (
    "‰‱％，。、：；！？（）【】〔〕《》〈〉「」『』“”‘’·•—–－～…±≤≥≈≠×÷°℃µ²³¹⁰"
    "−+−/⁄→←↑↓↗↘▲△▼▽●○◆◇■□★☆✓✔✗✘√∑∞·　"
    "０１２３４５６７８９"
)
TEXT_SUFFIXES = {".py", ".yaml", ".yml", ".j2", ".jinja", ".html", ".md", ".txt", ".csv"}


def gb2312_chars() -> set[str]:
    """Every character of GB/T 2312-1980 (rows 0xA1–0xF7, cells 0xA1–0xFE)."""
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def basic_chars() -> set[str]:
    chars = {chr(c) for c in range(0x20, 0x7F)}
    chars |= {chr(c) for c in range(0xA0, 0x100)}
    chars |= set(SYMBOLS)
    return chars


def project_text_files(root: Path = ROOT) -> list[Path]:
    """The project files whose characters the font must cover (sorted, deterministic)."""
    files = [p for p in (root / "mchanalysis").rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES]
    files += sorted((root / "data" / "demo").glob("*.csv")) if (root / "data" / "demo").is_dir() else []
    return sorted(set(files))


def wanted_text_chars(text: str) -> set[str]:
    """Printable, non-control characters of ``text`` (letters, digits, punctuation, symbols)."""
    return {ch for ch in text if not unicodedata.category(ch).startswith(("C", "Z")) or ch in " 　"}


def project_chars(root: Path = ROOT) -> set[str]:
    chars: set[str] = set()
    for path in project_text_files(root):
        if path.name == "extra_chars.txt":
            continue
        chars |= wanted_text_chars(path.read_text(encoding="utf-8", errors="ignore"))
    return chars


def extra_chars(root: Path = ROOT) -> set[str]:
    path = root / "mchanalysis" / "fonts" / "extra_chars.txt"
    chars: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        chars |= {ch for ch in line if not ch.isspace()}
    return chars


def load_face(source: Path) -> TTFont:
    if source.suffix.lower() == ".ttc":
        for font in TTCollection(str(source), recalcTimestamp=False).fonts:
            if font["name"].getDebugName(1) == SOURCE_FAMILY:
                return font
        raise SystemExit(f"{source}: no face named {SOURCE_FAMILY!r}")
    return TTFont(str(source), recalcTimestamp=False)


def rename(font: TTFont, source_version: str) -> None:
    name = font["name"]
    for rec in list(name.names):
        if rec.nameID in (16, 17, 21, 22):
            name.removeNames(nameID=rec.nameID)
    # the localised names (Chinese, Japanese, Korean records of the source) would still call the
    # subset "Noto Sans CJK SC": they go, and every system shows the one name written below
    for rec in list(name.names):
        if rec.nameID in (1, 2, 3, 4, 6) and (rec.platformID, rec.platEncID, rec.langID) not in (
            (3, 1, 0x409),
            (1, 0, 0),
        ):
            name.removeNames(
                nameID=rec.nameID, platformID=rec.platformID, platEncID=rec.platEncID, langID=rec.langID
            )
    for plat in ((3, 1, 0x409), (1, 0, 0)):
        name.setName(FAMILY, 1, *plat)
        name.setName("Regular", 2, *plat)
        name.setName(f"{source_version};{PS_NAME}", 3, *plat)
        name.setName(FAMILY, 4, *plat)
        name.setName(PS_NAME, 6, *plat)
        name.setName(
            "Subset of Noto Sans CJK SC Regular made by mchanalysis tools/subset_font.py "
            "(GB2312 + project characters); licensed under the SIL Open Font License 1.1.",
            10,
            *plat,
        )
    if "CFF " in font:
        cff = font["CFF "].cff
        top = cff.topDictIndex[0]
        cff.fontNames = [PS_NAME]
        for attr, value in (("FullName", FAMILY), ("FamilyName", FAMILY), ("FontName", PS_NAME)):
            if hasattr(top, attr) or attr != "FontName":
                setattr(top, attr, value)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--out-dir", type=Path, default=FONT_DIR)
    args = ap.parse_args(argv)

    face = load_face(args.source)
    cmap = face.getBestCmap()
    gb = gb2312_chars()
    basic = basic_chars()
    extra = extra_chars()
    proj = project_chars()
    wanted = gb | basic | extra | proj
    wanted_cp = {ord(c) for c in wanted}
    present = sorted(cp for cp in wanted_cp if cp in cmap)
    absent = sorted(
        cp for cp in wanted_cp if cp not in cmap and not unicodedata.category(chr(cp)).startswith(("C", "Z"))
    )

    src_version = face["name"].getDebugName(5) or ""
    opts = subset.Options()
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.glyph_names = False
    opts.hinting = True
    opts.recalc_timestamp = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=present)
    sub.subset(face)
    rename(face, src_version.replace("Version ", "").split(";")[0])

    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / OUT_NAME
    face.save(str(out))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    han = sum(1 for cp in present if unicodedata.name(chr(cp), "").startswith("CJK UNIFIED"))
    print(f"wrote {out} ({out.stat().st_size:,} bytes, sha256 {digest})")
    print(
        f"characters: {len(present)} mapped ({han} Han); GB2312 {len(gb)}; extra {len(extra)}; project text {len(proj)}"
    )
    if absent:
        print("not in the source font (left out): " + "".join(chr(c) for c in absent), file=sys.stderr)
    beyond_gb = sorted(c for c in (extra | proj) if c not in gb and ord(c) in cmap and ord(c) > 0x2E80)
    print("CJK characters beyond GB2312 included: " + "".join(beyond_gb), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
