"""Benchmark: ``mch indicators`` as the user runs it, and the indicator computation inside it.

Times, each command in its own process as the user runs it (start-up, reading and validation,
aggregation, indicators, writing; best of ``--repeat``, with the peak memory of the process):

- ``mch indicators --data FILE --out x.parquet`` and ``--out x.csv`` on the demo file
  (``data/demo/counts.csv``, 285 rows) and on the national file (:mod:`national_data`: 3,441
  regions × 15 years, 51,615 rows; skip with ``--no-national``).
  Targets (issue 12, 2 cores): national Parquet < 3 s, CSV < 6 s.
- ``compute_indicators(counts, conf_level=0.95)`` alone on a prepared wide table of 3,000
  regions × 15 years (seeded synthetic counts, parents left empty so it fills them up the
  tree): the inner function, target < 2 s. It is a part of the command, not its time.
- With ``--writers``: the table writer alone on the national indicator table (1.3 million rows),
  ``write_table`` to CSV and Parquet against the plain pandas call it replaced
  (``neutralise_frame(df).to_csv(...)``), and whether the CSV bytes are the same.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_indicators.py [--repeat N] [--no-national]
[--writers] [--repo DIR] [--profile]``. ``--repo`` times the commands of another checkout (its
``mchanalysis`` first on ``PYTHONPATH``), for before/after figures with the same script.
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

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national_data import write_national_csv  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SEED = 20240601
N_PREFECTURES = 29
N_COUNTIES = 2970
YEARS = range(2010, 2025)
TARGETS = {"national_parquet_s": 3.0, "national_csv_s": 6.0, "compute_indicators_s": 2.0}


def synth_counts(seed: int = SEED) -> pd.DataFrame:
    """A plausible wide counts table: 3,000 regions × 15 years, measures as Int64."""
    from mchanalysis.schema import MEASURES

    rng = np.random.default_rng(seed)
    codes = ["990000"]
    names = ["示例省"]
    parents = [""]
    levels = ["province"]
    for p in range(N_PREFECTURES):
        codes.append(f"99{p + 1:02d}00")
        names.append(f"示例市{p + 1}")
        parents.append("990000")
        levels.append("prefecture")
    for c in range(N_COUNTIES):
        p = c % N_PREFECTURES
        codes.append(f"99{p + 1:02d}{c // N_PREFECTURES + 1:02d}")
        names.append(f"示例县{c + 1}")
        parents.append(f"99{p + 1:02d}00")
        levels.append("county")
    regions = pd.DataFrame(
        {"region_code": codes, "region_name": names, "parent_code": parents, "level": levels}
    )
    assert regions["region_code"].is_unique
    years = np.array(list(YEARS))
    df = regions.merge(pd.DataFrame({"year": years}), how="cross")
    county = (df["level"] == "county").to_numpy()
    n = len(df)
    births = rng.integers(500, 20_000, size=n).astype(float)

    def share(p):
        return rng.binomial(births.astype(np.int64), p).astype(float)

    vals = {
        "live_births": births,
        "deliveries": np.round(births * 0.99),
        "maternal_deaths": rng.poisson(births * 15e-5).astype(float),
        "neonatal_deaths": rng.poisson(births * 3e-3).astype(float),
    }
    vals["infant_deaths"] = vals["neonatal_deaths"] + rng.poisson(births * 2e-3)
    vals["under5_deaths"] = vals["infant_deaths"] + rng.poisson(births * 1.5e-3)
    vals["perinatal_births"] = births + rng.poisson(births * 5e-3)
    vals["birth_defects"] = rng.poisson(births * 0.012).astype(float)
    vals["low_birth_weight"] = share(0.03)
    for m, p in [
        ("early_registered", 0.88),
        ("prenatal_checked", 0.97),
        ("maternal_system_managed", 0.92),
        ("postpartum_visited", 0.93),
        ("hospital_births", 0.995),
        ("prenatal_screened", 0.8),
        ("newborn_metabolic_screened", 0.98),
        ("newborn_hearing_screened", 0.95),
        ("newborn_visited", 0.94),
    ]:
        vals[m] = share(p)
    vals["cesarean_deliveries"] = share(0.4)
    vals["high_risk_pregnancies"] = share(0.3)
    vals["high_risk_managed"] = rng.binomial(vals["high_risk_pregnancies"].astype(np.int64), 0.99).astype(
        float
    )
    vals["children_under3"] = births * 3
    vals["children_under3_managed"] = rng.binomial((births * 3).astype(np.int64), 0.92).astype(float)
    vals["children_under7"] = births * 7
    vals["children_under7_managed"] = rng.binomial((births * 7).astype(np.int64), 0.93).astype(float)
    vals["infants_0_6m_surveyed"] = np.round(births * 0.4)
    vals["exclusive_breastfed"] = rng.binomial(vals["infants_0_6m_surveyed"].astype(np.int64), 0.5).astype(
        float
    )
    vals["marriages_registered"] = np.round(births * 0.8)
    vals["premarital_examined"] = rng.binomial(vals["marriages_registered"].astype(np.int64), 0.7).astype(
        float
    )
    for site in ("cervical", "breast"):
        vals[f"{site}_screen_target"] = births * 10
        vals[f"{site}_screened"] = rng.binomial((births * 10).astype(np.int64), 0.5).astype(float)
    assert set(vals) == set(MEASURES)
    for m in MEASURES:
        v = np.where(county, vals[m], np.nan)
        df[m] = pd.array(v, dtype="Float64").astype("Int64")
    return df


def run_command(data: Path, out: Path, repo: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MB of ``python -m mchanalysis indicators --data DATA --out OUT``
    in a new process with ``repo`` first on ``PYTHONPATH``; a failed command stops the benchmark."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(repo), *filter(None, [env.get("PYTHONPATH")])])
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "mchanalysis", "indicators", "--data", str(data), "--out", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            cwd=out.parent,
        )
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(
                f"mch indicators --data {data} --out {out}: exit {proc.returncode}\n"
                f"{err.read().decode(errors='replace')[-2000:]}"
            )
    return seconds, usage.ru_maxrss / 1024


def time_commands(files: dict[str, Path], tmp: Path, repo: Path, repeat: int, figures: dict) -> None:
    for name, data in files.items():
        for fmt in ("parquet", "csv"):
            times = []
            peak = 0.0
            for _ in range(repeat):
                seconds, peak = run_command(data, tmp / "out" / f"{name}-indicators.{fmt}", repo)
                times.append(seconds)
            key = f"{name}_{fmt}_s"
            figures[key] = round(min(times), 2)
            figures[f"{name}_{fmt}_peak_mb"] = round(peak)
            target = TARGETS.get(key)
            verdict = (
                ""
                if target is None
                else f"; target < {target:g} s: {'met' if min(times) < target else 'NOT met'}"
            )
            print(
                f"mch indicators {name:8s} -> {fmt:7s} best {min(times):6.2f} s of "
                f"{', '.join(f'{t:.2f}' for t in times)} (peak {peak:.0f} MB{verdict})",
                flush=True,
            )


def time_writers(data: Path, tmp: Path, figures: dict) -> None:
    """The writer alone on the national indicator table: write_table against the old pandas call."""
    from mchanalysis.indicators import compute_indicators
    from mchanalysis.spreadsheet import neutralise_frame
    from mchanalysis.tables import write_table
    from mchanalysis.validation import load_counts

    table = compute_indicators(load_counts(data).counts, conf_level=0.95)
    runs = {
        "write_table_csv_s": lambda: write_table(table, tmp / "out" / "new.csv"),
        "write_table_parquet_s": lambda: write_table(table, tmp / "out" / "new.parquet"),
        "pandas_to_csv_s": lambda: neutralise_frame(table).to_csv(
            tmp / "out" / "old.csv", index=False, lineterminator="\n"
        ),
    }
    for key, run in runs.items():
        start = time.perf_counter()
        run()
        figures[key] = round(time.perf_counter() - start, 2)
        print(f"{key:24s} {figures[key]:6.2f} s ({len(table):,} rows)", flush=True)
    figures["writer_rows"] = len(table)
    figures["csv_bytes_identical"] = (tmp / "out" / "new.csv").read_bytes() == (
        tmp / "out" / "old.csv"
    ).read_bytes()
    print(f"write_table CSV bytes == pandas' bytes: {figures['csv_bytes_identical']}", flush=True)


def time_inner(repeat: int, profile: bool, figures: dict) -> None:
    from mchanalysis.indicators import compute_indicators

    counts = synth_counts()
    times, out = [], None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = compute_indicators(counts, conf_level=0.95)
        times.append(time.perf_counter() - t0)
    best = min(times)
    rows = len(out)
    print(
        f"compute_indicators alone: {len(counts):,} counts rows -> {rows:,} indicator rows, best {best:.3f} s "
        f"of {', '.join(f'{t:.3f}' for t in times)}; target < 2 s: {'met' if best < 2 else 'NOT met'}",
        flush=True,
    )
    figures.update(
        {
            "compute_indicators_s": round(best, 4),
            "compute_indicators_rows": rows,
            "compute_indicators_rows_per_s": round(rows / best),
        }
    )
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        compute_indicators(counts, conf_level=0.95)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2, help="timed runs of each command; the best is reported")
    ap.add_argument("--no-national", action="store_true", help="time the commands on the demo file only")
    ap.add_argument(
        "--writers", action="store_true", help="also time the table writer alone on the national table"
    )
    ap.add_argument("--repo", type=Path, default=REPO, help="checkout whose mchanalysis the commands run")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one compute_indicators run")
    args = ap.parse_args(argv)
    repeat = max(1, args.repeat)
    figures: dict = {
        "repo": str(args.repo.resolve()),
        "repeat": repeat,
        "cpus": os.cpu_count(),
        "load_1min": round(os.getloadavg()[0], 2),
    }
    with tempfile.TemporaryDirectory(prefix="mch-bench-indicators-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "out").mkdir()  # outputs apart from the data files they are computed from
        files = {"demo": REPO / "data" / "demo" / "counts.csv"}
        if not args.no_national:
            files["national"] = write_national_csv(tmp / "national.csv")
            figures["national_rows"] = sum(1 for _ in files["national"].open(encoding="utf-8")) - 1
        time_commands(files, tmp, args.repo.resolve(), repeat, figures)
        if args.writers:
            time_writers(files.get("national", files["demo"]), tmp, figures)
    time_inner(repeat, args.profile, figures)
    figures["load_1min_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
