"""Composite helpers the pipeline notebooks call: one line in a notebook, tested here.

The notebooks stay thin (STYLE.md "Notebooks"): every join, filter, loop over indicators or
sub-regions and every call into the statistics lives here, built only from the package's own
functions (:func:`mchanalysis.validation.load_counts`, :func:`mchanalysis.regions.region_tree`,
:func:`mchanalysis.indicators.compute_indicators`, :func:`mchanalysis.quality.review_quality`,
:func:`mchanalysis.trends.loglinear_trend`, :func:`mchanalysis.joinpoint.joinpoint`,
:mod:`mchanalysis.models`, :func:`mchanalysis.stats.benchmark_compare`).

Computed once per batch: :func:`load_analysis_data` validates the file, builds the tree, the
indicator table and the quality review for *all* regions, and memoises the result in the process
keyed by the SHA-256 of the file's bytes. In the batch runner's warm kernels every region after
the first gets it for free; a notebook opened by hand computes it once. Callers receive copies,
so a notebook that modifies a table cannot change what the next region sees.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from mchanalysis.errors import MchError

#: The mortality indicators analysed for trends and models (registry ids).
MORTALITY = ("mmr", "imr", "nmr", "u5mr")


@dataclass(frozen=True)
class AnalysisData:
    """Everything the notebooks share for one data file.

    Attributes
    ----------
    source : Path
        The data file. ``sha256``: its bytes' digest (the memo key).
    counts : pandas.DataFrame
        The validated wide counts table, as read.
    warnings : pandas.DataFrame
        Validation warnings (:func:`mchanalysis.validation.load_counts`).
    tree : pandas.DataFrame
        :func:`mchanalysis.regions.region_tree`.
    indicators : pandas.DataFrame
        :func:`mchanalysis.indicators.compute_indicators` at 0.95 (parents filled from children).
    quality : pandas.DataFrame
        :func:`mchanalysis.quality.review_quality` of the whole table.
    registry : pandas.DataFrame
        The indicator registry.
    """

    source: Path
    sha256: str
    counts: pd.DataFrame
    warnings: pd.DataFrame
    tree: pd.DataFrame
    indicators: pd.DataFrame
    quality: pd.DataFrame
    registry: pd.DataFrame

    def copy(self) -> "AnalysisData":
        return replace(self, **{k: getattr(self, k).copy() for k in
                                ("counts", "warnings", "tree", "indicators", "quality", "registry")})


_MEMO: dict[str, AnalysisData] = {}


def load_analysis_data(data_path: str | os.PathLike) -> AnalysisData:
    """Validate *data_path* and compute the tables every notebook shares (memoised by SHA-256).

    Raises
    ------
    MchError, ValidationError
        As :func:`mchanalysis.validation.load_counts`.
    """
    from mchanalysis.indicators import compute_indicators, load_registry
    from mchanalysis.quality import review_quality
    from mchanalysis.regions import region_tree
    from mchanalysis.validation import load_counts

    path = Path(data_path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise MchError("data file not found", file=path) from None
    key = hashlib.sha256(raw).hexdigest()
    if key not in _MEMO:
        loaded = load_counts(path)
        indicators = compute_indicators(loaded.counts)
        _MEMO.clear()  # one data file per batch: keep memory bounded
        _MEMO[key] = AnalysisData(
            source=path, sha256=key, counts=loaded.counts, warnings=loaded.findings,
            tree=region_tree(loaded.counts), indicators=indicators,
            quality=review_quality(loaded.counts, indicator_table=indicators),
            registry=load_registry(),
        )
    return _MEMO[key].copy()


def _region_row(data: AnalysisData, region_code: str) -> pd.Series:
    hit = data.tree[data.tree["region_code"] == str(region_code)]
    if hit.empty:
        raise MchError(f"region {region_code!r} is not in the data", file=data.source)
    return hit.iloc[0]


def region_codes_below(data: AnalysisData, region_code: str) -> list[str]:
    """The region and every region below it."""
    from mchanalysis.regions import descendants

    return [str(region_code)] + descendants(data.tree, str(region_code))


def region_summary(data: AnalysisData, region_code: str, year: int) -> pd.DataFrame:
    """One row describing the region: name, level, parent, sub-regions, years reported.

    Raises
    ------
    MchError
        The region is not in the data, or has no row for *year* (did not report that year).
    """
    row = _region_row(data, region_code)
    own = data.counts[data.counts["region_code"] == str(region_code)]
    years = sorted(int(y) for y in own["year"])
    if int(year) not in years:
        raise MchError(f"region {region_code} ({row['region_name']}) has no row for {year} in the "
                       f"data (years reported: {', '.join(map(str, years)) or 'none'})",
                       file=data.source)
    names = dict(zip(data.tree["region_code"], data.tree["region_name"]))
    children = data.tree[data.tree["parent_code"] == str(region_code)]
    return pd.DataFrame([{
        "region_code": str(region_code),
        "region_name": row["region_name"],
        "level": row["level"],
        "parent_code": row["parent_code"],
        "parent_name": names.get(row["parent_code"], ""),
        "subregions": len(children),
        "first_year": years[0],
        "last_year": years[-1],
        "years_reported": len(years),
    }])


def synthetic_notice(region_code: str, lang: str = "zh") -> str:
    """A Markdown warning for the fictional demo province (codes 99xxxx), else ''."""
    if not str(region_code).startswith("99"):
        return ""
    if lang == "en":
        return ("> **Synthetic data.** Region 99xxxx is the fictional demo province: every number "
                "below is simulated and describes no real place.")
    return "> **模拟数据。** 99xxxx 为虚构的示例省，以下所有数字均为模拟生成，不代表任何真实地区。"


def quality_findings(data: AnalysisData, region_code: str, *, lang: str = "zh") -> pd.DataFrame:
    """Quality-review findings of the region and every region below it, one message language.

    Columns ``region_code, region_name, year, item, check, severity, message``, sorted by
    severity (errors first), region, year.
    """
    codes = region_codes_below(data, region_code)
    f = data.quality[data.quality["region_code"].isin(codes)].copy()
    f["message"] = f["message_en" if lang == "en" else "message_zh"]
    order = {"error": 0, "warning": 1, "info": 2}
    f["_s"] = f["severity"].map(order).fillna(3)
    f = f.sort_values(["_s", "region_code", "year", "item", "check"], kind="stable")
    return f[["region_code", "region_name", "year", "item", "check", "severity", "message"]].reset_index(drop=True)


def quality_summary(data: AnalysisData, region_code: str) -> pd.DataFrame:
    """:func:`mchanalysis.quality.summarise_quality` of the region's findings (every check listed)."""
    from mchanalysis.quality import summarise_quality

    codes = region_codes_below(data, region_code)
    return summarise_quality(data.quality[data.quality["region_code"].isin(codes)])


