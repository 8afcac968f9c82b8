"""The report's layout (``templates/layout.yaml``): which sections, in which order, which
registry groups each tells. Read by :mod:`.context` (the facts of each section) and by
:mod:`.render` (the order sections are rendered in) -- the one place the list is kept."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml


@lru_cache(maxsize=1)
def load_layout() -> dict:
    """The report layout (``templates/layout.yaml``, package data under the existing
    ``report/templates/**/*`` glob): sections, headline indicators, comparison set."""
    text = (
        resources.files("mchanalysis.report").joinpath("templates", "layout.yaml").read_text(encoding="utf-8")
    )
    return yaml.safe_load(text)


def section_ids() -> tuple[str, ...]:
    """The sections of the technical report in their order."""
    return tuple(s["id"] for s in load_layout()["sections"])
