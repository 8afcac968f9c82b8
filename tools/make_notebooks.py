"""Write the pipeline notebooks 01-03 (``notebooks/*.ipynb``) from this script.

The notebooks are generated so that they can be reviewed as code: every cell is below, with a
fixed cell id, and ``python tools/make_notebooks.py`` rewrites them byte for byte (the test
``tests/test_notebooks.py`` checks that the committed files equal this script's output).
Stored without outputs; ``mch run`` executes them per region (papermill parameters below).

Rules (STYLE.md "Notebooks"): one ``parameters`` cell; Markdown says what each output shows and
how to read it (question → data → method → result → caveats); each code cell is one or two calls
into the package -- no ``def``, no loops, no statistics here. Tables are shown (``analysis.show``)
with the language's column names, rounded to three decimals and complete; the CSV files under
``tables/`` keep full precision.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

PARAMETERS = '''# Parameters: edit these, then Run All. `mch run` injects each region's values after this cell.
data_path = "../data/demo/counts.csv"  # counts table (CSV, XLSX or Parquet)
year = 2024  # report year: every table and chart uses the years up to it
region_code = "990000"  # 6-digit code, always a string (leading zeros matter)
target_set = "national_2030"  # target set name or YAML file
lang = "zh"  # "zh" or "en"
output_dir = ""  # empty: reports/interactive/<year>/<region_code>/, never a batch folder'''

PARAMETERS_MORTALITY = PARAMETERS + '''
indicators = ["mmr", "imr", "nmr", "u5mr"]  # registry ids of the rates analysed below'''

LOAD_MD = """## 读取与校验 · Load and validate

**参数**：第一个代码单元格中的参数都会先检查一遍（文件能否读取、地区和年份是否在文件中、语言、目标体系、指标代码），
有误时给出一行说明。

**数据**：计数表（地区 × 年份 × 计数）经 `mchanalysis.validation.load_counts` 校验（错误即停止，
警告保留）；上级地区的空缺计数由下级相加得到（从不平均率）；指标表（含 95% 置信区间）由
`mchanalysis.indicators.compute_indicators` 计算，数据质量审核由 `mchanalysis.quality.review_quality`
完成。这些全表结果对同一数据文件只计算一次（按文件内容的 SHA-256 缓存），批量运行时各地区共享。

