"""Writing result tables to the formats users ask for, atomically.

One writer for every command and report, so every table file is written the same way:
``.csv`` (UTF-8, LF; ``bom=True`` adds a BOM so Excel shows Chinese correctly; text that a
spreadsheet would run as a formula gets a leading ``'``), ``.xlsx``
(formula-safe, deterministic: :mod:`mchanalysis.spreadsheet`), ``.parquet`` and ``.json``
(records, UTF-8, 15 significant digits).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mchanalysis.atomic import atomic_path
from mchanalysis.errors import MchError
from mchanalysis.spreadsheet import neutralise_frame, xlsx_bytes

FORMATS = (".csv", ".xlsx", ".parquet", ".json")


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
            neutralise_frame(df).to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8-sig" if bom else "utf-8")
        elif suffix == ".xlsx":
            Path(tmp).write_bytes(xlsx_bytes(df))
        elif suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            records = json.loads(df.to_json(orient="records", double_precision=15))
            tmp.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out
