"""Target sets (目标值) and the evaluation of regions against them.

A target set is one YAML file per source document (``params/targets/*.yaml``, docs/design.md "Target
sets"): ``name``, ``source`` (document and year), optional ``scope``, and ``targets``, a list of
``{indicator, target, comparison, year, wording?, note?}`` where ``indicator`` is an id of the
indicator registry and ``comparison`` is ``"<="`` (lower is better: 控制在…以下) or ``">="``
(higher is better: 达到…以上).

Each region is judged twice:

* ``status`` on the point value: ``met`` / ``not_met`` / ``no_data``. A value equal to the target
  meets it (the documents' "以下/以上" do not say whether the boundary counts; the project's
  reference notes settle it this way). Equality is tested with a relative tolerance of 1e-9, so a
  rate such as 3 deaths in 25,000 births (12.000000000000002/10万 in floating point) meets ≤12.
* ``status_ci`` with statistical confidence: ``met`` only if the whole confidence interval lies on
  the good side of the target, ``not_met`` only if it lies entirely on the bad side, otherwise
  ``indistinguishable`` (the data cannot tell). This is the reading of a target that the
  Fingertips comparison makes of a benchmark (an interval that contains the benchmark is
  "similar"; PHE Fingertips, PHEindicatormethods): a small county with 1 maternal death in 4,000 births (25/10万, 95% CI 0.6–139) has
  not shown that it misses ≤12/10万.

Hand-written (no library judges targets); the intervals come from :mod:`mchanalysis.stats`.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from mchanalysis import stats
from mchanalysis.confidence import check_level
from mchanalysis.errors import MchError
from mchanalysis.registry import load_registry
from mchanalysis.schema import NIANBAO_MEASURES

#: Accepted comparisons: "<=" (lower is better) and ">=" (higher is better).
COMPARISONS = ("<=", ">=")

REQUIRED_SET_FIELDS = ("name", "source", "targets")
OPTIONAL_SET_FIELDS = ("scope", "title_zh", "title_en")
REQUIRED_TARGET_FIELDS = ("indicator", "target", "comparison", "year")
OPTIONAL_TARGET_FIELDS = ("wording", "note", "status")

#: How firmly a target is established (the project's reference, targets.csv): ``confirmed`` (the
#: default) and ``partly_confirmed`` are scored; ``unconfirmed`` (recalled, not seen in the
#: document) is kept for reference in :attr:`TargetSet.unconfirmed` and never scored.
TARGET_STATUSES = ("confirmed", "partly_confirmed", "unconfirmed")
SCORED_STATUSES = ("confirmed", "partly_confirmed")

#: Columns of :func:`evaluate_targets`' result, in order.
RESULT_COLUMNS = (
    "region_code",
    "region_name",
    "year",
    "indicator",
    "value",
    "lower",
    "upper",
    "target",
    "comparison",
    "target_year",
    "status",
    "status_ci",
    "gap",
    "unit",
    "name_zh",
    "name_en",
)

#: Relative tolerance of the boundary test (value == target meets the target).
_REL_TOL = 1e-9


@dataclass(frozen=True)
class TargetSet:
    """A validated target set.

    Attributes
    ----------
    name, source, scope : str
        As in the file (``scope`` is '' when absent).
    title_zh, title_en : str
        The source documents' titles as printed in a report of that language ('' when absent;
        :meth:`title` then falls back to ``source``).
    targets : pandas.DataFrame
        One row per target that is scored: ``indicator, target (float), comparison, year (int),
        wording, note`` ('' when absent), ``status`` (``confirmed`` / ``partly_confirmed``), in
        file order.
    path : pathlib.Path or None
        The file it was read from.
    unconfirmed : pandas.DataFrame
        Targets the file marks ``status: unconfirmed`` (same columns): shown for reference, never
        scored by :func:`evaluate_targets` nor projected.
    """

    name: str
    source: str
    scope: str
    targets: pd.DataFrame
    path: Path | None = None
    title_zh: str = ""
    title_en: str = ""
    unconfirmed: pd.DataFrame | None = None

    def title(self, lang: str = "zh") -> str:
        """The set's sources as a reader sees them: ``title_zh`` / ``title_en`` of the file
        (document titles in the language), else ``source``."""
        t = self.title_zh if lang == "zh" else self.title_en
        return t or self.source


def target_dirs() -> list[Path]:
    """Directories searched for a target set given by name, in order.

    ``params/targets`` of the current directory, then of the project folder of the running
    ``mch run`` (:func:`mchanalysis.resources.project_dir`, so a notebook executing in its
    staging folder finds what the planner found), then the sets shipped in the package
    (:func:`mchanalysis.resources.packaged_targets_dir`).
    """
    from mchanalysis import resources

    dirs = [Path.cwd() / "params" / "targets"]
    project = resources.project_dir()
    if project is not None:
        dirs.append(project / "params" / "targets")
    dirs.append(resources.packaged_targets_dir())
    out: list[Path] = []
    seen: set[Path] = set()
    for d in dirs:
        key = d.resolve()
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def available_target_sets() -> list[str]:
    """Names of the target sets found in :func:`target_dirs`, sorted."""
    names: set[str] = set()
    for d in target_dirs():
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.yaml"))
    return sorted(names)


def _resolve(name_or_path) -> Path:
    p = Path(name_or_path)
    if p.suffix.lower() in (".yaml", ".yml") or p.parent != Path("."):
        if not p.is_file():
            raise MchError("target set file not found", file=p)
        return p
    for d in target_dirs():
        cand = d / f"{name_or_path}.yaml"
        if cand.is_file():
            return cand
    known = available_target_sets()
    hint = difflib.get_close_matches(str(name_or_path), known, n=1)
    msg = f"no target set named {str(name_or_path)!r} (looked in {', '.join(map(str, target_dirs()))})"
    if hint:
        msg += f"; did you mean {hint[0]!r}?"
    elif known:
        msg += f"; available: {', '.join(known)}"
    raise MchError(msg)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the 1-based line of every mapping under the key ``__line__``."""


