"""Benchmark: joinpoint regression with full permutation-test selection, series per second.

The slow NCI setting: Kim et al.'s sequential permutation tests with 4,499 permutations, up to 2
joinpoints, 15 yearly points, heteroscedastic (standard-error) weights. Synthesises a batch of
county-like infant-mortality series (seeded: births 2,000–40,000 a year, Poisson deaths, 0, 1 or
2 true joinpoints; SE of the rate = rate / sqrt(deaths)) and times
``mchanalysis.joinpoint.joinpoint_table(..., select='permutation', n_jobs=JOBS)``.

Target: all county mortality series of China (≈ 2,850 counties × 4 indicators ≈ 11,400 series)
in under 10 minutes on a 2-core machine, i.e. at least 20 series per second.

``--check N`` also runs the straightforward implementation (one permuted data set and one lstsq
per placement at a time, kept in tests/test_joinpoint.py) on the first N series with the same
seed and reports whether every selection, joinpoint and permutation p-value agrees (slow: tens
of seconds per series at 4,499 permutations).

Run: ``.venv/bin/python benchmarks/bench_joinpoint.py [--series 1000] [--jobs 2] [--check 0]``.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mchanalysis.joinpoint import joinpoint, joinpoint_table

SEED = 20241123
N_YEARS = 15


def synth_series(n_series: int, seed: int = SEED) -> pd.DataFrame:
    """Tidy frame ``series, year, rate, se, deaths, births`` of county IMR-like series (‰)."""
    rng = np.random.default_rng(seed)
    years = np.arange(2010, 2010 + N_YEARS)
    frames = []
    for s in range(n_series):
        births = rng.integers(2000, 40000) * np.exp(rng.normal(0, 0.05, N_YEARS))
        births = np.round(births).astype(int)
        k = rng.integers(0, 3)
        slope = rng.uniform(-0.10, 0.0)
        lnr = np.log(rng.uniform(4, 15)) + slope * (years - years[0])
        jps = np.sort(rng.choice(np.arange(2013, 2022), size=k, replace=False))
        for t in jps:
            lnr = lnr + rng.uniform(-0.08, 0.08) * np.clip(years - t, 0, None)
        deaths = rng.poisson(np.exp(lnr) * births / 1000)
        deaths = np.maximum(deaths, 1)  # the log-linear SE model needs a positive rate
        rate = deaths / births * 1000
        frames.append(
            pd.DataFrame(
                {
                    "series": f"s{s:05d}",
                    "year": years,
                    "rate": rate,
                    "se": rate / np.sqrt(deaths),
                    "deaths": deaths,
                    "births": births,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished worker processes."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def _load() -> float:
    try:
        import os

        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def _straightforward():
    path = Path(__file__).resolve().parents[1] / "tests" / "test_joinpoint.py"
    spec = importlib.util.spec_from_file_location("_jp_tests", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.straightforward_permutation_select


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--n-perm", type=int, default=4499)
    ap.add_argument("--seed", type=int, default=7160)
    ap.add_argument("--check", type=int, default=0)
    args = ap.parse_args()

    data = synth_series(args.series)
    opts = dict(
        se="se", variance="se", select="permutation", max_joinpoints=2, n_perm=args.n_perm, seed=args.seed
    )
    t0 = time.perf_counter()
    cpu0 = _cpu_seconds()
    table = joinpoint_table(data, "year", "rate", by="series", n_jobs=args.jobs, **opts)
    seconds = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    ks = table.groupby("series")["k"].first().value_counts().sort_index()
    rate = args.series / seconds
    print(
        f"{args.series} series, {args.n_perm} permutations, {args.jobs} job(s): "
        f"{seconds:.1f} s, {rate:.1f} series/s; selected k: {ks.to_dict()}"
    )
    print(
        f"11,400 series would take {11400 / rate / 60:.1f} min; CPU time (this process and "
        f"its workers, incl. worker start-up) {1000 * cpu / args.series:.1f} ms per series "
        f"(machine load average {_load():.1f}: other jobs share the cores)"
    )
    figures = {
        "series_per_s": round(rate, 2),
        "series": args.series,
        "seconds": round(seconds, 2),
        "cpu_ms_per_series": round(1000 * cpu / args.series, 2),
        "load_average": round(_load(), 2),
        "jobs": args.jobs,
        "n_perm": args.n_perm,
        "selected_k": {str(k): int(v) for k, v in ks.items()},
    }

    if args.check:
        straight = _straightforward()
        agree = 0
        t1 = time.perf_counter()
        for sid, g in list(data.groupby("series"))[: args.check]:
            k, jps, pvals, _ = straight(
                g["year"].to_numpy(),
                g["rate"].to_numpy(),
                g["se"].to_numpy(),
                kmax=2,
                n_perm=args.n_perm,
                alpha=0.05,
                seed=args.seed,
            )
            r = joinpoint(
                g["year"],
                g["rate"],
                se=g["se"],
                variance="se",
                select="permutation",
                max_joinpoints=2,
                n_perm=args.n_perm,
                seed=args.seed,
            )
            same = r.k == k and r.joinpoints == jps and r.tests["p_value"].tolist() == pvals
            agree += same
            print(
                f"{sid}: fast k={r.k} {r.joinpoints} p={r.tests['p_value'].tolist()}; "
                f"straightforward k={k} {jps} p={pvals}; {'same' if same else 'DIFFERENT'}"
            )
        figures["checked"] = args.check
        figures["checked_same"] = agree
        figures["straightforward_s_per_series"] = round((time.perf_counter() - t1) / args.check, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
