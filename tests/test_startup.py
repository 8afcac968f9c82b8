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
