"""The data contract of the counts table: region columns, measure ids and their Chinese names.

This module holds *names only* (no I/O, no validation logic): every other module takes its column
names from here, so the contract is written once. See DESIGN.md "Input: the counts table".
"""

from __future__ import annotations

#: Region/identity columns of the wide counts table, with their Chinese headers.
ID_COLUMNS: dict[str, str] = {
    "region_code": "行政区划代码",
    "region_name": "地区",
    "parent_code": "上级代码",
    "level": "级别",
    "year": "年份",
}

#: Columns that must be present in every counts table.
REQUIRED_ID_COLUMNS = ("region_code", "region_name", "parent_code", "level", "year")

#: Levels of the region tree, top first, with their Chinese names.
LEVELS: dict[str, str] = {"province": "省级", "prefecture": "地市级", "county": "县区级"}
LEVEL_ORDER = {"province": 0, "prefecture": 1, "county": 2}

#: Measure ids (all counts, non-negative integers; empty = not reported) and Chinese names.
MEASURES: dict[str, str] = {
    "live_births": "活产数",
    "deliveries": "产妇数",
    "maternal_deaths": "孕产妇死亡数",
    "infant_deaths": "婴儿死亡数",
    "neonatal_deaths": "新生儿死亡数",
    "under5_deaths": "5岁以下儿童死亡数",
    "perinatal_births": "围产儿数",
    "birth_defects": "出生缺陷儿数",
    "low_birth_weight": "低出生体重儿数",
    "early_registered": "早孕建册人数",
    "prenatal_checked": "产前检查人数",
    "maternal_system_managed": "孕产妇系统管理人数",
    "postpartum_visited": "产后访视人数",
    "hospital_births": "住院分娩活产数",
    "cesarean_deliveries": "剖宫产数",
    "high_risk_pregnancies": "高危产妇人数",
    "high_risk_managed": "高危产妇专案管理人数",
    "prenatal_screened": "产前筛查人数",
    "newborn_metabolic_screened": "新生儿遗传代谢性疾病筛查人数",
    "newborn_hearing_screened": "新生儿听力筛查人数",
    "newborn_visited": "新生儿访视人数",
    "children_under3": "3岁以下儿童数",
    "children_under3_managed": "3岁以下儿童系统管理人数",
    "children_under7": "7岁以下儿童数",
    "children_under7_managed": "7岁以下儿童健康管理人数",
    "infants_0_6m_surveyed": "6个月内婴儿母乳喂养调查人数",
    "exclusive_breastfed": "纯母乳喂养人数",
    "marriages_registered": "结婚登记人数",
    "premarital_examined": "婚前医学检查人数",
    "cervical_screen_target": "宫颈癌应筛查妇女数",
    "cervical_screened": "宫颈癌筛查人数",
    "breast_screen_target": "乳腺癌应筛查妇女数",
    "breast_screened": "乳腺癌筛查人数",
}

MEASURES_EN: dict[str, str] = {
    "live_births": "live births",
    "deliveries": "deliveries (mothers)",
    "maternal_deaths": "maternal deaths",
    "infant_deaths": "infant deaths",
    "neonatal_deaths": "neonatal deaths",
    "under5_deaths": "under-5 deaths",
    "perinatal_births": "perinatal births",
    "birth_defects": "birth defects",
    "low_birth_weight": "low-birth-weight births",
    "early_registered": "registered before 13 weeks",
    "prenatal_checked": "women with prenatal checks",
    "maternal_system_managed": "women under systematic management",
    "postpartum_visited": "women visited after delivery",
    "hospital_births": "live births in hospital",
    "cesarean_deliveries": "caesarean deliveries",
    "high_risk_pregnancies": "high-risk pregnancies",
    "high_risk_managed": "high-risk pregnancies under case management",
    "prenatal_screened": "women with prenatal screening",
    "newborn_metabolic_screened": "newborns screened for metabolic disease",
    "newborn_hearing_screened": "newborns screened for hearing",
    "newborn_visited": "newborns visited at home",
    "children_under3": "children under 3",
    "children_under3_managed": "children under 3 under systematic management",
    "children_under7": "children under 7",
    "children_under7_managed": "children under 7 under health management",
    "infants_0_6m_surveyed": "infants 0-6 months surveyed",
    "exclusive_breastfed": "exclusively breastfed infants",
    "marriages_registered": "marriages registered",
    "premarital_examined": "premarital medical examinations",
    "cervical_screen_target": "women aged 35-64 due for cervical screening",
    "cervical_screened": "women screened for cervical cancer",
    "breast_screen_target": "women aged 35-64 due for breast screening",
    "breast_screened": "women screened for breast cancer",
}

#: Chains of counts where each must not exceed the next (an impossible numerator is an error):
#: neonatal <= infant <= under-5 deaths; any deaths of children <= live births.
ORDERED_CHAINS: tuple[tuple[str, ...], ...] = (
    ("neonatal_deaths", "infant_deaths", "under5_deaths"),
    ("maternal_deaths", "live_births"),
    ("under5_deaths", "live_births"),
    ("infant_deaths", "live_births"),
    ("neonatal_deaths", "live_births"),
)

#: Long-form columns.
LONG_COLUMNS = ("region_code", "year", "measure", "value")

#: Every accepted header -> canonical column id (ids, Chinese names, a few common variants).
HEADER_ALIASES: dict[str, str] = {}
for _id, _zh in {**ID_COLUMNS, **MEASURES}.items():
    HEADER_ALIASES[_id] = _id
    HEADER_ALIASES[_zh] = _id
HEADER_ALIASES.update(
    {
        "地区名称": "region_name",
        "区划代码": "region_code",
        "地区代码": "region_code",
        "上级区划代码": "parent_code",
        "层级": "level",
        "年度": "year",
        "指标": "measure",
        "数值": "value",
        "measure": "measure",
        "value": "value",
        "早孕建册人数 (孕13周前建册并首次产检)": "early_registered",
        "宫颈癌应筛查妇女数 (35-64岁)": "cervical_screen_target",
        "乳腺癌应筛查妇女数 (35-64岁)": "breast_screen_target",
    }
)

#: Accepted spellings of levels -> canonical level.
LEVEL_ALIASES: dict[str, str] = {
    **{k: k for k in LEVELS},
    **{v: k for k, v in LEVELS.items()},
    "省": "province",
    "市": "prefecture",
    "地市": "prefecture",
    "city": "prefecture",
    "县": "county",
    "县区": "county",
    "区县": "county",
    "district": "county",
}
