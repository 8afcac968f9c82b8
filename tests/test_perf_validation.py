"""The array paths of :func:`mchanalysis.validation.validate_counts` (issue 12) against the
checks written the plain way, record by record, on random small tables.

Validation decides the identity checks once per distinct text (or distinct triple of parent,
code and level) and finds repeated records and changing regions by counting distinct integer
pairs. Here every record is judged on its own (the definitions of docs/design.md "Input") and
the findings of each check must name exactly the rows so judged; the same table read as
pandas' ``str`` columns (the plain-CSV reading) must give the same findings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mchanalysis.schema import LEVEL_ORDER
from mchanalysis.validation import validate_counts

LEVEL_TEXT = {
    "province": ["province", "省级", "省"],
    "prefecture": ["prefecture", "地市级"],
    "county": ["county", "县区级"],
}
CANON = {t: lv for lv, texts in LEVEL_TEXT.items() for t in texts}


def _table(rng) -> pd.DataFrame:
    """A province, two cities, four counties, 3 years; then random damage."""
    regions = [("990000", "省", "", "province")]
    regions += [(f"9901{c}0", f"市{c}", "990000", "prefecture") for c in (1, 2)]
    regions += [(f"9901{c}{k}", f"县{c}{k}", f"9901{c}0", "county") for c in (1, 2) for k in (1, 2)]
    rows = []
    for code, name, parent, level in regions:
        for year in (2021, 2022, 2023):
            rows.append(
                {
                    "region_code": code,
                    "region_name": name,
                    "parent_code": parent,
                    "level": str(rng.choice(LEVEL_TEXT[level])),  # synonyms: one level
                    "year": str(year),
                    "live_births": str(int(rng.integers(100, 900))) if level == "county" else "",
                }
            )
    for _ in range(int(rng.integers(0, 6))):
        r = rows[int(rng.integers(0, len(rows)))]
        what = int(rng.integers(0, 9))
        if what == 0:
            r["region_name"] = r["region_name"] + "X"  # a name that changes
        elif what == 1:
            r["parent_code"] = str(rng.choice(["990120", "990000", "999999", "12", r["region_code"]]))
        elif what == 2:
            r["level"] = str(rng.choice(["county", "省级", "地市级", "乡镇", ""]))
        elif what == 3:
            r["region_code"] = str(rng.choice(["99011", "", "990111 ", "９９０１１１"]))
        elif what == 4:
            r["year"] = str(rng.choice(["2022", "20x2", "", "1900", " 2021"]))
        elif what == 5:
            rows.append(dict(r))  # a record twice
        elif what == 6:
            r["region_name"] = ""
        elif what == 7:
            r["parent_code"] = ""
        else:
            rows.insert(int(rng.integers(0, len(rows))), dict(r))
    return pd.DataFrame(rows, dtype=object)


def _plain(frame: pd.DataFrame) -> dict[str, set[int]]:
    """The rows each identity check must name, judged record by record."""
    n = len(frame)
    code = [str(c).strip() for c in frame["region_code"]]
    code = [c.translate(str.maketrans("０１２３４５６７８９", "0123456789")) for c in code]
    ok = [len(c) == 6 and c.isascii() and c.isdigit() for c in code]
    year_text = [str(y).strip() for y in frame["year"]]
    year = [int(y) if y.isdigit() and 1949 <= int(y) <= 2100 else None for y in year_text]
    level = [CANON.get(str(v).strip()) for v in frame["level"]]
    parent = [str(p).strip() for p in frame["parent_code"]]
    name = [str(v).strip() for v in frame["region_name"]]
    row = list(range(2, n + 2))
    out: dict[str, set[int]] = {"duplicate_region_year": set(), "region_changes": set(), "parents": set()}
    seen: dict[tuple, list[int]] = {}
    for i in range(n):
        if ok[i] and year[i] is not None:
            seen.setdefault((code[i], year[i]), []).append(i)
    for rows in seen.values():
        out["duplicate_region_year"] |= {row[i] for i in rows[1:]}
    for values in (name, parent, level):
        variants: dict[str, dict] = {}
        for i in range(n):
            if ok[i] and values[i] is not None:
                variants.setdefault(code[i], {}).setdefault(values[i], []).append(i)
        for v in variants.values():
            if len(v) > 1:
                out["region_changes"].add(row[list(v.values())[1][0]])
    codes = {code[i] for i in range(n) if ok[i]}
    level_of: dict[str, str] = {}
    for i in range(n):
        if ok[i] and level[i] is not None:
            level_of.setdefault(code[i], level[i])
    for i in range(n):
        p = parent[i]
        if p == "":
            continue
        fine = (
            p in codes
            and p != code[i]
            and (level[i] is None or p not in level_of or LEVEL_ORDER[level_of[p]] < LEVEL_ORDER[level[i]])
        )
        if not fine:
            out["parents"].add(row[i])
    return out


def _found(findings: pd.DataFrame) -> dict[str, set[int]]:
    def rows(checks):
        return {int(r) for r in findings.loc[findings["check"].isin(checks), "row"]}

    return {
        "duplicate_region_year": rows(["duplicate_region_year"]),
        "region_changes": rows(["region_changes"]),
        "parents": rows(["parent_code_format", "unknown_parent", "level_order"]),
    }


@pytest.mark.parametrize("seed", range(40))
def test_identity_checks_name_the_rows_judged_one_by_one(seed):
    rng = np.random.default_rng(seed)
    frame = _table(rng)
    counts, findings = validate_counts(frame, file="t.csv", max_year=2100)
    assert _found(findings) == _plain(frame)
    # the same table as pandas' str columns (as the plain CSV reading gives it)
    as_str = frame.astype("str")
    counts_s, findings_s = validate_counts(as_str, file="t.csv", max_year=2100)
    pd.testing.assert_frame_equal(findings_s, findings)
    pd.testing.assert_frame_equal(counts_s, counts)


def test_the_random_tables_meet_every_check():
    met = {k: 0 for k in ("duplicate_region_year", "region_changes", "parents")}
    for seed in range(40):
        for k, rows in _plain(_table(np.random.default_rng(seed))).items():
            met[k] += bool(rows)
    assert all(met.values()), met
