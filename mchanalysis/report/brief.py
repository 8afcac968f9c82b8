"""What the 答卷 says: the few facts a health bureau leads with, and the problems by size.

The 答卷 (``report.html`` / ``report.docx``) is the short document a 卫健委 issues: key rates with
their counts, the targets met or not, achievements and problems in plain words. Statistics
decide the wording (a change is called a rise or fall only when it is significant; "基本持平"
only when it is small *and* not significant, :func:`.narrative.describe_change`) but intervals,
tests and trend models are not printed: they are in the technical report
(``technical.html``), which renders every section of :mod:`.render`.

Everything here reads a :class:`.context.ReportContext`; the words are in
``templates/<lang>/brief.j2``.

Problems (:func:`problems`) are ranked by size and relevance, not by significance alone:

1. targets missed, largest relative shortfall first;
2. service indicators below the national 年报 value of the same 口径 (significantly below, and
   by at least :data:`NATIONAL_POINTS` points);
3. sub-regions much worse than the region as a whole: a rate at least :data:`SUB_RATIO` times
   the region's with at least :data:`SUB_MIN_EVENTS` events, or a coverage at least
   :data:`SUB_POINTS` points below it (size, not significance);
4. significant unwanted changes on the previous year, including the neutral indicators whose
   rise is a concern (剖宫产率, 高危产妇比例: :data:`WATCH_RISE`);
5. indicators significantly worse than the parent region, by at least :data:`NATIONAL_POINTS`
   points (percentages) or :data:`PARENT_RELATIVE` % (rates); an indicator already listed as
   below the national level is said once, naming both.

Data-quality findings go to the technical report; the 答卷 has one summary line
(:func:`quality_summary`).
"""

from __future__ import annotations

import math

from mchanalysis.analysis import rules

#: Neutral indicators whose significant rise is reported as a problem (剖宫产率, 高危产妇比例).
WATCH_RISE = ("cesarean_rate", "high_risk_proportion")
#: A service indicator is "below the nation" when significantly below and by at least this.
NATIONAL_POINTS = 1.0
#: A rate worse than the parent region's is listed from this relative gap (%).
PARENT_RELATIVE = 10.0
#: A sub-region is much worse on a rate when its rate is this many times the region's ...
SUB_RATIO = 1.5
#: ... with at least this many events (one death in a small county is not a pattern).
SUB_MIN_EVENTS = 3
#: ... or on a coverage when it is this many points below the region's.
SUB_POINTS = 5.0
#: The 答卷 lists at most this many problems.
MAX_PROBLEMS = 8

#: Indicators a bureau leads with (seed 000: 早孕建册率, 高危孕产妇管理率, 产后访视率).
LEAD_SERVICES = (
    "early_registration_rate",
    "high_risk_management_rate",
    "postpartum_visit_rate",
    "maternal_system_management_rate",
    "hospital_delivery_rate",
)
MORTALITY = ("mmr", "imr", "nmr", "u5mr")
#: The 年报's perinatal rows, told beside the other mortality rates when the file has them.
PERINATAL = ("perinatal_mortality_rate", "early_neonatal_mortality_rate")
#: The child-nutrition paragraph (卫统42; 健康儿童行动提升计划): growth, anaemia, eye care.
NUTRITION = (
    "u5_underweight_prevalence",
    "u5_stunting_prevalence",
    "u5_anemia_prevalence",
    "eye_vision_check_coverage_0_6",
)
#: The 消除艾滋病、梅毒和乙肝母婴传播 paragraph: the three tests, then the three outcomes.
EMTCT_TESTS = ("pregnant_hiv_testing_rate", "pregnant_syphilis_testing_rate", "pregnant_hbv_testing_rate")
EMTCT_OUTCOMES = ("hiv_mtct_rate", "congenital_syphilis_incidence", "hbv_mtct_rate")
#: Paragraphs of 工作成效 after 母婴安全: (key, registry groups).
SERVICE_PARAGRAPHS = (
    ("maternal_care", ("maternal_care",)),
    ("child_care", ("child_care",)),
    ("birth_defects", ("screening",)),
    ("women_health", ("women_health",)),
)


