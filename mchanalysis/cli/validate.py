"""``mch validate``: check a counts file and list every problem at once.

Prints a summary of what was read (regions by level, years, measures reported) on stdout and
every finding as ``file, row N, column C: reason``: likely entry errors first (a rate typed as a
count, an extra or a dropped digit, a county above its parent's total), then errors, then
warnings. Exit 1 when any error was found (all findings then go to stderr), 0 otherwise
(warnings listed on stdout); ``--strict`` makes likely entry errors errors. The last line but
one says what the file can produce, section by section
(:func:`mchanalysis.analysis.capabilities.capability_sentence`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where it is used: `mch --help` starts without it
    import pandas as pd

from mchanalysis.schema import ALL_MEASURES

HELP = "check a counts file (CSV, XLSX or Parquet) and list every error and warning"


def add_arguments(p):
    p.add_argument("data", metavar="DATA", nargs="?", help="counts table: .csv, .tsv, .xlsx or .parquet")
    p.add_argument(
        "--data",
        dest="data_option",
        metavar="DATA",
        help="the same, as an option (as in mch run, mch indicators)",
    )
    p.add_argument("--sheet", help="XLSX sheet name (default: the first sheet)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="treat likely entry errors (rate typed as a count, extra or dropped digit, county "
        "above its parent's total) as errors: exit 1",
    )
    p.add_argument(
        "--lang",
        choices=("en", "zh"),
        default="en",
        help="language of the messages and of the closing capability line (default: en)",
    )
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


def _where(r) -> str:
    where = [r.file] if r.file else []
    import pandas as pd

    if r.row is not None and not pd.isna(r.row):
        where.append(f"row {r.row}")
    if r.column:
        where.append(f"column {r.column}")
    return ", ".join(where)


def finding_lines(findings: pd.DataFrame, lang: str = "en") -> list[str]:
    """One line per finding: likely entry errors first, then errors, then warnings; absent and
    empty measures gathered on one line each."""
    lines = []
    message = "message_zh" if lang == "zh" else "message_en"
    import pandas as pd

    category = findings["category"] if "category" in findings.columns else pd.Series("", index=findings.index)
    entry = category == "entry_error"
    if entry.any():
        part = findings[entry]
        n_err = int((part["severity"] == "error").sum())
        how = " (errors: --strict)" if n_err == len(part) else ""
        if lang == "zh":
            lines.append(
                f"疑似录入错误（{len(part)}）：请先核对以下单元格"
                + ("（--strict：按错误处理）" if how else "")
            )
        else:
            lines.append(f"LIKELY ENTRY ERRORS ({len(part)}){how}: check these cells first")
        for r in part.itertuples(index=False):
            lines.append(f"  {_where(r)}: {getattr(r, message)}")
    titles = {
        "error": "错误" if lang == "zh" else "ERRORS",
        "warning": "警告" if lang == "zh" else "WARNINGS",
    }
    for severity in ("error", "warning"):
        part = findings[(findings["severity"] == severity) & ~entry]
        if part.empty:
            continue
        lines.append(
            f"{titles[severity]}（{len(part)}）：" if lang == "zh" else f"{titles[severity]} ({len(part)}):"
        )
        gathered = part["check"].isin(["measure_absent", "measure_empty"])
        for r in part[~gathered].itertuples(index=False):
            lines.append(f"  {_where(r)}: {getattr(r, message)}")
        for check, what, what_zh in (
            ("measure_absent", "not in the file", "文件中没有以下{n}项指标"),
            ("measure_empty", "with an empty column", "以下{n}项指标整列为空"),
        ):
            some = part[part["check"] == check]
            if not some.empty:
                if lang == "zh":
                    named = [ALL_MEASURES.get(i, c) for i, c in zip(some["item"], some["column"])]
                    lines.append("  " + what_zh.format(n=len(some)) + "（视为未报告）：" + "、".join(named))
                else:
                    lines.append(
                        f"  {len(some)} measure(s) {what} (not reported): " + ", ".join(some["column"])
                    )
    return lines


def capability_line(counts: pd.DataFrame, lang: str = "en") -> str:
    """What the file can produce, per section, in one line (:mod:`mchanalysis.analysis.capabilities`)."""
    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    from mchanalysis.analysis.capabilities import capabilities_of_counts, capability_sentence

    # the capability table reads the tree and the indicator table only (the quality review of
    # the whole file is not computed for it), and of the indicators often only the mortality rates
    return capability_sentence(capabilities_of_counts(counts), lang)


def write_findings(findings: pd.DataFrame, out) -> Path:
    """Write the findings table: ``.csv`` (UTF-8 with BOM, opens in Excel) or ``.xlsx``; text
    that a spreadsheet would run as a formula (a region name ``=HYPERLINK(…)``) is neutralised
    (:func:`mchanalysis.spreadsheet.neutralise_frame`)."""
    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    from mchanalysis.spreadsheet import neutralise_frame
    from mchanalysis.tables import write_table

    return write_table(neutralise_frame(findings), out, formats=(".csv", ".xlsx"), bom=True)


def run(args) -> int:
    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    from mchanalysis.errors import MchError
    from mchanalysis.io import read_raw
    from mchanalysis.validation import known_measures, validate_counts

    option = getattr(args, "data_option", None)
    if args.data and option and args.data != option:
        raise MchError(f"two data files given ({args.data} and --data {option}): give one")
    args.data = args.data or option
    if not args.data:
        raise MchError("no data file: mch validate DATA (or --data DATA)")
    lang = getattr(args, "lang", "en") or "en"
    raw = read_raw(args.data, sheet=args.sheet)
    counts, findings = validate_counts(raw, file=args.data, strict=getattr(args, "strict", False))
    if args.findings:
        write_findings(findings, args.findings)
    n_errors = int((findings["severity"] == "error").sum())
    n_warnings = int((findings["severity"] == "warning").sum())
    n_entry = int((findings["category"] == "entry_error").sum())
    print(f"{args.data}:")
    print("\n".join(summary_lines(counts, known_measures())))
    book = raw.attrs.get("workbook")  # read as the 年报 is exported: what was skipped or joined
    if book is not None:
        print(f"  read as the 年报 is exported (统计时段 {book.period or 'not given'}):")
        print("\n".join(f"    {note}" for note in book.notes))
    sys.stdout.flush()
    stream = sys.stderr if n_errors else sys.stdout
    lines = finding_lines(findings, lang)
    if lines:
        print("\n".join(lines), file=stream)
    # what the file can produce: only when the data are readable (entry errors alone still are)
    invalid = int(((findings["severity"] == "error") & (findings["category"] != "entry_error")).sum())
    if not invalid and len(counts):
        print(capability_line(counts, lang), file=stream)
    verdict = "FAILED" if n_errors else "OK"
    entry = f", of which {n_entry} likely entry error(s)" if n_entry else ""
    print(f"{verdict}: {n_errors} error(s), {n_warnings} warning(s){entry} in {args.data}", file=stream)
    return 1 if n_errors else 0
