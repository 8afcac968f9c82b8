"""The batch's shared tables (issue 12 part 2): built once by ``mch run``, read by its kernels.

What a notebook sees from stored tables must be exactly what it would compute (values, dtypes,
attrs, Python types in object columns), and a damaged, partial or foreign store is never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import pandas as pd
import pytest
from support import DEMO  # noqa: E402  (the demo path is defined once, in tests/support.py)

from mchanalysis import validation
from mchanalysis.analysis import data as D
from mchanalysis.pipeline.jobs import RegionResult
from mchanalysis.pipeline.params import make_config, plan_run
from mchanalysis.pipeline.runner import SHARED_DIR, run_batch

SHA = hashlib.sha256(DEMO.read_bytes()).hexdigest()


@pytest.fixture()
def store(tmp_path):
    folder = tmp_path / ".shared"
    assert D.write_shared_tables(DEMO, folder) == folder / SHA
    return folder


@pytest.fixture()
def no_memo(monkeypatch):
    monkeypatch.setattr(D, "_MEMO", {})
    monkeypatch.delenv(D.SHARED_ENV, raising=False)


def _computed():
    loaded = D.load_counts(DEMO)
    return D._build(loaded.counts, loaded.findings, DEMO, SHA, 0.95)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_column_type=True)
    assert [repr(t) for t in a.dtypes] == [repr(t) for t in b.dtypes]
    assert repr(a.attrs) == repr(b.attrs)
    for c in a.columns:
        if a[c].dtype == object:
            assert [type(v) for v in a[c]] == [type(v) for v in b[c]], c


def test_stored_tables_read_back_exactly_as_computed(store):
    tables = D.read_shared_tables(store, SHA)
    want = _computed()
    for name in D._SHARED:
        _same(tables[name], getattr(want, name))
    # what makes a naive Parquet round trip differ: a tuple attr, an object column of ints and None
    assert isinstance(tables["counts"].attrs["not_carried_out"], tuple)
    assert {type(v) for v in tables["warnings"]["row"]} == {int, type(None)}


def test_a_kernel_reads_the_store_named_by_the_environment(store, no_memo, monkeypatch):
    monkeypatch.setenv(D.SHARED_ENV, str(store))
    calls = []
    monkeypatch.setattr(D, "load_counts", lambda *a, **k: calls.append(a) or pytest.fail("computed"))
    got = D.load_analysis_data(DEMO)
    assert calls == []
    monkeypatch.undo()
    want = _computed()
    for name in D._SHARED:
        _same(getattr(got, name), getattr(want, name))
    _same(got.registry, want.registry)
    assert got.sha256 == SHA and got.source == DEMO


def _tamper_value(path):
    frame = pd.read_parquet(path)
    frame.loc[0, "value"] = 123456.0
    frame.to_parquet(path, index=False)


@pytest.mark.parametrize(
    "damage",
    [
        lambda w: _tamper_value(w / "indicators.parquet"),  # valid Parquet, other numbers
        lambda w: (w / "quality.parquet").write_bytes((w / "quality.parquet").read_bytes()[:100]),
        lambda w: (w / "tree.parquet").unlink(),
        lambda w: (w / "tables.json").unlink(),  # a store interrupted before its last file
        lambda w: (w / "tables.json").write_text("{", encoding="utf-8"),
    ],
    ids=["other-values", "truncated", "missing-table", "no-tables-json", "bad-json"],
)
def test_a_damaged_store_is_recomputed_never_trusted(store, no_memo, monkeypatch, damage):
    damage(store / SHA)
    assert D.read_shared_tables(store, SHA) is None
    monkeypatch.setenv(D.SHARED_ENV, str(store))
    got = D.load_analysis_data(DEMO)
    _same(got.indicators, _computed().indicators)
    assert 123456.0 not in set(got.indicators["value"])


def test_a_store_of_other_bytes_or_another_level_is_not_used(store, tmp_path):
    other = "0" * 64
    shutil.copytree(store / SHA, store / other)  # the folder name alone proves nothing
    assert D.read_shared_tables(store, other) is None
    assert D.read_shared_tables(store, SHA, conf_level=0.9) is None
    meta = json.loads((store / SHA / "tables.json").read_text(encoding="utf-8"))
    meta["format"] = 999
    (store / SHA / "tables.json").write_text(json.dumps(meta), encoding="utf-8")
    assert D.read_shared_tables(store, SHA) is None


def test_a_table_parquet_would_not_give_back_is_not_stored(tmp_path, monkeypatch):
    mixed = pd.DataFrame({"a": pd.Series([1, "x", None], dtype=object)})
    with pytest.raises(D._NotStorable):
        D._to_storable(mixed)
    with pytest.raises(D._NotStorable):
        D._to_storable(pd.DataFrame({"a": [1]}, index=[5]))
    odd = pd.DataFrame({"a": [1]})
    odd.attrs["x"] = {1, 2}
    with pytest.raises(D._NotStorable):
        D._to_storable(odd)
    # the whole store is then absent: the kernels compute, as a notebook run by hand does
    real = D._build

    def with_odd_attrs(*a, **k):
        data = real(*a, **k)
        data.quality.attrs["x"] = {1, 2}
        return data

    monkeypatch.setattr(D, "_build", with_odd_attrs)
    assert D.write_shared_tables(DEMO, tmp_path / "s") is None
    assert not (tmp_path / "s" / SHA).exists()


def test_attrs_keep_their_types():
    value = {"t": (("a", 1, "m"),), "l": [1.5, None, True], "d": {"k": ()}}
    assert repr(D._decode_attr(json.loads(json.dumps(D._encode_attr(value))))) == repr(value)


class _Recorder:
    """An executor that records what a worker would see, without running notebooks."""

    def __init__(self):
        self.seen = []

    def map_unordered(self, jobs):
        for job in jobs:
            env = os.environ.get(D.SHARED_ENV)
            self.seen.append((job.shared_tables, env, D.read_shared_tables(env, SHA) is not None))
            yield RegionResult(job.code, job.region["region_name"], job.region["level"], "stopped")


def test_the_runner_builds_the_store_once_hands_it_to_workers_and_removes_it(tmp_path, monkeypatch):
    monkeypatch.delenv(D.SHARED_ENV, raising=False)
    built = []
    real = D.write_shared_tables
    monkeypatch.setattr(D, "write_shared_tables", lambda *a, **k: built.append(a) or real(*a, **k))
    validated = []
    load = D.load_counts
    counted = lambda *a, **k: validated.append(a) or load(*a, **k)  # noqa: E731
    monkeypatch.setattr(D, "load_counts", counted)
    monkeypatch.setattr(validation, "load_counts", counted)
    plan = plan_run(
        make_config({"data": DEMO, "out": tmp_path}, regions=["990105", "990106"], progress=False)
    )
    rec = _Recorder()
    run_batch(plan, executor=rec)
    folder = str(tmp_path.resolve() / str(plan.year) / SHARED_DIR)
    assert len(built) == 1
    assert len(validated) == 1  # the plan's validation is the build's: the file is read once
    assert rec.seen == [(folder, folder, True)] * 2
    assert not (tmp_path / str(plan.year) / SHARED_DIR).exists()  # not an output, not left behind
    assert D.SHARED_ENV not in os.environ


def test_a_file_without_findings_is_stored_too():
    """An empty findings table (a clean file) reads back with its columns and dtypes."""
    import io

    empty = D.load_counts(DEMO).findings.iloc[:0].reset_index(drop=True)
    stored, how = D._to_storable(empty)
    buf = io.BytesIO()
    stored.to_parquet(buf, index=False)
    _same(D._from_stored(pd.read_parquet(io.BytesIO(buf.getvalue())), how), empty)


def test_the_read_back_check_sees_every_difference_a_notebook_could():
    base = pd.DataFrame(
        {
            "a": pd.array([1, None], dtype="Int64"),
            "b": [0.5, float("nan")],
            "r": pd.Series([3, None], dtype=object),
        }
    )
    base.attrs["k"] = (("x", 1),)
    assert D._identical(base, base.copy())
    other = base.copy()
    other.loc[1, "b"] = 0.0
    assert not D._identical(base, other)  # a value
    other = base.copy()
    other["a"] = other["a"].astype("float64")
    assert not D._identical(base, other)  # a dtype
    other = base.copy()
    other.attrs["k"] = [["x", 1]]
    assert not D._identical(base, other)  # attrs: lists are not tuples
    other = base.copy()
    other["r"] = pd.Series([3.0, None], dtype=object)
    assert not D._identical(base, other)  # a Python type in an object column
    assert not D._identical(base, base.iloc[::-1])  # the order


def _chunks(frame: pd.DataFrame) -> dict:
    return {
        c: frame[c].array.__arrow_array__().num_chunks
        for c in frame.columns
        if isinstance(frame[c].array, pd.arrays.ArrowExtensionArray)
    }


def test_text_columns_are_joined_into_one_chunk_values_dtypes_and_attrs_kept():
    # a Parquet read or a concat leaves Arrow text in chunks; pyarrow's take joins them on
    # every row selection (1 ms per column on the national table): joined once, nothing else moves
    pa = pytest.importorskip("pyarrow")
    parts = [
        pd.DataFrame({"code": pd.array(["110101", None], dtype="string[pyarrow]"), "n": [1, 2]}),
        pd.DataFrame({"code": pd.array(["110102"], dtype="string[pyarrow]"), "n": [3]}),
    ]
    frame = pd.concat(parts, ignore_index=True)
    frame["arrow_int"] = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([[1], [2, None]])))
    frame.attrs = {"source": ("a", 1)}
    assert _chunks(frame) == {"code": 2, "arrow_int": 2}
    joined = D._contiguous(frame)
    assert _chunks(joined) == {"code": 1, "arrow_int": 1}
    _same(joined, frame)
    assert _chunks(frame) == {"code": 2, "arrow_int": 2}  # the caller's frame is not changed
    plain = pd.DataFrame({"n": [1, 2]})
    assert D._contiguous(plain) is plain


def test_a_kernels_tables_hold_each_text_column_in_one_chunk(store, no_memo, monkeypatch):
    # the demo's tables fit in one Parquet row group; a national file's do not: read back in
    # two pieces here, as a national table (1.3 M rows) comes back in ten
    read = D._from_stored

    def in_pieces(stored, how):
        frame = read(stored, how)
        half = len(frame) // 2
        pieces = pd.concat([frame.iloc[:half], frame.iloc[half:]], ignore_index=True)
        pieces.attrs = frame.attrs
        return pieces

    monkeypatch.setattr(D, "_from_stored", in_pieces)
    monkeypatch.setenv(D.SHARED_ENV, str(store))
    assert _chunks(D.read_shared_tables(store, SHA)["indicators"])["region_code"] == 2
    got = D.load_analysis_data(DEMO)
    for name in D._SHARED:
        assert set(_chunks(getattr(got, name)).values()) <= {1}, name
    _same(got.indicators, _computed().indicators)


@pytest.mark.parametrize("column", ["value", "region_code"])
def test_a_column_that_would_come_back_different_keeps_the_store_out(tmp_path, monkeypatch, column):
    # the read-back check goes column by column (memory): a change in any one column is seen
    real = D._from_stored

    def altered(stored, how):
        frame = real(stored, how)
        if list(frame.columns) == [column] and len(frame) > 1000:  # the indicator table's
            frame[column] = frame[column].iloc[::-1].to_numpy()
        return frame

    monkeypatch.setattr(D, "_from_stored", altered)
    assert D.write_shared_tables(DEMO, tmp_path / "s") is None
    assert not (tmp_path / "s" / SHA).exists()