def _num(x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def key_rows(ctx) -> list[dict]:
    """Rows of the key-figure box: the four mortality rates (with deaths) and the lead services."""
    ids = [i for i in MORTALITY + LEAD_SERVICES if ctx.facts.get(i, {}).get("available")]
    return [ctx.facts[i] for i in ids]


def service_paragraphs(ctx) -> list[dict]:
    """Per group, the available indicators in registry order: ``{"key", "facts"}``.

    The neutral ones (剖宫产率, 高危产妇比例) are told as values, never as achievements; the lead
    indicators come first in 孕产妇健康管理 (as seed 000 writes them)."""
    out = []
    own = set(NUTRITION + EMTCT_TESTS + EMTCT_OUTCOMES)  # told in paragraphs of their own
    for key, groups in SERVICE_PARAGRAPHS:
        facts = [
            f
            for f in ctx.facts.values()
            if f["group"] in groups and f.get("available") and f["id"] not in own
        ]
        if key == "maternal_care":
            order = {i: n for n, i in enumerate(LEAD_SERVICES)}
            facts.sort(key=lambda f: order.get(f["id"], len(order)))
        if facts:
            out.append({"key": key, "facts": facts})
    return out


def told_as_count(f: dict) -> bool:
    """A rare event told as its count, never as a rate: fewer than
    :data:`mchanalysis.analysis.rules.FEW_EVENTS` events (a transmission rate from two infected
    infants of 40 followed is not a rate a bureau can state or score against a target)."""
    return f.get("numerator") is None or f["numerator"] < rules.FEW_EVENTS


def nutrition(ctx) -> list[dict]:
    """The child-nutrition facts available, in :data:`NUTRITION` order (empty without the
    年报 measures: the paragraph is then not written)."""
    return [ctx.facts[i] for i in NUTRITION if ctx.facts.get(i, {}).get("available")]


def emtct(ctx) -> dict:
    """The 消除母婴传播 facts: ``{"tests": [...], "outcomes": [...]}``, each outcome with
    ``as_count`` (:func:`told_as_count`); empty lists without the measures."""
    tests = [ctx.facts[i] for i in EMTCT_TESTS if ctx.facts.get(i, {}).get("available")]
    outcomes = [
        {**ctx.facts[i], "as_count": told_as_count(ctx.facts[i])}
        for i in EMTCT_OUTCOMES
        if ctx.facts.get(i, {}).get("available")
    ]
    return {"tests": tests, "outcomes": outcomes}


def targets(ctx) -> dict:
    """The target table of the 答卷: rows with data (point value decides: one meaning of 达标),
    counts of met / not met, the indicators without data."""
    sc = ctx.scorecard.to_dict("records") if len(ctx.scorecard) else []
    rows = [r for r in sc if r["status"] != "no_data"]
    return {
        "rows": rows,
        "met": [r for r in rows if r["status"] == "met"],
        "not_met": [r for r in rows if r["status"] == "not_met"],
        "no_data": [r for r in sc if r["status"] == "no_data"],
        "later": any(r.get("later_text") for r in rows),
    }


def _shortfall(r) -> float:
    """Relative shortfall of a missed target (0.2 = 20% short)."""
    v, t = _num(r["value"]), _num(r["target"])
    if v is None or t in (None, 0):
        return 0.0
    return abs(v - t) / abs(t)


def _big_gap(value, other, unit) -> bool:
    """A gap worth a line in the 答卷: at least :data:`NATIONAL_POINTS` points for a percentage,
    at least :data:`PARENT_RELATIVE` % relative for a rate (True when *other* is unknown)."""
    if other is None:
        return True
    if unit == "%":
        return abs(value - other) >= NATIONAL_POINTS
    return other > 0 and abs(value - other) / other * 100 >= PARENT_RELATIVE


def _change_size(ch: dict) -> float:
    """The size of a change for ranking, at most 19: its percentage points or relative %; a rate
    that rose from 0 has no relative change (its ``amount`` is the rate with its unit) and ranks
    as large."""
    if ch.get("mode") == "absolute":
        return 19.0
    return min(float(ch["amount"] or 0), 19.0)


def problems(ctx) -> list[dict]:
    """The problems of the 答卷, ranked (see the module docstring), at most :data:`MAX_PROBLEMS`.

    Each is a dict with ``kind`` ('target', 'national', 'subregions', 'change', 'parent'),
    ``score`` (the ranking key, larger first) and the facts its sentence needs.
    """
    out = []
    seen_target = set()
    for r in targets(ctx)["not_met"]:
        f = ctx.facts.get(r["indicator"], {})
        gap = abs(_num(r["value"]) - _num(r["target"]))
        pts = r["unit"] == "%"
        out.append(
            {
                "kind": "target",
                "score": 300 + 100 * _shortfall(r),
                "name": r["name"],
                "value_text": r["value_text"],
                "target_text": r["target_text"],
                "comparison": r["comparison"],
                "target_year": r["target_year"],
                "status_ci": r.get("status_ci"),
                "gap_text": (f"{gap:.2f}" if pts else f"{_shortfall(r) * 100:.1f}"),
                "gap_mode": "points" if pts else "relative",
                "group": f.get("group"),
            }
        )
        seen_target.add(r["indicator"])
    for f in ctx.facts.values():
        if not f.get("available"):
            continue
        nat = f.get("national")
        if (
            nat
            and nat.get("verdict") == "worse"
            and f["unit"] == "%"
            and f["id"] not in seen_target
            and abs(f["value"] - nat["value"]) >= NATIONAL_POINTS
        ):
            out.append(
                {
                    "kind": "national",
                    "indicator": f["id"],
                    "score": 200 + min(abs(f["value"] - nat["value"]), 99.0),
                    "name": f["name"],
                    "text": f["text"],
                    "national_text": nat["text"],
                    "national_year": nat["year"],
                    "gap_text": f"{abs(f['value'] - nat['value']):.2f}",
                }
            )
        ch = f.get("change1")
        if ch and ch["direction"] in ("rise", "fall"):
            unwanted = ch.get("good") == "worse" or (f["id"] in WATCH_RISE and ch["direction"] == "rise")
            if unwanted:
                out.append(
                    {
                        "kind": "change",
                        "score": 150 + _change_size(ch),
                        "name": f["name"],
                        "text": f["text"],
                        "previous_text": ch["previous_text"],
                        "change": ch,
                        "watch": f["id"] in WATCH_RISE,
                        "mortality": f["group"] == "mortality",
                    }
                )
        par = f.get("parent")
        if (
            par
            and par.get("verdict") == "worse"
            and f["id"] not in seen_target
            and _big_gap(f["value"], _num(par.get("value")), f["unit"])
        ):
            below_nation = next(
                (p for p in out if p["kind"] == "national" and p.get("indicator") == f["id"]), None
            )
            if below_nation is not None:  # one item per indicator: below the nation and the parent
                below_nation.update(
                    parent_name=par["name"],
                    parent_text=par["text"],
                    parent_higher=f["direction"] == "lower_is_better",
                )
            else:
                out.append(
                    {
                        "kind": "parent",
                        "score": 100,
                        "name": f["name"],
                        "text": f["text"],
                        "parent_name": par["name"],
                        "parent_text": par["text"],
                        # the 答卷 says higher / lower (a worse rate is higher), as a bureau writes
                        "parent_higher": f["direction"] == "lower_is_better",
                    }
                )
    by_region: dict = {}
    for ind, tab in (ctx.subregions or {}).items():
        f = ctx.facts.get(ind)
        if not f or not f.get("available"):
            continue
        for r in tab.to_dict("records"):
            v = _num(r["value"])
            if v is None:
                continue
            much_worse = False
            if f["direction"] == "lower_is_better" and f["unit"] != "%":
                much_worse = (
                    f["value"] > 0
                    and v >= SUB_RATIO * f["value"]
                    and (_num(r["numerator"]) or 0) >= SUB_MIN_EVENTS
                )
            elif f["direction"] == "higher_is_better":
                much_worse = f["value"] - v >= SUB_POINTS
            if much_worse:
                by_region.setdefault((r["region_code"], r["region_name"]), []).append(
                    {
                        "name": f["name"],
                        "text": r["value_text"],
                        "scope_text": f["text"],
                        "higher": f["direction"] == "lower_is_better",
                    }
                )
    for (code, name), items in sorted(by_region.items()):
        # one item per sub-region, naming each indicator on which it is much worse
        out.append(
            {
                "kind": "subregions",
                "score": 170 + min(len(items), 29),
                "region": name,
                "region_code": code,
                "items": items,
                "name": items[0]["name"],
            }
        )
    out.sort(key=lambda p: -p["score"])
    return out[:MAX_PROBLEMS]


def achievements(ctx) -> list[dict]:
    """Achievements the data support: targets met (提前实现 only before the target year), zero
    maternal deaths, significant falls of mortality, services above the national level."""
    out = []
    tg = targets(ctx)
    if tg["met"]:
        out.append({"kind": "targets_met", "rows": tg["met"], "early": [r for r in tg["met"] if r["early"]]})
    for f in ctx.facts.values():
        if not f.get("available"):
            continue
        nat = f.get("national")
        if nat and nat.get("verdict") == "better" and f["unit"] == "%":
            out.append(
                {
                    "kind": "above_national",
                    "name": f["name"],
                    "text": f["text"],
                    "national_text": nat["text"],
                    "national_year": nat["year"],
                }
            )
    return out


def quality_summary(ctx) -> dict:
    """One line of the 答卷 about data quality: counts of errors, warnings and likely entry
    errors found (``ctx.quality``: :func:`mchanalysis.quality.combine_findings`, entry errors
    first; the technical report's 数据质量说明 lists them)."""
    listed = [q for q in ctx.quality if q.get("listed")]
    return {
        "errors": sum(q["severity"] == "error" for q in listed),
        "warnings": sum(q["severity"] == "warning" for q in listed),
        "entry_errors": sum(bool(q.get("entry_error")) for q in listed),
    }


def pooled(ctx) -> list[str]:
    """Names of the report year's indicators whose numerator and denominator are both the
    sub-regions' sums because the region's own total differs from theirs (flag
    ``subregion_basis``, :func:`mchanalysis.indicators.compute_indicators`), in registry order:
    the 答卷's note says so, since its 活产数 line is the region's own total."""
    return [
        f["name"] for f in ctx.facts.values() if f.get("available") and "subregion_basis" in f.get("flag", "")
    ]


def brief(ctx) -> dict:
    """Everything ``brief.j2`` reads, gathered once."""
    return {
        "key_rows": key_rows(ctx),
        "mortality": [ctx.facts[i] for i in MORTALITY + PERINATAL if ctx.facts.get(i, {}).get("available")],
        "services": service_paragraphs(ctx),
        "nutrition": nutrition(ctx),
        "emtct": emtct(ctx),
        "targets": targets(ctx),
        "problems": problems(ctx),
        "achievements": achievements(ctx),
        "quality": quality_summary(ctx),
        "pooled": pooled(ctx),
        "bureau": ctx.narrative,
    }
