"""``mch run``: execute the analysis notebooks for every selected region (the yearly batch).

Parameters come from ``--params FILE`` (YAML, see ``params/default.yaml``) and are overridden by
the options given on the command line. Everything is checked before any notebook starts.
One run at a time per output folder (``--wait`` queues behind the one running).

Exit 0 when every region is done, 1 when any is failed, partial or stopped (summary on stderr)
or on a bad parameter or a locked folder, 130 after Ctrl-C or SIGTERM (queued regions cancelled,
running ones stopped, the summary and indexes written with what was done).
"""

from __future__ import annotations

import sys

from mchanalysis.pipeline.params import EXECUTORS, LANGS, load_params_file, make_config, plan_run

HELP = "run the notebooks for every selected region into reports/<year>/<region_code>/"


def add_arguments(p):
    p.add_argument("--params", metavar="FILE", help="run parameters (YAML); options below override it")
    p.add_argument("--data", metavar="DATA", help="counts table (.csv, .xlsx, .parquet)")
    p.add_argument("--year", type=int, help="report year (default: the latest year of the data)")
    p.add_argument(
        "--regions",
        nargs="+",
        metavar="SEL",
        help="'all', region codes, 'tree:CODE' (a region and all below it) or "
        "'level:province|prefecture|county' (default: all)",
    )
    p.add_argument(
        "--targets",
        metavar="NAME|FILE",
        help="target set name or YAML file "
        "(default: auto = the 2025 milestones up to report year 2025, with the 2030 "
        "targets beside them; the 2030 set after)",
    )
    p.add_argument(
        "--narrative",
        metavar="DIR|FILE",
        help="the bureau's own text for the 答卷: a folder of <region_code>.md files or "
        "one .md file (sections 导语, 工作亮点, 重点工作, 下一步, 落款; see "
        "`mch narrative-template`)",
    )
    p.add_argument(
        "--docx-reference",
        metavar="FILE",
        help="a Word reference document (.docx) whose styles, page set-up and letterhead "
        "every report.docx and technical.docx take (default: the GB/T 9704 one)",
    )
    p.add_argument("--lang", choices=LANGS, help="report language (default: zh)")
    p.add_argument("--jobs", type=int, metavar="N", help="parallel workers (default: number of cores)")
    p.add_argument("--executor", choices=EXECUTORS, help="local processes (default) or a Dask cluster")
    p.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument(
        "--resume",
        action="store_true",
        help="skip regions whose outputs are complete and whose inputs are unchanged",
    )
    p.add_argument("--out", metavar="DIR", help="output directory (default: reports)")
    p.add_argument(
        "--notebooks",
        nargs="+",
        metavar="NB",
        help="notebooks to run, in order: paths, or names of the four (e.g. 04_annual_report: the 答卷 "
        "and technical report only) (default: the project's notebooks/ if present, else the packaged four)",
    )
    p.add_argument("--timeout", type=float, metavar="S", help="per-cell timeout in seconds (default 600)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--wait",
        action="store_true",
        help="if another mch run is writing into --out, wait for it instead of failing",
    )


def config_from_args(args):
    file_values = load_params_file(args.params) if args.params else {}
    return make_config(
        file_values,
        data=args.data,
        year=args.year,
        regions=args.regions,
        targets=args.targets,
        lang=args.lang,
        jobs=args.jobs,
        executor=args.executor,
        scheduler=args.scheduler,
        out=args.out,
        notebooks=args.notebooks,
        timeout=args.timeout,
        narrative=args.narrative,
        docx_reference=args.docx_reference,
        resume=True if args.resume else None,
        progress=False if args.no_progress else None,
    )


def run(args) -> int:
    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    from mchanalysis.pipeline.runner import run_batch

    plan = plan_run(config_from_args(args))

    result = run_batch(plan, wait=args.wait)  # Ctrl-C and SIGTERM stop it, see runner.STOP
    if result.interrupted:
        c = result.counts()
        print(
            f"mch run: interrupted; {c['done'] + c['unchanged']} region(s) done, "
            f"{c['stopped']} stopped; index: {result.index_path}",
            file=sys.stderr,
        )
        return result.exit_code
    print(result.summary(), file=sys.stderr if result.exit_code else sys.stdout)
    return result.exit_code
