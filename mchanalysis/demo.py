"""The synthetic demo data: a fictional province 示例省 (codes 99xxxx), 2010-2024.

:func:`generate_demo_counts` draws a wide counts table (docs/design.md "Input: the counts table") from
a fixed-seed :class:`numpy.random.Generator`; :func:`write_demo_csv` writes it as the committed
``data/demo/counts.csv``. The numbers are **synthetic**: every report made from them must say so.

Regions
-------
``990000`` 示例省 (province) with three cities and fifteen counties:

=======  ======  ==========================================================
city     code    counties (code name ~live births 2010)
=======  ======  ==========================================================
东川市   990100  990102 川中区 26,000 · 990103 川北区 17,000 · 990104 临江县 9,500 ·
                 990105 柳塘县 4,200 · 990106 石桥县 2,200
西岭市   990200  990202 岭城区 11,000 · 990203 石岩县 6,800 · 990204 青峰县 3,500 ·
                 990205 云岭县 2,400 (poor, mountainous) · 990206 高坪县 5,200
南湖市   990300  990302 湖心区 22,000 · 990303 湖滨区 12,500 · 990304 白沙县 7,600 ·
                 990305 桃溪县 4,800 · 990306 芦洲县 3,000
=======  ======  ==========================================================

County rows carry the counts; city and province rows are empty (the package sums children),
except 西岭市 (990200), which reports its own totals of the mortality counts (see below).

Model
-----
* Live births: ``base_c * B(year) * exp(trend_c * (year - 2010))``, Poisson-drawn. ``B`` follows
  China's births (NBS): flat 2010-2015 with the dragon-year 2012 and the 2014 selective two-child
  bump, a peak in 2016-2017 (universal two-child policy, 2016), then a fall to ~58% of 2016 by
  2024. Urban districts grow (+1%/year, in-migration), rural counties shrink (-1.2%/year).
* Mortality: the province's expected rates are calibrated to the published national series
  (``data/reference/national_series.csv``; 2010 MMR 30.0/10万, IMR 13.1‰, NMR 8.3‰, U5MR 16.4‰ —
  sources S24, S00). MMR then declines somewhat faster than the nation, to 12/10万 in 2024; the
  child rates follow the national path (2024: IMR 3.9‰, NMR 2.5‰, U5MR 5.9‰). Each county has a
  fixed relative risk (云岭县 2.5x for maternal and 1.8x for child deaths; urban districts about
  0.7x), rescaled every year so the births-weighted province expectation equals the calibrated
  rate.
* Maternal deaths: the province total is the calibrated expectation (rounded), split among
  counties by a multinomial draw with probabilities proportional to births x relative risk (the
  distribution of independent Poisson counts given their sum). Small counties see 0-3 deaths a
  year while the province MMR follows its path instead of wandering +-25% with Poisson noise.
* Child deaths are Poisson draws: neonatal deaths, plus post-neonatal infant deaths (infant =
  neonatal + post-neonatal), plus deaths at ages 1-4 (under-5 = infant + those), so neonatal <=
  infant <= under-5 always holds.
* Service coverage: each numerator is a binomial draw on its registry denominator (see
  ``mchanalysis/indicators.yaml``) with a probability rising on the logit scale from a 2010 to a
  2024 level (e.g. early registration 75% -> 93%, hospital delivery 97% -> 99.9%, two-cancer
  screening 20% -> 55%), shifted per county (云岭县 lower; 湖滨区 screens >70% of women by 2024).
* Denominators: deliveries = live births - twin second-borns (~1%), perinatal births = live
  births + stillbirths (~0.5%), children under 3 / under 7 = births of the last 3 / 7 years with
  survival and migration, marriages (persons) following China's marriage registrations, women
  aged 35-64 due for screening from the county population.

* 年报 measures (opt-in, ``generate_demo_counts(nianbao=True)``; the committed file does not
  carry them, so its bytes are unchanged): 死胎死产 = 围产儿 − 活产, early neonatal deaths a
  binomial share of neonatal deaths, nutrition counts on the under-5 cohorts, the three tests
  and 母婴传播 on deliveries, 先天梅毒 falling from ~60 to ~6/10万活产 (national 69.9 in 2013,
  6.3 in 2023), 妇女常见病 and 孕前优生 on population targets; see :data:`_NIANBAO_SHARES`.

Deliberate data-quality problems
--------------------------------
The file holds no validation *error*; these produce warnings / quality findings:

1. **Outlier year** — 990106 石桥县, 2020, ``hospital_births``: typed with its second digit
   dropped (1,599 -> 199 against 1,601 live births), so the county's hospital delivery rate
   reads 12.4% in 2020 against 99.6-99.7% in 2019 and 2021, and 东川市's and the province's
   2020 hospital delivery rates dip (the province's to 98.5%).
2. **Missing year** — 990305 桃溪县, 2019, ``maternal_system_managed`` empty (not reported), so
   南湖市 (990300) and 示例省 (990000) are *incomplete* for that measure in 2019.
3. **Coverage above 100%** — 990102 川中区, 2021, ``prenatal_checked`` about 1.2% above its
   live births (non-resident women examined in the district): an ``over_100`` warning.
4. **Parent/children disagreement** — 西岭市 (990200) reports its own ``live_births``,
   ``maternal_deaths``, ``infant_deaths``, ``neonatal_deaths`` and ``under5_deaths`` for
   2022-2024. They equal the sum of its counties except ``live_births`` in 2023, which is 37
   above the sum (late registrations added at city level only).

Reproducibility
---------------
Every group of draws has its own stream, ``numpy.random.default_rng([seed, stage, code,
measure])`` (a :class:`numpy.random.SeedSequence` of the seed and fixed integer keys), so changing
how one measure is drawn leaves every other column of the file unchanged. numpy does not promise
identical Generator streams across *all* versions; if an upgrade changes them,
``tests/test_demo.py`` fails and the committed CSV must be regenerated deliberately.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mchanalysis.atomic import write_text
from mchanalysis.schema import MEASURES, NIANBAO_MEASURES

__all__ = [
    "DEMO_CSV",
    "DEMO_SEED",
    "DEMO_YEARS",
    "DEMO_REGIONS",
    "DELIBERATE_PROBLEMS",
    "generate_demo_counts",
    "write_demo_csv",
]

DEMO_SEED = 20241231
#: The committed demo file of the repository this package was loaded from (a checkout or an
#: editable install; an installed wheel does not carry it: call :func:`generate_demo_counts`).
DEMO_CSV = Path(__file__).resolve().parents[1] / "data" / "demo" / "counts.csv"
DEMO_YEARS = tuple(range(2010, 2025))
_FIRST, _LAST = DEMO_YEARS[0], DEMO_YEARS[-1]

#: Births index relative to 2010 (shape of China's annual births, NBS; 2003-2009 ~flat).
_BIRTHS_INDEX = {
    **{y: 0.98 for y in range(2003, 2010)},
    2010: 1.00, 2011: 1.01, 2012: 1.07, 2013: 1.03, 2014: 1.07, 2015: 1.04, 2016: 1.18,
    2017: 1.15, 2018: 1.01, 2019: 0.97, 2020: 0.82, 2021: 0.74, 2022: 0.68, 2023: 0.64,
    2024: 0.67,
}  # fmt: skip

#: Marriage registrations relative to 2010 (shape of China's 结婚登记, Ministry of Civil Affairs).
_MARRIAGE_INDEX = {
    2010: 1.00, 2011: 1.06, 2012: 1.08, 2013: 1.09, 2014: 1.05, 2015: 0.98, 2016: 0.91,
    2017: 0.86, 2018: 0.82, 2019: 0.75, 2020: 0.65, 2021: 0.62, 2022: 0.55, 2023: 0.62,
    2024: 0.49,
}  # fmt: skip

#: Province expected mortality by year: national total series (data/reference) for 2010,
#: declining a little faster than the nation to the 2024 levels of a well-performing province.
#: Values per live birth; interpolated log-linearly between the national shape points.
_NATIONAL_SHAPE = {  # national totals (mmr /10万, imr, nmr, u5mr ‰), data/reference
    "mmr": [30.0, 26.1, 24.5, 23.2, 21.7, 20.1, 19.9, 19.6, 18.3, 17.8, 16.9, 16.1, 15.7, 15.1, 14.3],
    "imr": [13.1, 12.1, 10.3, 9.5, 8.9, 8.1, 7.5, 6.8, 6.1, 5.6, 5.4, 5.0, 4.9, 4.5, 4.0],
    "nmr": [8.3, 7.8, 6.9, 6.3, 5.9, 5.4, 4.9, 4.5, 3.9, 3.5, 3.4, 3.1, 3.1, 2.8, 2.5],
    "u5mr": [16.4, 15.6, 13.2, 12.0, 11.7, 10.7, 10.2, 9.1, 8.4, 7.8, 7.5, 7.1, 6.8, 6.2, 5.6],
}  # fmt: skip
#: Province/national ratio in 2010 and 2024 (linear in between).
_PROVINCE_FACTOR = {"mmr": (1.00, 0.84), "imr": (0.92, 0.97), "nmr": (0.95, 1.00), "u5mr": (0.97, 1.05)}
_MULT = {"mmr": 100_000, "imr": 1000, "nmr": 1000, "u5mr": 1000}


#: (code, name, parent, level, base live births 2010, kind) — kind: urban / rural / poor.
DEMO_REGIONS: tuple[tuple[str, str, str, str, int, str], ...] = (
    ("990000", "示例省", "", "province", 0, ""),
    ("990100", "东川市", "990000", "prefecture", 0, ""),
    ("990102", "川中区", "990100", "county", 26_000, "urban"),
    ("990103", "川北区", "990100", "county", 17_000, "urban"),
    ("990104", "临江县", "990100", "county", 9_500, "rural"),
    ("990105", "柳塘县", "990100", "county", 4_200, "rural"),
    ("990106", "石桥县", "990100", "county", 2_200, "rural"),
    ("990200", "西岭市", "990000", "prefecture", 0, ""),
    ("990202", "岭城区", "990200", "county", 11_000, "urban"),
    ("990203", "石岩县", "990200", "county", 6_800, "rural"),
    ("990204", "青峰县", "990200", "county", 3_500, "rural"),
    ("990205", "云岭县", "990200", "county", 2_400, "poor"),
    ("990206", "高坪县", "990200", "county", 5_200, "rural"),
    ("990300", "南湖市", "990000", "prefecture", 0, ""),
    ("990302", "湖心区", "990300", "county", 22_000, "urban"),
    ("990303", "湖滨区", "990300", "county", 12_500, "urban"),
    ("990304", "白沙县", "990300", "county", 7_600, "rural"),
    ("990305", "桃溪县", "990300", "county", 4_800, "rural"),
    ("990306", "芦洲县", "990300", "county", 3_000, "rural"),
)

#: Coverage indicators: numerator -> (denominator, p in 2010, p in 2024). Province-wide levels
#: before county shifts (see _COUNTY_SHIFT).
_COVERAGE: dict[str, tuple[str, float, float]] = {
    "early_registered": ("live_births", 0.75, 0.93),
    "prenatal_checked": ("live_births", 0.94, 0.985),
    "maternal_system_managed": ("live_births", 0.85, 0.935),
    "postpartum_visited": ("live_births", 0.90, 0.965),
    "hospital_births": ("live_births", 0.97, 0.999),
    "cesarean_deliveries": ("deliveries", 0.38, 0.41),
    "high_risk_pregnancies": ("deliveries", 0.15, 0.35),
    "high_risk_managed": ("high_risk_pregnancies", 0.985, 0.998),
    "prenatal_screened": ("deliveries", 0.50, 0.85),
    "low_birth_weight": ("live_births", 0.028, 0.031),
    "birth_defects": ("perinatal_births", 0.0105, 0.0140),
    "newborn_metabolic_screened": ("live_births", 0.90, 0.99),
    "newborn_hearing_screened": ("live_births", 0.85, 0.98),
    "newborn_visited": ("live_births", 0.90, 0.965),
    "children_under3_managed": ("children_under3", 0.85, 0.93),
    "children_under7_managed": ("children_under7", 0.86, 0.94),
    "exclusive_breastfed": ("infants_0_6m_surveyed", 0.50, 0.65),
    "premarital_examined": ("marriages_registered", 0.40, 0.76),
    "cervical_screened": ("cervical_screen_target", 0.20, 0.55),
    "breast_screened": ("breast_screen_target", 0.18, 0.52),
}

#: Measures whose county shift is "care quality" (lower in the poor county, higher in cities).
#: Epidemiological proportions (LBW, defects, high risk, caesarean) get their own small shifts.
_NEUTRAL = ("cesarean_deliveries", "high_risk_pregnancies", "low_birth_weight", "birth_defects")

#: Deliberate problems (region_code, year, measure) -> description; see the module docstring.
DELIBERATE_PROBLEMS: dict[tuple[str, int, str], str] = {
    ("990106", 2020, "hospital_births"): "outlier: second digit dropped (1599 -> 199)",
    ("990305", 2019, "maternal_system_managed"): "missing: not reported (parent incomplete)",
    ("990102", 2021, "prenatal_checked"): "over 100%: ~1.2% above live births (non-residents)",
    ("990200", 2023, "live_births"): "parent's own total 37 above the sum of its counties",
}
_CITY_REPORTED = ("990200", (2022, 2023, 2024),
                  ("live_births", "maternal_deaths", "infant_deaths", "neonatal_deaths",
                   "under5_deaths"))  # fmt: skip
_CITY_EXCESS = 37


_STAGE_TRAITS, _STAGE_BIRTHS, _STAGE_MATERNAL, _STAGE_CHILD_DEATHS = 1, 2, 3, 4
_STAGE_DENOMINATORS, _STAGE_COVERAGE = 5, 6
_STAGE_NIANBAO = 7
_MEASURE_KEY = {m: i for i, m in enumerate(MEASURES)}
_NIANBAO_KEY = {m: i for i, m in enumerate(NIANBAO_MEASURES)}

#: The 年报 measures (opt-in, ``nianbao=True``): numerator -> (denominator, p in 2010, p in 2024,
#: how the county's care shift acts: +1 coverage, -1 a harm that good care lowers, 0 none).
#: Levels follow the national figures where published (眼保健 93.6% 2022; 妇女常见病筛查
#: 61.2% 2010 -> 75.5% 2018; 艾滋病母婴传播 6.1% 2014 -> ~1.3% 2023; 孕前优生 91.7% 2017);
#: the rest are plausible levels for a province of this kind, not published values.
_NIANBAO_SHARES: dict[str, tuple[str, float, float, int]] = {
    "first_trimester_checked": ("live_births", 0.78, 0.94, 1),
    "prenatal_checked_5plus": ("prenatal_checked", 0.85, 0.97, 1),
    "new_method_births": ("live_births", 0.995, 0.9995, 1),
    "high_risk_hospital_births": ("high_risk_pregnancies", 0.985, 0.999, 1),
    "macrosomia": ("live_births", 0.070, 0.055, 0),
    "hiv_tested": ("deliveries", 0.80, 0.995, 1),
    "syphilis_tested": ("deliveries", 0.85, 0.995, 1),
    "hbv_tested": ("deliveries", 0.85, 0.995, 1),
    "hiv_infected_infants": ("hiv_exposed_infants", 0.07, 0.012, -1),
    "hbv_infected_infants": ("hbv_exposed_infants", 0.015, 0.004, -1),
    "under5_underweight": ("under5_weighed", 0.025, 0.012, -1),
    "under5_stunted": ("under5_height_measured", 0.050, 0.020, -1),
    "under5_anaemic": ("under5_hb_tested", 0.12, 0.05, -1),
    "children_0_6_eye_checked": ("children_under7", 0.70, 0.94, 1),
    "children_0_6_followed": ("children_under7", 0.88, 0.95, 1),
    "preconception_checked": ("preconception_target", 0.80, 0.95, 1),
    "gyn_screened": ("gyn_screen_target", 0.58, 0.80, 1),
    "cervical_lesions_treated": ("cervical_lesions_detected", 0.85, 0.95, 1),
}


def _stream(seed: int, stage: int, code: str = "0", measure: int = 0) -> np.random.Generator:
    """The independent random stream of one group of draws (seed, stage, region, measure)."""
    return np.random.default_rng([seed, stage, int(code), measure])


def _logit(p):
    return np.log(p / (1 - p))


def _expit(x):
    return 1 / (1 + np.exp(-x))


def _drop_digit(n: int) -> int:
    """The count typed with its second digit left out (1609 -> 109), as a hurried clerk might."""
    s = str(n)
    return int(s[0] + s[2:])


def _province_rates() -> dict[str, np.ndarray]:
    """Expected province mortality per live birth, by year (arrays over DEMO_YEARS)."""
    t = (np.array(DEMO_YEARS) - _FIRST) / (_LAST - _FIRST)
    out = {}
    for ind, shape in _NATIONAL_SHAPE.items():
        f0, f1 = _PROVINCE_FACTOR[ind]
        out[ind] = np.array(shape) * (f0 + (f1 - f0) * t) / _MULT[ind]
    return out


def _nianbao_counts(seed: int, code: str, m: dict, births: dict, tr: dict, years, t) -> dict:
    """The 年报 measures of one county, from its core counts ``m`` (own streams, stage 7).

    Denominators first (under-5 population from the last five birth cohorts, exposed infants
    from deliveries and the mothers' prevalence, targets from the county's population), then
    every share of :data:`_NIANBAO_SHARES` as a binomial draw on its denominator with a
    probability moving on the logit scale; 死胎死产 are the perinatal births that were not live
    births, early neonatal deaths a binomial share (~73%) of neonatal deaths, and 围产儿死亡 their
    sum, so the 年报's own identities hold.
    """
    ny = len(years)

    def rng(measure: str) -> np.random.Generator:
        return _stream(seed, _STAGE_NIANBAO, code, _NIANBAO_KEY[measure])

    n = m["live_births"]
    out: dict[str, np.ndarray] = {}
    out["stillbirths"] = m["perinatal_births"] - n
    out["early_neonatal_deaths"] = rng("early_neonatal_deaths").binomial(m["neonatal_deaths"], 0.73)
    out["perinatal_deaths"] = out["stillbirths"] + out["early_neonatal_deaths"]
    # children under 5: the last five birth cohorts, surviving and migrating as under 3 / under 7
    under5 = np.array([sum(births[y - j] for j in range(5)) for y in years]) * 0.993 * tr["migration"]
    for col, p0, p1 in (("under5_weighed", 0.85, 0.94), ("under5_height_measured", 0.84, 0.93),
                        ("under5_hb_tested", 0.55, 0.82)):  # fmt: skip
        p = _expit(_logit(p0) + (_logit(p1) - _logit(p0)) * t + tr["care"])
        out[col] = rng(col).binomial(np.rint(under5).astype(np.int64), p)
    # mothers living with HIV ~0.02%, HBsAg-positive ~6% with ~70% of their children tested
    out["hiv_exposed_infants"] = rng("hiv_exposed_infants").binomial(m["deliveries"], 0.0002)
    out["hbv_exposed_infants"] = rng("hbv_exposed_infants").binomial(m["deliveries"], 0.06 * 0.70)
    # congenital syphilis per live birth: ~60/10万 in 2010 to ~6/10万 in 2024 (national 69.9 in
    # 2013, 6.3 in 2023), higher where care is poorer
    rate = np.exp(np.log(60e-5) + (np.log(6e-5) - np.log(60e-5)) * t - 0.8 * tr["care"])
    out["congenital_syphilis_cases"] = rng("congenital_syphilis_cases").poisson(rate * n)
    out["preconception_target"] = rng("preconception_target").poisson(m["marriages_registered"] * 0.85)
    out["gyn_screen_target"] = rng("gyn_screen_target").poisson(m["cervical_screen_target"] * 1.6)
    out["cervical_lesions_detected"] = rng("cervical_lesions_detected").binomial(
        m["cervical_screened"], 0.0026
    )
    for num, (den, p0, p1, sign) in _NIANBAO_SHARES.items():
        draw = rng(num)
        shift = sign * tr["care"] if sign else draw.normal(0, 0.08)
        p = _expit(_logit(p0) + (_logit(p1) - _logit(p0)) * t + shift + draw.normal(0, 0.04, ny))
        out[num] = draw.binomial({**m, **out}[den], p)
    return {k: np.asarray(out[k], dtype=np.int64) for k in NIANBAO_MEASURES}


def generate_demo_counts(seed: int = DEMO_SEED, *, nianbao: bool = False) -> pd.DataFrame:
    """Draw the synthetic counts table of 示例省 (990000), 2010-2024.

    Parameters
    ----------
    seed : int
        Seed of :func:`numpy.random.default_rng`. The same seed gives the same table.
    nianbao : bool, default False
        Also draw the 年报 measures (:data:`mchanalysis.schema.NIANBAO_MEASURES`: 死胎死产,
        早期新生儿死亡, 围产儿死亡, nutrition, 眼保健, the three tests, 母婴传播, 先天梅毒, 孕前优生,
        妇女常见病, 宫颈病变), as columns after the core measures. Opt-in, so that the committed
        demo file keeps its columns and bytes; the core columns are identical either way (the
        new draws have streams of their own).

    Returns
    -------
    pandas.DataFrame
        The wide counts table: ``region_code, region_name, parent_code, level, year`` (codes as
        text, ``parent_code`` ``''`` for the province), then one nullable ``Int64`` column per
        measure of :data:`mchanalysis.schema.MEASURES`, in that order (NA = not reported), then
        with ``nianbao=True`` one per 年报 measure (county rows only).
        Sorted by ``region_code, year``; every region has a row for every year.

    Notes
    -----
    The model and the deliberate data-quality problems are described in the module docstring
    and :data:`DELIBERATE_PROBLEMS`. Expected province mortality is calibrated to China's
    published national series (2010: MMR 30.0/10万, IMR 13.1‰ — 中国妇幼卫生事业发展报告 2011;
    2024: MMR 14.3/10万, IMR 4.0‰ — 2024 statistical bulletin), see ``data/reference/``.

    Examples
    --------
    >>> counts = generate_demo_counts()
    >>> counts.shape
    (285, 38)
    >>> sorted(counts["level"].unique())
    ['county', 'prefecture', 'province']
    """
    years = np.array(DEMO_YEARS)
    ny = len(years)
    t = (years - _FIRST) / (_LAST - _FIRST)
    counties = [r for r in DEMO_REGIONS if r[3] == "county"]

    # --- fixed county characteristics (drawn first, in region order) ---------------------
    traits = {}
    for code, _name, _parent, _lvl, _base, kind in counties:
        rng = _stream(seed, _STAGE_TRAITS, code)
        trend = {"urban": 0.010, "rural": -0.012, "poor": -0.015}[kind]
        # relative risks of maternal (rr_m) and child (rr_c) death, and a logit shift of service
        # coverage (care); the poor mountainous county's are set, not drawn, so it stands out
        poor = kind == "poor"
        rr_m = {"urban": 0.70, "rural": 1.10, "poor": 2.50}[kind] * np.exp(rng.normal(0, 0.15))
        rr_c = {"urban": 0.75, "rural": 1.10, "poor": 1.80}[kind] * np.exp(rng.normal(0, 0.10))
        care = {"urban": 0.25, "rural": -0.10, "poor": -0.90}[kind] + rng.normal(0, 0.20)
        if poor:
            rr_m, rr_c, care = 2.50, 1.80, -0.90
        cesarean = rng.uniform(0.35, 0.42) + (0.02 if kind == "urban" else 0.0)
        cesarean = cesarean if kind != "poor" else 0.33
        migration = {"urban": 1.04, "rural": 0.97, "poor": 0.95}[kind]
        traits[code] = dict(trend=trend, rr_m=rr_m, rr_c=rr_c, care=care, cesarean=cesarean,
                            migration=migration)  # fmt: skip

    # --- live births (true), including pre-2010 cohorts for children under 3/7 ----------
    all_years = np.arange(2003, _LAST + 1)
    births = {}
    for code, _n, _p, _l, base, _k in counties:
        tr = traits[code]["trend"]
        rng = _stream(seed, _STAGE_BIRTHS, code)
        mu = np.array([base * _BIRTHS_INDEX[y] * np.exp(tr * (y - _FIRST)) for y in all_years])
        births[code] = dict(zip(all_years.tolist(), rng.poisson(mu).tolist()))

    lb = {c: np.array([births[c][y] for y in years]) for c in births}

    # --- deaths: county RR rescaled so the province expectation is the calibrated rate ---
    rates = _province_rates()
    total_lb = sum(lb.values())
    mean_rr_c = sum(lb[c] * traits[c]["rr_c"] for c in lb) / total_lb

    # Maternal deaths are rare (~10-40 a year in the whole province), so a free Poisson draw
    # makes the province's MMR wander by +-25%. The province total is therefore fixed at the
    # calibrated expectation and allocated to counties multinomially (the distribution of
    # independent Poisson counts given their sum): counties keep Poisson-like 0-3 deaths.
    codes = [r[0] for r in counties]
    md_total = np.rint(rates["mmr"] * total_lb).astype(np.int64)
    weight = np.array([lb[c] * traits[c]["rr_m"] for c in codes], dtype=float)
    rng = _stream(seed, _STAGE_MATERNAL)
    md = np.column_stack([rng.multinomial(md_total[i], weight[:, i] / weight[:, i].sum()) for i in range(ny)])
    maternal = dict(zip(codes, md))

    rows = {}
    for code, _n, _p, _l, _b, _kind in counties:
        tr = traits[code]
        n = lb[code]
        m = {}
        m["live_births"] = n
        rel_c = tr["rr_c"] / mean_rr_c
        m["maternal_deaths"] = maternal[code]
        rng = _stream(seed, _STAGE_CHILD_DEATHS, code)
        neo = rng.poisson(rates["nmr"] * rel_c * n)
        post = rng.poisson((rates["imr"] - rates["nmr"]) * rel_c * n)
        older = rng.poisson((rates["u5mr"] - rates["imr"]) * rel_c * n)
        m["neonatal_deaths"] = neo
        m["infant_deaths"] = neo + post
        m["under5_deaths"] = neo + post + older
        den = lambda col: _stream(seed, _STAGE_DENOMINATORS, code, _MEASURE_KEY[col])  # noqa: E731
        m["deliveries"] = n - den("deliveries").binomial(n, 0.010)  # second-born twins
        m["perinatal_births"] = n + den("perinatal_births").binomial(n, 0.005)  # stillbirths
        cohort = lambda k, y: sum(births[code][y - j] for j in range(k))  # noqa: E731
        for k, col in ((3, "children_under3"), (7, "children_under7")):
            mu = np.array([cohort(k, y) for y in years]) * 0.993 * tr["migration"]
            m[col] = np.rint(mu * np.exp(den(col).normal(0, 0.01, ny))).astype(np.int64)
        m["infants_0_6m_surveyed"] = den("infants_0_6m_surveyed").binomial(n, 0.45)
        mar = np.array([_MARRIAGE_INDEX[y] for y in years]) * 2 * 0.78 * _b
        m["marriages_registered"] = den("marriages_registered").poisson(mar)
        women = _b / 0.0115 * 0.22 * np.exp(0.008 * (years - _FIRST))  # pop x share 35-64
        m["cervical_screen_target"] = den("cervical_screen_target").poisson(women)
        m["breast_screen_target"] = m["cervical_screen_target"].copy()

        # coverage numerators, in registry order of dependence (high_risk before managed)
        for num, (den, p0, p1) in _COVERAGE.items():
            rng = _stream(seed, _STAGE_COVERAGE, code, _MEASURE_KEY[num])
            lo, hi = _logit(p0), _logit(p1)
            if num in _NEUTRAL:
                if num == "cesarean_deliveries":
                    lo = _logit(tr["cesarean"])
                    hi = lo + 0.04
                shift = rng.normal(0, 0.08)
            else:
                shift = tr["care"]
            if num in ("cervical_screened", "breast_screened") and code == "990303":
                hi = _logit(0.76)  # 湖滨区: a screening programme far ahead of the others
            p = _expit(lo + (hi - lo) * t + shift + rng.normal(0, 0.04, ny))
            m[num] = rng.binomial(m[den], p)
        if nianbao:
            m.update(_nianbao_counts(seed, code, m, births[code], tr, years, t))
        rows[code] = m

    # --- assemble the wide table ------------------------------------------------------
    frames = []
    for code, name, parent, level, _b, _k in DEMO_REGIONS:
        df = pd.DataFrame(
            {
                "region_code": code,
                "region_name": name,
                "parent_code": parent,
                "level": level,
                "year": years,
            }  # fmt: skip
        )
        for meas in (*MEASURES, *(NIANBAO_MEASURES if nianbao else ())):
            if code in rows:
                df[meas] = pd.array(np.asarray(rows[code][meas], dtype=np.int64), dtype="Int64")
            else:
                df[meas] = pd.array([pd.NA] * ny, dtype="Int64")
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)

    # --- parent's own totals (before the county problems are introduced) ---------------
    city, cyears, cmeasures = _CITY_REPORTED
    kids = out[out["parent_code"] == city]
    for y in cyears:
        for meas in cmeasures:
            total = int(kids.loc[kids["year"] == y, meas].sum())
            if (city, y, meas) in DELIBERATE_PROBLEMS:
                total += _CITY_EXCESS
            out.loc[(out["region_code"] == city) & (out["year"] == y), meas] = total

    # --- deliberate county problems ---------------------------------------------------
    def _at(code, year):
        return (out["region_code"] == code) & (out["year"] == year)

    sel = _at("990106", 2020)
    out.loc[sel, "hospital_births"] = _drop_digit(int(out.loc[sel, "hospital_births"].iloc[0]))
    out.loc[_at("990305", 2019), "maternal_system_managed"] = pd.NA
    sel = _at("990102", 2021)
    out.loc[sel, "prenatal_checked"] = int(np.rint(out.loc[sel, "live_births"].iloc[0] * 1.012))

    out = out.sort_values(["region_code", "year"], kind="stable").reset_index(drop=True)
    out["year"] = out["year"].astype("int64")
    return out


def write_demo_csv(path, *, seed: int = DEMO_SEED, nianbao: bool = False) -> Path:
    """Write the demo counts table as CSV (UTF-8, LF line endings, no index).

    Parameters
    ----------
    path : str or path-like
        Output file; parent directories are created. Written atomically
        (:func:`mchanalysis.atomic.write_text`).
    seed : int
        Passed to :func:`generate_demo_counts`.
    nianbao : bool, default False
        Passed to :func:`generate_demo_counts`: add the 年报 measures (not in the committed file).

    Returns
    -------
    pathlib.Path
        The path written. Integers are written without decimals, not-reported cells empty.
    """
    counts = generate_demo_counts(seed, nianbao=nianbao)
    return write_text(path, counts.to_csv(index=False, lineterminator="\n"))
