"""The analysis layer: one cached object per data file, the per-region selections, and every
rule that decides whether a series is fit for an analysis.

Above the statistics modules (:mod:`mchanalysis.stats`, :mod:`~mchanalysis.trends`,
:mod:`~mchanalysis.joinpoint`, :mod:`~mchanalysis.models`, ...) and below the reports
(:mod:`mchanalysis.report`) and the notebooks: notebooks 01-03 and the 答卷 take their numbers
from here, so one number is computed once, by one rule, everywhere.

- :mod:`.data` — :func:`load_analysis_data` (memoised per file), :func:`from_counts`, selections;
- :mod:`.rules` — the minimum years and events of each analysis, with their sources;
- :mod:`.mortality` — trends, joinpoints, policy breaks, period ratios, projections, pooled
  rates, smoothing and funnels of one region, each behind its rule;
- :mod:`.tables`, :mod:`.figures` — what the notebooks show and save;
- :mod:`.capabilities` — what a file can produce, per section;
- :mod:`.parameters` — the notebooks' parameters checked first, and where a notebook writes.
"""

from typing import TYPE_CHECKING

# `mch validate` reads the capability table: capabilities is imported at once (and its name in
# this package is the function, not the module); the rest, which brings the statistics, the
# models and their libraries (scipy, statsmodels: ~0.3 s), on the first use of one of its names
# (PEP 562). `from mchanalysis.analysis import X` and `analysis.X` work as before for every name.
from mchanalysis.analysis.capabilities import capabilities, capability_sentence

if TYPE_CHECKING:  # the names as the type checker sees them
    from mchanalysis.analysis.data import (
        MORTALITY,
        AnalysisData,
        comparison_regions,
        from_counts,
        load_analysis_data,
        region_codes_below,
        region_row,
        region_summary,
        series,
        synthetic_notice,
        years_of,
    )
    from mchanalysis.analysis.figures import (
        figure_absent,
        funnel_figure,
        save_figure,
        shrinkage_figure,
        trend_figure,
    )
    from mchanalysis.analysis.mortality import (
        Trend,
        funnel_data,
        joinpoint_segments,
        mortality_trends,
        period_ratios,
        policy_break,
        policy_breaks,
        pooled_rate,
        projection,
        projections,
        smoothed_subregions,
        target_table,
        trend,
    )
    from mchanalysis.analysis.parameters import ParameterError, interactive_output_dir, start
    from mchanalysis.analysis.tables import (
        indicator_series,
        indicator_year_table,
        national_series,
        quality_findings,
        quality_summary,
        save_table,
        show,
        validation_warnings,
    )

#: Each name of the package, beyond the capability table's, and its module.
_LAZY = {
    "MORTALITY": "data",
    "AnalysisData": "data",
    "comparison_regions": "data",
    "from_counts": "data",
    "load_analysis_data": "data",
    "region_codes_below": "data",
    "region_row": "data",
    "region_summary": "data",
    "series": "data",
    "synthetic_notice": "data",
    "years_of": "data",
    "figure_absent": "figures",
    "funnel_figure": "figures",
    "save_figure": "figures",
    "shrinkage_figure": "figures",
    "trend_figure": "figures",
    "Trend": "mortality",
    "funnel_data": "mortality",
    "joinpoint_segments": "mortality",
    "mortality_trends": "mortality",
    "period_ratios": "mortality",
    "policy_break": "mortality",
    "policy_breaks": "mortality",
    "pooled_rate": "mortality",
    "projection": "mortality",
    "projections": "mortality",
    "smoothed_subregions": "mortality",
    "target_table": "mortality",
    "trend": "mortality",
    "ParameterError": "parameters",
    "interactive_output_dir": "parameters",
    "start": "parameters",
    "indicator_series": "tables",
    "indicator_year_table": "tables",
    "national_series": "tables",
    "quality_findings": "tables",
    "quality_summary": "tables",
    "save_table": "tables",
    "show": "tables",
    "validation_warnings": "tables",
}


def __getattr__(name: str):
    """The name from its module, imported on first use (PEP 562); then held in the package."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "MORTALITY",
    "AnalysisData",
    "ParameterError",
    "interactive_output_dir",
    "start",
    "Trend",
    "capabilities",
    "capability_sentence",
    "comparison_regions",
    "from_counts",
    "funnel_data",
    "funnel_figure",
    "indicator_series",
    "indicator_year_table",
    "joinpoint_segments",
    "load_analysis_data",
    "mortality_trends",
    "national_series",
    "period_ratios",
    "policy_break",
    "policy_breaks",
    "pooled_rate",
    "projection",
    "projections",
    "target_table",
    "quality_findings",
    "figure_absent",
    "quality_summary",
    "region_codes_below",
    "region_row",
    "region_summary",
    "save_figure",
    "save_table",
    "series",
    "show",
    "shrinkage_figure",
    "smoothed_subregions",
    "synthetic_notice",
    "trend",
    "trend_figure",
    "validation_warnings",
    "years_of",
]
