"""Benchmark: every core indicator with 95% intervals for 3,000 regions × 15 years.

Synthesises a wide counts table (seeded; 1 province, 29 prefectures, 2,970 counties, years
2010–2024, every measure of the contract reported for the counties, parents left empty so that
``compute_indicators`` fills them up the tree as it does for real data), then times
``mchanalysis.indicators.compute_indicators(counts, conf_level=0.95)``. Target: under 2 s.

Run: ``.venv/bin/python benchmarks/bench_indicators.py [--repeat N] [--profile]``.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from mchanalysis.indicators import compute_indicators
from mchanalysis.schema import MEASURES

SEED = 20240601
N_PREFECTURES = 29
N_COUNTIES = 2970
YEARS = range(2010, 2025)


def synth_counts(seed: int = SEED) -> pd.DataFrame:
    """A plausible wide counts table: 3,000 regions × 15 years, measures as Int64."""
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
    regions = pd.DataFrame({"region_code": codes, "region_name": names, "parent_code": parents, "level": levels})
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
        ("early_registered", 0.88), ("prenatal_checked", 0.97), ("maternal_system_managed", 0.92),
        ("postpartum_visited", 0.93), ("hospital_births", 0.995), ("prenatal_screened", 0.8),
        ("newborn_metabolic_screened", 0.98), ("newborn_hearing_screened", 0.95),
        ("newborn_visited", 0.94),
    ]:
        vals[m] = share(p)
    vals["cesarean_deliveries"] = share(0.4)
    vals["high_risk_pregnancies"] = share(0.3)
    vals["high_risk_managed"] = rng.binomial(vals["high_risk_pregnancies"].astype(np.int64), 0.99).astype(float)
    vals["children_under3"] = births * 3
    vals["children_under3_managed"] = rng.binomial((births * 3).astype(np.int64), 0.92).astype(float)
    vals["children_under7"] = births * 7
    vals["children_under7_managed"] = rng.binomial((births * 7).astype(np.int64), 0.93).astype(float)
    vals["infants_0_6m_surveyed"] = np.round(births * 0.4)
    vals["exclusive_breastfed"] = rng.binomial(vals["infants_0_6m_surveyed"].astype(np.int64), 0.5).astype(float)
    vals["marriages_registered"] = np.round(births * 0.8)
    vals["premarital_examined"] = rng.binomial(vals["marriages_registered"].astype(np.int64), 0.7).astype(float)
    for site in ("cervical", "breast"):
        vals[f"{site}_screen_target"] = births * 10
        vals[f"{site}_screened"] = rng.binomial((births * 10).astype(np.int64), 0.5).astype(float)
    assert set(vals) == set(MEASURES)
    for m in MEASURES:
        v = np.where(county, vals[m], np.nan)
        df[m] = pd.array(v, dtype="Float64").astype("Int64")
    return df


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one run")
    args = ap.parse_args(argv)

    counts = synth_counts()
    n_regions = counts["region_code"].nunique()
    n_years = counts["year"].nunique()
    print(f"counts: {len(counts):,} rows ({n_regions:,} regions × {n_years} years)")
    times, out = [], None
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        out = compute_indicators(counts, conf_level=0.95)
        times.append(time.perf_counter() - t0)
    best = min(times)
    rows = len(out)
    n_ind = out["indicator"].nunique()
    print(f"indicator table: {rows:,} rows ({n_ind} indicators with 95% intervals)")
    print(f"time: best {best:.3f} s of {len(times)} runs ({', '.join(f'{t:.3f}' for t in times)}); "
          f"{rows / best:,.0f} rows/s; target < 2 s: {'met' if best < 2 else 'NOT met'}")
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        compute_indicators(counts, conf_level=0.95)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    print(json.dumps({"seconds": round(best, 4), "rows_per_s": round(rows / best), "rows": rows,
                      "regions": n_regions, "years": n_years, "indicators": n_ind}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
