"""``mch narrative-template``: write each region's starter file for the bureau's own text.

One ``<region_code>.md`` per region into ``--out`` (a folder), with the sections the 答卷 places
verbatim (导语, 工作亮点, 重点工作, 下一步, 落款) and 导语 pre-filled with the data's own opening
paragraph to edit. ``mch run --narrative DIR`` then reads that folder. An existing file is never
overwritten (the bureau's edits are kept); it is listed as kept.
"""

from __future__ import annotations

import sys
from pathlib import Path

HELP = "write a starter <region_code>.md of the bureau's own 答卷 text for each region"


def add_arguments(p):
    p.add_argument("--data", required=True, metavar="DATA", help="counts table (.csv, .xlsx, .parquet)")
    p.add_argument("--year", type=int, help="report year (default: the latest year of the data)")
    p.add_argument(
        "--regions",
        nargs="+",
        metavar="SEL",
        default=["all"],
        help="'all', region codes, 'tree:CODE' or 'level:LEVEL' (default: all)",
    )
    p.add_argument("--targets", default="auto", metavar="NAME|FILE", help="target set (default: auto)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language (default: zh)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the <region_code>.md files")


def run(args) -> int:
    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    from mchanalysis.analysis import load_analysis_data
    from mchanalysis.atomic import write_text
    from mchanalysis.pipeline.params import select_regions
    from mchanalysis.report import build_context
    from mchanalysis.report.bureau import narrative_template

    data = load_analysis_data(args.data)
    year = int(args.year) if args.year is not None else int(data.indicators["year"].max())
    regions = select_regions(data.tree, args.regions)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = kept = 0
    for code in regions["region_code"].astype(str):
        path = out / f"{code}.md"
        if path.exists():
            kept += 1
            print(f"kept {path} (exists)", file=sys.stderr)
            continue
        ctx = build_context(
            data, year=year, region_code=code, target_set=args.targets, lang=args.lang, figures=False
        )
        write_text(path, narrative_template(ctx))
        written += 1
    print(f"{written} starter file(s) written, {kept} kept, in {out}")
    return 0
