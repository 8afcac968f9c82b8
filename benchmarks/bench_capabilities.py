"""Benchmark: the capability line at the end of ``mch validate`` ("Can produce: ...").

Times, in this process, on the national file (:mod:`national_data`: 3,441 regions × 15 years)
and on the demo file, from a validated counts table (best of ``--repeat``):

- ``line``: :func:`mchanalysis.cli.validate.capability_line`, what ``mch validate`` pays for the
  line (its first call in the process also imports the analysis layer: ``first_line``);
- ``capabilities``: :func:`mchanalysis.analysis.capabilities.capabilities` alone on an analysis
  object built beforehand (the counting of the regions and analyses);
- ``whole_table``: the line the long way, ``capabilities(from_counts(counts, quality=empty))``,
  which computes all 48 indicators; and whether the two give the same table.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_capabilities.py [--repeat N] [--data CSV]``.
No timed tests: figures belong here. The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national_data import write_national_csv  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", type=Path, help="national-size CSV (default: written to a temporary folder)")
    args = ap.parse_args(argv)

    from mchanalysis.io import read_raw
    from mchanalysis.validation import validate_counts

    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        national = args.data or write_national_csv(Path(tmp) / "national.csv")
        for name, path in (("national", Path(national)), ("demo", REPO / "data" / "demo" / "counts.csv")):
            counts, _ = validate_counts(read_raw(path), file=str(path))
            t = time.perf_counter()
            from mchanalysis.cli.validate import capability_line

            capability_line(counts)
            if name == "national":
                figures["first_line_s"] = round(time.perf_counter() - t, 3)
            import pandas as pd

            from mchanalysis.analysis import capabilities, from_counts
            from mchanalysis.analysis import data as analysis_data
            from mchanalysis.analysis.capabilities import capabilities_of_counts

            figures[f"{name}_line_s"] = round(best(lambda: capability_line(counts), args.repeat), 3)

            def whole():
                analysis_data._MEMO.clear()  # the indicators computed each time, as in a fresh process
                return capabilities(from_counts(counts, quality=pd.DataFrame()))

            figures[f"{name}_whole_table_s"] = round(best(whole, args.repeat), 3)
            data = from_counts(counts, quality=pd.DataFrame())
            figures[f"{name}_capabilities_s"] = round(best(lambda: capabilities(data), args.repeat), 3)
            figures[f"{name}_same_table"] = bool(capabilities_of_counts(counts).equals(whole()))
            print(f"{name}: {capability_line(counts)}")
    for k, v in figures.items():
        print(f"  {k:28s} {v}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
