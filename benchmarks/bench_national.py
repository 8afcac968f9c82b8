"""National scale, end to end: the user's commands on a 3,441-region × 15-year file.

Generates the national file (:mod:`benchmarks.national_data`: 31 provinces, 341 prefectures,
3,069 counties, each county a copy of one demo county; 51,615 rows) and times, each command in
its own process as the user runs it:

- ``mch --help`` (start-up) and ``mch validate`` on the demo;
- ``mch validate`` on the national file (wall time and peak memory of the process);
- ``mch indicators --out x.parquet`` and ``--out x.csv`` on the national file;
- the shared-table build (``write_shared_tables``: validate, aggregate, indicators, quality
  review, stored as Parquet), in one process: what ``mch run`` does once per batch, and what
  every worker used to repeat;
- ``mch run`` on J and N counties at ``--jobs J`` for J = 1 and 2 (skip with ``--no-run``),
  and the 答卷 alone (``--notebooks 04_annual_report``: the report and the technical report,
  without the three exploratory notebooks) at 2 jobs (``run_report_jobs2_*``):
  marginal cost per region = (T(N) - T(J)) / (N - J), fixed cost = T(J) - J x marginal, and
  the whole file's 3,441 regions at that rate in minutes (``--only-run``: only the build and
  these). That figure is a floor: it takes every region at a county's rate, and the 372
  provinces and prefectures, whose reports add their sub-regions' tables and funnel plot, cost
  about 1.7 times a county (whole-country 答卷 run, 2 jobs: 1.20 s a province or prefecture,
  0.70 s a county). The small run has J regions so that it runs on J workers too (one
  region runs in the calling process whatever ``--jobs`` says). Each run is timed ``--repeat``
  times (default 2) and the fastest kept: the difference of two runs is small beside one busy
  moment.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_national.py [--counties 10] [--repeat 2] [--no-run] [--only-run]

No timed tests: figures belong here. Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "counts.csv"
#: Regions of the national file (31 provinces, 341 prefectures, 3,069 counties).
NATIONAL_REGIONS = 3441
#: ``mch run`` options of the 答卷-only batch (``run_report_*`` figures).
REPORT_ONLY = ("--notebooks", "04_annual_report")


#: Runs a command's module in a child that reports its own peak resident memory at exit
#: (``RUSAGE_CHILDREN`` is a maximum over every child waited for so far, not this command's).
_PEAK = (
    "import atexit, resource, runpy, sys\n"
    "atexit.register(lambda: print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
    "file=sys.stderr))\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
)


def timed(args: list[str], *, cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, peak resident MB of the command's own process and its exit code (``args``:
    ``["-m", module, ...]``)."""
    assert args[0] == "-m"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK, *args[1:]],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    seconds = time.perf_counter() - start
    err = proc.stderr.decode()
    peaks = [int(line.split()[1]) for line in err.splitlines() if line.startswith("PEAK_KB ")]
    if proc.returncode not in (0,):
        print(f"  {' '.join(map(str, args))} -> exit {proc.returncode}: {err[-300:]}", file=sys.stderr)
    return seconds, (peaks[-1] / 1024 if peaks else float("nan")), proc.returncode


