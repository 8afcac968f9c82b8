"""environment.yml (conda users) must list exactly the dependencies of pyproject.toml: the core,
and the lab, dask and test extras, under conda-forge's names."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

#: PyPI name -> conda-forge name where they differ. conda-forge's ``matplotlib`` and
#: ``nbconvert`` pull in Qt and pandoc/TeX-related packages; the ``-base``/``-core`` builds are
#: the libraries alone, which is what the package imports.
CONDA_NAMES = {"matplotlib": "matplotlib-base", "nbconvert": "nbconvert-core"}
#: Extras installed by the conda environment (all of them: it is the contributors' environment).
EXTRAS = ("lab", "dask", "test")


def _norm(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    name, version = m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")
    return name, version


def _wanted() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in EXTRAS:
        specs += [s for s in project["optional-dependencies"][extra] if not s.startswith("mchanalysis[")]
    out = {}
    for name, version in map(_norm, specs):
        out[CONDA_NAMES.get(name, name)] = version
    return out


def test_environment_yml_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(
        _norm(s)
        for s in env["dependencies"]
        if isinstance(s, str) and s != "pip" and not s.startswith("python=")
    )
    assert conda == _wanted()


def test_lean_conda_forge_names_are_used():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = {_norm(s)[0] for s in env["dependencies"] if isinstance(s, str)}
    assert {"matplotlib-base", "nbconvert-core"} <= names
    assert not names & {"matplotlib", "nbconvert"}


def test_environment_yml_pins_python_311():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    assert "conda-forge" in env["channels"]
    pip = next(s for s in env["dependencies"] if isinstance(s, dict))["pip"]
    assert pip == ["-e ."]  # every dependency is listed above, so pip adds only the package
