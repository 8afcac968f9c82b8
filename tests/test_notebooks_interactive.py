"""The notebooks as an epidemiologist runs them by hand (papermill stands in for Run All in
JupyterLab): parameters checked first in one line, outputs never into a batch's folder, and every
section honouring the report year."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest

from mchanalysis import analysis, report
from mchanalysis.pipeline.params import repo_root

ROOT = repo_root()
from support import DEMO  # noqa: E402  (the demo path is defined once, in tests/support.py)


def _project(tmp_path: Path) -> Path:
    """A copy of the project's notebooks and demo data, laid out as a clone."""
    proj = tmp_path / "proj"
    shutil.copytree(ROOT / "notebooks", proj / "notebooks")
    (proj / "data" / "demo").mkdir(parents=True)
    shutil.copy(DEMO, proj / "data" / "demo" / "counts.csv")
    return proj


def _run(proj: Path, name: str, **params) -> nbformat.NotebookNode:
    out = proj / "notebooks" / f"_run_{name}"
    try:
        papermill.execute_notebook(
            str(proj / "notebooks" / name),
            str(out),
            parameters=params,
            cwd=str(proj / "notebooks"),
            kernel_name="python3",
            progress_bar=False,
        )
    except papermill.PapermillExecutionError:
        pass
    return nbformat.read(str(out), as_version=4)


def _digest(folder: Path) -> dict:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _error_outputs(nb) -> list:
    return [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]


@pytest.mark.slow
def test_exploring_a_county_by_hand_never_touches_the_batch_reports(tmp_path):
    proj = _project(tmp_path)
    batch = proj / "reports"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mchanalysis",
            "run",
            "--data",
            str(proj / "data" / "demo" / "counts.csv"),
            "--year",
            "2024",
            "--regions",
            "990000",
            "990203",
            "--out",
            str(batch),
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    before = {c: _digest(batch / "2024" / c) for c in ("990000", "990203")}
    for name in ("02_indicator_trends.ipynb", "04_annual_report.ipynb"):
        nb = _run(proj, name, region_code="990203")
        assert not _error_outputs(nb), name
    assert {c: _digest(batch / "2024" / c) for c in ("990000", "990203")} == before
    scratch = batch / "interactive" / "2024" / "990203"
    assert (scratch / "tables" / "mortality_joinpoint.csv").is_file()
    assert (scratch / "report.docx").is_file() and (scratch / "technical.html").is_file()
    # pointing the notebook at a batch's folder is refused in one line
    nb = _run(
        proj, "02_indicator_trends.ipynb", region_code="990203", output_dir=str(batch / "2024" / "990000")
    )
    errs = _error_outputs(nb)
    assert len(errs) == 1 and errs[0]["ename"] == "ParameterError" and len(errs[0]["traceback"]) == 1
    assert "manifest.json" in errs[0]["traceback"][0]
    assert {c: _digest(batch / "2024" / c) for c in ("990000", "990203")} == before


@pytest.mark.slow
def test_notebook_02_honours_the_report_year_and_agrees_with_the_report(tmp_path):
    proj = _project(tmp_path)
    nb = _run(proj, "02_indicator_trends.ipynb", region_code="990100", year=2023)
    assert not _error_outputs(nb)
    tables = proj / "reports" / "interactive" / "2023" / "990100" / "tables"
    for f in tables.glob("*.csv"):
        t = pd.read_csv(f)
        for col in ("year", "end", "last_end"):
            if col in t:
                assert (pd.to_numeric(t[col], errors="coerce").dropna() <= 2023).all(), f.name
    jp = pd.read_csv(tables / "mortality_joinpoint.csv")
    ctx = report.build_context(DEMO, year=2023, region_code="990100", figures=False)
    for ind in analysis.MORTALITY:
        t = ctx.facts[ind]["trend"]
        rows = jp[jp["indicator"] == ind]
        if t and t["aapc"]:
            aapc = rows[rows["segment"] == "aapc"].iloc[0]
            assert aapc["apc"] == pytest.approx(t["aapc"]["apc"], rel=1e-12)
            assert int(rows["k"].iloc[0]) == len(t["joinpoints"])


@pytest.mark.slow
@pytest.mark.parametrize(
    "params,expected",
    [
        ({"indicators": ["mmr", "imrr"]}, "did you mean 'imr'"),
        ({"region_code": "990999"}, "region_code: region '990999' is not in the data"),
        ({"year": 2030}, "year: "),
        ({"year": 2030, "notebook": "04_annual_report.ipynb"}, "year: "),
        ({"region_code": "990999", "notebook": "01_data_quality.ipynb"}, "region_code: "),
        ({"lang": "fr", "notebook": "03_mortality_models.ipynb"}, "lang must be"),
    ],
)
def test_a_wrong_parameter_is_one_line_without_traceback(tmp_path, params, expected):
    proj = _project(tmp_path)
    params = dict(params)
    nb = _run(proj, params.pop("notebook", "02_indicator_trends.ipynb"), **params)
    errs = _error_outputs(nb)
    assert len(errs) == 1 and errs[0]["ename"] == "ParameterError"
    assert len(errs[0]["traceback"]) == 1 and expected in errs[0]["traceback"][0]
