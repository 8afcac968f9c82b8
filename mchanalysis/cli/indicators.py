"""``mch indicators``: the indicator table of a counts file."""

from __future__ import annotations

import sys

from mchanalysis.errors import MchError

HELP = "compute every registry indicator with confidence intervals for every region and year"


def add_arguments(p):
    p.add_argument("--data", required=True, help="counts table (CSV, XLSX or Parquet)")
    p.add_argument("--sheet", help="XLSX sheet name (default: the first sheet)")
    p.add_argument("--year", type=int, action="append", help="keep only this year (repeatable)")
    p.add_argument(
        "--level",
        choices=["province", "prefecture", "county"],
        action="append",
        help="keep only this level (repeatable)",
    )
    p.add_argument(
        "--conf",
        type=float,
        default=0.95,
        help="confidence level as a fraction, e.g. 0.95 or 0.998 (default 0.95)",
    )
    p.add_argument("--registry", help="your own indicator registry YAML (default: the built-in one)")
    p.add_argument("--out", required=True, help="output file: .csv, .xlsx, .parquet or .json")


def run(args) -> int:
    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    from mchanalysis.confidence import check_level
    from mchanalysis.indicators import compute_indicators
    from mchanalysis.registry import load_registry
    from mchanalysis.validation import load_counts

    check_level(args.conf, "--conf")
    loaded = load_counts(args.data, sheet=args.sheet)
    registry = load_registry(args.registry) if args.registry else None
    table = compute_indicators(loaded.counts, registry=registry, conf_level=args.conf)
    if args.year:
        missing = sorted(set(args.year) - set(table["year"]))
        if missing:
            raise MchError(
                f"year(s) {missing} not in the data (years: {table['year'].min()}-{table['year'].max()})"
            )
        table = table[table["year"].isin(args.year)]
    if args.level:
        table = table[table["level"].isin(args.level)]
    from mchanalysis.tables import write_table  # here: pandas is not imported for `mch --help`

    write_table(table, args.out)
    n_warn = int((loaded.findings["severity"] == "warning").sum()) if len(loaded.findings) else 0
    print(
        f"wrote {len(table)} rows ({table['region_code'].nunique()} regions, "
        f"{table['year'].nunique()} years, {table['indicator'].nunique()} indicators) to {args.out}"
        + (f"; {n_warn} data warning(s): run `mch validate {args.data}`" if n_warn else ""),
        file=sys.stderr,
    )
    return 0