def validation_warnings(data: AnalysisData, region_code: str) -> pd.DataFrame:
    """Validation warnings about the region or the whole file (no region), as read."""
    w = data.warnings
    if "region_code" in w.columns:
        codes = set(region_codes_below(data, region_code)) | {"", None}
        w = w[w["region_code"].isin(codes) | w["region_code"].isna()]
    return w.reset_index(drop=True)


def _name_column(lang: str) -> str:
    return "name_en" if lang == "en" else "name_zh"


def indicator_year_table(data: AnalysisData, region_code: str, year: int, *,
                         lang: str = "zh") -> pd.DataFrame:
    """Every indicator of one region and year with its 95% interval, the parent's value and the
    Fingertips comparison with the parent (:func:`mchanalysis.stats.benchmark_compare`).

    Columns ``indicator, name, value, lower, upper, unit, numerator, denominator, parent_value,
    vs_parent, flag`` in registry order.
    """
    from mchanalysis.stats import benchmark_compare

    t = data.indicators
    t = t[(t["year"] == int(year))]
    own = t[t["region_code"] == str(region_code)]
    row = _region_row(data, region_code)
    cmp = pd.DataFrame(columns=["indicator", "benchmark_value", "verdict"])
    if row["parent_code"]:
        pair = t[t["region_code"].isin([str(region_code), row["parent_code"]])]
        pair = pair[pair["denominator"].notna() & pair["numerator"].notna()]
        if not pair.empty:
            b = benchmark_compare(pair, "parent", levels=(0.95,), registry=data.registry)
            cmp = b[b["region_code"] == str(region_code)][["indicator", "benchmark_value", "verdict"]]
    names = data.registry.set_index("id")[_name_column(lang)]
    out = own.merge(cmp, on="indicator", how="left")
    out = out.assign(name=out["indicator"].map(names)).rename(
        columns={"benchmark_value": "parent_value", "verdict": "vs_parent"})
    out["vs_parent"] = out["vs_parent"].fillna("not_compared")
    cols = ["indicator", "name", "value", "lower", "upper", "unit", "numerator", "denominator",
            "parent_value", "vs_parent", "flag"]
    return out[cols].reset_index(drop=True)


