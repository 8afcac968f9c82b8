"""``mch trends``: APC / joinpoint trend of one region's indicator from a counts file."""

from __future__ import annotations

import sys

from mchanalysis.confidence import check_level

HELP = "trend of a region's indicator: log-linear APC or joinpoint segments, then AAPC rows"


def add_arguments(p) -> None:
    p.add_argument("--data", required=True, help="counts table (CSV, XLSX or Parquet)")
    p.add_argument("--sheet", help="XLSX sheet name (default: the first sheet)")
    p.add_argument("--indicator", required=True, help="indicator id of the registry, e.g. imr")
    p.add_argument("--region", required=True, help="6-digit region code")
    p.add_argument(
        "--method",
        choices=["apc", "joinpoint"],
        default="apc",
        help="apc: one log-linear Poisson/NB trend (default); joinpoint: NCI method",
    )
    p.add_argument("--conf", type=float, default=0.95, help="confidence level, a fraction (default 0.95)")
    p.add_argument(
        "--aapc-range",
        action="append",
        default=[],
        metavar="START-END",
        help="extra AAPC range, e.g. 2019-2023 (repeatable)",
    )
    p.add_argument(
        "--variance",
        choices=["constant", "poisson"],
        default="poisson",
        help="joinpoint error model (default poisson: weight = deaths)",
    )
    p.add_argument(
        "--select",
        choices=["wbic", "bic", "permutation"],
        default="wbic",
        help="joinpoint model selection (default wbic)",
    )
    p.add_argument(
        "--max-joinpoints",
        type=int,
        default=None,
        help="joinpoint maximum (default: NCI's table by series length)",
    )
    p.add_argument("--seed", type=int, default=7160, help="permutation seed (default 7160)")
    p.add_argument("--out", required=True, help="output .csv, .json, .xlsx or .parquet")


def run(args) -> int:
    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    from mchanalysis.cli.joinpoint import parse_range, tidy_years
    from mchanalysis.indicators import compute_indicators
    from mchanalysis.tables import write_table
    from mchanalysis.trends import indicator_trend
    from mchanalysis.validation import load_counts

    check_level(args.conf, "--conf")
    loaded = load_counts(args.data, sheet=args.sheet)
    table = compute_indicators(loaded.counts, conf_level=args.conf)
    opts = {}
    if args.method == "joinpoint":
        opts = dict(
            variance=args.variance, select=args.select, max_joinpoints=args.max_joinpoints, seed=args.seed
        )
    out = indicator_trend(
        table,
        indicator=args.indicator,
        region_code=args.region,
        method=args.method,
        level=args.conf,
        aapc_ranges=[parse_range(r) for r in args.aapc_range],
        **opts,
    )
    write_table(tidy_years(out), args.out)
    note = out["note"].iloc[0]
    if note:
        print(f"mch trends: note: {note}", file=sys.stderr)
    return 0
