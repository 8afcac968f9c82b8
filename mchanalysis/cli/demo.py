"""``mch demo [DIR]``: the whole pipeline on the demo data, from any folder.

Writes the synthetic demo counts (:func:`mchanalysis.demo.write_demo_csv`, byte-identical to the
repository's ``data/demo/counts.csv``) to ``DIR/data/demo/counts.csv`` and every report of the
fictional demo province, its cities and its counties under ``DIR/reports/<year>/<region_code>/``
(and a copy of the national reference series in ``DIR/data/reference/``)
with ``DIR/reports/index.html``, using the packaged ``params/default.yaml`` and notebooks; prints
where the index is. ``DIR`` defaults to ``./mch-demo``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HELP = "run every notebook for the demo province, its cities and counties into DIR (default ./mch-demo)"

#: The folder ``mch demo`` writes into when none is named.
DEFAULT_DIR = "mch-demo"


def add_arguments(p):
    p.add_argument(
        "directory",
        nargs="?",
        default=DEFAULT_DIR,
        metavar="DIR",
        help=f"folder for the demo data and reports (default: ./{DEFAULT_DIR})",
    )
    p.add_argument("--out", metavar="DIR", help="reports folder (default: DIR/reports)")
    p.add_argument("--jobs", type=int, metavar="N", help="parallel workers (default: number of cores)")
    p.add_argument("--resume", action="store_true", help="skip regions already complete and unchanged")
    p.add_argument("--lang", choices=("zh", "en"), help="report language (default: zh)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    from mchanalysis.demo import write_demo_csv
    from mchanalysis.pipeline.params import load_params_file, make_config, plan_run
    from mchanalysis.pipeline.runner import run_batch
    from mchanalysis.resources import params_dir, reference_dir

    folder = Path(args.directory)
    data = write_demo_csv(folder / "data" / "demo" / "counts.csv")
    # the national series the reports compare with, beside the data (for `mch joinpoint` & co.)
    national = folder / "data" / "reference" / "national_series.csv"
    national.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(reference_dir() / "national_series.csv", national)
    values = load_params_file(params_dir() / "default.yaml")
    values["data"] = data
    out = Path(args.out) if args.out else folder / "reports"
    config = make_config(
        values,
        out=out,
        jobs=args.jobs,
        lang=args.lang,
        resume=True if args.resume else None,
        progress=False if args.no_progress else None,
    )
    result = run_batch(plan_run(config))
    print(result.summary(), file=sys.stderr if result.exit_code else sys.stdout)
    print(f"open {result.index_path}")
    return result.exit_code
