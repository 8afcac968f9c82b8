"""mchanalysis: maternal and child health (妇幼健康) statistics and yearly 答卷 reports.

Data flow (one way), bottom to top: errors; registry, confidence, schema, resources; cells
(what one cell's text is); nianbao_workbook (the 年报 as exported); stats, regions, io;
indicators, compare, trends; quality, targets, funnel, ranking, models; validation; plots,
tables; analysis; report; pipeline; cli. A module imports only from layers below its own, and
no two modules import each other: the contracts in ``pyproject.toml`` ([tool.importlinter]),
checked by ``lint-imports`` in ``make test``. The CLI (`mch`) and the notebooks are the only
callers of the pipeline.
"""

from importlib import metadata as _metadata

try:  # the one place the version is written is pyproject.toml
    __version__ = _metadata.version("mchanalysis")
except _metadata.PackageNotFoundError:  # pragma: no cover - a source tree never installed
    __version__ = "0+unknown"
