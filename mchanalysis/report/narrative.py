"""Rules that turn numbers into the facts a sentence needs; the words live in the templates.

Every decision a sentence depends on is made here, once, and tested: how a value is printed
(unit, decimals, "100%" rather than "100.00%"), how a change is measured (percentage points for
percentages, a relative change for rates), whether a change may be called a rise or a fall (only
when the statistical comparison says so), when deaths are told as a count instead of a rate, and
which word names the whole region (全市 / 全县 / 全区 / 全省). The Jinja2 templates under
``templates/zh`` and ``templates/en`` only choose words for the keys produced here.

Hand-written because it is wording policy, not statistics: the statistics themselves (intervals,
comparison verdicts, trends) come from :mod:`mchanalysis.stats`, :mod:`mchanalysis.trends` and
:mod:`mchanalysis.targets`.
"""

from __future__ import annotations

import math

#: Deaths below this are told as a count ("全年发生孕产妇死亡2例"), not as a bare rate.
FEW_EVENTS = 10

#: Words for "the whole region" by level (zh) and the last character of a county's name.
_SCOPE_ZH = {"province": "全省", "prefecture": "全市"}
_COUNTY_SUFFIX_ZH = {"区": "全区", "县": "全县", "市": "全市", "旗": "全旗"}
_SCOPE_EN = {"province": "the province", "prefecture": "the city", "county": "the county"}

#: Verdicts of the statistical comparison of two values (mchanalysis.stats).
CHANGE_VERDICTS = ("rise", "fall", "no_significant_change")


def _is_missing(x) -> bool:
    if x is None:
        return True
    try:
        return bool(x != x) or (isinstance(x, float) and math.isnan(x))
    except (TypeError, ValueError):  # pandas.NA
        return True


def format_number(value, decimals: int = 2, *, bound: float | None = None, whole: bool = False) -> str:
    """Print a number with ``decimals`` decimals.

    Exactly 0 and exactly ``bound`` print without decimals: 100% is "100" (the seeds write
    高危孕产妇管理率100%, never 100.00%). With ``whole=True`` every whole number does (targets:
    "≤12/10万", "≥90%"). A value that is not ``bound`` but would round to it (99.996 with
    bound 100) gets more decimals (up to 4) so that a coverage below 100% never reads 100.
    """
    if _is_missing(value):
        return "–"
    value = float(value)
    if value == 0 or (bound is not None and value == bound) or (whole and value == round(value)):
        return str(int(round(value)))
    d = int(decimals)
    text = f"{value:.{d}f}"
    if bound is not None and value != bound:
        while float(text) == bound and d < 4:
            d += 1
            text = f"{value:.{d}f}"
    if whole and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_count(n, *, lang: str = "zh") -> str:
    """A count: "8563" in Chinese running text (no separators), "8,563" in English."""
    if _is_missing(n):
        return "–"
    n = int(n)
    return f"{n:,}" if lang == "en" else str(n)


_UNIT_EN = {"%": "%", "‰": "‰", "/万": " per 10,000", "/10万": " per 100,000"}


def format_value(value, unit: str, decimals: int = 2, *, lang: str = "zh", whole: bool = False) -> str:
    """A value with its unit: "97.99%", "100%", "5.20‰", "12.34/10万" (en: "12.34 per 100,000").

    ``whole=True`` for targets (whole numbers without decimals, see :func:`format_number`).
    """
    bound = 100.0 if unit == "%" else None
    num = format_number(value, decimals, bound=bound, whole=whole)
    if num == "–":
        return num
    return num + (_UNIT_EN.get(unit, " " + unit) if lang == "en" else unit)


def format_published(value, unit: str, *, lang: str = "zh") -> str:
    """A published figure as it was published: 14.3/10万, 4.0‰, 92.7% (the national series
    stores one decimal; a float 4.0 must not print as "4.00‰" nor "4‰")."""
    if _is_missing(value):
        return "–"
    text = f"{float(value):.4f}".rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return text + (_UNIT_EN.get(unit, " " + unit) if lang == "en" else unit)


def format_interval(lower, upper, unit: str, decimals: int = 2, *, lang: str = "zh") -> str:
    """ "95.10%–96.30%" style interval text (both limits with unit)."""
    if _is_missing(lower) or _is_missing(upper):
        return ""
    bound = 100.0 if unit == "%" else None
    lo = format_number(lower, decimals, bound=bound)
    hi = format_number(upper, decimals, bound=bound)
    suffix = _UNIT_EN.get(unit, " " + unit) if lang == "en" else unit
    return f"{lo}–{hi}{suffix}"


def format_level(conf_level: float) -> str:
    """0.95 -> "95%", 0.998 -> "99.8%"."""
    return format_number(conf_level * 100, 1) + "%"


def change_mode(unit: str) -> str:
    """How a change of an indicator is told.

    ``'points'`` for percentages (上升/下降 X 个百分点); ``'relative'`` for rates per 1,000,
    10,000 or 100,000 (较上年下降 X%), as the seeds and official bulletins do.
    """
    return "points" if unit == "%" else "relative"


#: "基本持平" only for a change this small (and not significant): under 5% relative for rates
#: per 1,000 / 10,000 / 100,000, under 0.5 percentage points for percentages.
FLAT_RELATIVE = 5.0
FLAT_POINTS = 0.5


