"""Benchmark: ``mch run --executor dask`` on a LocalCluster of 2 workers, national file (issue 12).

Times ``mch run`` on 1 and N counties of the national file (:mod:`national_data`) with the
regions sent to a fresh ``distributed.LocalCluster`` (2 worker processes, 1 thread each) for
each run, and reports, as ``bench_national.py`` does for local processes:

- ``dask_fixed_s`` = T(1) - marginal: the batch's fixed cost. The parent builds the shared
  tables once and every worker reads them (the job carries their folder), so this is paid once
  per batch, not once per worker;
- ``dask_marginal_s`` = (T(N) - T(1)) / (N - 1): the cost of one more region;
- ``cluster_start_s``: starting the LocalCluster itself (not part of either, as a real cluster
  is already running when ``mch run`` is called).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_dask.py [--counties 4]

No timed tests: figures belong here. The last line printed is one JSON object with the figures.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national_data import write_national_csv  # noqa: E402


def run_on_cluster(data: Path, codes: list[str], out: Path) -> tuple[float, float, int, str]:
    """(seconds of ``mch run``, seconds to start the cluster, exit code, stderr tail)."""
    from distributed import LocalCluster

    start = time.perf_counter()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as cluster:
        started = time.perf_counter() - start
        t0 = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "mchanalysis",
                "run",
                "--data",
                str(data),
                "--regions",
                *codes,
                "--executor",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
                "--out",
                str(out),
                "--no-progress",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=dict(os.environ),
        )
        seconds = time.perf_counter() - t0
    return seconds, started, proc.returncode, proc.stderr.decode()[-300:]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", type=int, default=4, help="counties in the larger run (default 4)")
    ap.add_argument("--data", help="a counts file (default: the national file, generated)")
    args = ap.parse_args(argv)
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="mch-dask-") as tmp:
        tmp = Path(tmp)
        data = Path(args.data) if args.data else write_national_csv(tmp / "national.csv")
        import pandas as pd

        regions = pd.read_csv(data, dtype=str, usecols=["region_code", "level"])
        codes = sorted(regions.loc[regions["level"] == "county", "region_code"].unique())[: args.counties]
        t = {}
        for n in (1, len(codes)):
            seconds, started, code, err = run_on_cluster(data, codes[:n], tmp / f"dask-{n}")
            t[n] = seconds
            figures["cluster_start_s"] = round(min(figures.get("cluster_start_s", started), started), 2)
            print(
                f"dask regions={n:<3d} {seconds:7.2f} s  (cluster start {started:.2f} s, exit {code})",
                flush=True,
            )
            if code != 0:
                print(f"  exit {code}: {err}", file=sys.stderr)
        marginal = (t[len(codes)] - t[1]) / max(len(codes) - 1, 1)
        figures["dask_workers"] = 2
        figures["dask_regions"] = len(codes)
        figures["dask_fixed_s"] = round(t[1] - marginal, 2)
        figures["dask_marginal_s"] = round(marginal, 2)
    print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
