"""The notebooks' parameters, checked once, first, in plain words.

A notebook's first code cell calls :func:`start`: it checks every parameter (the data file can
be read, the region and the year are in it, the language, the target set, the indicator ids
against the registry with a did-you-mean) and stops with one short line for a user error
(:class:`ParameterError` renders without a traceback in Jupyter), then decides where the
notebook writes. A notebook run by hand never writes into a folder a batch wrote: by default it
writes to ``reports/interactive/<year>/<region_code>/`` beside the notebooks folder, and a
folder holding a ``manifest.json`` (a batch's report folder) is refused.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from mchanalysis.analysis.data import AnalysisData, load_analysis_data, region_row, years_of
from mchanalysis.analysis.mortality import target_table
from mchanalysis.errors import MchError

LANGS = ("zh", "en")


class ParameterError(MchError):
    """A notebook parameter a user must correct; Jupyter shows it as one line, no traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython's hook for custom exception display
        return [f"ParameterError: {self}"]


def _check_indicators(indicators, data: AnalysisData) -> list[str]:
    if indicators is None:
        return []
    ids = [indicators] if isinstance(indicators, str) else list(indicators)
    known = list(data.registry["id"])
    for i in ids:
        if i not in known:
            close = difflib.get_close_matches(str(i), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError(f"indicators: {i!r} is not an indicator of the registry{hint}")
    return ids


def interactive_output_dir(year: int, region_code: str, base: str | os.PathLike = "..") -> Path:
    """``<base>/reports/interactive/<year>/<region_code>``: where a notebook run by hand writes."""
    return Path(base) / "reports" / "interactive" / str(int(year)) / str(region_code)


def start(
    data_path, *, year, region_code, lang: str = "zh", target_set=None, output_dir="", indicators=None
) -> tuple[AnalysisData, Path]:
    """Check a notebook's parameters and return ``(data, output_dir)``.

    Parameters
    ----------
    data_path, year, region_code, lang, target_set, indicators
        The notebook's parameters (``indicators``: registry ids, or None).
    output_dir : str or path
        '' for a notebook run by hand: :func:`interactive_output_dir` of the year and region.
        ``mch run`` passes its staging folder.

    Raises
    ------
    ParameterError
        One line naming the parameter and what is wrong with it.
    """
    if lang not in LANGS:
        raise ParameterError(f"lang must be 'zh' or 'en', got {lang!r}")
    if not isinstance(region_code, str):
        raise ParameterError(
            f"region_code must be text in quotes (leading zeros matter), got {region_code!r}"
        )
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ParameterError(f"year must be a whole number, got {year!r}") from None
    try:
        data = load_analysis_data(data_path)
    except MchError as exc:
        raise ParameterError(f"data_path: {exc}") from None
    try:
        row = region_row(data, region_code)
    except MchError as exc:
        raise ParameterError(f"region_code: {exc.message}") from None
    years = years_of(data, region_code)
    if year not in years:
        raise ParameterError(
            f"year: {row['region_name']} ({region_code}) has no row for {year}; "
            f"years in the file: {years[0]}–{years[-1]}"
            if years
            else f"year: {region_code} has no rows"
        )
    if target_set is not None:
        try:
            target_table(data, target_set, year)  # "auto": the sets chosen by the year
        except MchError as exc:
            raise ParameterError(f"target_set: {exc}") from None
    _check_indicators(indicators, data)
    out = Path(output_dir) if str(output_dir) else interactive_output_dir(year, region_code)
    if (out / "manifest.json").exists():
        raise ParameterError(
            f"output_dir: {out} holds a batch report (manifest.json); a notebook run "
            f"by hand writes elsewhere (leave output_dir empty for "
            f"{interactive_output_dir(year, region_code)})"
        )
    return data, out
