"""Runs *inside* a reused (warm) Jupyter kernel: warm-up and the reset between two notebooks.

The batch runner keeps one kernel per worker and executes many notebooks in it, because a fresh
kernel costs about 2.7 s per notebook, mostly imports (docs/ecosystem-notes.md). Reuse is only
acceptable if every notebook's stored result equals a fresh-kernel papermill run, so between two
notebooks :func:`reset` puts back everything a notebook can observe:

- the user namespace, ``In``/``Out`` and ``_`` variables (``InteractiveShell.reset``), and the
  execution counter (so prompts and ``execute_result`` counts start at 1 again);
- matplotlib: every figure closed, ``rcParams`` restored to the state right after ``import
  matplotlib.pyplot`` in a fresh kernel (undoing ``mchanalysis.plots.use_mch_style()``);
- the warnings filters and the "shown once" registries (a warning a previous notebook triggered
  is shown again, as in a fresh kernel);
- pandas display options;
- the working directory.

Imported modules stay imported -- that is the point -- and so do deliberate in-process caches
keyed by content (e.g. :mod:`mchanalysis.analysis` keyed by the data file's SHA-256).
``tests/test_pipeline_kernel.py`` proves equality with a fresh-kernel run.
"""

from __future__ import annotations

import gc
import importlib
import os
import warnings

#: Modules imported once per kernel before the first notebook: the libraries, and the package's
#: analysis and report modules the notebooks call (with python-docx, openpyxl and Jinja2: about
#: 0.35 s that the first region paid).
WARM_MODULES = (
    "numpy",
    "pandas",
    "scipy.stats",
    "statsmodels.api",
    "matplotlib.pyplot",
    "mchanalysis.analysis",
    "mchanalysis.analysis.figures",
    "mchanalysis.analysis.tables",
    "mchanalysis.report.context",
    "mchanalysis.report.figures",
    "mchanalysis.report.outputs",
)

_snapshot: dict | None = None


def warm_up(modules=WARM_MODULES, langs=()) -> None:
    """Import *modules* (missing optional ones are skipped), compile the report templates of
    the languages *langs* (Jinja2 compiles a template on first use: 0.5 s of the first region's
    report), snapshot the resettable state, and
    move what is alive now (the imported modules: ~316,000 objects) out of the garbage
    collector's reach with :func:`gc.freeze`, so that each collection, including the one of
    every :func:`reset` (``InteractiveShell.reset``), walks only what the notebooks made: 0.2 s
    to 0.04 s a collection, four resets per region. Only live objects are frozen (a collection
    runs first); what the notebooks create is collected as before."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    if langs:
        from mchanalysis.report.context import LANGS
        from mchanalysis.report.render import environment

        for lang in langs:
            if lang in LANGS:
                env = environment(lang)
                for template in env.list_templates(extensions=["j2"]):
                    env.get_template(template)
    snapshot()
    gc.collect()
    gc.freeze()


def snapshot() -> None:
    """Record the state that :func:`reset` restores."""
    global _snapshot
    import matplotlib

    _snapshot = {
        "rc": dict(matplotlib.rcParams),
        "filters": list(warnings.filters),
    }


def reset(cwd: str) -> None:
    """Make the kernel look fresh to the next notebook; see the module docstring."""
    if _snapshot is None:
        snapshot()
    import matplotlib
    import matplotlib.pyplot as plt

    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(_snapshot["rc"])
        try:
            import pandas as pd

            pd.reset_option("all")
        except ImportError:  # pragma: no cover
            pass
    warnings.filters[:] = _snapshot["filters"]
    warnings._filters_mutated()  # invalidates every module's __warningregistry__ ("once" state)
    os.chdir(cwd)
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=False)
        shell.execution_count = 1
