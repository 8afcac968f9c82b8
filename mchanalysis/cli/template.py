"""``mch template``: write an XLSX data-entry template for the counts table."""

from __future__ import annotations

HELP = "write an XLSX data-entry template (headers, instructions sheet, cell validation)"


def add_arguments(p):
    p.add_argument("--out", required=True, metavar="F.xlsx", help="output workbook (.xlsx)")
    p.add_argument(
        "--lang",
        choices=["zh", "en"],
        default="zh",
        help="zh: Chinese headers and instructions (default); en: English ids",
    )


def run(args) -> int:
    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    from mchanalysis.data_entry_workbook import write_template

    path = write_template(args.out, lang=args.lang)
    print(f"wrote {path}: fill in one row per region and year, then run: mch validate {path}")
    return 0
