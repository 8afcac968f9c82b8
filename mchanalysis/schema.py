"""The data contract of the counts table: region columns, measure ids and their Chinese names.

This module holds *names only* (no I/O, no validation logic): every other module takes its column
names from here, so the contract is written once. See docs/design.md "Input: the counts table".
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

#: Measures of the 年报 beyond the core contract (卫统41/42/44, 孕前优生, 消除母婴传播). Extension
#: of the contract (docs/design.md: extend, never rename). Kept apart from :data:`MEASURES` so that a
#: table without them keeps its shape: validation gives these columns only when a file has them,
#: and every indicator on them appears only then. id -> the 年报's Chinese header.
NIANBAO_MEASURES: dict[str, str] = {
    # 卫统41 孕产妇保健和健康情况
    "stillbirths": "死胎死产数",
    "early_neonatal_deaths": "早期新生儿死亡数",
    "perinatal_deaths": "围产儿死亡数",
    "first_trimester_checked": "孕早期检查人数",
    "prenatal_checked_5plus": "产前检查5次及以上人数",
    "new_method_births": "新法接生活产数",
    "high_risk_hospital_births": "高危产妇住院分娩人数",
    "macrosomia": "巨大儿数",
    "hiv_tested": "孕产妇艾滋病检测人数",
    "syphilis_tested": "孕产妇梅毒检测人数",
    "hbv_tested": "孕产妇乙肝表面抗原检测人数",
    # 消除艾滋病、梅毒和乙肝母婴传播
    "hiv_exposed_infants": "艾滋病感染孕产妇所生儿童随访人数",
    "hiv_infected_infants": "艾滋病感染孕产妇所生儿童感染人数",
    "congenital_syphilis_cases": "先天梅毒报告病例数",
    "hbv_exposed_infants": "乙肝感染孕产妇所生儿童随访检测人数",
    "hbv_infected_infants": "乙肝感染孕产妇所生儿童感染人数",
    # 卫统42 七岁以下儿童保健和健康情况
    "under5_weighed": "5岁以下儿童体重检查人数",
    "under5_underweight": "5岁以下儿童低体重人数",
    "under5_height_measured": "5岁以下儿童身长(身高)检查人数",
    "under5_stunted": "5岁以下儿童生长迟缓人数",
    "under5_hb_tested": "5岁以下儿童血红蛋白检测人数",
    "under5_anaemic": "5岁以下儿童贫血患病人数",
    "children_0_6_eye_checked": "0～6岁儿童眼保健和视力检查人数",
    "children_0_6_followed": "0～6岁儿童健康管理人数",
    # 孕前优生健康检查; 卫统44 妇女常见病筛查; 宫颈癌防治
    "preconception_target": "孕前优生健康检查目标人群数",
    "preconception_checked": "孕前优生健康检查人数",
    "gyn_screen_target": "妇女常见病应查人数",
    "gyn_screened": "妇女常见病实查人数",
    "cervical_lesions_detected": "宫颈癌及癌前病变检出人数",
    "cervical_lesions_treated": "宫颈癌及癌前病变治疗人数",
}

NIANBAO_MEASURES_EN: dict[str, str] = {
    "stillbirths": "stillbirths (fetal deaths from 28 weeks)",
    "early_neonatal_deaths": "early neonatal deaths (0-6 days)",
    "perinatal_deaths": "perinatal deaths",
    "first_trimester_checked": "women with a first antenatal check before 13 weeks",
    "prenatal_checked_5plus": "women with 5 or more antenatal checks",
    "new_method_births": "live births delivered by the new (clean) method",
    "high_risk_hospital_births": "high-risk women delivered in hospital",
    "macrosomia": "live births of 4,000 g or more",
    "hiv_tested": "pregnant women tested for HIV",
    "syphilis_tested": "pregnant women tested for syphilis",
    "hbv_tested": "pregnant women tested for HBsAg",
    "hiv_exposed_infants": "children of HIV-infected mothers followed up",
    "hiv_infected_infants": "children of HIV-infected mothers found infected",
    "congenital_syphilis_cases": "congenital syphilis cases reported",
    "hbv_exposed_infants": "children of HBV-infected mothers followed up and tested",
    "hbv_infected_infants": "children of HBV-infected mothers found HBsAg-positive",
    "under5_weighed": "children under 5 weighed",
    "under5_underweight": "children under 5 underweight (weight-for-age < -2 SD)",
    "under5_height_measured": "children under 5 measured for length/height",
    "under5_stunted": "children under 5 stunted (length/height-for-age < -2 SD)",
    "under5_hb_tested": "children under 5 tested for haemoglobin",
    "under5_anaemic": "children under 5 anaemic",
    "children_0_6_eye_checked": "children aged 0-6 with eye care and vision checks",
    "children_0_6_followed": "children aged 0-6 followed up at least once",
    "preconception_target": "couples in the pre-pregnancy check target population",
    "preconception_checked": "couples given the free pre-pregnancy check",
    "gyn_screen_target": "women due for common gynaecological disease screening",
    "gyn_screened": "women screened for common gynaecological diseases",
    "cervical_lesions_detected": "women with cervical cancer or precancer found by screening",
    "cervical_lesions_treated": "women with cervical cancer or precancer treated",
}

#: What each 年报 measure counts, as the data-entry template's instructions sheet says it
#: (中文, English). The wording follows the 年报 填表说明 and the programmes' definitions.
NIANBAO_DEFINITIONS: dict[str, tuple[str, str]] = {
    "stillbirths": (
        "孕满28周及以上（或出生体重≥1000克）的死胎、死产数",
        "fetal deaths and deaths in labour at 28 completed weeks or more (or birth weight >= 1,000 g)",
    ),
    "early_neonatal_deaths": (
        "出生后7天内（0—6天）死亡的新生儿数",
        "newborns dying within 7 days of birth (days 0-6)",
    ),
    "perinatal_deaths": (
        "围产儿死亡数 = 孕满28周的死胎死产数 + 生后7天内新生儿死亡数",
        "perinatal deaths = stillbirths from 28 weeks + deaths within 7 days of birth",
    ),
    "first_trimester_checked": (
        "孕13周之前（孕早期）接受第1次产前检查的产妇人数",
        "women whose first antenatal check was before 13 weeks",
    ),
    "prenatal_checked_5plus": (
        "孕期接受5次及以上产前检查的产妇人数",
        "women with 5 or more antenatal checks in pregnancy",
    ),
    "new_method_births": ("新法接生的活产数", "live births delivered by the new (clean) method"),
    "high_risk_hospital_births": (
        "高危产妇中在医疗保健机构住院分娩的人数",
        "high-risk women who delivered in a health facility",
    ),
    "macrosomia": ("出生体重≥4000克的活产数", "live births weighing 4,000 g or more"),
    "hiv_tested": (
        "孕期或产时接受艾滋病检测的孕产妇人数",
        "pregnant women tested for HIV during pregnancy or at delivery",
    ),
    "syphilis_tested": (
        "孕期或产时接受梅毒检测的孕产妇人数",
        "pregnant women tested for syphilis during pregnancy or at delivery",
    ),
    "hbv_tested": (
        "孕期或产时接受乙肝表面抗原检测的孕产妇人数",
        "pregnant women tested for HBsAg during pregnancy or at delivery",
    ),
    "hiv_exposed_infants": (
        "艾滋病感染孕产妇所生、完成随访（满18月龄）的儿童数",
        "children of HIV-infected mothers whose follow-up (to 18 months) is complete",
    ),
    "hiv_infected_infants": (
        "上述儿童中确诊感染艾滋病的人数",
        "of these, children diagnosed with HIV",
    ),
    "congenital_syphilis_cases": (
        "本年报告的先天梅毒病例数",
        "congenital syphilis cases reported in the year",
    ),
    "hbv_exposed_infants": (
        "乙肝感染孕产妇所生、完成随访检测的儿童数",
        "children of HBV-infected mothers followed up and tested",
    ),
    "hbv_infected_infants": (
        "上述儿童中乙肝表面抗原阳性的人数",
        "of these, children positive for HBsAg",
    ),
    "under5_weighed": ("本年度接受体重测量的5岁以下儿童数", "children under 5 weighed this year"),
    "under5_underweight": (
        "年龄别体重低于WHO儿童生长标准中位数减2个标准差（−2SD）的5岁以下儿童数",
        "children under 5 whose weight-for-age is below the WHO growth standard median minus 2 SD",
    ),
    "under5_height_measured": (
        "本年度接受身长（身高）测量的5岁以下儿童数",
        "children under 5 measured for length/height this year",
    ),
    "under5_stunted": (
        "年龄别身长（身高）低于WHO儿童生长标准中位数减2个标准差（−2SD）的5岁以下儿童数",
        "children under 5 whose length/height-for-age is below the WHO growth standard median minus 2 SD",
    ),
    "under5_hb_tested": ("本年度接受血红蛋白检测的5岁以下儿童数", "children under 5 tested for haemoglobin"),
    "under5_anaemic": (
        "血红蛋白低于标准的5岁以下儿童数（6月龄—5岁以下 <110 g/L；海拔1000米以上按规定校正）",
        "children under 5 with haemoglobin below the threshold (6 months to under 5: < 110 g/L; "
        "adjusted for altitude above 1,000 m)",
    ),
    "children_0_6_eye_checked": (
        "本年度接受眼保健和视力检查的0～6岁儿童数",
        "children aged 0-6 given eye care and vision checks this year",
    ),
    "children_0_6_followed": (
        "本年度接受1次及以上随访（健康管理）的0～6岁儿童数",
        "children aged 0-6 followed up at least once this year",
    ),
    "preconception_target": (
        "计划怀孕夫妇（孕前优生健康检查目标人群）数",
        "couples planning a pregnancy (target population of the pre-pregnancy check)",
    ),
    "preconception_checked": (
        "接受免费孕前优生健康检查的计划怀孕夫妇数",
        "couples given the free pre-pregnancy eugenic health check",
    ),
    "gyn_screen_target": ("妇女常见病应查人数（20—64岁妇女）", "women due for screening (aged 20-64)"),
    "gyn_screened": ("妇女常见病实查人数", "women actually screened for common gynaecological diseases"),
    "cervical_lesions_detected": (
        "筛查确诊的宫颈癌及癌前病变患者数",
        "women diagnosed with cervical cancer or precancer through screening",
    ),
    "cervical_lesions_treated": (
        "上述患者中接受治疗的人数",
        "of these, women treated",
    ),
}

#: Population counts behind 适龄妇女（35–64岁）两癌人群筛查率, the rates the 纲要 targets (≥50% by
#: 2025, ≥70% by 2030) are set on: women aged 35–64 and, among them, those screened within the
#: screening interval (宫颈癌 5 years, 乳腺癌 2 years). The registry's ``cervical_screening_rate``
#: and ``breast_screening_rate`` are computed on them. Extension of the contract (docs/design.md:
#: extend, never rename); in the registry's order, which is where the counts table placed them
#: before they were named here, so a table without them keeps its columns. docs/design.md's earlier
#: spellings ``cervical_screened_interval`` / ``breast_screened_interval`` are read as aliases.
SCREENING_POPULATION_MEASURES: dict[str, str] = {
    "cervical_screened_35_64_5y": "35-64岁妇女近5年宫颈癌筛查人数",
    "women_35_64": "35-64岁妇女数",
    "breast_screened_35_64_2y": "35-64岁妇女近2年乳腺癌筛查人数",
}

SCREENING_POPULATION_MEASURES_EN: dict[str, str] = {
    "cervical_screened_35_64_5y": "women aged 35-64 screened for cervical cancer in the past 5 years",
    "women_35_64": "women aged 35-64",
    "breast_screened_35_64_2y": "women aged 35-64 screened for breast cancer in the past 2 years",
}

#: What each 35–64 screening population count counts (中文, English), for the template's
#: instructions sheet.
SCREENING_POPULATION_DEFINITIONS: dict[str, tuple[str, str]] = {
    "cervical_screened_35_64_5y": (
        "35—64岁常住妇女中近5年内（含本年）接受过宫颈癌筛查的人数（累计，同一人只计1次）",
        "resident women aged 35-64 screened for cervical cancer in the past 5 years, this year "
        "included (cumulative, each woman once)",
    ),
    "women_35_64": (
        "辖区35—64岁常住妇女数（两癌人群筛查率的分母）",
        "resident women aged 35-64 (denominator of the population screening rates)",
    ),
    "breast_screened_35_64_2y": (
        "35—64岁常住妇女中近2年内（含本年）接受过乳腺癌筛查的人数（累计，同一人只计1次）",
        "resident women aged 35-64 screened for breast cancer in the past 2 years, this year "
        "included (cumulative, each woman once)",
    ),
}

#: Definitions of every measure beyond the core contract (the template's instructions sheet).
MEASURE_DEFINITIONS: dict[str, tuple[str, str]] = {**NIANBAO_DEFINITIONS, **SCREENING_POPULATION_DEFINITIONS}

#: The whole contract: the core measures, the 年报 extension, then the 35–64 screening
#: population counts. Readers accept every one.
ALL_MEASURES: dict[str, str] = {**MEASURES, **NIANBAO_MEASURES, **SCREENING_POPULATION_MEASURES}
ALL_MEASURES_EN: dict[str, str] = {**MEASURES_EN, **NIANBAO_MEASURES_EN, **SCREENING_POPULATION_MEASURES_EN}

#: Counts that must add up when all are given: 死胎死产 + 早期新生儿死亡 = 围产儿死亡.
SUM_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("stillbirths", "early_neonatal_deaths"), "perinatal_deaths"),
)

#: Chains of counts where each must not exceed the next (an impossible numerator is an error):
#: early neonatal <= neonatal <= infant <= under-5 deaths; any deaths of children <= live
#: births; 年报 extension: 围产儿数 >= 活产数, each part of 围产儿死亡 <= the whole, found <= tested.
#: A measure a file does not have drops out of its chain (the neighbours are compared).
ORDERED_CHAINS: tuple[tuple[str, ...], ...] = (
    ("early_neonatal_deaths", "neonatal_deaths", "infant_deaths", "under5_deaths"),
    ("maternal_deaths", "live_births"),
    ("under5_deaths", "live_births"),
    ("infant_deaths", "live_births"),
    ("neonatal_deaths", "live_births"),
    # 年报 extension (a pair is checked only when the file has both measures)
    ("live_births", "perinatal_births"),
    ("stillbirths", "perinatal_deaths"),
    ("early_neonatal_deaths", "perinatal_deaths"),
    ("early_neonatal_deaths", "live_births"),
    ("under5_underweight", "under5_weighed"),
    ("under5_stunted", "under5_height_measured"),
    ("under5_anaemic", "under5_hb_tested"),
    ("hiv_infected_infants", "hiv_exposed_infants"),
    ("hbv_infected_infants", "hbv_exposed_infants"),
    ("high_risk_hospital_births", "high_risk_pregnancies"),
    ("cervical_lesions_treated", "cervical_lesions_detected"),
)

#: Long-form columns.
LONG_COLUMNS = ("region_code", "year", "measure", "value")

#: Every accepted header -> canonical column id (ids, Chinese names, a few common variants).
HEADER_ALIASES: dict[str, str] = {}
for _id, _zh in {**ID_COLUMNS, **ALL_MEASURES}.items():
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
        # 年报 spellings of the extension measures
        "死胎死产": "stillbirths",
        "死胎死产人数": "stillbirths",
        "早期新生儿死亡人数": "early_neonatal_deaths",
        "围产儿死亡人数": "perinatal_deaths",
        "产前检查5次及以上人数": "prenatal_checked_5plus",
        "产前检查≥5次人数": "prenatal_checked_5plus",
        "孕早期产前检查人数": "first_trimester_checked",
        "巨大儿人数": "macrosomia",
        "孕产妇乙肝检测人数": "hbv_tested",
        "先天梅毒病例数": "congenital_syphilis_cases",
        "5岁以下儿童身长检查人数": "under5_height_measured",
        "5岁以下儿童身高检查人数": "under5_height_measured",
        "5岁以下儿童身长（身高）检查人数": "under5_height_measured",
        "5岁以下儿童贫血人数": "under5_anaemic",
        "0~6岁儿童眼保健和视力检查人数": "children_0_6_eye_checked",
        "0-6岁儿童眼保健和视力检查人数": "children_0_6_eye_checked",
        "0~6岁儿童健康管理人数": "children_0_6_followed",
        "0-6岁儿童健康管理人数": "children_0_6_followed",
        # 35–64岁两癌人群筛查 (docs/design.md's first spellings, and common wordings)
        "cervical_screened_interval": "cervical_screened_35_64_5y",
        "breast_screened_interval": "breast_screened_35_64_2y",
        "35~64岁妇女数": "women_35_64",
        "35-64岁妇女人数": "women_35_64",
        "35~64岁妇女人数": "women_35_64",
        "适龄妇女数": "women_35_64",
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
