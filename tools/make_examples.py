"""Re-make the committed example run ``examples/990000/`` (the demo province, every notebook).

The example is an ordinary ``mch run`` region directory, except that the notebooks receive the
data path relative to the example directory (``../../data/demo/counts.csv``) so that
``pytest --nbval examples`` can re-execute them where they are, on any machine, and compare their
outputs with the committed ones. Only the executed notebooks are kept: the HTML,
tables and figures are in any ``mch run`` output, and the manifest names this machine's absolute
paths and the current git commit. Run after changing a notebook or the package's numbers:

    .venv/bin/python tools/make_examples.py
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGION = "990000"
DATA_FROM_EXAMPLE = "../../data/demo/counts.csv"
#: Tables, figures and report.docx go to the (git-ignored) reports/ directory, also when nbval
#: re-executes the notebooks, so examples/ holds only the executed notebooks.
OUTPUT_FROM_EXAMPLE = "../../reports/examples/990000"


def main(argv=None) -> int:
    from mchanalysis.pipeline import manifest as mf
    from mchanalysis.pipeline.executors import run_job, shutdown_worker_kernel
    from mchanalysis.pipeline.params import make_config, plan_run
    from mchanalysis.pipeline.runner import make_jobs

    out = ROOT / "examples"
    plan = plan_run(
        make_config(
            {"data": ROOT / "data" / "demo" / "counts.csv", "out": out}, regions=[REGION], progress=False
        )
    )
    job = make_jobs(plan)[0]
    params = {**job.parameters, "data_path": DATA_FROM_EXAMPLE, "output_dir": OUTPUT_FROM_EXAMPLE}
    job = replace(
        job,
        parameters=params,
        year_dir=str(out),
        input_hash=mf.input_hash(
            inputs={i["role"]: i["sha256"] for i in job.inputs},
            notebooks={n["name"]: n["sha256"] for n in job.notebooks},
            parameters=params,
        ),
    )
    try:
        result = run_job(job)
    finally:
        shutdown_worker_kernel()
    if result.status != "done":
        print(f"example run failed: {result.failure}", file=sys.stderr)
        return 1
    for p in sorted((out / REGION).rglob("*"), reverse=True):
        if p.is_dir():
            p.rmdir()
        elif p.suffix != ".ipynb":
            p.unlink()
    for p in sorted((out / REGION).glob("*.ipynb")):
        p.chmod(0o644)
        print(p.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
