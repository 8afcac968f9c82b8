"""The papermill batch pipeline: every region's notebooks, executed, exported and recorded.

Modules: :mod:`.params` (run parameters and their checks), :mod:`.runner` (the batch, resume,
the run summary), :mod:`.jobs` (one region = one task: the job and result values, ``run_region``),
:mod:`.failure` (the one failure type), :mod:`.executors` (local worker processes, Dask; they
import :mod:`.jobs`, never the runner), :mod:`.notebook` (fresh and
warm-kernel execution, normalisation), :mod:`.kernel_state` (the reset inside a reused kernel),
:mod:`.manifest` (provenance and the input hash), :mod:`.staging` (atomic directory replacement),
:mod:`.export` (code-hidden HTML pages), :mod:`.index` (``index.html``), :mod:`.verify` (``mch verify``),
the notebooks' helpers live in :mod:`mchanalysis.analysis`.
"""
