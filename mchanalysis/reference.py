"""China's published national MCH series, the benchmark shipped in ``data/reference/``.

``data/reference/national_series.csv`` holds the national MMR, IMR, NMR and U5MR (total, urban,
rural, by year) and the national service-coverage indicators with an exact registry counterpart,
each with ``status`` (confirmed / derived / recalled) and ``source_ids``; its README names the
sources. The file is package data (``mchanalysis/data/reference/``, found with
:mod:`importlib.resources`; in a clone a link to the repository's ``data/reference/``). Its
absence is a broken installation and raises
:class:`~mchanalysis.resources.PackageDataMissing`, never a report without its national
comparison.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mchanalysis.errors import MchError
from mchanalysis.resources import PackageDataMissing, package_path

__all__ = ["REFERENCE_DIR", "NATIONAL_SERIES_COLUMNS", "STATUSES", "load_national_series"]

#: The packaged ``data/reference`` folder (:func:`mchanalysis.resources.reference_dir`).
REFERENCE_DIR = package_path("data", "reference", must_exist=False)

NATIONAL_SERIES_COLUMNS = ("year", "indicator_id", "area", "value", "unit", "status", "source_ids", "note")

#: confirmed: the number appears in a retrieved source; derived: computed from a retrieved
#: source's stated change; recalled: from the statistical yearbook table, not verified.
STATUSES = ("confirmed", "derived", "recalled")


def load_national_series(
    path: str | Path | None = None,
    *,
    indicators=None,
    status=None,
) -> pd.DataFrame:
    """Read China's published national series of MCH indicators.

    Parameters
    ----------
    path : str or path-like, optional
        The CSV to read; default the packaged ``data/reference/national_series.csv``.
    indicators : str or sequence of str, optional
        Keep only these registry ids (e.g. ``"mmr"`` or ``["imr", "u5mr"]``).
    status : str or sequence of str, optional
        Keep only rows with these statuses, e.g. ``("confirmed", "derived")`` to leave out the
        unverified ``recalled`` yearbook values. Default: all rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``year`` (int64), ``indicator_id``, ``area`` (total / urban / rural / city /
        county), ``value`` (float64, in ``unit``), ``unit`` (``/10万``, ``‰``, ``%``), ``status``,
        ``source_ids`` (``;``-separated ids of the README's source list), ``note`` ('' if none).
        Rows in file order (registry order of indicators, then area, then year).

    Raises
    ------
    PackageDataMissing
        If *path* is not given and the packaged series is absent (a broken installation).
    MchError
        If the file given is missing, lacks a column, holds a non-numeric value or year, an unknown
        status, or a duplicate (year, indicator_id, area); or if a requested indicator or status
        is not in it.

    Notes
    -----
    National mortality rates are weighted surveillance estimates, not pooled ratios of counts;
    see ``data/reference/README.md`` before comparing a region's rates with them.

    Examples
    --------
    >>> mmr = load_national_series(indicators="mmr", status=("confirmed", "derived"))
    >>> float(mmr.query("year == 2010 and area == 'total'")["value"].iloc[0])
    30.0
    """
    if path is None:
        path = REFERENCE_DIR / "national_series.csv"
        if not path.is_file():
            raise PackageDataMissing(
                f"{path}: the national reference series is missing from the installed "
                "mchanalysis package; reinstall it (the reports' national comparisons need it)"
            )
    path = Path(path)
    if not path.is_file():
        raise MchError("the national reference series is missing", file=path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise MchError(f"cannot read the national reference series: {exc}", file=path) from None
    missing = [c for c in NATIONAL_SERIES_COLUMNS if c not in df.columns]
    if missing:
        raise MchError(f"missing column(s): {', '.join(missing)}", file=path)
    df = df[list(NATIONAL_SERIES_COLUMNS)].copy()
    for col in ("year", "value"):
        num = pd.to_numeric(df[col], errors="coerce")
        bad = num.isna()
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise MchError(f"not a number: {df[col].iloc[i]!r}", file=path, row=i + 2, column=col)
        df[col] = num
    if (df["year"] % 1 != 0).any():
        i = int((df["year"] % 1 != 0).to_numpy().nonzero()[0][0])
        raise MchError("year is not a whole number", file=path, row=i + 2, column="year")
    df["year"] = df["year"].astype("int64")
    df["value"] = df["value"].astype("float64")
    bad = ~df["status"].isin(STATUSES)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise MchError(
            f"unknown status {df['status'].iloc[i]!r} (expected one of {', '.join(STATUSES)})",
            file=path, row=i + 2, column="status",
        )  # fmt: skip
    dup = df.duplicated(["year", "indicator_id", "area"], keep="first")
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        r = df.iloc[i]
        raise MchError(f"duplicate row for {r['indicator_id']} {r['area']} {r['year']}", file=path, row=i + 2)
    for name, wanted, col in (("indicator", indicators, "indicator_id"), ("status", status, "status")):
        if wanted is None:
            continue
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        unknown = [w for w in wanted if w not in set(df[col])]
        if unknown:
            raise MchError(
                f"{name} not in the national series: {', '.join(map(str, unknown))} "
                f"(available: {', '.join(sorted(set(df[col])))})",
                file=path,
            )
        df = df[df[col].isin(wanted)]
    return df.reset_index(drop=True)
