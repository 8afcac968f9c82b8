"""``mch init DIR``: a project folder of the user's own.

Creates::

    DIR/README.md            next steps
    DIR/data/                the counts table goes here (``--data FILE`` copies one in)
    DIR/params/run.yaml      the run parameters to edit (``mch run --params params/run.yaml``)
    DIR/params/targets/      copies of the packaged target sets, to edit or add to
    DIR/narrative/           the bureau's own 答卷 text (``mch narrative-template``; written
                             when ``--data`` is given)
    DIR/notebooks/           copies of the pipeline notebooks, to edit in JupyterLab

Run ``mch run`` from DIR: the notebooks of ``DIR/notebooks/`` are used when present (the packaged
ones otherwise), and a target set named on the command line or in ``run.yaml`` is looked up in
``DIR/params/targets/`` first, then among the packaged sets, by the planner and the notebooks
alike. Nothing that exists is overwritten: an existing file is kept and listed as kept.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HELP = "create a project folder: data/, params/ (run file, target sets), narrative/, notebooks/"

RUN_YAML = """\
# Run parameters of this project: `mch run --params params/run.yaml` from this folder.
# Relative paths are read from the folder you run in (this project folder).
# Region codes are TEXT: always quote them ('990000'), or YAML turns them into numbers.
data: {data}
# year: 2024                    # default: the latest year of the data
regions: ["all"]                # 'all', '990000', 'tree:990100' (a region and all below it), 'level:county'
targets: auto                   # auto, or a set of params/targets/ by name (e.g. national_2030)
lang: zh                        # zh or en
out: reports                    # reports/<year>/<region_code>/ and reports/index.html
{narrative}"""

README = """\
# {name}: an mchanalysis project

Made by `mch init` (mchanalysis {version}). Work from this folder:

1. Put the counts table in `data/` (`mch template --out data/填报模板.xlsx` writes an empty
   template with Chinese headers), then check it: `mch validate {data}`.
2. Edit `params/run.yaml` (data file, year, regions, target set, language).
3. Target sets: `params/targets/*.yaml` are copies of the packaged ones; edit them or add your
   own (`params/targets/README.md` says how) and name them in `run.yaml` or with
   `mch run --targets NAME`. A set here is used before the packaged set of the same name.
4. The bureau's own words: `mch narrative-template --data {data} --out narrative/` writes a
   starter `<region_code>.md` per region; edit them and set `narrative: narrative` in `run.yaml`.
5. Run: `mch run --params params/run.yaml`; it prints where `reports/index.html` is.
   `mch run ... --resume` redoes only what changed; `mch verify reports/<year>/<code>` checks a
   report against its `manifest.json`.
6. The notebooks in `notebooks/` are the ones `mch run` executes from this folder; open them in
   JupyterLab (`pip install 'mchanalysis[lab]'`, then `jupyter lab`) to change an analysis.
   Delete one to go back to the packaged version.
"""


def add_arguments(p):
    p.add_argument("directory", metavar="DIR", help="the project folder (created if absent)")
    p.add_argument(
        "--data",
        metavar="DATA",
        help="a counts table to copy into DIR/data/ (and write the narrative starters for)",
    )
    p.add_argument(
        "--lang",
        choices=("zh", "en"),
        default="zh",
        help="language of the narrative starter files (default: zh)",
    )


def _copy(src: Path, dst: Path, log: list[str]) -> None:
    if dst.exists():
        log.append(f"kept {dst} (exists)")
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    log.append(f"wrote {dst}")


def _write(dst: Path, text: str, log: list[str]) -> None:
    from mchanalysis.atomic import write_text

    if dst.exists():
        log.append(f"kept {dst} (exists)")
        return
    write_text(dst, text)
    log.append(f"wrote {dst}")


def run(args) -> int:
    from mchanalysis import __version__
    from mchanalysis.errors import MchError
    from mchanalysis.pipeline.params import DEFAULT_NOTEBOOKS
    from mchanalysis.resources import notebooks_dir, packaged_targets_dir

    root = Path(args.directory)
    if root.exists() and not root.is_dir():
        raise MchError("not a folder", file=root)
    log: list[str] = []
    for sub in ("data", "params/targets", "narrative", "notebooks"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    data_rel = "data/counts.csv"
    if args.data:
        src = Path(args.data)
        if not src.is_file():
            raise MchError("data file not found", file=src)
        data_rel = f"data/{src.name}"
        _copy(src, root / data_rel, log)
    for nb in DEFAULT_NOTEBOOKS:
        _copy(notebooks_dir() / nb, root / "notebooks" / nb, log)
    targets = packaged_targets_dir()
    for f in sorted(targets.iterdir()):
        if f.suffix in (".yaml", ".md"):
            _copy(f, root / "params" / "targets" / f.name, log)
    # opted into once the starter files are edited (their 导语 is the data's own paragraph)
    narrative = "# narrative: narrative          # the bureau's own text, once narrative/*.md are edited\n"
    _write(root / "params" / "run.yaml", RUN_YAML.format(data=data_rel, narrative=narrative), log)
    _write(
        root / "README.md", README.format(name=root.resolve().name, version=__version__, data=data_rel), log
    )
    if args.data:
        from types import SimpleNamespace

        from mchanalysis.cli import narrative_template

        code = narrative_template.run(
            SimpleNamespace(
                data=str(root / data_rel),
                year=None,
                regions=["all"],
                targets="auto",
                lang=args.lang,
                out=str(root / "narrative"),
            )
        )
        if code:
            return code
    for line in log:
        print(line, file=sys.stderr)
    print(f"project folder ready: {root}; next steps in {root / 'README.md'}")
    return 0
