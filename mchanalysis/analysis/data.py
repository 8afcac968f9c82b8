"""The per-data-file object every analysis reads, and the per-region selections of it.

:func:`load_analysis_data` validates a file, builds the region tree, the indicator table and
the quality review for *all* regions once, and memoises the result in the process keyed by the
SHA-256 of the file's bytes. In the batch runner's warm kernels every region after the first gets
it for free; a notebook opened by hand computes it once. Callers receive copies, so a notebook
that modifies a table cannot change what the next region sees. :func:`from_counts` builds the
same object from a counts table already in memory (tests, the report from a DataFrame).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from mchanalysis.errors import MchError
from mchanalysis.indicators import compute_indicators
from mchanalysis.quality import review_quality
from mchanalysis.regions import descendants, region_tree
from mchanalysis.registry import load_registry
from mchanalysis.validation import load_counts

#: The mortality indicators analysed for trends and models (registry ids).
MORTALITY = ("mmr", "imr", "nmr", "u5mr")

_TABLES = ("counts", "warnings", "tree", "indicators", "quality", "registry")


@dataclass(frozen=True)
class AnalysisData:
    """Everything the notebooks and the 答卷 share for one data file.

    Attributes
    ----------
    source : Path or None
        The data file (None for a table built in memory). ``sha256``: the memo key (the file's
        bytes, or the table's content hash).
    counts : pandas.DataFrame
        The validated wide counts table, as read.
    warnings : pandas.DataFrame
        Validation warnings (:func:`mchanalysis.validation.load_counts`).
    tree : pandas.DataFrame
        :func:`mchanalysis.regions.region_tree`.
    indicators : pandas.DataFrame
        :func:`mchanalysis.indicators.compute_indicators` at ``conf_level`` (parents filled
        from children); ``region_code`` and ``parent_code`` as text ('' for no parent).
    quality : pandas.DataFrame
        :func:`mchanalysis.quality.review_quality` of the whole table.
    registry : pandas.DataFrame
        The indicator registry.
    conf_level : float
        Confidence level of the indicator table's intervals.
    """

    source: Path | None
    sha256: str
    counts: pd.DataFrame
    warnings: pd.DataFrame
    tree: pd.DataFrame
    indicators: pd.DataFrame
    quality: pd.DataFrame
    registry: pd.DataFrame
    conf_level: float = 0.95
    #: ``(region_code, indicator) -> row positions`` in ``indicators``, built on the first call of
    #: :func:`series` (one group-by instead of a scan of the whole table per call: a national
    #: table has ~1.3 M rows and the capability count asks for every region's series). The
    #: copies of a memoised object share one index, built from the memo's own table (never
    #: handed out); :func:`series` checks every lookup against the copy's table
    _series_rows: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def copy(self) -> AnalysisData:
        # pandas >= 3 is copy-on-write: a shallow copy shares the data until either side
        # changes it, and a change never reaches the other (a deep copy of a national indicator
        # table cost 50 ms, four times per region); pandas 2 copies deeply
        new = replace(self, **{k: getattr(self, k).copy(deep=not _COPY_ON_WRITE) for k in _TABLES})
        if _SOURCE in self._series_rows:  # a memoised object: its copies share its index
            object.__setattr__(new, "_series_rows", self._series_rows)
        return new


#: Keys of ``AnalysisData._series_rows`` besides ``(region_code, indicator)``: the table the
#: index was built from (a memoised object's own) and the number of rows it had.
_SOURCE, _BUILT = object(), object()


_MEMO: dict[tuple, AnalysisData] = {}
#: Whether this pandas is copy-on-write (always from 3.0 on; an option before).
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3


def _contiguous(frame: pd.DataFrame) -> pd.DataFrame:
    """*frame* with each Arrow-backed column held in one chunk (same values and dtypes).

    pandas 3 keeps text in Arrow chunked arrays: a Parquet read or a concatenation leaves a
    column in several chunks, and pyarrow's ``take`` on a chunked variable-width array joins the
    chunks first, so selecting 15 rows of the national indicator table (1.3 M rows, 10 chunks)
    cost ~1 ms per text column instead of ~6 µs, on every one of a region's hundreds of row
    selections (~0.7 s per region in ``mch run``). Joined once here, when the tables are made.
    """
    out = None
    for name in frame.columns:
        arr = frame[name].array
        if not isinstance(arr, pd.arrays.ArrowExtensionArray):
            continue
        chunked = arr.__arrow_array__()
        if chunked.num_chunks <= 1:
            continue
        import pyarrow as pa

        joined = pa.chunked_array([chunked.combine_chunks()], type=chunked.type)
        if out is None:
            out = frame.copy(deep=False)
        if isinstance(arr, pd.arrays.ArrowStringArray):
            out[name] = pd.Series(type(arr)(joined, dtype=arr.dtype), index=frame.index)
        else:
            out[name] = pd.Series(type(arr)(joined), index=frame.index)
        assert out[name].dtype == frame[name].dtype
    return frame if out is None else out


def _build(counts, warnings, source, key, conf_level, indicators=None, quality=None) -> AnalysisData:
    if indicators is None:
        indicators = compute_indicators(counts, conf_level=conf_level)
    indicators = _contiguous(
        indicators.assign(
            region_code=indicators["region_code"].astype(str),
            parent_code=indicators["parent_code"].fillna("").astype(str),
        )
    )  # before the quality review, which selects rows too (1.60 -> 1.41 s on the national file)
    if quality is None:
        quality = review_quality(counts, indicator_table=indicators)
    if warnings is None:
        warnings = pd.DataFrame()
    return AnalysisData(
        source=source,
        sha256=key,
        counts=_contiguous(counts),
        warnings=warnings,
        tree=_contiguous(region_tree(counts)),
        indicators=indicators,
        quality=_contiguous(quality),
        registry=load_registry(),
        conf_level=float(conf_level),
    )


def _assemble(tables: dict, source, key: str, conf_level: float) -> AnalysisData:
    """The object from stored tables (as :func:`_build` made them)."""
    return AnalysisData(
        source=source,
        sha256=key,
        registry=load_registry(),
        conf_level=float(conf_level),
        **{name: _contiguous(tables[name]) for name in _SHARED},
    )


def _remember(key: tuple, value: AnalysisData) -> AnalysisData:
    if key not in _MEMO:
        if len(_MEMO) >= 4:  # a batch reads one file (at one or two levels): keep memory bounded
            _MEMO.pop(next(iter(_MEMO)))
        value._series_rows[_SOURCE] = value.indicators  # the index its copies share
        _MEMO[key] = value
    return _MEMO[key].copy()


def load_analysis_data(data_path: str | os.PathLike, *, conf_level: float = 0.95) -> AnalysisData:
    """Validate *data_path* and compute the tables every analysis shares (memoised by SHA-256).

    In a kernel of ``mch run`` the tables are read from the batch's shared tables
    (:func:`write_shared_tables`, found through the environment variable :data:`SHARED_ENV`)
    when they belong to this file's bytes and this confidence level and every one of their
    files has the SHA-256 recorded when they were written; otherwise they are computed here.

    Raises
    ------
    MchError, ValidationError
        As :func:`mchanalysis.validation.load_counts`.
    """
    path = Path(data_path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise MchError("data file not found", file=path) from None
    except OSError as exc:
        raise MchError(f"data file cannot be read: {exc.strerror or exc}", file=path) from None
    key = hashlib.sha256(raw).hexdigest()
    memo_key = (key, float(conf_level))
    if memo_key in _MEMO:
        return _MEMO[memo_key].copy()
    shared = os.environ.get(SHARED_ENV)
    tables = read_shared_tables(shared, key, conf_level) if shared else None
    if tables is not None:
        return _remember(memo_key, _assemble(tables, path, key, conf_level))
    loaded = load_counts(path)
    return _remember(memo_key, _build(loaded.counts, loaded.findings, path, key, conf_level))


def from_counts(
    counts: pd.DataFrame,
    *,
    conf_level: float = 0.95,
    warnings: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    quality: pd.DataFrame | None = None,
) -> AnalysisData:
    """The same object from a validated wide counts table in memory (memoised by content).

    ``indicators`` / ``quality`` may be passed precomputed (they must belong to ``counts``).
    """
    h = pd.util.hash_pandas_object(counts, index=False).to_numpy().tobytes()
    key = hashlib.sha256(h + ",".join(map(str, counts.columns)).encode()).hexdigest()
    memo_key = (key, float(conf_level), indicators is None, quality is None)
    if memo_key in _MEMO:
        return _MEMO[memo_key].copy()
    if indicators is not None:
        levels = pd.to_numeric(indicators["conf_level"], errors="coerce").dropna().unique()
        if len(levels) != 1 or abs(float(levels[0]) - float(conf_level)) > 1e-12:
            indicators, quality = None, None  # another level: recompute (the review reads the intervals)
    return _remember(memo_key, _build(counts, warnings, None, key, conf_level, indicators, quality))


# ----------------------------------------------------------------------------------------------
# the batch's shared tables: built once by the runner, read by every kernel

#: Environment variable naming the folder of a batch's shared tables; ``mch run`` sets it for
#: the kernels it starts (they inherit it), nothing else does.
SHARED_ENV = "MCH_SHARED_TABLES"
#: The tables stored (the registry is read from the package, as in :func:`_build`).
_SHARED = ("counts", "warnings", "tree", "indicators", "quality")
_SHARED_FORMAT = 1
_SHARED_META = "tables.json"


class _NotStorable(Exception):
    """A table that the Parquet files would not give back exactly: the kernels compute it."""


def _encode_attr(value):
    """``DataFrame.attrs`` as JSON that gives back the same types (tuples stay tuples)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return {"f": value}
    if isinstance(value, tuple):
        return {"t": [_encode_attr(v) for v in value]}
    if isinstance(value, list):
        return {"l": [_encode_attr(v) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"d": {k: _encode_attr(v) for k, v in value.items()}}
    raise _NotStorable(f"attrs value of type {type(value).__name__}")


def _decode_attr(value):
    if not isinstance(value, dict):
        return value
    ((tag, inner),) = value.items()
    if tag == "f":
        return float(inner)
    if tag == "t":
        return tuple(_decode_attr(v) for v in inner)
    if tag == "l":
        return [_decode_attr(v) for v in inner]
    return {k: _decode_attr(v) for k, v in inner.items()}


def _object_kind(values: pd.Series) -> str:
    """How an object column is stored: ``int`` (Python ints and None), ``str`` (text and None)."""
    kinds = {type(v) for v in values}
    if kinds <= {int, type(None)}:
        return "int"
    if kinds <= {str, type(None)}:
        return "str"
    raise _NotStorable(f"column {values.name!r} holds {sorted(k.__name__ for k in kinds)}")


def _to_storable(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The frame as Parquet stores it exactly, and what :func:`_from_stored` needs to undo it."""
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1:
        raise _NotStorable("index is not 0, 1, 2, ...")
    if not all(isinstance(c, str) for c in frame.columns) or not frame.columns.is_unique:
        raise _NotStorable("column names are not unique text")
    objects = {c: _object_kind(frame[c]) for c in frame.columns if frame[c].dtype == object}
    stored = frame.copy(deep=False)
    stored.attrs = {}
    for c, kind in objects.items():
        stored[c] = pd.array(list(frame[c]), dtype="Int64" if kind == "int" else "string")
    return stored, {"attrs": _encode_attr(dict(frame.attrs)), "objects": objects}


def _from_stored(stored: pd.DataFrame, how: dict) -> pd.DataFrame:
    for c, _kind in how["objects"].items():
        col = stored[c]
        stored[c] = pd.Series(
            [None if pd.isna(v) else (int(v) if _kind == "int" else str(v)) for v in col],
            dtype=object,
            index=stored.index,
        )
    stored.attrs = _decode_attr(how["attrs"])
    return stored


def _identical(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Same values, dtypes, column and index types, attrs, and Python types in object columns."""
    if not (
        type(a.columns) is type(b.columns)
        and a.columns.equals(b.columns)
        and type(a.index) is type(b.index)
        and a.index.equals(b.index)
        and [repr(t) for t in a.dtypes] == [repr(t) for t in b.dtypes]
        and a.flags.allows_duplicate_labels == b.flags.allows_duplicate_labels
        and a.equals(b)  # values, missing values in the same places
    ):
        return False
    if repr(a.attrs) != repr(b.attrs):
        return False
    return all([type(v) for v in a[c]] == [type(v) for v in b[c]] for c in a.columns if a[c].dtype == object)


def _stored_bytes(folder: Path, meta: dict, name: str) -> bytes:
    entry = meta["tables"][name]
    raw = (folder / entry["file"]).read_bytes()
    if hashlib.sha256(raw).hexdigest() != entry["sha256"]:
        raise _NotStorable(f"{entry['file']}: SHA-256 differs from {_SHARED_META}")
    return raw


def _read_stored(folder: Path, meta: dict, name: str) -> pd.DataFrame:
    return _from_stored(pd.read_parquet(io.BytesIO(_stored_bytes(folder, meta, name))), meta["tables"][name])


def _reads_back_identical(frame: pd.DataFrame, folder: Path, meta: dict, name: str) -> bool:
    """:func:`_identical` of *frame* and its stored file as :func:`_read_stored` gives it back,
    compared one column at a time: a whole national indicator table read back beside the one
    in memory raised ``mch run``'s peak from 0.70 to 1.02 GB."""
    import pyarrow.parquet as pq

    entry = meta["tables"][name]
    raw = _stored_bytes(folder, meta, name)  # raises _NotStorable as the whole read did
    if pq.read_schema(io.BytesIO(raw)).names != list(frame.columns):
        return False
    if not len(frame.columns):
        return _identical(frame, _read_stored(folder, meta, name))
    for column in frame.columns:
        back = pd.read_parquet(io.BytesIO(raw), columns=[column])
        how = {"attrs": entry["attrs"], "objects": {k: v for k, v in entry["objects"].items() if k == column}}
        if not _identical(frame[[column]], _from_stored(back, how)):
            return False
    return True


def read_shared_tables(folder: str | os.PathLike, sha256: str, conf_level: float = 0.95) -> dict | None:
    """The shared tables of the data file whose bytes have *sha256*, from *folder*, or None.

    None (the caller computes the tables) when there are none for this file and confidence
    level, or when anything is amiss: a missing or partial folder, a file whose SHA-256 is not
    the one recorded, an unreadable file, another format. Stored tables are never trusted
    without those checks.
    """
    try:
        where = Path(folder) / sha256
        meta = json.loads((where / _SHARED_META).read_text(encoding="utf-8"))
        if (
            meta.get("format") != _SHARED_FORMAT
            or meta.get("sha256") != sha256
            or float(meta.get("conf_level")) != float(conf_level)
            or sorted(meta.get("tables", {})) != sorted(_SHARED)
        ):
            return None
        return {name: _read_stored(where, meta, name) for name in _SHARED}
    except Exception:  # any damage: compute instead
        return None


#: The validation of the file ``mch run`` planned with, kept for its :func:`write_shared_tables`
#: (one file, keyed by the SHA-256 of the bytes validated; taken out when used).
_VALIDATED: dict = {}


def validate_for_batch(data_path: str | os.PathLike):
    """:func:`mchanalysis.validation.load_counts` of *data_path*, kept for the batch's
    :func:`write_shared_tables` of the same bytes, so the runner validates the file once.

    Raises
    ------
    MchError, ValidationError
        As :func:`mchanalysis.validation.load_counts`.
    """
    path = Path(data_path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MchError(f"data file cannot be read: {exc.strerror or exc}", file=path) from None
    key = hashlib.sha256(raw).hexdigest()
    del raw
    loaded = load_counts(path)
    _VALIDATED.clear()
    _VALIDATED[key] = loaded
    return loaded


def write_shared_tables(
    data_path: str | os.PathLike, folder: str | os.PathLike, *, conf_level: float = 0.95
) -> Path | None:
    """Compute the tables of :func:`load_analysis_data` once and store them for the kernels.

    Writes ``<folder>/<sha256 of the file>/``: one Parquet file per table (counts, warnings,
    tree, indicators, quality) and ``tables.json`` (format, the data file's SHA-256, the
    confidence level, each table's attrs and the SHA-256 of its file), each written atomically,
    ``tables.json`` last. The stored tables are read back and compared with the computed ones
    (values, dtypes, attrs, the Python types of object columns): a table that would not come back
    identical is not stored, and the kernels compute the tables themselves. Nothing is memoised
    in this process (the runner's memory is freed before its workers start).

    Returns
    -------
    Path or None
        The folder written, or None when the tables cannot be stored exactly (nothing is left).

    Raises
    ------
    MchError, ValidationError
        As :func:`load_analysis_data` (the data file cannot be read or is invalid).
    """
    import shutil

    from mchanalysis.atomic import write_bytes, write_text

    path = Path(data_path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MchError(f"data file cannot be read: {exc.strerror or exc}", file=path) from None
    key = hashlib.sha256(raw).hexdigest()
    del raw
    loaded = _VALIDATED.pop(key, None) or load_counts(path)
    data = _build(loaded.counts, loaded.findings, path, key, conf_level)
    del loaded
    where = Path(folder) / key
    shutil.rmtree(where, ignore_errors=True)
    meta: dict = {"format": _SHARED_FORMAT, "sha256": key, "conf_level": float(conf_level), "tables": {}}
    try:
        for name in _SHARED:
            stored, how = _to_storable(getattr(data, name))
            buf = io.BytesIO()
            stored.to_parquet(buf, index=False, engine="pyarrow")
            del stored
            body = buf.getvalue()
            write_bytes(where / f"{name}.parquet", body)
            meta["tables"][name] = {
                "file": f"{name}.parquet",
                "sha256": hashlib.sha256(body).hexdigest(),
                **how,
            }
            del buf, body
            if not _reads_back_identical(getattr(data, name), where, meta, name):
                raise _NotStorable(f"{name} does not read back identical")
    except _NotStorable:
        shutil.rmtree(where, ignore_errors=True)
        return None
    write_text(where / _SHARED_META, json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return where


# ----------------------------------------------------------------------------------------------
# selections


def region_row(data: AnalysisData, region_code: str) -> pd.Series:
    """The region's row of the tree (name, parent, level).

    Raises
    ------
    MchError
        The region is not in the data (the closest codes are named).
    """
    hit = data.tree[data.tree["region_code"] == str(region_code)]
    if hit.empty:
        import difflib

        codes = sorted(data.tree["region_code"].astype(str))
        close = difflib.get_close_matches(str(region_code), codes, n=3)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise MchError(f"region {region_code!r} is not in the data{hint}", file=data.source)
    return hit.iloc[0]


def region_codes_below(data: AnalysisData, region_code: str) -> list[str]:
    """The region and every region below it."""
    return [str(region_code)] + descendants(data.tree, str(region_code))


def years_of(data: AnalysisData, region_code: str) -> list[int]:
    """The years the region has a row for."""
    own = data.counts[data.counts["region_code"].astype(str) == str(region_code)]
    return sorted(int(y) for y in own["year"].unique())


def region_summary(data: AnalysisData, region_code: str, year: int) -> pd.DataFrame:
    """One row describing the region: name, level, parent, sub-regions, years reported.

    Raises
    ------
    MchError
        The region is not in the data, or has no row for *year* (did not report that year).
    """
    row = region_row(data, region_code)
    years = years_of(data, region_code)
    if int(year) not in years:
        raise MchError(
            f"region {region_code} ({row['region_name']}) has no row for {year} in the "
            f"data (years reported: {', '.join(map(str, years)) or 'none'})",
            file=data.source,
        )
    names = dict(zip(data.tree["region_code"], data.tree["region_name"]))
    children = data.tree[data.tree["parent_code"] == str(region_code)]
    return pd.DataFrame(
        [
            {
                "region_code": str(region_code),
                "region_name": row["region_name"],
                "level": row["level"],
                "parent_code": row["parent_code"],
                "parent_name": names.get(row["parent_code"], ""),
                "subregions": len(children),
                "first_year": years[0],
                "last_year": years[-1],
                "years_reported": len(years),
            }
        ]
    )


def series(data: AnalysisData, region_code: str, indicator: str, *, until: int | None = None) -> pd.DataFrame:
    """The region's rows of one indicator with a numerator and a positive denominator, by year,
    up to the year *until* (inclusive; all years when None). A year that was not reported, or
    whose denominator is 0, is absent: the analyses see the gap."""
    t = data.indicators
    code = str(region_code)
    rows = data._series_rows
    if _BUILT not in rows:
        source = rows.get(_SOURCE, t)
        rows.update(source.groupby(["region_code", "indicator"], sort=False).indices)
        rows[_BUILT] = len(source)  # built (a table without rows stays built too)
    pos = rows.get((code, indicator))
    if _SOURCE in rows and not (
        len(t) == rows[_BUILT]
        and (
            pos is None
            or ((t["region_code"].iloc[pos] == code).all() and (t["indicator"].iloc[pos] == indicator).all())
        )
    ):
        # this copy's table was changed after it was handed out: it gets an index of its own
        object.__setattr__(data, "_series_rows", {})
        return series(data, region_code, indicator, until=until)
    s = t.iloc[pos] if pos is not None else t.iloc[0:0]
    if until is not None:
        s = s[s["year"] <= int(until)]
    s = s[s["numerator"].notna() & s["denominator"].notna() & (s["denominator"] > 0)]
    return s.sort_values("year", kind="mergesort").reset_index(drop=True)


def comparison_regions(data: AnalysisData, region_code: str) -> tuple[str, list[str]]:
    """The regions a funnel plot compares: the region's sub-regions if it has any (a city, a
    province), else its siblings (a county among the counties of its city). Returns
    ``(parent_code, codes)``; ``codes`` is empty for a top region without sub-regions."""
    children = data.tree[data.tree["parent_code"] == str(region_code)]
    if len(children):
        return str(region_code), sorted(children["region_code"])
    parent = region_row(data, region_code)["parent_code"]
    if not parent:
        return "", []
    return parent, sorted(data.tree.loc[data.tree["parent_code"] == parent, "region_code"])


def synthetic_notice(region_code: str, lang: str = "zh") -> str:
    """A Markdown warning for the fictional demo province (codes 99xxxx), else ''."""
    if not str(region_code).startswith("99"):
        return ""
    if lang == "en":
        return (
            "> **Synthetic data.** Region 99xxxx is the fictional demo province: every number "
            "below is simulated and describes no real place."
        )
    return "> **模拟数据。** 99xxxx 为虚构的示例省，以下所有数字均为模拟生成，不代表任何真实地区。"