def _construct_mapping(loader, node, deep=False):
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _registry_frame(registry) -> pd.DataFrame:
    if registry is None:
        registry = load_registry()
    return registry


def _suggest(word: str, registry: pd.DataFrame) -> str:
    ids = list(registry["id"])
    by_name = {str(z): i for i, z in zip(registry["id"], registry["name_zh"])}
    if word in by_name:
        return f"; did you mean {by_name[word]!r} ({word})?"
    hit = difflib.get_close_matches(word, ids, n=1, cutoff=0.5)
    if hit:
        return f"; did you mean {hit[0]!r}?"
    hit = difflib.get_close_matches(word, list(by_name), n=1, cutoff=0.5)
    if hit:
        return f"; did you mean {by_name[hit[0]]!r} ({hit[0]})?"
    return ""


def _number(value):
    """A finite float from a YAML scalar, else None (booleans are not numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        v = float(value)
    elif isinstance(value, str):
        try:
            v = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return v if math.isfinite(v) else None


def load_target_set(name_or_path, *, registry: pd.DataFrame | None = None) -> TargetSet:
    """Read and validate a target set.

    Parameters
    ----------
    name_or_path : str or path-like
        A file (``.yaml``/``.yml`` or any path with a directory part), or the name of a shipped
        set (``"national_2030"``), looked up in ``params/targets/`` of the current directory, of
        the project folder, then among the packaged sets (:func:`target_dirs`).
    registry : pandas.DataFrame, optional
        The indicator registry (``id, name_zh, ...``); default
        :func:`mchanalysis.registry.load_registry`.

    Returns
    -------
    TargetSet

    Raises
    ------
    MchError
        Naming the file, the entry (its number and line) and what is wrong: missing field,
        unknown field, unknown indicator id (with the closest id), comparison other than ``<=`` /
        ``>=``, a target or year that is not a number, the same indicator twice for one year.
    """
    path = _resolve(name_or_path)
    reg = _registry_frame(registry)
    # read once per file version and registry (the set is checked against the registry's ids
    # only): a report reads the same set about 17 times (7 ms each); callers get their own tables
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, frozenset(reg["id"]))
    if key not in _SETS:
        if len(_SETS) >= 8:  # a run reads two or three sets: memory stays bounded
            _SETS.pop(next(iter(_SETS)))
        _SETS[key] = _read_target_set(path, reg)
    return _fresh(_SETS[key], path)


def _fresh(ts: TargetSet, path: Path) -> TargetSet:
    """*ts* with tables of its own (a caller may change them) and the path as found this time
    (the same file may have been found from another folder, by a relative path)."""
    unconfirmed = None if ts.unconfirmed is None else ts.unconfirmed.copy()
    return replace(ts, targets=ts.targets.copy(), unconfirmed=unconfirmed, path=path)


#: Target sets read: ``(path, mtime, size, registry ids) -> TargetSet``.
_SETS: dict[tuple, TargetSet] = {}


def _read_target_set(path: Path, registry: pd.DataFrame) -> TargetSet:
    """Read and validate the target set file *path* (see :func:`load_target_set`)."""
    reg = _registry_frame(registry)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise MchError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            file=path,
            row=None if mark is None else mark.line + 1,
        ) from None
    except UnicodeDecodeError:
        raise MchError("target set files must be UTF-8 text", file=path) from None
    if not isinstance(doc, dict):
        raise MchError("a target set is a mapping with name, source and targets", file=path)

    allowed = set(REQUIRED_SET_FIELDS) | set(OPTIONAL_SET_FIELDS) | {"__line__"}
    for key in doc:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), sorted(allowed - {"__line__"}), n=1)
            raise MchError(
                f"unknown field {key!r} at the top of the target set"
                + (f"; did you mean {hint[0]!r}?" if hint else ""),
                file=path,
            )
    for key in REQUIRED_SET_FIELDS:
        if doc.get(key) in (None, ""):
            raise MchError(f"missing field {key!r} at the top of the target set", file=path)
    if not isinstance(doc["targets"], list) or not doc["targets"]:
        raise MchError("'targets' must be a non-empty list of entries", file=path)

    ids = set(reg["id"])
    rows: list = []
    seen: dict = {}
    allowed_t = set(REQUIRED_TARGET_FIELDS) | set(OPTIONAL_TARGET_FIELDS)
    for k, entry in enumerate(doc["targets"], start=1):
        if not isinstance(entry, dict):
            raise MchError(f"targets entry {k} is not a mapping of fields", file=path)
        line = entry.pop("__line__", None)
        where = f"targets entry {k}" + (f" (line {line})" if line else "")
        ind = entry.get("indicator")
        if ind not in (None, ""):
            where += f", indicator {ind!r}"
        for key in entry:
            if key not in allowed_t:
                hint = difflib.get_close_matches(str(key), sorted(allowed_t), n=1)
                raise MchError(
                    f"{where}: unknown field {key!r}" + (f"; did you mean {hint[0]!r}?" if hint else ""),
                    file=path,
                    row=line,
                )
        for key in REQUIRED_TARGET_FIELDS:
            if entry.get(key) in (None, ""):
                raise MchError(f"{where}: missing field {key!r}", file=path, row=line)
        ind = str(ind)
        if ind not in ids:
            raise MchError(f"{where}: unknown indicator id {ind!r}{_suggest(ind, reg)}", file=path, row=line)
        target = _number(entry["target"])
        if target is None:
            raise MchError(f"{where}: target must be a number, got {entry['target']!r}", file=path, row=line)
        comp = str(entry["comparison"]).strip()
        if comp not in COMPARISONS:
            raise MchError(
                f"{where}: comparison must be '<=' or '>=', got {entry['comparison']!r}",
                file=path,
                row=line,
            )
        year = _number(entry["year"])
        if year is None or year != int(year):
            raise MchError(
                f"{where}: year must be a whole number, got {entry['year']!r}", file=path, row=line
            )
        year = int(year)
        if (ind, year) in seen:
            raise MchError(
                f"{where}: duplicate target for {ind} in {year} (already entry {seen[(ind, year)]})",
                file=path,
                row=line,
            )
        seen[(ind, year)] = k
        status = str(entry.get("status") or "confirmed").strip()
        if status not in TARGET_STATUSES:
            raise MchError(
                f"{where}: status must be one of {', '.join(TARGET_STATUSES)}, got {entry['status']!r}",
                file=path,
                row=line,
            )
        rows.append(
            {
                "indicator": ind,
                "target": target,
                "comparison": comp,
                "year": year,
                "wording": str(entry.get("wording") or ""),
                "note": str(entry.get("note") or ""),
                "status": status,
            }
        )
    columns = ["indicator", "target", "comparison", "year", "wording", "note", "status"]
    every = pd.DataFrame(rows, columns=columns)
    every["year"] = every["year"].astype("int64")
    scored = every["status"].isin(SCORED_STATUSES)
    targets = every[scored].reset_index(drop=True)
    if targets.empty:
        raise MchError("every target of the set is unconfirmed: nothing to score", file=path)
    return TargetSet(
        name=str(doc["name"]),
        source=" ".join(str(doc["source"]).split()),
        scope=str(doc.get("scope") or ""),
        targets=targets,
        path=path,
        title_zh=" ".join(str(doc.get("title_zh") or "").split()),
        title_en=" ".join(str(doc.get("title_en") or "").split()),
        unconfirmed=every[~scored].reset_index(drop=True),
    )


#: The target set of each period when ``target_set="auto"``: the 2025 milestones
#: (母婴安全/健康儿童行动提升计划 2021—2025) up to 2025, the 2030 纲要 targets from 2026 on.
AUTO_SETS = ((2025, "national_2025"), (9999, "national_2030"))
#: The set shown beside the chosen one (its later targets), when the chosen set is a milestone.
AUTO_COMPANION = {"national_2025": "national_2030"}


def resolve_target_set(target_set, year: int) -> tuple[str | None, str | None, str]:
    """The target set a report of *year* is judged on.

    Parameters
    ----------
    target_set : str, path, TargetSet or None
        ``"auto"`` (or ``""``): chosen by year from :data:`AUTO_SETS` -- ``national_2025`` for
        report years up to 2025, ``national_2030`` after; anything else is returned as given.
    year : int
        Report year.

    Returns
    -------
    (chosen, companion, how) : tuple
        ``chosen``: the name (or the object/path given); ``companion``: the set shown beside it
        (``national_2030`` beside ``national_2025`` when chosen automatically), or None;
        ``how``: ``"auto"`` or ``"given"`` (``"none"`` for None), recorded in the report.

    Examples
    --------
    >>> resolve_target_set("auto", 2024)
    ('national_2025', 'national_2030', 'auto')
    >>> resolve_target_set("auto", 2026)
    ('national_2030', None, 'auto')
    >>> resolve_target_set("national_2030", 2024)
    ('national_2030', None, 'given')
    """
    if target_set is None:
        return None, None, "none"
    if isinstance(target_set, str) and target_set.strip().lower() in ("auto", ""):
        year = int(year)
        name = next(n for last, n in AUTO_SETS if year <= last)
        return name, AUTO_COMPANION.get(name), "auto"
    return target_set, None, "given"


def _judge(value, lower, upper, target, comparison):
    """Vectorised status and status_ci (see the module docstring)."""
    value = np.asarray(value, dtype=float)
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    target = np.asarray(target, dtype=float)
    le = np.asarray(comparison) == "<="
    tol = _REL_TOL * np.maximum(np.abs(target), 1.0)

    def good(x):  # x on the good side of the target, boundary included
        return np.where(le, x <= target + tol, x >= target - tol)

    has_value = ~np.isnan(value)
    status = np.where(~has_value, "no_data", np.where(good(value), "met", "not_met"))
    has_ci = has_value & ~np.isnan(lower) & ~np.isnan(upper)
    # the whole interval on the good side: its bad-side end is good
    all_good = np.where(le, good(upper), good(lower))
    # the whole interval on the bad side: its good-side end is strictly bad
    all_bad = ~np.where(le, good(lower), good(upper))
    status_ci = np.where(
        ~has_ci,
        "no_data",
        np.where(all_good, "met", np.where(all_bad, "not_met", "indistinguishable")),
    )
    return status.astype(object), status_ci.astype(object)


def _intervals_at(table: pd.DataFrame, level: float, registry: pd.DataFrame) -> pd.DataFrame:
    """The table's lower/upper at ``level``; recomputed from the counts where it holds another."""
    if "conf_level" in table.columns:
        same = np.isclose(pd.to_numeric(table["conf_level"], errors="coerce"), level)
    else:
        same = np.zeros(len(table), dtype=bool)
    if same.all():
        return table
    for col in ("numerator", "denominator"):
        if col not in table.columns:
            raise MchError(
                f"indicator table holds intervals at another level than {level} and no {col} "
                "column to recompute them from"
            )
    out = table.copy()
    info = registry.set_index("id")
    redo = out.loc[~same]
    for ind in sorted(set(redo["indicator"]) & set(info.index)):
        idx = redo.index[redo["indicator"] == ind]
        r = info.loc[ind]
        fn = stats.rate_ci if r["kind"] == "rate" else stats.proportion_ci
        ci = fn(
            out.loc[idx, "numerator"].astype(float).to_numpy(),
            out.loc[idx, "denominator"].astype(float).to_numpy(),
            multiplier=float(r["multiplier"]),
            level=level,
        )
        out.loc[idx, "lower"] = ci["lower"].to_numpy()
        out.loc[idx, "upper"] = ci["upper"].to_numpy()
        out.loc[idx, "conf_level"] = level
    return out