def describe_change(current, previous, *, unit: str, decimals: int, verdict, lang: str = "zh") -> dict:
    """The facts of a change between two values, for a template.

    The change is computed from the values *as printed* (rounded to ``decimals``), so that
    "由上年的2.56%变为3.52%，上升0.96个百分点" adds up for the reader. A rate per 1,000 /
    10,000 / 100,000 whose previous value is 0 has no relative change: its difference is told
    in the rate's own unit (mode ``'absolute'``, "上升29.85/10万"), never in percentage points,
    which are differences of percentages.

    Parameters
    ----------
    current, previous : float
        Values in the indicator's unit.
    unit : str
        The indicator's unit (decides points vs relative change).
    decimals : int
        Decimals of the indicator (the change in points uses the same).
    verdict : str or None
        The statistical comparison's verdict: 'rise', 'fall', 'no_significant_change', or None
        when no comparison could be made.
    lang : str
        Language of the unit in an ``'absolute'`` amount.

    Returns
    -------
    dict
        ``direction``: 'rise' / 'fall' only when ``verdict`` says so; 'flat' (基本持平) when the
        comparison found no significant change *and* the change is small (``small``: under
        :data:`FLAT_RELATIVE` % relative for rates, under :data:`FLAT_POINTS` point for
        percentages); 'ns_rise' / 'ns_fall' when it is not significant but not small either
        (technical report: "有所上升，但差异无统计学意义"; the 答卷 claims neither);
        'not_tested' when there was no verdict (the template then states both values and draws
        no conclusion). ``mode`` ('points' / 'relative' / 'absolute'), ``amount`` (text; no
        unit for 'points' and 'relative', whose words the template adds, the rate's unit for
        'absolute'), ``small`` (bool), ``relative`` (signed relative change in %, or None).
        The arithmetic sign of the difference never decides a rise or fall by itself.
    """
    out = {
        "direction": "not_tested",
        "mode": change_mode(unit),
        "amount": "",
        "verdict": verdict,
        "small": False,
        "relative": None,
    }
    if _is_missing(current) or _is_missing(previous):
        out["direction"] = "no_data"
        return out
    d = int(decimals)
    cur, prev = round(float(current), d), round(float(previous), d)
    diff = cur - prev
    points = abs(diff)
    if prev > 0:
        out["relative"] = diff / prev * 100
    if out["mode"] == "points":
        out["amount"] = format_number(points, d)
        out["small"] = points < FLAT_POINTS
    elif prev > 0:
        out["amount"] = format_number(abs(out["relative"]), 1)
        out["small"] = abs(out["relative"]) < FLAT_RELATIVE
    else:  # a rate from 0: no relative change; the difference in the rate's unit
        out["mode"] = "absolute"
        out["amount"] = format_value(points, unit, d, lang=lang)
        out["small"] = diff == 0
    if verdict in ("rise", "fall"):
        # A verdict contradicting the sign would be a bug upstream: refuse to word it.
        if diff != 0 and (verdict == "rise") != (diff > 0):
            raise ValueError(f"comparison verdict {verdict!r} contradicts the change {diff:+g}")
        out["direction"] = verdict if diff != 0 else "flat"
    elif verdict == "no_significant_change":
        if out["small"] or diff == 0:
            out["direction"] = "flat"
        else:
            out["direction"] = "ns_rise" if diff > 0 else "ns_fall"
    return out


def death_mode(deaths, value, lower, upper) -> str:
    """How a mortality figure is told.

    'zero' (全年无孕产妇死亡); 'few' when deaths < :data:`FEW_EVENTS` or the interval is
    wider than the value itself (全年发生孕产妇死亡2例, the rate given only in brackets);
    'rate' otherwise; 'no_data' when deaths are not reported.
    """
    if _is_missing(deaths):
        return "no_data"
    if int(deaths) == 0:
        return "zero"
    if int(deaths) < FEW_EVENTS:
        return "few"
    if not (_is_missing(lower) or _is_missing(upper)) and float(upper) - float(lower) > float(value):
        return "few"
    return "rate"


def scope_word(level: str, name: str, *, lang: str = "zh") -> str:
    """全省 / 全市 / 全县 / 全区 (by level, and for counties by the name's last character)."""
    if lang == "en":
        if level == "county" and name.endswith("区"):
            return "the district"
        return _SCOPE_EN.get(level, "the region")
    if level in _SCOPE_ZH:
        return _SCOPE_ZH[level]
    return _COUNTY_SUFFIX_ZH.get(name[-1:] if name else "", "全县")


def streak(verdicts) -> int:
    """Number of consecutive 'fall' verdicts ending with the last one (连续 N 年下降)."""
    n = 0
    for v in reversed(list(verdicts)):
        if v != "fall":
            break
        n += 1
    return n


def zero_streak(counts) -> int:
    """Number of consecutive zero counts ending with the last year (连续 N 年无孕产妇死亡)."""
    n = 0
    for c in reversed(list(counts)):
        if _is_missing(c) or int(c) != 0:
            break
        n += 1
    return n


def is_synthetic_code(region_code: str) -> bool:
    """True for the demo province's codes (99xxxx: no real GB/T 2260 province uses 99)."""
    return str(region_code).startswith("99")
