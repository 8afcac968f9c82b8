"""A national-size counts file made from the package's demo generator (used by bench_national.py).

31 provinces × 11 prefectures × 9 counties = 3,441 regions × 15 years = 51,615 rows. Every
county's counts are a copy of one demo county's (:func:`mchanalysis.demo.generate_demo_counts`,
the 15 demo counties in turn), so the figures are as plausible as the demo's; provinces and
prefectures are left empty, as in the demo, and are filled from their children. Deterministic.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mchanalysis.demo import generate_demo_counts

N_PROVINCES = 31
PREFECTURES_PER_PROVINCE = 11
COUNTIES_PER_PREFECTURE = 9


def national_counts() -> pd.DataFrame:
    """The national table as the demo's columns (wide form, measures as Int64)."""
    demo = generate_demo_counts()
    measures = [
        c for c in demo.columns if c not in ("region_code", "region_name", "parent_code", "level", "year")
    ]
    years = sorted(demo["year"].unique())
    counties = [
        g.sort_values("year").reset_index(drop=True)
        for _, g in demo[demo["level"] == "county"].groupby("region_code", sort=True)
    ]
    empty = (
        demo[demo["region_code"] == demo["region_code"].iloc[0]]
        .sort_values("year")[measures]
        .reset_index(drop=True)
    )
    frames = []
    k = 0

    def block(code, name, parent, level, values):
        ids = pd.DataFrame(
            {"region_code": code, "region_name": name, "parent_code": parent, "level": level, "year": years}
        )
        return pd.concat([ids, values.reset_index(drop=True)], axis=1)

    for p in range(N_PROVINCES):
        pcode = f"{11 + p:02d}0000"
        frames.append(block(pcode, f"省{p + 1}", "", "province", empty))
        for q in range(PREFECTURES_PER_PROVINCE):
            qcode = f"{11 + p:02d}{q + 1:02d}00"
            frames.append(block(qcode, f"省{p + 1}市{q + 1}", pcode, "prefecture", empty))
            for c in range(COUNTIES_PER_PREFECTURE):
                ccode = f"{11 + p:02d}{q + 1:02d}{c + 1:02d}"
                frames.append(
                    block(
                        ccode,
                        f"省{p + 1}市{q + 1}县{c + 1}",
                        qcode,
                        "county",
                        counties[k % len(counties)][measures],
                    )
                )
                k += 1
    return pd.concat(frames, ignore_index=True)


def write_national_csv(path) -> Path:
    """Write :func:`national_counts` as a UTF-8 CSV; returns the path."""
    path = Path(path)
    national_counts().to_csv(path, index=False, encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "out", nargs="?", default="national.csv", help="the CSV to write (default national.csv)"
    )
    print(write_national_csv(parser.parse_args().out))
