"""mchanalysis: maternal and child health (妇幼健康) statistics and yearly 答卷 reports.

Data flow (one way): io -> schema -> regions -> indicators -> stats/trends/models ->
plots/report -> pipeline. The CLI (`mch`) and the notebooks are the only callers of the pipeline.
"""

from importlib import metadata as _metadata

try:  # the one place the version is written is pyproject.toml
    __version__ = _metadata.version("mchanalysis")
except _metadata.PackageNotFoundError:  # pragma: no cover - a source tree never installed
    __version__ = "0+unknown"
