"""The wheel built from this tree and installed into a fresh virtualenv outside the repository
(issue 14): the environment ``tests/test_wheel.py`` and ``tests/test_readme.py`` run the user's
commands in, built once per test session (fixture ``wheel_venv`` in ``conftest.py``).

The virtualenv is made without pip by the interpreter running the tests; the test environment's
``site-packages`` is appended to its path by a ``.pth`` file so the dependencies need no
download, and only the wheel is installed into it (``pip --python V install --no-deps``). A
``.pth`` line only appends a folder: the editable install of the repository that lives there is
not activated, so ``mchanalysis`` is imported from the wheel (checked).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What the build needs from the repository (the package's links point into these).
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "mchanalysis", "notebooks", "params", "data/reference")
#: nbconvert's base templates are data files its pip install put under the test environment's
#: prefix, not the fresh one's: this folder (filled by :func:`build_venv`) links to them and
#: to nothing else -- not to that prefix's kernel spec, whose Python imports the repository.
JUPYTER_DATA = Path(os.environ.get("TMPDIR", "/tmp")) / f"mch-wheel-jupyter-{os.getpid()}"


def env() -> dict:
    """The environment of a user's shell: no PYTHONPATH (the repository must not be importable),
    no MCH_PROJECT_DIR, and the nbconvert templates of :data:`JUPYTER_DATA`."""
    e = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MCH_PROJECT_DIR")}
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    e["JUPYTER_PATH"] = str(JUPYTER_DATA)
    return e


def run(cmd, cwd, timeout=1800):
    """Run a command in :func:`env`; fail the test with its output if it fails."""
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env(), capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _setuptools_is_new_enough() -> bool:
    try:
        from importlib.metadata import version

        return int(version("setuptools").split(".")[0]) >= 77
    except Exception:
        return False


def build_venv(tmp_path_factory):
    """A fresh virtualenv holding the wheel built from this tree; yields its bin folder (the
    ``wheel_venv`` fixture of ``conftest.py``, one per test session)."""
    JUPYTER_DATA.mkdir(exist_ok=True)
    link = JUPYTER_DATA / "nbconvert"
    if not link.exists():
        link.symlink_to(Path(sys.prefix) / "share" / "jupyter" / "nbconvert")
    src = tmp_path_factory.mktemp("src")
    for rel in SOURCES:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / rel).is_dir():
            shutil.copytree(
                ROOT / rel,
                src / rel,
                symlinks=True,
                ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
            )
        else:
            shutil.copy2(ROOT / rel, src / rel)
    dist = tmp_path_factory.mktemp("dist")
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", dist, src]
    if _setuptools_is_new_enough():  # else an isolated build fetches setuptools from PyPI
        build.insert(4, "--no-build-isolation")
    run(build, cwd=dist)
    v = tmp_path_factory.mktemp("venv") / "v"
    run([sys.executable, "-m", "venv", "--without-pip", v], cwd=dist)
    (v / "wheel").mkdir()
    wheel = shutil.copy2(next(dist.glob("mchanalysis-*.whl")), v / "wheel")
    purelib = Path(
        subprocess.check_output(
            [v / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
            env=env(),
        ).strip()
    )
    (purelib / "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            v / "bin" / "python",
            "install",
            "--no-deps",
            "--no-index",
            wheel,
        ],
        cwd=dist,
    )
    where = run(
        [v / "bin" / "python", "-c", "import mchanalysis; print(mchanalysis.__file__)"], cwd=dist
    ).stdout.strip()
    assert Path(where).is_relative_to(purelib), where  # the wheel, not the repository
    kernel = run(
        [
            v / "bin" / "python",
            "-c",
            "from jupyter_client.kernelspec import "
            "KernelSpecManager as M; print(M().get_kernel_spec('python3').argv[0])",
        ],
        cwd=dist,
    ).stdout.strip()
    assert kernel in ("python", "python3", str(v / "bin" / "python")), kernel  # the kernels too
    yield v / "bin"
    shutil.rmtree(JUPYTER_DATA, ignore_errors=True)
