"""Seconds per region of the batch pipeline against the naive papermill + nbconvert loop.

In one run, on the same notebooks (01-04) and the same demo regions:

- naive: a shell loop that, per region and notebook, runs the ``papermill`` command (a fresh
  kernel per notebook) then ``jupyter nbconvert --to html --no-input`` (a fresh process per
  export), one region after the other;
- ``mch run --jobs 1`` and ``mch run --jobs 2`` end to end (process start, parameter checks,
  worker start-up included): one warm kernel per worker reused for every notebook, the shared
  tables computed once per worker, one in-process HTML exporter.

Also checks that the jobs-1 and jobs-2 outputs are byte-identical (the test suite proves they
equal a fresh-kernel papermill run: tests/test_pipeline.py, tests/test_pipeline_kernel.py).

    .venv/bin/python benchmarks/bench_batch.py [--regions N]

Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATA = ROOT / "data" / "demo" / "counts.csv"
NOTEBOOKS = ["01_data_quality", "02_indicator_trends", "03_mortality_models", "04_annual_report"]
# a city and its counties: the mix of levels a real batch has (mostly counties)
REGIONS = ["990100", "990102", "990103", "990104", "990105", "990106", "990200", "990202"]


def naive_script(regions, out: Path) -> str:
    lines = ["set -e"]
    for code in regions:
        d = out / code
        lines.append(f"mkdir -p {shlex.quote(str(d))}")
        for nb in NOTEBOOKS:
            src = ROOT / "notebooks" / f"{nb}.ipynb"
            dst = d / f"{nb}.ipynb"
            lines.append(
                f"{BIN}/papermill -k python3 --cwd {shlex.quote(str(d))} --no-progress-bar "
                f"-r data_path {shlex.quote(str(DATA))} -p year 2024 -r region_code {code} "
                f"-r target_set national_2030 -r lang zh -r output_dir . "
                f"{shlex.quote(str(src))} {shlex.quote(str(dst))} 2>/dev/null"
            )
            lines.append(
                f"{BIN}/jupyter nbconvert --to html --no-input --log-level=ERROR {shlex.quote(str(dst))}"
            )
    return "\n".join(lines) + "\n"


def timed(cmd, **kw) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, **kw)
    return time.perf_counter() - start


def files(root: Path) -> dict:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in ("manifest.json",)
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regions", type=int, default=4, help="number of demo regions (max 8)")
    ap.add_argument("--skip-naive", action="store_true", help="only time mch run")
    args = ap.parse_args(argv)
    regions = REGIONS[: max(1, min(args.regions, len(REGIONS)))]
    n = len(regions)
    figures: dict = {"regions": n, "notebooks": len(NOTEBOOKS), "cpu_count": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        tmp = Path(tmp)
        if not args.skip_naive:
            script = tmp / "naive.sh"
            script.write_text(naive_script(regions, tmp / "naive"), encoding="utf-8")
            t = timed(["bash", str(script)], env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"})
            figures["naive_s_per_region"] = round(t / n, 2)
            print(f"naive papermill + nbconvert loop: {t:.1f} s, {t / n:.2f} s/region", file=sys.stderr)
        for jobs in (1, 2):
            out = tmp / f"jobs{jobs}"
            t = timed(
                [
                    str(BIN / "mch"),
                    "run",
                    "--data",
                    str(DATA),
                    "--year",
                    "2024",
                    "--regions",
                    *regions,
                    "--jobs",
                    str(jobs),
                    "--out",
                    str(out),
                    "--no-progress",
                ],
                stdout=subprocess.DEVNULL,
            )
            figures[f"jobs{jobs}_s_per_region"] = round(t / n, 2)
            print(f"mch run --jobs {jobs}: {t:.1f} s, {t / n:.2f} s/region", file=sys.stderr)
        figures["jobs1_jobs2_identical"] = files(tmp / "jobs1") == files(tmp / "jobs2")
    if "naive_s_per_region" in figures:
        figures["speedup"] = round(figures["naive_s_per_region"] / figures["jobs2_s_per_region"], 2)
        figures["speedup_jobs1"] = round(figures["naive_s_per_region"] / figures["jobs1_s_per_region"], 2)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
