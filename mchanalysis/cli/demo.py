"""``mch demo``: the whole pipeline on the demo data (params/default.yaml).

Every report of the fictional demo province, its cities and its counties, under
``reports/<year>/<region_code>/`` with ``reports/index.html``; prints where the index is.
"""

from __future__ import annotations

import sys

HELP = "run every notebook for the demo province, its cities and counties; print the index path"


def add_arguments(p):
    p.add_argument("--out", metavar="DIR", help="output directory (default: reports)")
    p.add_argument("--jobs", type=int, metavar="N", help="parallel workers (default: number of cores)")
    p.add_argument("--resume", action="store_true", help="skip regions already complete and unchanged")
    p.add_argument("--lang", choices=("zh", "en"), help="report language (default: zh)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    from mchanalysis.pipeline.params import load_params_file, make_config, plan_run, repo_root
    from mchanalysis.pipeline.runner import run_batch

    values = load_params_file(repo_root() / "params" / "default.yaml")
    config = make_config(values, out=args.out, jobs=args.jobs, lang=args.lang,
                         resume=True if args.resume else None,
                         progress=False if args.no_progress else None)
    result = run_batch(plan_run(config))
    print(result.summary(), file=sys.stderr if result.exit_code else sys.stdout)
    print(f"open {result.index_path}")
    return result.exit_code
