"""Writing result tables to the formats users ask for, atomically.

One writer for every command and report, so every table file is written the same way:
``.csv`` (UTF-8, LF; ``bom=True`` adds a BOM so Excel shows Chinese correctly; text that a
spreadsheet would run as a formula gets a leading ``'``), ``.xlsx``
(formula-safe, deterministic: :mod:`mchanalysis.spreadsheet`), ``.parquet`` and ``.json``
(records, UTF-8, 15 significant digits).

CSV bytes are those of ``neutralise_frame(df).to_csv(path, index=False, lineterminator="\\n")``
(pandas' defaults: minimal quoting, missing values as empty fields, floats as Python's shortest
round-trip ``repr``, integers as digits). :func:`csv_chunks` renders the columns of a table with
pyarrow's compute kernels instead of pandas' per-cell Python writer (about ten times faster on a
national indicator table of 1.3 million rows) and gives the same bytes; a table with a column it
cannot render exactly (see :func:`csv_chunks`) is written by pandas as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from mchanalysis.atomic import atomic_path
from mchanalysis.errors import MchError
from mchanalysis.spreadsheet import FORMULA_PREFIXES, neutralise, neutralise_frame, xlsx_bytes

FORMATS = (".csv", ".xlsx", ".parquet", ".json")
#: Rows rendered at a time by :func:`csv_chunks` (bounds the memory of the text being built).
CSV_CHUNK_ROWS = 100_000
_NULLABLE_INTEGERS = (
    pd.Int8Dtype,
    pd.Int16Dtype,
    pd.Int32Dtype,
    pd.Int64Dtype,
    pd.UInt8Dtype,
    pd.UInt16Dtype,
    pd.UInt32Dtype,
    pd.UInt64Dtype,
)
_UTF8_BOM = b"\xef\xbb\xbf"
_FORMULA_RE = "^[" + "".join(re.escape(p) for p in FORMULA_PREFIXES) + "]"
#: Characters that make Python's csv writer (pandas' QUOTE_MINIMAL, lineterminator "\n") quote a
#: field; a carriage return is left to pandas, as Python versions differ on quoting it.
_QUOTE_RE = '[,"\n]'


def write_table(df: pd.DataFrame, path, *, formats=FORMATS, bom: bool = False) -> Path:
    """Write ``df`` to ``path`` in the format given by its suffix (one of ``formats``).

    Raises
    ------
    MchError
        If the suffix is not one of ``formats``.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in formats:
        raise MchError(f"output must end in {', '.join(formats)}", file=out)
    with atomic_path(out) as tmp:
        if suffix == ".csv":  # formula-like text neutralised as in XLSX
            write_csv(df, tmp, bom=bom)
        elif suffix == ".xlsx":
            Path(tmp).write_bytes(xlsx_bytes(df))
        elif suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            records = json.loads(df.to_json(orient="records", double_precision=15))
            tmp.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out


def write_csv(df: pd.DataFrame, path, *, bom: bool = False) -> Path:
    """Write ``df`` as CSV to ``path`` (not atomically: :func:`write_table` does that).

    The bytes are those of ``neutralise_frame(df).to_csv(path, index=False, lineterminator="\\n",
    encoding="utf-8-sig" if bom else "utf-8")``: through :func:`csv_chunks` when it can render
    every column, else through that pandas call.
    """
    path = Path(path)
    chunks = csv_chunks(df)
    if chunks is None:
        neutralise_frame(df).to_csv(
            path, index=False, lineterminator="\n", encoding="utf-8-sig" if bom else "utf-8"
        )
        return path
    with open(path, "wb") as fh:
        if bom:
            fh.write(_UTF8_BOM)
        for chunk in chunks:
            fh.write(chunk)
    return path


def csv_chunks(df: pd.DataFrame) -> Iterator[bytes] | None:
    """The UTF-8 bytes of ``df`` as CSV (header first, then :data:`CSV_CHUNK_ROWS` rows at a
    time), identical to pandas' ``neutralise_frame(df).to_csv(index=False, lineterminator="\\n")``;
    ``None`` when a column is of a kind whose pandas text this function does not reproduce.

    Rendered here: numpy integers and booleans, pandas' nullable integers, numpy ``float64``
    (:func:`float_text`), and text columns (pandas' string dtype, or object columns holding only
    ``str`` and missing values), neutralised as :func:`mchanalysis.spreadsheet.neutralise` does.
    Left to pandas: any other dtype (float32, nullable floats and booleans, dates, categories,
    mixed objects), a table of fewer than two columns (pandas quotes a lone empty field), column
    names that are not text, and text holding a carriage return.
    """
    if df.shape[1] < 2 or not all(isinstance(c, str) for c in df.columns):
        return None
    header = [neutralise(c) for c in df.columns]
    if any("\r" in c for c in header):
        return None
    renderers = []
    for i in range(df.shape[1]):
        render = _column_renderer(df.iloc[:, i])
        if render is None:
            return None
        renderers.append(render)
    head = ",".join(f'"{c.replace(chr(34), chr(34) * 2)}"' if re.search(_QUOTE_RE, c) else c for c in header)

    def chunks() -> Iterator[bytes]:
        import pyarrow.compute as pc

        yield (head + "\n").encode("utf-8")
        for start in range(0, len(df), CSV_CHUNK_ROWS):
            length = min(CSV_CHUNK_ROWS, len(df) - start)
            parts = [render(start, length) for render in renderers]
            parts[-1] = pc.binary_join_element_wise(parts[-1], _text(""), _text("\n"))  # "b" -> "b\n"
            yield _concatenated(pc.binary_join_element_wise(*parts, _text(",")))

    return chunks()


