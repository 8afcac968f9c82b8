"""The one failure type of the batch: where a region failed and why, as a value.

Every way a region can fail gives a :class:`Failure`: a cell that raised (papermill's fresh
kernel or the warm kernel), a kernel that died or timed out, a parameter refused before
injection, outputs that could not be written, an input file changed during the run, and an
exception outside the notebooks (a kernel that cannot start, a worker that died). The fields are
papermill's ``PapermillExecutionError`` fields (``cell_index``, ``execution_count``, ``ename``,
``evalue``, ``source``) with the notebook and the region; what a path does not know is ``None``
(no cell for a dead kernel, no notebook for a changed input).

:meth:`Failure.to_dict` is the record written to ``manifest.json`` (``failures``),
``error.json`` and ``run.json``, with the keys :data:`KEYS`; :meth:`Failure.from_dict` reads it
back (``--resume``, the indexes, ``mch verify``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

#: The keys of a failure record in ``manifest.json``, ``error.json`` and ``run.json``.
KEYS = (
    "region_code",
    "region_name",
    "level",
    "notebook",
    "cell_index",
    "execution_count",
    "ename",
    "evalue",
    "source",
)


@dataclass(frozen=True)
class Failure:
    """Where and why a region failed.

    Attributes
    ----------
    notebook : str or None
        The notebook's file name; ``None`` for a failure before or outside the notebooks.
    cell_index, execution_count : int or None
        The cell that raised (papermill's index, counting markdown cells); ``None`` when no cell
        raised (kernel died, timeout at start-up, parameters refused, outputs not written).
    ename, evalue : str
        The exception's class name and message.
    source : str
        The cell's source, ``""`` when no cell raised.
    region_code, region_name, level : str or None
        The region; ``None`` until the region's task stamps it (:meth:`for_region`).
    """

    notebook: str | None
    cell_index: int | None
    execution_count: int | None
    ename: str
    evalue: str
    source: str = ""
    region_code: str | None = None
    region_name: str | None = None
    level: str | None = None

    @classmethod
    def from_exception(cls, exc: BaseException, *, notebook: str | None = None, prefix: str = "") -> Failure:
        """A failure that no cell raised: the exception's class name and *prefix* + message."""
        return cls(notebook, None, None, type(exc).__name__, prefix + str(exc))

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Failure:
        """Read a record written by :meth:`to_dict` (other keys, e.g. ``error.json``'s
        ``status``, are not the failure's; a missing key reads as ``None``, ``""`` for text)."""
        if not isinstance(doc, dict):
            raise TypeError(f"a failure record is a JSON object, not {type(doc).__name__}")
        return cls(
            notebook=doc.get("notebook"),
            cell_index=doc.get("cell_index"),
            execution_count=doc.get("execution_count"),
            ename=str(doc.get("ename", "")),
            evalue=str(doc.get("evalue", "")),
            source=str(doc.get("source", "")),
            region_code=doc.get("region_code"),
            region_name=doc.get("region_name"),
            level=doc.get("level"),
        )

    def for_region(self, region: dict[str, Any]) -> Failure:
        """This failure with the region's code, name and level (from a job's ``region``)."""
        return dataclasses.replace(
            self, region_code=region["region_code"], region_name=region["region_name"], level=region["level"]
        )

    def to_dict(self) -> dict[str, Any]:
        """The record of :data:`KEYS` (JSON-ready)."""
        return {k: getattr(self, k) for k in KEYS}

    @property
    def where(self) -> str:
        """Where it happened, as a reader is told: ``"02_x.ipynb, cell 7"``, or ``"before the
        notebooks"`` for a failure no notebook raised (a changed input, the executor)."""
        where = self.notebook or "before the notebooks"
        if self.cell_index is not None:
            where += f", cell {self.cell_index}"
        return where

    def __str__(self) -> str:
        return f"{self.where}: {self.ename}: {self.evalue}"
