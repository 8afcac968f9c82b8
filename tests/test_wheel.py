"""The wheel is the product: built, installed into a fresh virtualenv outside the repository and
run from an empty folder as a user would (issue 14).

The virtualenv is made without pip by the interpreter running the tests; the test environment's
``site-packages`` is appended to its path by a ``.pth`` file so the dependencies need no
download, and only the wheel is installed into it (``pip --python V install --no-deps``). A
``.pth`` line only appends a folder: the editable install of the repository that lives there is
not activated, so ``mchanalysis`` is imported from the wheel (checked). Slow: ``mch demo`` runs
every notebook for 19 regions.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What the build needs from the repository (the package's links point into these).
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "mchanalysis", "notebooks", "params",
           "data/reference")
NATIONAL = re.compile(r"全国\d{4}年")
#: nbconvert's base templates are data files its pip install put under the test environment's
#: prefix, not the fresh one's: this folder (filled by the ``venv`` fixture) links to them and
#: to nothing else -- not to that prefix's kernel spec, whose Python imports the repository.
JUPYTER_DATA = Path(os.environ.get("TMPDIR", "/tmp")) / f"mch-wheel-jupyter-{os.getpid()}"

pytestmark = pytest.mark.slow


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MCH_PROJECT_DIR")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["JUPYTER_PATH"] = str(JUPYTER_DATA)
    return env


def _run(cmd, cwd, timeout=1800):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=_env(), capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _setuptools_is_new_enough() -> bool:
    try:
        from importlib.metadata import version

        return int(version("setuptools").split(".")[0]) >= 77
    except Exception:
        return False


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh virtualenv holding the wheel built from this tree; returns its bin folder."""
    JUPYTER_DATA.mkdir(exist_ok=True)
    link = JUPYTER_DATA / "nbconvert"
    if not link.exists():
        link.symlink_to(Path(sys.prefix) / "share" / "jupyter" / "nbconvert")
    src = tmp_path_factory.mktemp("src")
    for rel in SOURCES:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / rel).is_dir():
            shutil.copytree(ROOT / rel, src / rel, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(ROOT / rel, src / rel)
    dist = tmp_path_factory.mktemp("dist")
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", dist, src]
    if _setuptools_is_new_enough():  # else an isolated build fetches setuptools from PyPI
        build.insert(4, "--no-build-isolation")
    _run(build, cwd=dist)
    v = tmp_path_factory.mktemp("venv") / "v"
    _run([sys.executable, "-m", "venv", "--without-pip", v], cwd=dist)
    (v / "wheel").mkdir()
    wheel = shutil.copy2(next(dist.glob("mchanalysis-*.whl")), v / "wheel")
    purelib = Path(subprocess.check_output(
        [v / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        text=True, env=_env()).strip())
    (purelib / "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", v / "bin" / "python", "install", "--no-deps",
          "--no-index", wheel], cwd=dist)
    where = _run([v / "bin" / "python", "-c", "import mchanalysis; print(mchanalysis.__file__)"],
                 cwd=dist).stdout.strip()
    assert Path(where).is_relative_to(purelib), where  # the wheel, not the repository
    kernel = _run([v / "bin" / "python", "-c", "from jupyter_client.kernelspec import "
                   "KernelSpecManager as M; print(M().get_kernel_spec('python3').argv[0])"],
                  cwd=dist).stdout.strip()
    assert kernel in ("python", "python3", str(v / "bin" / "python")), kernel  # the kernels too
    yield v / "bin"
    shutil.rmtree(JUPYTER_DATA, ignore_errors=True)


def test_the_wheel_holds_its_package_data(venv):
    import zipfile

    wheel = next((venv.parent / "wheel").glob("mchanalysis-*.whl"))
    names = {n.removeprefix("mchanalysis/") for n in zipfile.ZipFile(wheel).namelist()}
    for needed in ("notebooks/01_data_quality.ipynb", "notebooks/04_annual_report.ipynb",
                   "params/default.yaml", "params/targets/national_2030.yaml",
                   "data/reference/national_series.csv", "indicators.yaml", "py.typed",
                   "fonts/NotoSansCJKsc-Regular-MCH-subset.otf", "fonts/OFL.txt",
                   "report/templates/zh/brief.j2", "report/templates/reference.docx"):
        assert needed in names, needed


def test_demo_from_an_empty_folder_then_a_project_folder(venv, tmp_path):
    here = tmp_path / "empty"
    here.mkdir()
    proc = _run([venv / "mch", "demo", "--no-progress"], cwd=here)
    index = Path(re.search(r"(?m)^open (.+)$", proc.stdout).group(1))
    assert index.is_file() and index.is_relative_to((here / "mch-demo" / "reports").resolve())
    regions = sorted((here / "mch-demo" / "reports" / "2024").glob("99????"))
    assert len(regions) == 19, regions
    for region in regions:
        text = (region / "report.html").read_text(encoding="utf-8")
        assert NATIONAL.search(text), f"{region.name}: no national comparison in the 答卷"

    # a project folder of the user's own, a target set of its own named (not pathed)
    _run([venv / "mch", "init", "proj", "--data", here / "mch-demo" / "data" / "demo" / "counts.csv"],
         cwd=here)
    proj = here / "proj"
    for rel in ("params/run.yaml", "params/targets/national_2030.yaml", "README.md",
                "notebooks/02_indicator_trends.ipynb", "narrative/990105.md", "data/counts.csv"):
        assert (proj / rel).is_file(), rel
    own = proj / "params" / "targets" / "mycity_2030.yaml"
    text = (proj / "params" / "targets" / "national_2030.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^title_zh:.*$", "title_zh: 东川市妇幼健康发展目标（2030年）", text)
    assert "东川市妇幼健康发展目标" in text
    own.write_text(text, encoding="utf-8")
    _run([venv / "mch", "run", "--params", "params/run.yaml", "--regions", "990105",
          "--targets", "mycity_2030", "--no-progress"], cwd=proj)
    report = (proj / "reports" / "2024" / "990105" / "report.html").read_text(encoding="utf-8")
    assert "东川市妇幼健康发展目标" in report
    assert NATIONAL.search(report)
