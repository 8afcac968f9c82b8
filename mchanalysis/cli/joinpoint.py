"""``mch joinpoint``: NCI-style joinpoint regression of any table of rates."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where it is used: `mch --help` starts without it
    import pandas as pd

from mchanalysis.errors import MchError

HELP = "joinpoint regression (NCI method) of rate series in a plain table: APC per segment, AAPC"


def add_arguments(p) -> None:
    p.add_argument("--data", required=True, help="CSV, XLSX or Parquet table, one row per x")
    p.add_argument("--x", required=True, help="column of the time points (e.g. year)")
    p.add_argument("--y", required=True, help="column of the rates analysed (log-linear)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--se", help="column of standard errors of y (variance 'se')")
    g.add_argument("--count", help="column of event counts behind y (variance 'poisson')")
    p.add_argument(
        "--denominator",
        help="column of denominators (with --count; lets 0.5 be added to zero counts as NCI does)",
    )
    p.add_argument("--by", action="append", default=None, help="column identifying a series (repeatable)")
    p.add_argument(
        "--variance",
        choices=["constant", "se", "poisson"],
        default=None,
        help="error model (default: se with --se, poisson with --count, else constant)",
    )
    p.add_argument(
        "--select",
        choices=["wbic", "bic", "permutation"],
        default="wbic",
        help="model selection (default wbic, NCI's default since 5.0)",
    )
    p.add_argument(
        "--max-joinpoints",
        type=int,
        default=None,
        help="maximum number of joinpoints (default: NCI's table by series length)",
    )
    p.add_argument("--n-perm", type=int, default=4499, help="permutations (default 4499)")
    p.add_argument(
        "--alpha", type=float, default=0.05, help="overall level of the permutation tests (default 0.05)"
    )
    p.add_argument("--seed", type=int, default=7160, help="random seed (default 7160, NCI's)")
    p.add_argument(
        "--conf",
        type=float,
        default=0.95,
        help="confidence level of APC/AAPC intervals, a fraction (default 0.95)",
    )
    p.add_argument(
        "--ci",
        choices=["parametric", "empirical"],
        default="parametric",
        help="APC/AAPC intervals: NCI's parametric t (default) or empirical "
        "quantiles of a residual bootstrap (NCI 5.x's default method)",
    )
    p.add_argument(
        "--n-resample", type=int, default=1000, help="resamples of the empirical method (default 1000)"
    )
    p.add_argument(
        "--aapc-range",
        action="append",
        default=[],
        metavar="START-END",
        help="extra AAPC range, e.g. 2019-2023 (repeatable); a series that does "
        "not cover it gets no such row, with a note on stderr",
    )
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--fitted", help="also write the fitted values to this file (same formats)")
    p.add_argument("--out", required=True, help="output .csv, .json, .xlsx or .parquet")


def parse_range(text: str) -> tuple[float, float]:
    """'2019-2023' -> (2019.0, 2023.0)."""
    parts = text.split("-")
    try:
        if len(parts) != 2:
            raise ValueError
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise MchError(f"AAPC range must look like 2019-2023, got {text!r}") from None
    if lo > hi:
        raise MchError(f"AAPC range {text!r} ends before it starts")
    return lo, hi


def read_table(path: str, text_columns=()) -> pd.DataFrame:
    """Read a plain CSV (UTF-8 or GBK/GB18030, detected), XLSX or Parquet table of rates;
    ``text_columns`` are kept as text."""
    import io

    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    import pandas as pd

    from mchanalysis.cells import detect_encoding

    p = Path(path)
    if not p.exists():
        raise MchError("file not found", file=path)
    dtype = {c: str for c in text_columns}
    suffix = p.suffix.lower()
    try:
        if suffix in (".xlsx", ".xls"):
            return pd.read_excel(p, dtype=dtype)
        if suffix == ".parquet":
            return pd.read_parquet(p)
        data = p.read_bytes()
        return pd.read_csv(
            io.StringIO(data.decode(detect_encoding(data, file=path))),
            dtype=dtype,
            sep=None if suffix in (".tsv", ".txt") else ",",
            engine="python" if suffix in (".tsv", ".txt") else "c",
        )
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise MchError(f"cannot read the table: {exc}", file=path) from None


def tidy_years(df: pd.DataFrame, columns=("start", "end")) -> pd.DataFrame:
    """Show start/end as integers when every one is a whole number (years)."""
    df = df.copy()
    for c in columns:
        if c in df and len(df) and (df[c] % 1 == 0).all():
            df[c] = df[c].astype("int64")
    return df


def run(args) -> int:
    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    from mchanalysis.joinpoint import _stack, fitted_table, joinpoint_results
    from mchanalysis.tables import write_table

    df = read_table(args.data, text_columns=args.by or ())
    ranges = [parse_range(r) for r in args.aapc_range]
    results = joinpoint_results(
        df,
        args.x,
        args.y,
        by=args.by,
        se=args.se,
        count=args.count,
        denominator=args.denominator,
        n_jobs=args.jobs,
        variance=args.variance,
        select=args.select,
        max_joinpoints=args.max_joinpoints,
        n_perm=args.n_perm,
        alpha=args.alpha,
        seed=args.seed,
        level=args.conf,
        aapc_ranges=ranges,
        ci_method=args.ci,
        n_resample=args.n_resample,
        aapc_outside="skip",
    )
    for key, res in results.items():
        label = ", ".join(str(k) for k in key) if isinstance(key, tuple) else str(key)
        for note in res.settings.get("notes", []):
            if "AAPC range" in note:
                print(f"note: series {label or '(all)'}: {note}", file=sys.stderr)
    table = _stack(results, args.by, lambda r: r.to_frame())
    write_table(tidy_years(table), args.out)
    if args.fitted:
        fitted = fitted_table(results, args.by).rename(columns={"x": args.x})
        write_table(tidy_years(fitted, (args.x,)), args.fitted)
    return 0
