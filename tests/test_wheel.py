"""The wheel is the product: built, installed into a fresh virtualenv outside the repository
and run from a folder of the user's own (issue 14). The virtualenv is the session's
``wheel_venv`` (``tests/installed_wheel.py``); the README's commands, ``mch demo`` from an empty
folder among them, run in the same one (``tests/test_readme.py``). Slow: notebooks run.
"""

from __future__ import annotations

import re
import shutil

import pytest
from installed_wheel import run
from support import DEMO

pytestmark = pytest.mark.slow

NATIONAL = re.compile(r"全国\d{4}年")


def test_the_wheel_holds_its_package_data(wheel_venv):
    import zipfile

    wheel = next((wheel_venv.parent / "wheel").glob("mchanalysis-*.whl"))
    names = {n.removeprefix("mchanalysis/") for n in zipfile.ZipFile(wheel).namelist()}
    for needed in (
        "notebooks/01_data_quality.ipynb",
        "notebooks/04_annual_report.ipynb",
        "params/default.yaml",
        "params/targets/national_2030.yaml",
        "data/reference/national_series.csv",
        "indicators.yaml",
        "py.typed",
        "fonts/NotoSansCJKsc-Regular-MCH-subset.otf",
        "fonts/OFL.txt",
        "report/templates/zh/brief.j2",
        "report/templates/reference.docx",
    ):
        assert needed in names, needed


def test_a_project_folder_of_the_users_own(wheel_venv, tmp_path):
    """``mch init`` then ``mch run`` with the installed wheel, from a folder of the user's own, a
    target set of its own named (not pathed). (``mch demo`` from an empty folder with the wheel is
    the README's quickstart: tests/test_readme.py.)"""
    here = tmp_path
    data = here / "counts.csv"
    shutil.copyfile(DEMO, data)
    run([wheel_venv / "mch", "init", "proj", "--data", data], cwd=here)
    proj = here / "proj"
    for rel in (
        "params/run.yaml",
        "params/targets/national_2030.yaml",
        "README.md",
        "notebooks/02_indicator_trends.ipynb",
        "narrative/990105.md",
        "data/counts.csv",
    ):
        assert (proj / rel).is_file(), rel
    own = proj / "params" / "targets" / "mycity_2030.yaml"
    text = (proj / "params" / "targets" / "national_2030.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^title_zh:.*$", "title_zh: 东川市妇幼健康发展目标（2030年）", text)
    assert "东川市妇幼健康发展目标" in text
    own.write_text(text, encoding="utf-8")
    run(
        [
            wheel_venv / "mch",
            "run",
            "--params",
            "params/run.yaml",
            "--regions",
            "990105",
            "--targets",
            "mycity_2030",
            "--no-progress",
        ],
        cwd=proj,
    )
    report = (proj / "reports" / "2024" / "990105" / "report.html").read_text(encoding="utf-8")
    assert "东川市妇幼健康发展目标" in report
    assert NATIONAL.search(report)
