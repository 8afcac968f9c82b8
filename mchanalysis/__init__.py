"""mchanalysis: maternal and child health (妇幼健康) statistics and yearly 答卷 reports.

Data flow (one way): io -> schema -> regions -> indicators -> stats/trends/models ->
plots/report -> pipeline. The CLI (`mch`) and the notebooks are the only callers of the pipeline.
"""

__version__ = "0.1.0"