*Data*: the counts table is validated once (errors stop the run, warnings are kept), parents are
filled by summing their children, and the indicator table and the quality review are computed
for all regions once per data file (cached by the file's SHA-256)."""

LOAD = """from IPython.display import Markdown
from mchanalysis import analysis

data, output_dir = analysis.start(data_path, year=year, region_code=region_code, lang=lang,
                                  target_set=target_set, output_dir=output_dir)
Markdown(analysis.synthetic_notice(region_code, lang))"""

LOAD_MORTALITY = LOAD.replace("output_dir=output_dir)", "output_dir=output_dir,\n                                  indicators=indicators)")

SUMMARY = "analysis.show(analysis.region_summary(data, region_code, year), lang)"


def nb01():
    return [
        ("title", "md", """# 数据质量审核 · Data quality review

**问题**：本地区的常规报告数据是否完整、内部一致、前后可比？在解读任何指标之前，先看数据。

*Question*: are this region's routine data complete, internally consistent and consistent over
time? Read this before reading any indicator. Method: WHO *Data Quality Review* toolkit (2017),
module 2, as implemented in `mchanalysis.quality`.

**第一次使用 · First run**：只需修改下面的参数单元格（`data_path`、`year`、`region_code` 等），然后
“Run All”。结果写入 `reports/interactive/<年份>/<地区代码>/`，不会覆盖批量运行的报告。
*Edit only the parameters cell below, then Run All; outputs go to
`reports/interactive/<year>/<region_code>/`, never into a batch report.*"""),
        ("parameters", "code", PARAMETERS),
        ("load-md", "md", LOAD_MD),
        ("load", "code", LOAD),
        ("summary", "code", SUMMARY),
        ("warnings-md", "md", """## 校验警告 · Validation warnings

读取文件时发现的警告（例如服务覆盖率超过100%——常因分子计入非常住人口；某项计数未报告）。
数值按原样保留，仅作提示。*Warnings found while reading the file (e.g. a coverage above 100%, a
measure not reported). Values are kept as reported.*"""),
        ("warnings", "code", """warnings_table = analysis.validation_warnings(data, region_code)
analysis.save_table(warnings_table, output_dir, "validation_warnings")
analysis.show(warnings_table, lang)"""),
        ("checks-md", "md", """## 审核项目与结果汇总 · Checks and their results

**方法**：完整性（地区与计数项目）、极端与中度离群值（修正 Z 分数，相对各年局部趋势）、
时间一致性（当年与前三年均值之比）、相关计数间的内部一致性、分母的合理性、上级报告数与下级合计之差。
每一项都列出，未发现问题的项目计数为 0——说明检查过什么，而不只是发现了什么。范围：本地区及其全部下级地区。

*Method*: every check is listed, including those with no finding, for this region and all
regions below it."""),
        ("checks", "code", """summary = analysis.quality_summary(data, region_code)
analysis.save_table(summary, output_dir, "quality_summary")
analysis.show(summary, lang)"""),
        ("findings-md", "md", """## 发现清单 · Findings

按严重程度排序（错误、警告、提示）。**解读**：离群或波动并不等于数据错误——它标出需要向报告单位核实的数值。
**局限**：死亡数很少的小地区（年均少于10例）不做离群和时间一致性判断，其随机波动由置信区间和漏斗图体现。

*Reading*: a flagged value is a value to check with the reporting unit, not proof of an error.
Rare-event series (fewer than 10 events a year) are not judged for outliers."""),
        ("findings", "code", """findings = analysis.quality_findings(data, region_code, lang=lang)
analysis.save_table(findings, output_dir, "quality_findings")
analysis.show(findings, lang)"""),
    ]


def nb02():
    return [
        ("title", "md", """# 指标与趋势 · Indicators and trends

**问题**：本年各项妇幼健康指标处于什么水平，与上级地区相比如何？四项死亡率是否在下降、下降多快、
是否改变了方向？

*Question*: where does each indicator stand this year, how does it compare with the parent region,
and are the four mortality rates falling, how fast, and did their course change?"""),
        ("parameters", "code", PARAMETERS_MORTALITY),
        ("load-md", "md", LOAD_MD),
        ("load", "code", LOAD_MORTALITY),
        ("summary", "code", SUMMARY),
        ("year-md", "md", """## 本年指标 · This year's indicators

**方法**：率（死亡率）用精确泊松（少于10例）或 Byar 近似的 95% 置信区间，比例（覆盖率）用 Wilson 区间
（PHEindicatormethods 的做法）；与上级地区比较采用 Fingertips 方法：本地区区间完全在上级值一侧才判为
“较好/较差”（`better`/`worse`），否则为“相近”（`similar`）。`flag` 标出超过100%或上级数据不完整的指标。

*Method*: exact Poisson / Byar intervals for rates, Wilson for proportions; the comparison with
the parent is `better`/`worse` only when the whole 95% interval lies on one side of the parent's
value (Fingertips)."""),
        ("year", "code", """snapshot = analysis.indicator_year_table(data, region_code, year, lang=lang)
analysis.save_table(snapshot, output_dir, "indicators_year")
analysis.show(snapshot, lang)"""),
        ("apc-md", "md", """## 死亡率的年均变化 · Annual percent change of mortality

**方法**：对数线性泊松回归（死亡数，以活产数的对数为偏移量），APC = 100·(e^β − 1)；若存在过度离散
（Pearson χ²/df 检验），改用负二项模型（区间不窄于泊松）。`model` 列说明所用模型。
**解读**：区间不含 0 才说明变化有统计学意义。**规则**：至少5年数据、合计至少20例死亡且死亡不集中在
一个年份才做趋势分析；模型未收敛时不报告估计值。不满足时 `reason` 列说明原因（与答卷同一规则）。

*Method*: log-linear Poisson regression of deaths with a log(live births) offset, negative
binomial when overdispersed; the change is significant only if the interval excludes 0. Rule:
at least 5 years and 20 deaths in all (`mchanalysis.analysis.rules`); otherwise `reason` says why."""),
        ("apc", "code", """trends = analysis.mortality_trends(data, region_code, year=year, indicators=indicators, lang=lang)
analysis.save_table(trends, output_dir, "mortality_apc")
analysis.show(trends, lang)"""),
        ("joinpoint-md", "md", """## 连接点回归 · Joinpoint regression

**方法**：按美国国家癌症研究所 Joinpoint 程序的方法拟合分段对数线性模型（泊松方差，加权 BIC 选择连接点数），
给出各段 APC 和全期平均年变化百分比（AAPC，`segment` = `aapc`）。**局限**：15 个年度点最多支持两个连接点；
至少7年数据且每年死亡数中位数不少于10例才做连接点回归（否则 `reason` 列说明原因）。
答卷中的转折点和 AAPC 即本表的结果。

*Method*: NCI Joinpoint method (Poisson variance, weighted BIC); `k` joinpoints, APC per segment
and the AAPC over the whole period."""),
        ("joinpoint", "code", """segments = analysis.joinpoint_segments(data, region_code, year=year, indicators=indicators, lang=lang)
analysis.save_table(segments, output_dir, "mortality_joinpoint")
analysis.show(segments, lang)"""),
        ("charts-md", "md", """## 趋势图 · Trend charts

孕产妇死亡率和婴儿死亡率：各年观察值及 95% 置信区间（竖线）、连接点回归拟合线（标出连接点）、
所选目标体系的目标线、全国公布数（灰线）。**解读**：置信区间很宽的年份（小地区、死亡数少）不宜单独解读，
看拟合趋势。

*Observed values with 95% intervals, the joinpoint fit, the target and the national series. Wide
intervals (few deaths) should not be read year by year: read the fitted trend.*"""),
        ("chart-mmr", "code", """analysis.save_figure(analysis.trend_figure(data, region_code, "mmr", year=year, target_set=target_set, lang=lang), output_dir, "trend_mmr",
                     absent=analysis.figure_absent("trend", "mmr", lang))"""),
        ("chart-imr", "code", """analysis.save_figure(analysis.trend_figure(data, region_code, "imr", year=year, target_set=target_set, lang=lang), output_dir, "trend_imr",
                     absent=analysis.figure_absent("trend", "imr", lang))"""),
        ("series-md", "md", """## 与上级和全国的对照 · Against the parent region and the nation

婴儿死亡率的逐年数值：本地区（含置信区间）、上级地区、全国公布数（国家卫生健康统计年鉴等，
`data/reference/`）。**注意**：全国数为监测口径，与常规报告口径不同，仅作背景参考。

*Infant mortality by year for the region, its parent and the published national series (a
different data source: context only).*"""),
        ("series", "code", """series = analysis.indicator_series(data, region_code, "imr", year=year)
analysis.save_table(series, output_dir, "series_imr")
series.pivot_table(index="year", columns="series", values="value").round(3)"""),
    ]


def nb03():
    return [
        ("title", "md", """# 死亡率模型 · Mortality models

**问题**：全面两孩政策（2016年）前后死亡率的水平和趋势是否改变？近五年比最初五年下降了多少？
照目前趋势能否在2025年、2030年达到目标？各下级（或同级）地区之间的差异是真实的还是随机波动？

*Questions*: did the level or the trend change at the 2016 universal two-child policy? How much
lower are the last five years than the first five? Will the targets be reached on the current
trend? Are differences between sibling regions real or chance?"""),
        ("parameters", "code", PARAMETERS_MORTALITY),
        ("load-md", "md", LOAD_MD),
        ("load", "code", LOAD_MORTALITY),
        ("summary", "code", SUMMARY),
        ("its-md", "md", """## 政策断点 · Interrupted time series at 2016

**方法**：分段泊松回归（准泊松离散度，不小于1），`level_change` 为2016年的水平变化（率比），
`slope_ratio` 为趋势斜率之比，`apc_before`/`apc_after` 为前后两段的年变化百分比。
**局限**：生态学时间序列，同期的其他变化（如医疗条件改善）无法区分。

*Method*: segmented Poisson regression (quasi-Poisson, dispersion floored at 1): level change
(rate ratio) and slope change at 2016. Ecological design: concurrent changes are not separated."""),
        ("its", "code", """breaks = analysis.policy_breaks(data, region_code, break_year=2016, year=year, indicators=indicators, lang=lang)
analysis.save_table(breaks, output_dir, "policy_break_2016")
analysis.show(breaks, lang)"""),
        ("rr-md", "md", """## 时期率比 · Period rate ratio

最后五年合计对最初五年合计的率比（泊松回归，Wald 区间）；不足10年时比较前后各一半年份（至少4年），
两个时期都须有死亡。率比 < 1 表示下降。
*Pooled rate ratio of the last five years against the first five (halves of a shorter series of
at least 4 years; Poisson GLM).*"""),
        ("rr", "code", """ratios = analysis.period_ratios(data, region_code, year=year, indicators=indicators, lang=lang)
analysis.save_table(ratios, output_dir, "period_rate_ratio")
analysis.show(ratios, lang)"""),
        ("proj-md", "md", """## 目标预测 · Projection to the targets

**方法**：由对数线性趋势外推到目标体系中每个晚于报告年份的目标年，每个目标年对照该年自己的目标值：期望率
（置信区间与预测区间）、报告率达到目标的概率（`p_meets`，含当年随机波动），以及从当前拟合率起每年需要的
下降幅度。**规则**：只有趋势分析可做且预测区间上限不超过下限4倍时才给出预测，否则 `reason` 列说明原因。
**局限**：假设趋势不变。

*Method*: the fitted log-linear trend extrapolated to each target year of the chosen set after
the report year, tested against that year's target; no projection from a trend that failed its
rule or when the interval spans more than a fourfold range."""),
        ("proj", "code", """projected = analysis.projections(data, region_code, target_set, year=year, indicators=indicators, lang=lang)
analysis.save_table(projected, output_dir, "projection")
analysis.show(projected, lang)"""),
        ("eb-md", "md", """## 小地区平滑 · Small-area smoothing

**方法**：经验贝叶斯（泊松–伽马，Marshall 1991）平滑率：出生数少的地区向总体均值收缩更多
（`shrinkage` 为收缩权重）。对没有下级地区的县区，此表为空。
*Empirical Bayes smoothed infant mortality of the sub-regions; empty for a county.*"""),
        ("eb", "code", """smoothed = analysis.smoothed_subregions(data, region_code, year, indicator="imr")
analysis.save_table(smoothed, output_dir, "imr_smoothed_subregions")
analysis.show(smoothed, lang)"""),
        ("eb-chart", "code", """analysis.save_figure(analysis.shrinkage_figure(data, region_code, year, indicator="imr", lang=lang), output_dir, "imr_shrinkage",
                     absent=analysis.figure_absent("shrinkage", "imr", lang))"""),
        ("funnel-md", "md", """## 漏斗图 · Funnel plot

婴儿死亡率：市、省显示其下级地区，县区显示其所在市的全部县区（含本县区），中心线为上级地区的值，
控制限为 95% 与 99.8%（Spiegelhalter 2005，PHEindicatormethods 的算法）。落在控制限外才说明与上级的差异
超出随机波动。

*Infant mortality of the sub-regions (or of the county's siblings) against the parent's value with
95% and 99.8% control limits.*"""),
        ("funnel", "code", """funnel_chart = analysis.funnel_figure(data, region_code, year, indicator="imr", lang=lang)
analysis.save_figure(funnel_chart, output_dir, "funnel_imr", absent=analysis.figure_absent("funnel", "imr", lang))"""),
    ]


NOTEBOOKS = {
    "01_data_quality.ipynb": nb01,
    "02_indicator_trends.ipynb": nb02,
    "03_mortality_models.ipynb": nb03,
}


def build(cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    for cid, kind, source in cells:
        if kind == "md":
            cell = new_markdown_cell(source, id=cid)
        else:
            cell = new_code_cell(source, id=cid)
            if cid == "parameters":
                cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def render(name: str) -> str:
    return nbformat.writes(build(NOTEBOOKS[name]())) + "\n"


def main(argv=None) -> int:
    out = ROOT / "notebooks"
    out.mkdir(exist_ok=True)
    for name in NOTEBOOKS:
        (out / name).write_text(render(name), encoding="utf-8")
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
