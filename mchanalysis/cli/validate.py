"""``mch validate``: check a counts file and list every problem at once.

Prints a summary of what was read (regions by level, years, measures reported) on stdout and
every finding as ``file, row N, column C: reason``. Exit 1 when any error was found (all findings
then go to stderr, errors first), 0 otherwise (warnings listed on stdout).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from mchanalysis.tables import write_table

HELP = "check a counts file (CSV, XLSX or Parquet) and list every error and warning"


def add_arguments(p):
    p.add_argument("data", metavar="DATA", help="counts table: .csv, .tsv, .xlsx or .parquet")
    p.add_argument("--sheet", help="XLSX sheet name (default: the first sheet)")
    p.add_argument(
        "--findings",
        metavar="OUT",
        help="also write every finding to this file (.csv in UTF-8 with BOM, or .xlsx)",
    )


def summary_lines(counts: pd.DataFrame, measures: list[str]) -> list[str]:
    """Lines describing a counts table: rows, regions by level, years, measures reported."""
    lines = [f"  records: {len(counts)}"]
    by_level = counts.drop_duplicates("region_code")["level"].value_counts()
    parts = [f"{by_level.get(level, 0)} {level}" for level in ("province", "prefecture", "county")]
    lines.append(f"  regions: {counts['region_code'].nunique()} ({', '.join(parts)})")
    years = sorted(int(y) for y in counts["year"].unique())
    if years:
        gaps = sorted(set(range(years[0], years[-1] + 1)) - set(years))
        gap_text = f"; missing years {', '.join(map(str, gaps))}" if gaps else ""
        lines.append(f"  years: {years[0]}-{years[-1]} ({len(years)}){gap_text}")
    else:
        lines.append("  years: none")
    reported = [m for m in measures if m in counts.columns and counts[m].notna().any()]
    lines.append(f"  measures reported: {len(reported)} of {len(measures)}: " + ", ".join(reported))
    return lines


def finding_lines(findings: pd.DataFrame) -> list[str]:
    """One line per finding, errors first; absent and empty measures gathered on one line each."""
    lines = []
    for severity, title in (("error", "ERRORS"), ("warning", "WARNINGS")):
        part = findings[findings["severity"] == severity]
        if part.empty:
            continue
        lines.append(f"{title} ({len(part)}):")
        gathered = part["check"].isin(["measure_absent", "measure_empty"])
        for r in part[~gathered].itertuples(index=False):
            where = [r.file] if r.file else []
            if r.row is not None:
                where.append(f"row {r.row}")
            if r.column:
                where.append(f"column {r.column}")
            lines.append(f"  {', '.join(where)}: {r.message}")
        for check, what in (
            ("measure_absent", "not in the file"),
            ("measure_empty", "with an empty column"),
        ):
            some = part[part["check"] == check]
            if not some.empty:
                lines.append(
                    f"  {len(some)} measure(s) {what} (not reported): " + ", ".join(some["column"])
                )
    return lines


def write_findings(findings: pd.DataFrame, out) -> Path:
    """Write the findings table: ``.csv`` (UTF-8 with BOM, opens in Excel) or ``.xlsx``."""
    return write_table(findings, out, formats=(".csv", ".xlsx"), bom=True)


def run(args) -> int:
    from mchanalysis.io import read_raw
    from mchanalysis.validation import known_measures, validate_counts

    raw = read_raw(args.data, sheet=args.sheet)
    counts, findings = validate_counts(raw, file=args.data)
    if args.findings:
        write_findings(findings, args.findings)
    n_errors = int((findings["severity"] == "error").sum())
    n_warnings = int((findings["severity"] == "warning").sum())
    print(f"{args.data}:")
    print("\n".join(summary_lines(counts, known_measures())))
    sys.stdout.flush()
    stream = sys.stderr if n_errors else sys.stdout
    lines = finding_lines(findings)
    if lines:
        print("\n".join(lines), file=stream)
    verdict = "FAILED" if n_errors else "OK"
    print(f"{verdict}: {n_errors} error(s), {n_warnings} warning(s) in {args.data}", file=stream)
    return 1 if n_errors else 0
