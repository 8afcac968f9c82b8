"""What a data file can produce, section by section (the end of `mch validate`, the README).

For each analysis of :mod:`mchanalysis.analysis.rules` it counts the regions whose data pass the
rule (for the mortality analyses: any of the four mortality rates of the region) and gives, for
an analysis no region can have, the rule's own sentence for the top region.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mchanalysis.analysis import rules
from mchanalysis.analysis.data import MORTALITY, AnalysisData, from_counts
from mchanalysis.indicators import indicator_counts
from mchanalysis.regions import region_tree
from mchanalysis.registry import load_registry
from mchanalysis.schema import MEASURES, MEASURES_EN

CAPABILITY_COLUMNS = ["analysis", "name_zh", "name_en", "regions", "of", "reason_zh", "reason_en"]


def _event_name(registry: pd.DataFrame, indicator: str) -> tuple[str, str]:
    """The indicator's events in both languages ("孕产妇死亡", "maternal deaths"), as
    :func:`mchanalysis.analysis.mortality.event_name` names them (tests/test_perf_capabilities.py
    checks that the two agree): here, so that `mch validate` does not import the models and scipy
    with :mod:`~mchanalysis.analysis.mortality` for the capability line."""
    m = registry.set_index("id").loc[indicator, "numerator"]
    return MEASURES.get(m, m).removesuffix("数").removesuffix("人"), MEASURES_EN.get(m, m).replace("_", " ")


def capabilities(data: AnalysisData, *, year: int | None = None) -> pd.DataFrame:
    """One row per analysis: how many regions (``regions`` of ``of``) can have it, and for an
    analysis none can have, why (the top region's reason). Columns :data:`CAPABILITY_COLUMNS`."""
    codes = sorted(data.tree["region_code"].astype(str))
    top = data.tree.sort_values(["depth", "region_code"]).iloc[0]["region_code"] if len(codes) else ""
    if year is None and len(data.indicators):
        year = int(data.indicators["year"].max())
    present = set(data.indicators["indicator"].unique())
    mortality = [i for i in MORTALITY if i in present]
    rows = []
    children = data.tree.groupby("parent_code")["region_code"].size()

    # each region's series of each mortality rate (year and deaths, as :func:`series` gives them),
    # summarised once for all the analyses counted below (:func:`rules.summarise_segments`, the
    # numbers :func:`rules.check_series` reads), from one filtered table sorted by region, rate
    # and year: a national file has 3,441 regions x 4 rates
    events = {ind: _event_name(data.registry, ind) for ind in mortality}
    t = data.indicators
    keep = t["indicator"].isin(mortality) & t["numerator"].notna() & t["denominator"].notna()
    keep &= t["denominator"] > 0
    if year is not None:
        keep &= t["year"] <= int(year)
    sub = t.loc[keep, ["region_code", "indicator", "year", "numerator"]]
    region_ix = pd.Index(codes).get_indexer(sub["region_code"].astype(str))
    rate_ix = pd.Index(mortality, dtype=object).get_indexer(sub["indicator"].astype(str))
    known = (region_ix >= 0) & (rate_ix >= 0)
    years = sub["year"].to_numpy(dtype=float)[known]
    deaths = sub["numerator"].to_numpy(dtype=float, na_value=np.nan)[known]
    pair = region_ix[known].astype(np.int64) * len(mortality) + rate_ix[known]
    # by (region, rate), then year; ties (a region's year twice) in table order, as a stable
    # sort by year followed by a group-by gave them
    order = np.lexsort((years, pair))
    bounds = np.searchsorted(pair[order], np.arange(len(codes) * len(mortality) + 1), side="left")
    summaries = rules.summarise_segments(years[order], deaths[order], bounds, break_year=2016)

    def count(analysis):
        n, why, why_empty = 0, None, None
        for i, code in enumerate(codes):
            ok_any = False
            for j, ind in enumerate(mortality):
                if ok_any and code != top:
                    break  # the region counts once; only the top region's reasons are read
                summary = summaries[i * len(mortality) + j]
                fit = rules.judge(analysis, summary, event_name=events[ind])
                ok_any = ok_any or fit.ok
                if code == top and not fit.ok:
                    # the reason of a series the file has, not of a measure it lacks
                    if summary.n and why is None:
                        why = fit
                    elif not summary.n and why_empty is None:
                        why_empty = fit
            n += ok_any
        return n, why or why_empty

    # the regions of a year as a set of their distinct codes (a set built from the rows of the
    # year walks every row: 86,000 on a national file)
    have_year = set(t.loc[t["year"] == year, "region_code"].unique()) if year else set()
    two_years = set()
    if year:
        prev = set(t.loc[t["year"] == year - 1, "region_code"].unique())
        two_years = have_year & prev
    for analysis, (zh, en) in rules.ANALYSES.items():
        why = None
        if analysis in ("indicators", "targets"):
            n = len(have_year)
        elif analysis == "change":
            n = len(two_years)
            if not n:
                why = rules.Fitness(
                    False,
                    "too_few_years",
                    f"{year - 1}年无数据，不作与上年比较。",
                    f"No data for {year - 1}: no change on the previous year.",
                )
        elif analysis == "comparison":
            n = int((children >= 2).sum()) if len(children) else 0
            if not n:
                why = rules.Fitness(
                    False,
                    "no_subregions",
                    "没有至少2个下级地区，不作地区比较。",
                    "No region has 2 or more sub-regions: no comparison.",
                )
        elif not mortality:
            n = 0
            why = rules.Fitness(
                False, "no_mortality", "文件中没有死亡数据。", "The file has no mortality data."
            )
        else:
            n, why = count(analysis)
        rows.append(
            {
                "analysis": analysis,
                "name_zh": zh,
                "name_en": en,
                "regions": int(n),
                "of": len(codes),
                "reason_zh": "" if n or why is None else why.zh,
                "reason_en": "" if n or why is None else why.en,
            }
        )
    return pd.DataFrame(rows, columns=CAPABILITY_COLUMNS)


def capabilities_of_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """``capabilities(from_counts(counts))`` of a validated counts table (`mch validate`), from
    the indicator table of the four mortality rates alone when that table answers the rest too.

    Besides the mortality series, :func:`capabilities` reads the report year (the last year of
    the indicator table) and the regions with any indicator in it and in the year before. Every
    row of the indicator table is a record (region, year) of the counts table, and its rows of
    one indicator do not depend on the other indicators. So when the mortality rates alone have
    a row for every record of the last two years of the counts table, the whole table has the
    same last year and the same regions in those years, and the other 44 indicators (five
    sixths of a national table's 1.3 million rows) are not computed; otherwise they are.
    """
    registry = load_registry()
    # the rows and counts of the indicator table (indicator_counts): the intervals are not read
    rates = indicator_counts(counts, registry=registry[registry["id"].isin(MORTALITY)].reset_index(drop=True))
    if len(counts) and len(rates):
        last = int(counts["year"].max())

        def records(t):
            t = t[t["year"] >= last - 1]
            return pd.MultiIndex.from_arrays([t["region_code"].astype(str), t["year"].astype("int64")])

        if records(counts).isin(records(rates)).all():
            data = AnalysisData(
                source=None,
                sha256="",
                counts=counts,
                warnings=pd.DataFrame(),
                tree=region_tree(counts),
                indicators=rates.assign(
                    region_code=rates["region_code"].astype(str),
                    parent_code=rates["parent_code"].fillna("").astype(str),
                ),
                quality=pd.DataFrame(),
                registry=registry,
            )
            return capabilities(data)
    return capabilities(from_counts(counts, quality=pd.DataFrame()))


def _flat(reason: str, opening: str, closing: str, comma: str) -> str:
    """A reason without parentheses of its own, to sit inside the sentence's parentheses."""
    return reason.replace(f" {opening}", comma).replace(opening, comma).replace(closing, "")


def capability_sentence(table: pd.DataFrame, lang: str = "zh") -> str:
    """ "可生成：年度指标、与上年比较…；不能生成：Joinpoint分段趋势（仅有5年数据…）" in one line."""
    can = table[table["regions"] > 0]
    cannot = table[table["regions"] == 0]
    if lang == "en":
        a = ", ".join(
            f"{r.name_en} ({r.regions} of {r.of} regions)" if r.regions < r.of else r.name_en
            for r in can.itertuples()
        )
        b = "; ".join(
            f"{r.name_en} ({_flat(r.reason_en.rstrip('.'), '(', ')', ', ')})" for r in cannot.itertuples()
        )
        return f"Can produce: {a or 'nothing'}." + (f" Cannot produce: {b}." if b else "")
    a = "、".join(
        f"{r.name_zh}（{r.of}个地区中{r.regions}个）" if r.regions < r.of else r.name_zh
        for r in can.itertuples()
    )
    b = "；".join(
        f"{r.name_zh}（{_flat(r.reason_zh.rstrip('。'), '（', '）', '，')}）" for r in cannot.itertuples()
    )
    return f"可生成：{a or '无'}。" + (f"不能生成：{b}。" if b else "")
