"""The table writer (mchanalysis.tables): its fast CSV path gives the bytes of the pandas call
the writer used before (``neutralise_frame(df).to_csv(path, index=False, lineterminator="\\n",
encoding=...)``), computed here with pandas so a difference fails; Parquet as ``df.to_parquet``;
the same bytes on every run."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import DEMO

from mchanalysis.cli import main
from mchanalysis.indicators import compute_indicators
from mchanalysis.spreadsheet import neutralise_frame
from mchanalysis.tables import csv_chunks, float_text, write_table
from mchanalysis.validation import load_counts


def pandas_csv(df: pd.DataFrame, path, *, bom: bool = False) -> bytes:
    """The old writer: the plain pandas call write_table made before the fast path."""
    neutralise_frame(df).to_csv(
        path, index=False, lineterminator="\n", encoding="utf-8-sig" if bom else "utf-8"
    )
    return path.read_bytes()


def written(df: pd.DataFrame, path, *, bom: bool = False) -> bytes:
    return write_table(df, path, bom=bom).read_bytes()


@pytest.fixture(scope="module")
def demo_table() -> pd.DataFrame:
    return compute_indicators(load_counts(DEMO).counts, conf_level=0.95)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_demo_indicators_command_writes_the_old_writers_bytes_every_run(tmp_path, demo_table, suffix):
    old = tmp_path / f"old{suffix}"
    if suffix == ".csv":
        assert csv_chunks(demo_table) is not None  # the fast path is the one under test
        expected = pandas_csv(demo_table, old)
    else:
        demo_table.to_parquet(old, index=False)
        expected = old.read_bytes()
    for run in (1, 2):
        out = tmp_path / f"run{run}{suffix}"
        assert main(["indicators", "--data", str(DEMO), "--out", str(out)]) == 0
        assert out.read_bytes() == expected, f"run {run}: {suffix} differs from the old writer's bytes"


def test_demo_csv_with_filters_and_bom(tmp_path, demo_table):
    part = demo_table[demo_table["year"].isin([2019, 2023]) & (demo_table["level"] == "county")]
    assert written(part, tmp_path / "new.csv", bom=True) == pandas_csv(part, tmp_path / "old.csv", bom=True)
    assert (tmp_path / "new.csv").read_bytes().startswith(b"\xef\xbb\xbfregion_code,")


FLOATS = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    30.0,
    100.0,
    0.1,
    2 / 3,
    1e-4,
    9.99e-5,
    1.1e-4,
    1e-5,
    1.5e-7,
    1e-6,
    29.729495014,
    123456789.125,
    1e9,
    1e10,
    1.5e10,
    1234567890.5,
    123456789012345.0,
    1e15,
    9999999999999998.0,
    1e16,
    1.2345e16,
    1e21,
    1e22,
    1e300,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    -2.5e-5,
    -1e17,
    math.inf,
    -math.inf,
    math.nan,
]


def test_float_text_is_pythons_repr_and_nan_is_missing():
    values = np.array(FLOATS)
    got = float_text(values).to_pylist()
    assert got == [None if math.isnan(v) else repr(v) for v in FLOATS]


def test_every_column_kind_the_fast_path_renders(tmp_path):
    n = len(FLOATS)
    texts = [
        "a,b",
        'say "hi"',
        "two\nlines",
        "",
        None,
        " pad ",
        "tab\tin",
        "=SUM(A1)",
        "+1",
        "-x",
        "@me",
        "\tlead",
        "'quoted",
        "省1市2县3",
        "/10万",
        "‰",
        "plain",
        "x" * 300,
        'a"b,c',
        "逗号，全角",
        "1e5",
        "NaN",
        "None",
        "nan",
        "null",
        "-",
        "=",
        ",",
        '"',
        "ok",
        "",
        "z",
        "y",
        "w",
        "v",
        "u",
    ][:n]
    df = pd.DataFrame(
        {
            "text": pd.array(texts, dtype="str"),
            "objtext": pd.Series(texts, dtype=object),
            "float": FLOATS,
            "int": np.arange(n, dtype=np.int64) * -7,
            "uint": np.arange(n, dtype=np.uint32),
            "nullable": pd.array([None if i % 3 == 0 else i * 1000 for i in range(n)], dtype="Int64"),
            "flag": np.arange(n) % 2 == 0,
            "constant": 0.95,
            "=formula header": "x",
            'a "quoted", header': 1,
        }
    )
    half = n // 2  # pandas' pyarrow-backed text of a concat is chunked
    df["chunked"] = pd.concat([df["text"].iloc[:half], df["text"].iloc[half:]], ignore_index=True)
    assert csv_chunks(df) is not None
    assert written(df, tmp_path / "new.csv") == pandas_csv(df, tmp_path / "old.csv")
    assert written(df.iloc[0:0], tmp_path / "empty.csv") == pandas_csv(df.iloc[0:0], tmp_path / "old0.csv")


@pytest.mark.parametrize(
    "df",
    [
        pd.DataFrame({"only": ["", "x", None]}),  # pandas quotes a lone empty field
        pd.DataFrame({"a": ["carriage\rreturn", "x"], "b": [1, 2]}),
        pd.DataFrame({"a": ["x", 1], "b": [1.5, 2.0]}),  # mixed object column
        pd.DataFrame({"a": np.array([0.1, 1e-5], dtype=np.float32), "b": [1, 2]}),
        pd.DataFrame({"a": pd.array([0.1, None], dtype="Float64"), "b": [1, 2]}),
        pd.DataFrame({"a": pd.Categorical(["x", "=y"]), "b": [1, 2]}),
        pd.DataFrame({"a": pd.to_datetime(["2024-01-01", None]), "b": [1, 2]}),
        pd.DataFrame({0: ["x", "y"], 1: [1, 2]}),
    ],
    ids=[
        "one-column",
        "carriage-return",
        "mixed-object",
        "float32",
        "Float64",
        "category",
        "datetime",
        "int-names",
    ],
)
def test_what_the_fast_path_cannot_render_is_left_to_pandas(tmp_path, df):
    assert csv_chunks(df) is None
    assert written(df, tmp_path / "new.csv") == pandas_csv(df, tmp_path / "old.csv")


def test_a_large_table_is_written_in_chunks_with_the_same_bytes(tmp_path, monkeypatch):
    import mchanalysis.tables as tables

    monkeypatch.setattr(tables, "CSV_CHUNK_ROWS", 7)
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {"code": pd.array([f"{i:06d}" for i in range(100)], dtype="str"), "value": rng.lognormal(0, 5, 100)}
    )
    assert len(list(csv_chunks(df))) == 1 + 15  # header, then ceil(100 / 7) chunks
    assert written(df, tmp_path / "new.csv") == pandas_csv(df, tmp_path / "old.csv")


def test_random_floats_over_every_magnitude_match_pandas(tmp_path):
    rng = np.random.default_rng(20241204)
    mantissa = rng.uniform(-10, 10, 200_000)
    values = mantissa * 10.0 ** rng.integers(-30, 30, mantissa.size)
    values[::97] = np.round(values[::97])  # whole numbers
    values[::89] = np.nan
    df = pd.DataFrame({"i": np.arange(values.size), "v": values})
    assert written(df, tmp_path / "new.csv") == pandas_csv(df, tmp_path / "old.csv")


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), TEXT), st.floats(), st.one_of(st.none(), st.integers(-(2**62), 2**62))
        ),
        max_size=12,
    )
)
def test_any_text_float_and_integer_table_matches_pandas(tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("csv")
    df = pd.DataFrame(
        {
            "t": pd.array([r[0] for r in rows], dtype="str"),
            "f": np.array([r[1] for r in rows], dtype=np.float64),
            "n": pd.array([r[2] for r in rows], dtype="Int64"),
        }
    )
    assert written(df, tmp / "new.csv") == pandas_csv(df, tmp / "old.csv")
