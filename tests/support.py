"""Shared helpers of the tests (imported as ``support``; ``conftest.py`` puts this folder on the
path): the demo file, and small counts tables built in the tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
#: The bundled demo counts (19 regions, 2010–2024).
DEMO = REPO / "data" / "demo" / "counts.csv"
#: The identifying columns of the wide counts table.
ID = ["region_code", "region_name", "parent_code", "level", "year"]


def counts_frame(rows: list[dict]) -> pd.DataFrame:
    """A wide counts table with nullable-integer measures from a list of dicts."""
    df = pd.DataFrame(rows)
    for c in df.columns:
        if c not in ID:
            df[c] = df[c].astype("Int64")
    df["parent_code"] = df["parent_code"].astype(object).where(df["parent_code"].notna(), "").astype(str)
    df["year"] = df["year"].astype(int)
    return df


def county(year, **measures) -> dict:
    """One row of a stand-alone county (江岸区, 420102) for :func:`counts_frame`."""
    return {
        "region_code": "420102",
        "region_name": "江岸区",
        "parent_code": "",
        "level": "county",
        "year": year,
        **measures,
    }