def _series(data: AnalysisData, region_code: str, indicator: str) -> pd.DataFrame:
    t = data.indicators
    s = t[(t["region_code"] == str(region_code)) & (t["indicator"] == indicator)]
    return s[s["numerator"].notna() & s["denominator"].notna() & (s["denominator"] > 0)].sort_values("year")


def indicator_series(data: AnalysisData, region_code: str, indicator: str) -> pd.DataFrame:
    """One indicator over the years for the region, its parent and the national published series.

    Columns ``series`` (``region`` / ``parent`` / ``national``), ``region_code, year, value,
    lower, upper`` (national: no interval).
    """
    from mchanalysis.reference import load_national_series

    row = _region_row(data, region_code)
    parts = []
    for label, code in (("region", str(region_code)), ("parent", row["parent_code"])):
        if code:
            s = _series(data, code, indicator)[["region_code", "year", "value", "lower", "upper"]]
            parts.append(s.assign(series=label))
    try:
        nat = load_national_series(indicators=indicator, status=("confirmed", "derived"))
        nat = nat[nat["area"] == "total"]
        parts.append(pd.DataFrame({"series": "national", "region_code": "", "year": nat["year"],
                                   "value": nat["value"], "lower": np.nan, "upper": np.nan}))
    except MchError:
        pass
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out[["series", "region_code", "year", "value", "lower", "upper"]].reset_index(drop=True)


def _per_indicator(data, region_code, indicators, fit, *, lang="zh") -> pd.DataFrame:
    names = data.registry.set_index("id")[_name_column(lang)]
    frames = []
    for ind in indicators:
        s = _series(data, region_code, ind)
        try:
            frame = fit(s)
            reason = ""
        except MchError as exc:
            frame, reason = pd.DataFrame([{}]), str(exc)
        frame = frame.copy()
        frame.insert(0, "name", names.get(ind, ind))
        frame.insert(0, "indicator", ind)
        if reason:
            frame["reason"] = reason
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def mortality_trends(data: AnalysisData, region_code: str, *, lang: str = "zh") -> pd.DataFrame:
    """Log-linear APC of each mortality indicator (:func:`mchanalysis.trends.loglinear_trend`:
    Poisson with a negative-binomial fallback when overdispersed), one row per indicator."""
    from mchanalysis.trends import loglinear_trend

    return _per_indicator(
        data, region_code, MORTALITY,
        lambda s: loglinear_trend(s["year"].to_numpy(), s["numerator"].to_numpy(),
                                  s["denominator"].to_numpy()).to_frame(), lang=lang)


def joinpoint_segments(data: AnalysisData, region_code: str, *, lang: str = "zh") -> pd.DataFrame:
    """Joinpoint segments and AAPC of each mortality indicator (NCI method, Poisson variance,
    weighted BIC selection; :func:`mchanalysis.joinpoint.joinpoint`)."""
    from mchanalysis.joinpoint import joinpoint

    def fit(s):
        return joinpoint(s["year"].to_numpy(float), s["value"].to_numpy(float),
                         count=s["numerator"].to_numpy(float),
                         denominator=s["denominator"].to_numpy(float),
                         variance="poisson", select="wbic").to_frame()

    return _per_indicator(data, region_code, MORTALITY, fit, lang=lang)


def policy_breaks(data: AnalysisData, region_code: str, *, break_year: int = 2016,
                  lang: str = "zh") -> pd.DataFrame:
    """Interrupted time series at *break_year* for each mortality indicator
    (:func:`mchanalysis.models.interrupted_time_series`, quasi-Poisson)."""
    from mchanalysis.models import interrupted_time_series

    return _per_indicator(
        data, region_code, MORTALITY,
        lambda s: interrupted_time_series(s["year"].to_numpy(), s["numerator"].to_numpy(),
                                          s["denominator"].to_numpy(),
                                          break_year=break_year).to_frame(), lang=lang)