def mch(*args) -> list[str]:
    return ["-m", "mchanalysis", *map(str, args)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", type=int, default=10, help="counties in the larger mch run (default 10)")
    ap.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="runs of each mch run timing; the fastest is kept (default 2: a busy moment of the "
        "machine moved one run by 1-2 s, the marginal cost by 0.2-0.3 s)",
    )
    ap.add_argument("--no-run", action="store_true", help="skip the mch run timings")
    ap.add_argument(
        "--only-run",
        action="store_true",
        help="time only the shared-table build and mch run (skip --help, validate, indicators)",
    )
    args = ap.parse_args(argv)
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="mch-national-") as tmp:
        tmp = Path(tmp)
        # written by a child: this process stays small (a child's peak memory counts what it
        # inherited at fork, so the commands timed below are started from a small process)
        data = tmp / "national.csv"
        subprocess.run(
            [sys.executable, str(HERE / "national_data.py"), str(data)], check=True, stdout=subprocess.DEVNULL
        )
        figures["rows"] = sum(1 for _ in data.open(encoding="utf-8")) - 1
        figures["csv_mb"] = round(data.stat().st_size / 1e6, 1)
        commands = [
            ("help_s", mch("--help")),
            ("validate_demo_s", mch("validate", DEMO)),
            ("validate_national_s", mch("validate", data)),
            ("indicators_parquet_s", mch("indicators", "--data", data, "--out", tmp / "ind.parquet")),
            ("indicators_csv_s", mch("indicators", "--data", data, "--out", tmp / "ind.csv")),
        ]
        for key, cmd in [] if args.only_run else commands:
            seconds, peak, code = timed(cmd, cwd=tmp)
            figures[key] = round(seconds, 2)
            figures[key.replace("_s", "_peak_mb")] = round(peak)
            print(f"{key:24s} {seconds:7.2f} s  (peak {peak:.0f} MB, exit {code})", flush=True)
        # what mch run does once per batch before its workers start: build and store the tables
        # (mchanalysis.analysis.data.write_shared_tables; before it existed, load_analysis_data,
        # which every worker then repeated)
        build = (
            "import time; t=time.perf_counter(); from mchanalysis.analysis import data as D\n"
            "if hasattr(D, 'write_shared_tables'):\n"
            f"    D.write_shared_tables({str(data)!r}, {str(tmp / 'shared')!r})\n"
            "else:\n"
            f"    D.load_analysis_data({str(data)!r})\n"
            "print(time.perf_counter()-t)"
        )
        out = subprocess.run([sys.executable, "-c", build], capture_output=True, text=True, cwd=tmp)
        figures["shared_tables_s"] = (
            round(float(out.stdout.strip().splitlines()[-1]), 2) if out.returncode == 0 else None
        )
        print(f"{'shared_tables_s':24s} {figures['shared_tables_s']}", flush=True)
        if not args.no_run:
            import csv

            with data.open(encoding="utf-8", newline="") as f:
                counties = {r["region_code"] for r in csv.DictReader(f) if r["level"] == "county"}
            codes = sorted(counties)[: args.counties]
            # the full batch (four notebooks) at 1 and 2 jobs, and the 答卷 alone at 2 jobs
            # (--notebooks 04_annual_report: report and technical report, .html and .docx)
            for jobs, label, extra in ((1, "", ()), (2, "", ()), (2, "_report", REPORT_ONLY)):
                t = {}
                small = min(jobs, len(codes) - 1) if len(codes) > 1 else 1
                for n in (small, len(codes)):
                    for attempt in range(args.repeat):
                        out_dir = tmp / f"run{label}-{jobs}-{n}-{attempt}"
                        seconds, peak, code = timed(
                            mch(
                                "run",
                                "--data",
                                data,
                                "--regions",
                                *codes[:n],
                                "--jobs",
                                jobs,
                                "--out",
                                out_dir,
                                "--no-progress",
                                *extra,
                            ),
                            cwd=tmp,
                        )
                        t[n] = min(t.get(n, seconds), seconds)
                        print(
                            f"run{label} jobs={jobs} regions={n:<3d} {seconds:7.2f} s  (peak {peak:.0f} MB, exit {code})",
                            flush=True,
                        )
                marginal = (t[len(codes)] - t[small]) / max(len(codes) - small, 1)
                fixed = t[small] - small * marginal
                figures[f"run{label}_jobs{jobs}_fixed_s"] = round(fixed, 2)
                figures[f"run{label}_jobs{jobs}_marginal_s"] = round(marginal, 2)
                # the whole national file in one batch at the county rate (a floor, see the docstring;
                # target at 2 jobs: < 45 min)
                figures[f"run{label}_jobs{jobs}_all_{NATIONAL_REGIONS}_min"] = round(
                    (fixed + NATIONAL_REGIONS * marginal) / 60, 1
                )
    print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