def float_text(values: np.ndarray):
    """A ``float64`` array as pandas writes it to CSV: Python's ``repr`` (shortest round-trip
    digits, fixed notation from 1e-4 to 1e16, else ``1e-05`` style), NaN as missing (null).

    pyarrow's cast to text gives the same shortest digits in fixed notation for most values,
    without a trailing ``.0`` on whole numbers; that is added. Values where its notation differs
    (exponent form, magnitudes under 1e-4 or from 1e16, infinities) are written with ``repr``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = np.asarray(values, dtype=np.float64)
    text = pc.cast(pa.array(values, from_pandas=True), pa.large_string())
    magnitude = np.abs(values)
    with np.errstate(invalid="ignore"):
        plain = np.isfinite(values) & (((magnitude >= 1e-4) & (magnitude < 1e16)) | (magnitude == 0))
    plain &= ~np.asarray(pc.fill_null(pc.match_substring(text, "e"), False))
    whole = plain & (values == np.trunc(values))  # fixed notation below 1e16: no "." iff whole
    if whole.any():
        mask = pa.array(whole)
        text = pc.replace_with_mask(
            text, mask, pc.binary_join_element_wise(pc.filter(text, mask), _text(".0"), _text(""))
        )
    other = ~plain & ~np.isnan(values)
    if other.any():
        text = pc.replace_with_mask(
            text, pa.array(other), pa.array([repr(float(v)) for v in values[other]], pa.large_string())
        )
    return text


def _column_renderer(s: pd.Series):
    """A function ``(start, length) -> CSV fields`` of one column's rows (a pyarrow large_string
    array without nulls), or ``None`` if the column is of a kind left to pandas. Only small
    things are kept (distinct texts and their codes); the text of numbers is made per chunk."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype = s.dtype
    empty = _text("")

    def by_code(fields, indices):
        return lambda start, length: pc.fill_null(pc.take(fields, indices.slice(start, length)), empty)

    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        ints = s.to_numpy()
        return lambda start, length: pc.cast(pa.array(ints[start : start + length]), pa.large_string())
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        flags = s.to_numpy()
        return lambda start, length: pc.if_else(
            pa.array(flags[start : start + length]), _text("True"), _text("False")
        )
    if isinstance(dtype, _NULLABLE_INTEGERS):
        nullable = pa.array(s.array)
        return lambda start, length: pc.fill_null(
            pc.cast(nullable.slice(start, length), pa.large_string()), empty
        )
    if isinstance(dtype, np.dtype) and dtype == np.float64:
        floats = s.to_numpy()
        coded = pc.dictionary_encode(pa.array(floats, from_pandas=True))
        if 2 * len(coded.dictionary) < len(s):  # few distinct values (a confidence level): each once
            return by_code(float_text(coded.dictionary.to_numpy(zero_copy_only=False)), coded.indices)
        return lambda start, length: pc.fill_null(float_text(floats[start : start + length]), empty)
    is_object = isinstance(dtype, np.dtype) and dtype.kind == "O"
    if isinstance(dtype, pd.StringDtype) or (
        is_object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")
    ):
        text = pa.array(
            s.to_numpy(dtype=object, na_value=None) if is_object else s.array,
            type=pa.large_string(),
            from_pandas=True,
        )
        if isinstance(text, pa.ChunkedArray):  # pandas' pyarrow-backed text after a concat
            text = text.combine_chunks()
        # each distinct text rendered once (codes, names and units repeat down a tidy table)
        coded = pc.dictionary_encode(text)
        fields = _text_fields(coded.dictionary)
        return None if fields is None else by_code(fields, coded.indices)
    return None


def _text_fields(text):
    """Text values (large_string, no nulls) as CSV fields: neutralised, then quoted where Python's
    csv writer quotes; ``None`` if one holds a carriage return."""
    import pyarrow.compute as pc

    if pc.any(pc.match_substring(text, "\r")).as_py():
        return None
    formula = pc.match_substring_regex(text, _FORMULA_RE)
    text = pc.if_else(formula, pc.binary_join_element_wise(_text("'"), text, _text("")), text)
    quote = pc.match_substring_regex(text, _QUOTE_RE)
    quoted = pc.binary_join_element_wise(
        _text('"'), pc.replace_substring(text, '"', '""'), _text('"'), _text("")
    )
    return pc.if_else(quote, quoted, text)


def _text(value: str):
    """A pyarrow large_string scalar (the compute kernels want one string type throughout)."""
    import pyarrow as pa

    return pa.scalar(value, pa.large_string())


def _concatenated(lines) -> bytes:
    """The bytes of a pyarrow string array's values, end to end (its data buffer, sliced)."""
    lines = lines.combine_chunks() if hasattr(lines, "combine_chunks") else lines
    if len(lines) == 0:
        return b""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    return memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])].tobytes()