def period_ratios(data: AnalysisData, region_code: str, *, years: int = 5,
                  lang: str = "zh") -> pd.DataFrame:
    """Pooled rate ratio, last *years* against first *years*, per mortality indicator
    (:func:`mchanalysis.models.period_rate_ratio`)."""
    from mchanalysis.models import period_rate_ratio

    return _per_indicator(
        data, region_code, MORTALITY,
        lambda s: period_rate_ratio(s["year"].to_numpy(), s["numerator"].to_numpy(),
                                    s["denominator"].to_numpy(), first=years, last=years), lang=lang)


def projections(data: AnalysisData, region_code: str, target_set: str, *,
                lang: str = "zh") -> pd.DataFrame:
    """Projected 2025 and 2030 rates of each mortality indicator that has a target in
    *target_set*, with the probability of meeting it and the annual decline needed
    (:func:`mchanalysis.models.project_rate`)."""
    from mchanalysis.models import project_rate
    from mchanalysis.targets import load_target_set

    tset = load_target_set(target_set, registry=data.registry)
    targets = tset.targets.drop_duplicates("indicator", keep="last").set_index("indicator")["target"]
    mult = data.registry.set_index("id")["multiplier"]
    inds = [i for i in MORTALITY if i in targets.index]
    return _per_indicator(
        data, region_code, inds,
        lambda s: project_rate(s["year"].to_numpy(), s["numerator"].to_numpy(),
                               s["denominator"].to_numpy(), target=float(targets[s["indicator"].iloc[0]]),
                               multiplier=float(mult[s["indicator"].iloc[0]])).to_frame(), lang=lang)


def smoothed_subregions(data: AnalysisData, region_code: str, year: int, *,
                        indicator: str = "imr") -> pd.DataFrame:
    """Empirical Bayes smoothed rates of the region's sub-regions in *year* beside the crude
    rates (:func:`mchanalysis.models.eb_smooth`, Marshall). Empty for a region without
    sub-regions."""
    from mchanalysis.models import eb_smooth

    t = data.indicators
    sub = t[(t["parent_code"] == str(region_code)) & (t["indicator"] == indicator)
            & (t["year"] == int(year))]
    sub = sub[sub["numerator"].notna() & sub["denominator"].notna() & (sub["denominator"] > 0)]
    cols = ["region_code", "region_name", "numerator", "denominator"]
    if sub.empty:
        return pd.DataFrame(columns=cols + ["crude_rate", "smoothed_rate", "shrinkage"])
    mult = float(data.registry.set_index("id").loc[indicator, "multiplier"])
    table = sub[cols].astype({"numerator": "int64", "denominator": "int64"})
    return eb_smooth(table, events="numerator", population="denominator",
                     multiplier=mult).reset_index(drop=True)


def save_table(table: pd.DataFrame, output_dir: str | os.PathLike, name: str) -> Path:
    """Write *table* to ``<output_dir>/tables/<name>.csv`` (UTF-8, ``\\n``, no index) atomically.

    Byte-reproducible: the same table gives the same bytes (floats in Python's shortest
    round-trip form).
    """
    from mchanalysis.atomic import write_text

    buf = io.StringIO()
    table.to_csv(buf, index=False, lineterminator="\n")
    return write_text(Path(output_dir) / "tables" / f"{name}.csv", buf.getvalue())


def comparison_regions(data: AnalysisData, region_code: str) -> tuple[str, list[str]]:
    """The regions a funnel plot compares: the region's sub-regions if it has any (a city, a
    province), else its siblings (a county among the counties of its city). Returns
    ``(parent_code, codes)``; ``codes`` is empty for a top region without sub-regions."""
    children = data.tree[data.tree["parent_code"] == str(region_code)]
    if len(children):
        return str(region_code), sorted(children["region_code"])
    parent = _region_row(data, region_code)["parent_code"]
    if not parent:
        return "", []
    return parent, sorted(data.tree.loc[data.tree["parent_code"] == parent, "region_code"])


