"""Start-up of the commands that need no model (issue 12 part 3): what they import.

Not timed (times belong to ``benchmarks/``): the test checks that ``mch --help``, ``mch validate``
and ``mch indicators`` never import the heavy libraries only the models, charts and reports use
(scipy.stats, statsmodels, matplotlib, nbconvert, papermill, dask, python-docx, jinja2), which
cost about 2 s of start-up together. A module-level import of one of them in a module these
commands reach makes this test fail.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import DEMO  # noqa: E402  (the demo path is defined once, in tests/support.py)

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("scipy.stats", "statsmodels", "matplotlib", "nbconvert", "papermill", "dask", "docx", "jinja2")

PROBE = """
import atexit, sys
HEAVY = {heavy!r}
atexit.register(lambda: sys.stderr.write("HEAVY:" + ",".join(h for h in HEAVY if h in sys.modules) + "\\n"))
from mchanalysis.cli import main
sys.exit(main({argv!r}))
"""


def _heavy_imports(argv: list[str]) -> list[str]:
    res = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, argv=argv)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    line = [s for s in res.stderr.splitlines() if s.startswith("HEAVY:")]
    assert line, res.stderr
    assert res.returncode in (0, 1), res.stderr  # 1: warnings/errors of the data, not a crash
    return [h for h in line[-1][len("HEAVY:") :].split(",") if h]


def test_help_imports_no_library_of_the_work():
    # argparse exits inside main (SystemExit 0); the atexit line is still written
    assert _heavy_imports(["--help"]) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", str(DEMO)],
        ["indicators", "--data", str(DEMO), "--out", "{tmp}/indicators.parquet"],
    ],
    ids=["validate", "indicators"],
)
def test_commands_without_models_start_without_scipy_stats_or_statsmodels(argv, tmp_path):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert _heavy_imports(argv) == []


NOTEBOOK_IMPORT = """
import sys
from mchanalysis.pipeline import notebook, params
from mchanalysis.report import html_page
nb = notebook.nbformat.read({path!r}, as_version=4)
notebook.nbformat.validate(nb)  # the schema check the pipeline relies on still runs
bad = notebook.nbformat.from_dict(dict(nb, cells=[{{"cell_type": "code"}}]))
try:
    notebook.nbformat.validate(bad)
except notebook.nbformat.ValidationError:
    print("INVALID-CAUGHT")
print("LARK:" + str("lark" in sys.modules))
import rfc3987_syntax  # importable again afterwards, for whoever needs it
print("LATER:" + str(rfc3987_syntax.is_valid_syntax("iri", "http://example.org/a")))
"""


def test_the_pipeline_reads_notebooks_without_building_rfc3987_grammars():
    # nbformat -> jsonschema -> rfc3987_syntax compiles ~40 Lark grammars at import (~1 s of every
    # `mch run`): mchanalysis.notebook_format imports nbformat without them
    pytest.importorskip("rfc3987_syntax")
    path = ROOT / "mchanalysis" / "notebooks" / "04_annual_report.ipynb"
    res = subprocess.run(
        [sys.executable, "-c", NOTEBOOK_IMPORT.format(path=str(path))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert "INVALID-CAUGHT" in res.stdout
    assert "LARK:False" in res.stdout
    assert "LATER:True" in res.stdout