def evaluate_targets(
    indicator_table: pd.DataFrame,
    target_set: TargetSet,
    *,
    year: int | None = None,
    level: float = 0.95,
    registry: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Judge every region of an indicator table against every target of a set.

    Parameters
    ----------
    indicator_table : pandas.DataFrame
        The indicator table (docs/design.md): ``region_code, region_name, year, indicator, numerator,
        denominator, value, lower, upper`` and, optionally, ``conf_level`` (other columns are
        ignored). Where ``conf_level`` differs from ``level`` the interval is recomputed from
        numerator and denominator with :func:`mchanalysis.stats.rate_ci` /
        :func:`~mchanalysis.stats.proportion_ci`, as the registry's ``kind`` says.
    target_set : TargetSet or str or path-like
        A set from :func:`load_target_set`, or a name/path passed to it.
    year : int, optional
        The data year judged; default the latest year of the table. Every region of the table
        gets a row per target; a region without a value for that indicator and year is
        ``no_data``.
    level : float
        Confidence level of the interval used for ``status_ci``, a fraction (0.95, 0.998).
    registry : pandas.DataFrame, optional
        Indicator registry (for ``unit``, ``name_zh``, ``name_en``); default the package's.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RESULT_COLUMNS`: ``region_code, region_name, year, indicator, value,
        lower, upper, target, comparison, target_year, status, status_ci, gap, unit, name_zh,
        name_en``; ``gap = value - target`` (in the indicator's unit; negative is good for
        ``<=``). Sorted by region_code, then the target set's order. Targets marked
        ``unconfirmed`` are not judged (they are not in ``TargetSet.targets``); a target on an
        indicator of the 年报 extension (a measure of :data:`mchanalysis.schema.NIANBAO_MEASURES`)
        is judged only when the table has that indicator for some region and year.

    Notes
    -----
    For ``<=``: status is met if value ≤ target; status_ci is met if upper ≤ target, not_met if
    lower > target, else indistinguishable. For ``>=`` the mirror image (met if lower ≥ target,
    not_met if upper < target). Boundaries count as met, with relative tolerance 1e-9.

    References
    ----------
    The interval rule of PHE Fingertips' benchmark comparison (a value is "similar" when its
    interval contains the benchmark), applied to a fixed target instead of a benchmark value.
    """
    level = check_level(level)
    if not isinstance(target_set, TargetSet):
        target_set = load_target_set(target_set, registry=registry)
    reg = _registry_frame(registry)
    need = ("region_code", "region_name", "year", "indicator", "value", "lower", "upper")
    missing = [c for c in need if c not in indicator_table.columns]
    if missing:
        raise MchError(f"indicator table lacks column(s) {', '.join(missing)}")
    table = indicator_table
    if year is None:
        years = pd.to_numeric(table["year"], errors="coerce").dropna()
        if years.empty:
            raise MchError("indicator table is empty: no year to judge")
        year = int(years.max())
    year = int(year)

    regions = (
        table[["region_code", "region_name"]]
        .astype({"region_code": str})
        .drop_duplicates("region_code")
        .sort_values("region_code", kind="mergesort")
        .reset_index(drop=True)
    )
    rows = table[(pd.to_numeric(table["year"], errors="coerce") == year)]
    rows = rows[rows["indicator"].isin(set(target_set.targets["indicator"]))]
    if len(rows):
        rows = _intervals_at(rows, level, reg)
    rows = rows.assign(region_code=rows["region_code"].astype(str))
    if rows.duplicated(["region_code", "indicator"]).any():
        dup = rows[rows.duplicated(["region_code", "indicator"], keep=False)].iloc[0]
        raise MchError(
            f"indicator table has more than one row for region {dup['region_code']}, "
            f"{dup['indicator']}, {year} (several confidence levels? pass one)"
        )

    t = target_set.targets.reset_index(drop=True).rename(columns={"year": "target_year"})
    # a target on the 年报 extension (死胎死产, nutrition, 消除母婴传播 ...) is judged only for a
    # table that has that indicator at all: a file without those measures scores as before
    ext = reg[reg["numerator"].isin(list(NIANBAO_MEASURES)) | reg["denominator"].isin(list(NIANBAO_MEASURES))]
    absent = set(ext["id"]) - set(table["indicator"])
    t = t[~t["indicator"].isin(absent)].reset_index(drop=True)
    t["_order"] = np.arange(len(t))
    grid = regions.merge(t[["indicator", "target", "comparison", "target_year", "_order"]], how="cross")
    grid = grid.merge(
        rows[["region_code", "indicator", "value", "lower", "upper"]],
        on=["region_code", "indicator"],
        how="left",
    )
    info = reg.set_index("id")[["unit", "name_zh", "name_en"]]
    grid = grid.join(info, on="indicator")
    grid["year"] = year
    for c in ("value", "lower", "upper", "target"):
        grid[c] = pd.to_numeric(grid[c], errors="coerce").astype(float)
    grid["status"], grid["status_ci"] = _judge(
        grid["value"], grid["lower"], grid["upper"], grid["target"], grid["comparison"]
    )
    grid["gap"] = grid["value"] - grid["target"]
    grid = grid.sort_values(["region_code", "_order"], kind="mergesort").reset_index(drop=True)
    grid["year"] = grid["year"].astype("int64")
    grid["target_year"] = grid["target_year"].astype("int64")
    return grid[list(RESULT_COLUMNS)]
