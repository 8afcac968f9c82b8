"""The indicator registry: loading and querying indicator definitions.

The registry (``indicators.yaml`` beside this file) is data: one entry per indicator with its
numerator and denominator measures, multiplier, unit, direction and kind. Nothing about an
indicator is hard-coded elsewhere; users add indicators by adding entries (or by passing their
own YAML file).

This module is the floor of the package's analysis layer: it imports nothing of the package but
:mod:`mchanalysis.errors`, so any module may ask the registry about an indicator without an
import cycle (the import contracts in ``pyproject.toml`` keep it so).
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from mchanalysis.errors import MchError

REGISTRY_FIELDS = (
    "id",
    "name_zh",
    "name_en",
    "numerator",
    "denominator",
    "multiplier",
    "unit",
    "direction",
    "kind",
    "group",
)
KINDS = ("proportion", "rate")
DIRECTIONS = ("lower_is_better", "higher_is_better", "neutral")
UNITS = {100: "%", 1000: "‰", 10000: "/万", 100000: "/10万"}
#: Optional ``status`` of an entry: how firmly its definition is established (the project's
#: reference, ``indicators.csv``). Entries without one are the core set of docs/design.md.
STATUSES = ("confirmed", "partly_confirmed", "best_understanding")


def _read_registry(text: str, source: str) -> pd.DataFrame:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MchError(f"not valid YAML: {exc}", file=source) from None
    entries = doc.get("indicators") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise MchError("expected a top-level list 'indicators:' of entries", file=source)
    seen = set()
    for i, e in enumerate(entries, start=1):
        where = f"entry {i} ({e.get('id', '?') if isinstance(e, dict) else '?'})"
        if not isinstance(e, dict):
            raise MchError(f"{where}: an entry must be a mapping", file=source)
        missing = [f for f in REGISTRY_FIELDS if f not in e]
        if missing:
            raise MchError(f"{where}: missing field(s) {', '.join(missing)}", file=source)
        if e["id"] in seen:
            raise MchError(f"{where}: duplicate indicator id", file=source)
        seen.add(e["id"])
        if e["kind"] not in KINDS:
            raise MchError(f"{where}: kind must be one of {KINDS}, got {e['kind']!r}", file=source)
        if e["direction"] not in DIRECTIONS:
            raise MchError(f"{where}: direction must be one of {DIRECTIONS}", file=source)
        if e["multiplier"] not in UNITS:
            raise MchError(f"{where}: multiplier must be one of {sorted(UNITS)}", file=source)
        if "status" in e and e["status"] not in STATUSES:
            raise MchError(f"{where}: status must be one of {STATUSES}, got {e['status']!r}", file=source)
        e.setdefault("decimals", 2)
    reg = pd.DataFrame(entries)
    return reg


@lru_cache(maxsize=8)
def _registry_cached(path: str | None) -> pd.DataFrame:
    if path is None:
        text = resources.files("mchanalysis").joinpath("indicators.yaml").read_text(encoding="utf-8")
        return _read_registry(text, "mchanalysis/indicators.yaml")
    p = Path(path)
    if not p.exists():
        raise MchError("indicator registry file not found", file=p)
    return _read_registry(p.read_text(encoding="utf-8"), str(p))


def load_registry(path: str | Path | None = None) -> pd.DataFrame:
    """The indicator registry as a DataFrame, one row per indicator (registry order).

    Parameters
    ----------
    path : str or Path, optional
        A user's own registry YAML; default the package's ``indicators.yaml``.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, name_zh, name_en, numerator, denominator, multiplier, unit, direction,
        kind, group, decimals`` (and any extra fields of the entries).
    """
    return _registry_cached(None if path is None else str(path)).copy()


def indicator_meta(indicator: str, registry: pd.DataFrame | None = None) -> dict:
    """The registry entry of one indicator as a dict (raises MchError for an unknown id)."""
    reg = load_registry() if registry is None else registry
    row = reg[reg["id"] == indicator]
    if row.empty:
        close = difflib.get_close_matches(indicator, reg["id"].tolist(), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise MchError(f"unknown indicator {indicator!r}{hint}")
    return row.iloc[0].to_dict()
