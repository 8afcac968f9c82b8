"""Trend chart of one indicator in one region: observed rates with intervals, fitted trend,
joinpoints, target line, national comparison and projection.

Each input is a small tidy DataFrame (column contracts below), so the chart can be fed from
:func:`mchanalysis.indicators.compute_indicators`, :mod:`mchanalysis.trends` /
:mod:`mchanalysis.joinpoint` and :func:`mchanalysis.models.project_rate` alike. The function
returns a matplotlib Figure (not registered with pyplot); save it with
:func:`mchanalysis.plots.save_figure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mchanalysis.errors import MchError
from mchanalysis.plots import COLORS, LINESTYLES, figure_size, indicator_label, new_figure, unit_label

_TEXT = {
    "zh": {
        "year": "年份",
        "observed": "观察值（{pct}置信区间）",
        "fitted": "拟合趋势",
        "joinpoint": "转折点",
        "national": "全国",
        "target": "目标",
        "target_year": "{year}年目标",
        "projection": "趋势外推（{pct}置信区间）",
        "counterfactual": "政策前趋势延伸",
        "break": "政策节点（{year}年）",
        "title": "{region}{name}",
    },
    "en": {
        "year": "Year",
        "observed": "Observed ({pct} CI)",
        "fitted": "Fitted trend",
        "joinpoint": "Joinpoint",
        "national": "National",
        "target": "Target",
        "target_year": "{year} target",
        "projection": "Projection ({pct} CI)",
        "counterfactual": "Pre-break trend extended",
        "break": "Break ({year})",
        "title": "{name}, {region}",
    },
}


def _need(df: pd.DataFrame, cols: Sequence[str], what: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise MchError(f"{what} must be a table (DataFrame) with columns {', '.join(cols)}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise MchError(f"{what} lacks column(s) {', '.join(missing)}", column=missing[0])
    out = df[list(cols)].copy()
    for c in cols:
        out[c] = pd.to_numeric(out[c], errors="coerce")
    return out.sort_values(cols[0], kind="mergesort").reset_index(drop=True)


def _fmt(v: float, decimals: int | None = None) -> str:
    if decimals is None:
        decimals = 0 if float(v).is_integer() else (1 if abs(v) >= 10 else 2)
    return f"{v:.{decimals}f}"


def _target_spec(target, meta: Mapping, lang: str) -> tuple[float, str]:
    """(value, label) of the target line from a number or a mapping {value, year?, label?}."""
    if isinstance(target, Mapping):
        if "value" not in target:
            raise MchError("target must have a 'value'")
        value, year, label = float(target["value"]), target.get("year"), target.get("label")
    else:
        value, year, label = float(target), None, None
    if label is None:
        t = _TEXT[lang]
        head = t["target_year"].format(year=int(year)) if year is not None else t["target"]
        sign = {"lower_is_better": "≤", "higher_is_better": "≥"}.get(meta.get("direction", ""), "")
        unit = unit_label(meta.get("unit") or "", lang)
        sep = "：" if lang == "zh" else ": "
        space = "" if lang == "zh" or unit in ("%", "‰") else " "
        label = f"{head}{sep}{sign}{_fmt(value)}{space}{unit}"
    return value, label


def _fitted_frame(fitted, years: np.ndarray, meta: Mapping):
    """(DataFrame[year, fitted] or None, joinpoints or None) from what the caller has.

    Accepts a DataFrame (``year`` or ``x``, and ``fitted``), a
    :class:`mchanalysis.joinpoint.JoinpointResult` (its ``fitted`` table and ``joinpoints``) or a
    :class:`mchanalysis.trends.TrendResult` (the log-linear fit evaluated at the observed years:
    multiplier · exp(b0 + b1 (year − start))).
    """
    if fitted is None:
        return None, None
    if isinstance(fitted, pd.DataFrame):
        df = fitted.rename(columns={"x": "year"}) if "year" not in fitted.columns else fitted
        return df, None
    if hasattr(fitted, "break_year") and isinstance(getattr(fitted, "fitted", None), pd.DataFrame):
        return fitted.fitted[["year", "fitted"]], (float(fitted.break_year),)
    if hasattr(fitted, "joinpoints") and isinstance(getattr(fitted, "fitted", None), pd.DataFrame):
        return fitted.fitted.rename(columns={"x": "year"}), tuple(fitted.joinpoints)
    if hasattr(fitted, "result") and hasattr(fitted, "start"):
        if fitted.result is None:
            return None, None
        b = np.asarray(fitted.result.params, dtype=float)
        yrs = np.sort(years[np.isfinite(years)])
        mult = float(meta.get("multiplier", 1) or 1)
        return pd.DataFrame(
            {"year": yrs, "fitted": mult * np.exp(b[0] + b[1] * (yrs - float(fitted.start)))}
        ), None
    raise MchError("fitted must be a DataFrame (year, fitted), a JoinpointResult or a TrendResult")


def plot_trend(
    indicator_series: pd.DataFrame,
    *,
    meta: Mapping,
    fitted: pd.DataFrame | None = None,
    joinpoints: Sequence[float] | None = None,
    target=None,
    national: pd.DataFrame | None = None,
    projection: pd.DataFrame | None = None,
    title: str | None = None,
    lang: str = "zh",
    conf_level: float | None = None,
    figsize: tuple[float, float] | None = None,
):
    """Observed rates with confidence bars, fitted trend, joinpoints, target and national series.

    Parameters
    ----------
    indicator_series : pandas.DataFrame
        Columns ``year, value, lower, upper`` (one row per year, in the indicator's unit; rows of
        :func:`~mchanalysis.indicators.compute_indicators` for one region and indicator fit).
        Optional ``region_name`` (used in the default title) and ``conf_level``. Years whose
        value is missing are not drawn (a gap in the series).
    meta : mapping
        The indicator's registry entry (:func:`~mchanalysis.registry.indicator_meta`):
        ``name_zh``, ``name_en``, ``unit``, ``direction`` are used.
    fitted : pandas.DataFrame, JoinpointResult, TrendResult or ITSResult, optional
        The fitted rates, drawn as a line: a table with columns ``year`` (or ``x``) and
        ``fitted``; a :class:`~mchanalysis.joinpoint.JoinpointResult` (its ``fitted`` table, and
        its joinpoints unless ``joinpoints`` is given); or a
        :class:`~mchanalysis.trends.TrendResult` (the log-linear line at the observed years,
        times ``meta['multiplier']``); or a :class:`~mchanalysis.models.ITSResult` (the two
        segments, the break year marked, and the pre-break trend extended as a dotted line —
        fit it with ``multiplier=meta['multiplier']``).
    joinpoints : sequence of float, optional
        Joinpoint years, marked on the fitted line (or on the x axis without ``fitted``).
    target : float or mapping, optional
        The target value (unit of the indicator) or ``{"value": 12, "year": 2030, "label": ...}``:
        a horizontal dash-dot line, labelled at its right end (default label e.g. "2030年目标：≤12/10万").
    national : pandas.DataFrame, optional
        Columns ``year, value``: the national series, drawn in grey for comparison.
    projection : pandas.DataFrame, optional
        Columns ``target_year`` (or ``year``), ``rate``, ``lower``, ``upper``
        (:func:`~mchanalysis.models.project_rate`): a dashed line from the last fitted (or
        observed) point with the interval of the expected rate as a band.
    title : str, optional
        Default "{region_name}{name}" (zh) / "{name}, {region_name}" (en), or just the name.
    lang : {'zh', 'en'}
    conf_level : float, optional
        Level of the observed intervals for the legend (default from ``indicator_series`` or 0.95).

    Returns
    -------
    matplotlib.figure.Figure
        Artists carry gids for tests and styling: 'observed' (the points), 'observed_interval'
        (the bars), 'fitted', 'joinpoints', 'target', 'target_label', 'national', 'projection',
        'projection_band', 'counterfactual', 'break', 'fitted_after'.
    """
    if lang not in _TEXT:
        raise MchError(f"lang must be 'zh' or 'en', got {lang!r}")
    t = _TEXT[lang]
    obs = _need(indicator_series, ["year", "value", "lower", "upper"], "indicator_series")
    if obs["year"].duplicated().any():
        raise MchError("indicator_series has more than one row for a year: pass one region and indicator")
    if conf_level is None:
        conf_level = (
            float(indicator_series["conf_level"].iloc[0])
            if "conf_level" in indicator_series and len(indicator_series)
            else 0.95
        )
    pct = f"{conf_level * 100:g}%"
    fig, ax = new_figure(figsize=figsize or figure_size(3.3))  # two to a page with captions

    shown = obs.dropna(subset=["value"])
    yerr = np.vstack(
        [
            (shown["value"] - shown["lower"]).clip(lower=0).fillna(0),
            (shown["upper"] - shown["value"]).clip(lower=0).fillna(0),
        ]
    )
    eb = ax.errorbar(
        shown["year"],
        shown["value"],
        yerr=yerr,
        fmt="o",
        color=COLORS["observed"],
        ecolor=COLORS["interval"],
        elinewidth=1.0,
        capsize=2.5,
        markersize=4.5,
        zorder=5,
        label=t["observed"].format(pct=pct),
    )
    eb.lines[0].set_gid("observed")
    for coll in eb.lines[2]:
        coll.set_gid("observed_interval")

    if national is not None:
        nat = _need(national, ["year", "value"], "national").dropna()
        (ln,) = ax.plot(
            nat["year"],
            nat["value"],
            color=COLORS["national"],
            lw=1.5,
            ls=LINESTYLES["national"]["ls"],
            marker=LINESTYLES["national"]["marker"],
            markersize=3.5,
            label=t["national"],
            zorder=2,
        )
        ln.set_gid("national")

    last_point = None
    its = fitted if hasattr(fitted, "break_year") else None
    fitted, fitted_joinpoints = _fitted_frame(fitted, obs["year"].to_numpy(float), meta)
    if joinpoints is None and its is None:
        joinpoints = fitted_joinpoints
    if fitted is not None:
        fit = _need(fitted, ["year", "fitted"], "fitted").dropna()
        # a segmented (ITS) fit jumps at the break: its two segments are drawn apart
        pieces = (
            [fit] if its is None else [fit[fit["year"] < its.break_year], fit[fit["year"] >= its.break_year]]
        )
        for i, piece in enumerate(pieces):
            (ln,) = ax.plot(
                piece["year"],
                piece["fitted"],
                color=COLORS["fitted"],
                lw=2.0,
                ls=LINESTYLES["fitted"]["ls"],
                label=t["fitted"] if i == 0 else None,
                zorder=4,
            )
            ln.set_gid("fitted" if i == 0 else "fitted_after")
        if len(fit):
            last_point = (float(fit["year"].iloc[-1]), float(fit["fitted"].iloc[-1]))
    if its is not None:
        cf = its.fitted[its.fitted["year"] >= its.break_year - 1]
        (ln,) = ax.plot(
            cf["year"],
            cf["counterfactual"],
            color=COLORS["fitted"],
            lw=1.4,
            ls=LINESTYLES["counterfactual"]["ls"],
            label=t["counterfactual"],
            zorder=4,
        )
        ln.set_gid("counterfactual")
        line = ax.axvline(
            its.break_year - 0.5,
            color=COLORS["muted"],
            ls="--",
            lw=1.0,
            zorder=1,
            label=t["break"].format(year=its.break_year),
        )
        line.set_gid("break")
    if joinpoints is not None and len(joinpoints):
        jp = np.asarray(joinpoints, dtype=float)
        if fitted is not None and len(fit):
            jy = np.interp(jp, fit["year"], fit["fitted"])
            (mk,) = ax.plot(
                jp,
                jy,
                ls="none",
                marker="D",
                markersize=7,
                markerfacecolor="white",
                markeredgecolor=COLORS["joinpoint"],
                markeredgewidth=1.6,
                zorder=6,
                label=t["joinpoint"],
            )
        else:
            mk = None
            for k, x in enumerate(jp):
                line = ax.axvline(
                    x, color=COLORS["joinpoint"], ls=":", lw=1.2, label=t["joinpoint"] if k == 0 else None
                )
                line.set_gid("joinpoints")
        if mk is not None:
            mk.set_gid("joinpoints")
    if last_point is None and len(shown):
        last_point = (float(shown["year"].iloc[-1]), float(shown["value"].iloc[-1]))

    if projection is not None:
        ycol = "target_year" if "target_year" in projection.columns else "year"
        pr = _need(
            projection.rename(columns={ycol: "year"}), ["year", "rate", "lower", "upper"], "projection"
        )
        xs = pr["year"].to_numpy(float)
        ys, lo, hi = pr["rate"].to_numpy(float), pr["lower"].to_numpy(float), pr["upper"].to_numpy(float)
        if last_point is not None and last_point[0] < xs[0]:
            xs, ys = np.r_[last_point[0], xs], np.r_[last_point[1], ys]
            lo, hi = np.r_[last_point[1], lo], np.r_[last_point[1], hi]
        band = ax.fill_between(xs, lo, hi, color=COLORS["fitted"], alpha=0.12, lw=0, zorder=1)
        band.set_gid("projection_band")
        (ln,) = ax.plot(
            xs,
            ys,
            color=COLORS["fitted"],
            lw=1.6,
            ls=LINESTYLES["projection"]["ls"],
            marker=LINESTYLES["projection"]["marker"],
            markersize=4,
            markerfacecolor="white",
            markevery=list(range(1 if len(xs) > len(pr) else 0, len(xs))),
            label=t["projection"].format(
                pct=f"{float(projection['conf_level'].iloc[0]) * 100:g}%"
                if "conf_level" in projection
                else pct
            ),
            zorder=4,
        )
        ln.set_gid("projection")

    if target is not None:
        value, label = _target_spec(target, meta, lang)
        line = ax.axhline(value, color=COLORS["target"], ls=LINESTYLES["target"]["ls"], lw=1.5, zorder=2)
        line.set_gid("target")
        # label at the end (left or right) where the observed values are farther from the line
        vals = shown["value"].to_numpy(float)
        k = max(1, len(vals) // 3)
        right = len(vals) == 0 or abs(np.nanmean(vals[-k:]) - value) >= abs(np.nanmean(vals[:k]) - value)
        ax.annotate(
            label,
            xy=(0.995 if right else 0.005, value),
            xycoords=("axes fraction", "data"),
            xytext=(0, 3),
            textcoords="offset points",
            ha="right" if right else "left",
            va="bottom",
            fontsize=8.5,
            color=COLORS["target"],
            gid="target_label",
            # over the lines it is written on (fit 4, national and target 2), under the
            # observations (5) and joinpoints (6): its box never hides a value or an interval
            zorder=4.5,
            bbox=dict(boxstyle="square,pad=0.15", fc="white", ec="none", alpha=0.85),
        )

    # axes: integer years, rates from 0, headroom for the target label
    ax.set_xlabel(t["year"])
    ax.set_ylabel(indicator_label(meta, lang))
    ax.xaxis.get_major_locator().set_params(integer=True)
    # the axis follows the estimates (values, fit, national line, target, projected rate), not
    # the intervals: a wide interval of a small count may reach past the top (up to 1.6 times
    # the largest estimate), where its whisker is cut and marked with a caret
    est = np.r_[
        obs["value"].to_numpy(float),
        (fitted["fitted"].to_numpy(float) if fitted is not None else []),
        (national["value"].to_numpy(float) if national is not None else []),
        (_target_spec(target, meta, lang)[0] if target is not None else np.nan),
        (projection["rate"].to_numpy(float) if projection is not None else []),
    ]
    bands = np.r_[
        obs["upper"].to_numpy(float), (projection["upper"].to_numpy(float) if projection is not None else [])
    ]
    top_est = np.nanmax(est) if np.isfinite(est).any() else np.nan
    top_band = np.nanmax(bands) if np.isfinite(bands).any() else np.nan
    top = top_band if not (np.isfinite(top_est) and top_est > 0) else np.nanmin([top_band, 1.6 * top_est])
    if not np.isfinite(top) or top <= 0:
        top = top_est
    if meta.get("kind") == "proportion":
        # coverage near 100%: a zero baseline would flatten the series; autoscale, never above 100
        ax.margins(y=0.12)
        lo, hi = ax.get_ylim()
        ax.set_ylim(max(lo, 0), min(hi, 100 + (hi - lo) * 0.04) if (meta.get("unit") == "%") else hi)
    elif np.isfinite(top) and top > 0:
        ymax = top * 1.12
        ax.set_ylim(0, ymax)
        cut = shown[shown["upper"] > ymax]
        if len(cut):
            (mk,) = ax.plot(
                cut["year"],
                np.full(len(cut), ymax),
                ls="none",
                marker="^",
                markersize=5,
                color=COLORS["interval"],
                clip_on=False,
                zorder=6,
            )
            mk.set_gid("interval_clipped")
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    if title is None:
        name = meta["name_zh"] if lang == "zh" else meta["name_en"]
        region = ""
        if "region_name" in indicator_series.columns and len(indicator_series):
            region = str(indicator_series["region_name"].iloc[0])
        title = t["title"].format(region=region, name=name) if region else name
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    order = [
        t[k].format(pct=pct, year="")
        for k in ("observed", "fitted", "joinpoint", "counterfactual", "break", "projection", "national")
    ]
    ranked = sorted(
        zip(handles, labels),
        key=lambda hl: next(
            (
                i
                for i, o in enumerate(order)
                if hl[1].split("（")[0].split(" (")[0] == o.split("（")[0].split(" (")[0]
            ),
            99,
        ),
    )
    if len(ranked) > 1:
        fig.legend(
            [h for h, _ in ranked],
            [lab for _, lab in ranked],
            loc="outside lower center",
            ncols=min(len(ranked), 3),
            fontsize=8.5,
            handlelength=1.8,
            columnspacing=1.5,
        )
    return fig


__all__ = ["plot_trend"]