def funnel_data(data: AnalysisData, region_code: str, year: int, *, indicator: str = "imr"):
    """Funnel limits around the parent's value for :func:`comparison_regions` in *year*
    (:func:`mchanalysis.funnel.funnel`, PHE limits at 95% and 99.8%), or ``None`` when there are
    fewer than two regions to compare."""
    from mchanalysis.funnel import funnel

    parent, codes = comparison_regions(data, region_code)
    if len(codes) < 2:
        return None
    t = data.indicators
    t = t[(t["indicator"] == indicator) & (t["year"] == int(year))]
    centre = t.loc[t["region_code"] == parent, "value"]
    rows = t[t["region_code"].isin(codes)]
    return funnel(rows, target=float(centre.iloc[0]) if len(centre) else None,
                  registry=data.registry)


def funnel_figure(data: AnalysisData, region_code: str, year: int, *, indicator: str = "imr",
                  lang: str = "zh"):
    """The funnel chart (:func:`mchanalysis.plots.funnel.plot_funnel`) of :func:`funnel_data`,
    or ``None``."""
    from mchanalysis.plots.funnel import plot_funnel

    result = funnel_data(data, region_code, year, indicator=indicator)
    if result is None:
        return None
    return plot_funnel(result.points, result.limits, indicator_meta=result.meta, lang=lang)


def save_figure(fig, output_dir: str | os.PathLike, name: str):
    """Write *fig* to ``<output_dir>/figures/<name>.png`` (byte-reproducible, atomic,
    :func:`mchanalysis.plots.save_figure`) and return it as an ``IPython.display.Image`` of
    those very bytes, so the notebook (and its HTML) shows exactly the saved file; ``None`` for
    ``None``."""
    from IPython.display import Image

    from mchanalysis.plots import save_figure as _save

    if fig is None:
        return None
    path = _save(fig, Path(output_dir) / "figures" / f"{name}.png")
    return Image(data=path.read_bytes(), format="png")


def _national(indicator: str) -> pd.DataFrame | None:
    from mchanalysis.reference import load_national_series

    try:
        nat = load_national_series(indicators=indicator, status=("confirmed", "derived"))
    except MchError:
        return None
    nat = nat[nat["area"] == "total"][["year", "value"]]
    return nat if len(nat) else None


def trend_figure(data: AnalysisData, region_code: str, indicator: str, *, target_set=None,
                 lang: str = "zh"):
    """The trend chart of one indicator (:func:`mchanalysis.plots.trends.plot_trend`): observed
    values with 95% bars, the joinpoint fit (Poisson variance, weighted BIC) with its joinpoints,
    the target of *target_set* for the indicator if any, and the national published series."""
    from mchanalysis.indicators import indicator_meta
    from mchanalysis.joinpoint import joinpoint
    from mchanalysis.plots.trends import plot_trend
    from mchanalysis.targets import load_target_set

    s = _series(data, region_code, indicator)
    if s.empty:
        return None
    fit = None
    try:
        fit = joinpoint(s["year"].to_numpy(float), s["value"].to_numpy(float),
                        count=s["numerator"].to_numpy(float),
                        denominator=s["denominator"].to_numpy(float), variance="poisson",
                        select="wbic")
    except MchError:
        pass
    target = None
    if target_set is not None:
        t = load_target_set(target_set, registry=data.registry).targets
        t = t[t["indicator"] == indicator]
        if len(t):
            target = {"value": float(t["target"].iloc[-1]), "year": int(t["year"].iloc[-1])}
    national = _national(indicator)
    if national is not None:  # the national line over the region's years only
        national = national[national["year"] >= s["year"].min()]
    return plot_trend(s, meta=indicator_meta(indicator, data.registry), fitted=fit, target=target,
                      national=national, lang=lang)


def shrinkage_figure(data: AnalysisData, region_code: str, year: int, *, indicator: str = "imr",
                     lang: str = "zh"):
    """Crude → empirical-Bayes smoothed rates of the sub-regions
    (:func:`mchanalysis.plots.shrinkage.plot_shrinkage` of :func:`smoothed_subregions`), or
    ``None`` for a region without sub-regions."""
    from mchanalysis.indicators import indicator_meta
    from mchanalysis.plots.shrinkage import plot_shrinkage

    table = smoothed_subregions(data, region_code, year, indicator=indicator)
    if table.empty:
        return None
    return plot_shrinkage(table, meta=indicator_meta(indicator, data.registry), lang=lang)
