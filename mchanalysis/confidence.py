"""The confidence-level rule, in one place: levels are fractions (0.95, 0.998); 95 is an error.

Every function of the package that takes a confidence level checks it with :func:`check_level`,
so a user who writes 95 gets the same message (with the hint "did you mean 0.95?") from the
indicator table, a trend, a model, a funnel plot or the report.
"""

from __future__ import annotations

from mchanalysis.errors import MchError


def check_level(level, name: str = "confidence level") -> float:
    """Validate a confidence level and return it as a float.

    Parameters
    ----------
    level : float
        A fraction strictly between 0 and 1 (0.95, 0.998).
    name : str
        What the level is called in the error message (e.g. ``"--conf"`` for the CLI).

    Returns
    -------
    float

    Raises
    ------
    MchError
        If ``level`` is not a number strictly between 0 and 1 (e.g. 95 instead of 0.95).

    Examples
    --------
    >>> check_level(0.998)
    0.998
    """
    try:
        lv = float(level)
    except (TypeError, ValueError):
        raise MchError(f"{name} must be a fraction such as 0.95 or 0.998, got {level!r}") from None
    if isinstance(level, bool) or not 0 < lv < 1:
        hint = f" (did you mean {lv / 100:g}?)" if 1 < lv < 100 else ""
        shown = repr(level) if isinstance(level, (bool, str)) else f"{lv:g}"
        raise MchError(f"{name} must be a fraction such as 0.95 or 0.998, got {shown}{hint}")
    return lv


def level_tag(level: float) -> str:
    """Short name of a confidence level for column names: 0.95 -> '95', 0.998 -> '998'."""
    s = f"{check_level(level) * 100:.10g}"
    return s.replace(".", "")
