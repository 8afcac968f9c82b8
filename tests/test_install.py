"""Installable anywhere (issue 14): package data found with importlib.resources, project folders,
target-set lookup shared by the planner and the notebooks, the CLI's conventions, and provenance
that notices a change of the package's own files or of library versions.

The wheel itself is built and run in ``test_wheel.py``.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from support import DEMO

from mchanalysis import __version__, resources
from mchanalysis.cli import main
from mchanalysis.errors import MchError
from mchanalysis.pipeline import manifest as mf
from mchanalysis.pipeline.params import DEFAULT_NOTEBOOKS, load_params_file

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mchanalysis"


# --- package data ---------------------------------------------------------------------------


def _globs() -> list[str]:
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return doc["tool"]["setuptools"]["package-data"]["mchanalysis"]


@pytest.mark.parametrize("pattern", _globs())
def test_every_package_data_glob_matches_a_file(pattern):
    hits = [p for p in glob.glob(str(PACKAGE / pattern), recursive=True) if os.path.isfile(p)]
    assert hits, f"package-data glob {pattern!r} matches nothing"


def test_every_data_file_of_the_package_is_covered_by_a_glob():
    covered = set()
    for pattern in _globs():
        covered |= {os.path.relpath(p, PACKAGE) for p in glob.glob(str(PACKAGE / pattern), recursive=True)}
    for folder in ("notebooks", "params", "data/reference", "report/templates", "fonts"):
        for path, _dirs, files in os.walk(PACKAGE / folder, followlinks=True):
            for name in files:
                rel = os.path.relpath(os.path.join(path, name), PACKAGE)
                if "__pycache__" in rel or ".ipynb_checkpoints" in rel or name.endswith(".py"):
                    continue
                assert rel in covered, f"{rel} would be left out of the wheel"


def test_packaged_files_are_found_with_importlib_resources():
    assert [p.name for p in sorted(resources.notebooks_dir().glob("*.ipynb"))] == list(DEFAULT_NOTEBOOKS)
    assert (resources.params_dir() / "default.yaml").is_file()
    assert {"national_2025", "national_2030"} <= {
        p.stem for p in resources.packaged_targets_dir().glob("*.yaml")
    }
    assert (resources.reference_dir() / "national_series.csv").is_file()
    # in a clone the package's folders are the repository's (one copy of each file)
    assert (resources.notebooks_dir() / DEFAULT_NOTEBOOKS[0]).read_bytes() == (
        ROOT / "notebooks" / DEFAULT_NOTEBOOKS[0]
    ).read_bytes()


def test_missing_packaged_reference_is_an_error_never_a_shorter_report(monkeypatch, tmp_path):
    from mchanalysis import reference
    from mchanalysis.analysis.tables import national_series

    monkeypatch.setattr(reference, "REFERENCE_DIR", tmp_path)
    with pytest.raises(resources.PackageDataMissing, match="national reference series is missing"):
        reference.load_national_series()
    # not a user error that a section may catch and leave out
    assert not issubclass(resources.PackageDataMissing, MchError)
    with pytest.raises(resources.PackageDataMissing):
        national_series("imr")


def test_a_missing_package_file_names_itself():
    with pytest.raises(resources.PackageDataMissing, match="no_such_file.yaml"):
        resources.package_path("params", "no_such_file.yaml")


# --- project folders and target sets -------------------------------------------------------


def test_init_scaffolds_a_project_and_never_overwrites(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "proj"]) == 0
    proj = tmp_path / "proj"
    for rel in (
        "README.md",
        "params/run.yaml",
        "params/targets/national_2030.yaml",
        "params/targets/README.md",
        *(f"notebooks/{n}" for n in DEFAULT_NOTEBOOKS),
    ):
        assert (proj / rel).is_file(), rel
    assert (proj / "data").is_dir() and (proj / "narrative").is_dir()
    values = load_params_file(proj / "params" / "run.yaml")
    assert values["targets"] == "auto" and values["regions"] == ("all",)
    run_yaml = proj / "params" / "run.yaml"
    run_yaml.write_text(run_yaml.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["init", "proj"]) == 0
    assert run_yaml.read_text(encoding="utf-8").endswith("# mine\n")
    assert f"kept {Path('proj') / 'params' / 'run.yaml'} (exists)" in capsys.readouterr().err


def test_run_uses_the_project_notebooks_when_present(tmp_path, monkeypatch):
    from mchanalysis.pipeline.params import default_notebooks

    monkeypatch.chdir(tmp_path)
    assert default_notebooks() == tuple(resources.notebooks_dir() / n for n in DEFAULT_NOTEBOOKS)
    (tmp_path / "notebooks").mkdir()
    mine = tmp_path / "notebooks" / DEFAULT_NOTEBOOKS[1]
    shutil.copy(resources.notebooks_dir() / DEFAULT_NOTEBOOKS[1], mine)
    nbs = default_notebooks()
    assert nbs[1] == mine and nbs[0] == resources.notebooks_dir() / DEFAULT_NOTEBOOKS[0]


def test_target_names_resolve_project_first_for_the_planner_and_the_notebooks(tmp_path, monkeypatch):
    from mchanalysis.pipeline.params import make_config, plan_run
    from mchanalysis.targets import load_target_set, target_dirs

    proj = tmp_path / "proj"
    (proj / "params" / "targets").mkdir(parents=True)
    text = (resources.packaged_targets_dir() / "national_2030.yaml").read_text(encoding="utf-8")
    (proj / "params" / "targets" / "mycity_2030.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(proj)
    monkeypatch.setenv(resources.PROJECT_ENV, "")  # restored after the test (plan_run sets it)
    plan = plan_run(make_config({"data": DEMO}, regions=["990105"], targets="mycity_2030"))
    assert plan.target_set == "mycity_2030"
    assert os.environ[resources.PROJECT_ENV] == str(proj.resolve())
    # a notebook runs in its staging folder: the same name finds the same file
    staging = tmp_path / "staging"
    staging.mkdir()
    monkeypatch.chdir(staging)
    assert target_dirs()[-1] == resources.packaged_targets_dir()
    found = load_target_set("mycity_2030").path
    assert Path(found).resolve() == (proj / "params" / "targets" / "mycity_2030.yaml").resolve()
    assert Path(load_target_set("national_2025").path).parent == resources.packaged_targets_dir()


# --- CLI conventions -----------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["--debug", "validate", "nope.csv"], ["validate", "nope.csv", "--debug"]])
def test_debug_before_or_after_the_command_shows_the_traceback(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MchError, match="nope.csv"):
        main(argv)


def test_without_debug_a_user_error_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "nope.csv"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_version_comes_from_the_installed_metadata(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"mchanalysis {metadata.version('mchanalysis')}"
    assert __version__ == metadata.version("mchanalysis")


def test_progress_bar_only_on_a_terminal():
    from mchanalysis.pipeline.runner import _Progress

    bar = _Progress(3, enabled=True).bar  # stderr is captured by pytest: not a terminal
    assert bar is None or bar.disable


# --- provenance ----------------------------------------------------------------------------


def _package_copy(dst: Path) -> Path:
    """The package with its linked folders copied as files (what a wheel installs)."""
    shutil.copytree(
        PACKAGE,
        dst / "mchanalysis",
        symlinks=False,
        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
    )
    return dst / "mchanalysis"


def test_package_digest_covers_templates_registry_and_code(tmp_path):
    pkg = _package_copy(tmp_path)
    before = mf.package_digest(pkg)
    assert before == mf.package_digest(pkg)
    files = dict(mf.package_files(pkg))
    for rel in (
        "report/templates/zh/brief.j2",
        "indicators.yaml",
        "stats.py",
        "data/reference/national_series.csv",
        "notebooks/04_annual_report.ipynb",
    ):
        assert rel in files, rel
    (pkg / "__pycache__").mkdir(exist_ok=True)
    (pkg / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert mf.package_digest(pkg) == before  # compiled files do not count
    for rel in ("report/templates/zh/brief.j2", "indicators.yaml", "stats.py"):
        p = pkg / rel
        old = p.read_bytes()
        p.write_bytes(old + b"\n")
        assert mf.package_digest(pkg) != before, rel
        p.write_bytes(old)
    assert mf.package_digest(pkg) == before


def test_input_hash_changes_with_package_files_and_library_versions():
    base = dict(inputs={"data": "a"}, notebooks={"01.ipynb": "b"}, parameters={"year": 2024})
    libs = mf.library_versions()
    h = mf.input_hash(**base, package_files="x", libraries=libs)
    assert h != mf.input_hash(**base, package_files="y", libraries=libs)
    assert h != mf.input_hash(**base, package_files="x", libraries={**libs, "numpy": "0.0"})
    assert mf.input_hash(**base) == mf.input_hash(**base, package_files=mf.package_digest(), libraries=libs)


def test_run_help_lists_every_option_including_notebooks(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    assert "--notebooks NB" in text and "==SUPPRESS==" not in text


def test_verify_names_the_changed_cells_of_a_table():
    from mchanalysis.pipeline.verify import table_cell_changes

    before = "region_code,year,value\n990105,2023,4.09\n990105,2024,3.10\n".encode("utf-8-sig")
    after = b"region_code,year,value\n990105,2023,4.10\n990105,2024,3.10\n"
    assert table_cell_changes(before, after) == ["row 2 (990105), value: '4.09' here, '4.10' on re-execution"]
    assert table_cell_changes(before, before) == []
    longer = after + b"990106,2024,1.00\n"
    assert table_cell_changes(after, longer)[0] == "2 data row(s) here, 3 on re-execution"
    renamed = after.replace(b"value", b"rate")
    assert table_cell_changes(after, renamed)[0].startswith("columns differ:")
    many = b"a,b\n" + b"".join(b"%d,1\n" % i for i in range(20))
    other = b"a,b\n" + b"".join(b"%d,2\n" % i for i in range(20))
    lines = table_cell_changes(many, other, limit=3)
    assert len(lines) == 4 and lines[-1] == "… and 17 more cell(s)"


def test_verify_names_version_differences_first():
    from mchanalysis.pipeline.verify import VerifyReport, version_differences

    libs = mf.library_versions()
    doc = {
        "package": {"version": __version__, "files_sha256": mf.package_digest()},
        "libraries": {**libs, "numpy": "0.0"},
    }
    diffs = version_differences(doc)
    assert diffs == [f"numpy 0.0 -> {libs['numpy']}"]
    doc["package"] = {"version": "0.0.1", "files_sha256": "0" * 64}
    assert [d.split()[0] for d in version_differences(doc)] == ["mchanalysis", "mchanalysis", "numpy"]
    report = VerifyReport(Path("x"), versions=diffs, differ=["tables/a.csv"])
    assert report.lines()[0] == f"version differs from the run: numpy 0.0 -> {libs['numpy']}"


def _mch(args, cwd, env=None, timeout=600):
    proc = subprocess.run(
        [sys.executable, "-m", "mchanalysis", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    return proc


@pytest.mark.slow
def test_resume_after_editing_a_template_of_the_package_redoes_the_region(tmp_path):
    pkg = _package_copy(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    nb = pkg / "notebooks" / "01_data_quality.ipynb"
    args = [
        "run",
        "--data",
        DEMO,
        "--regions",
        "990105",
        "--notebooks",
        nb,
        "--out",
        "out",
        "--no-progress",
        "--jobs",
        "1",
    ]
    first = _mch(args, tmp_path, env)
    assert first.returncode == 0, first.stderr
    same = _mch([*args, "--resume"], tmp_path, env)
    assert "0 done, 1 unchanged" in same.stdout, same.stdout + same.stderr
    manifest = tmp_path / "out" / "2024" / "990105" / "manifest.json"
    before = json.loads(manifest.read_text(encoding="utf-8"))
    assert before["package"]["files_sha256"] == mf.package_digest(pkg)
    template = pkg / "report" / "templates" / "zh" / "brief.j2"
    template.write_text(template.read_text(encoding="utf-8") + "{# edited #}\n", encoding="utf-8")
    again = _mch([*args, "--resume"], tmp_path, env)
    assert "1 done, 0 unchanged" in again.stdout, again.stdout + again.stderr
    after = json.loads(manifest.read_text(encoding="utf-8"))
    assert after["input_hash"] != before["input_hash"]
    assert after["package"]["files_sha256"] == mf.package_digest(pkg) != before["package"]["files_sha256"]


@pytest.mark.slow
def test_verify_a_folder_moved_to_another_machine_with_data(tmp_path):
    here = tmp_path / "machine1"
    here.mkdir()
    data = here / "counts.csv"
    shutil.copy(DEMO, data)
    nb = resources.notebooks_dir() / "01_data_quality.ipynb"
    run = _mch(
        [
            "run",
            "--data",
            data,
            "--regions",
            "990105",
            "--notebooks",
            nb,
            "--out",
            "out",
            "--no-progress",
            "--jobs",
            "1",
        ],
        here,
    )
    assert run.returncode == 0, run.stderr
    there = tmp_path / "machine2"
    shutil.copytree(here / "out" / "2024" / "990105", there / "990105")
    moved = there / "data" / "counts.csv"
    moved.parent.mkdir()
    shutil.copy(data, moved)
    shutil.rmtree(here)  # the recorded paths are gone
    lost = _mch(["verify", "990105"], there)
    assert lost.returncode == 1 and "--data" in lost.stderr
    ok = _mch(["verify", "990105", "--data", moved], there)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "identical" in ok.stdout
    # a library version changed (simulated in the manifest): said first
    mpath = there / "990105" / "manifest.json"
    doc = json.loads(mpath.read_text(encoding="utf-8"))
    doc["libraries"]["pandas"] = "1.0.0"
    mpath.write_text(json.dumps(doc), encoding="utf-8")
    diff = _mch(["verify", "990105", "--data", moved, "--no-execute"], there)
    first_line = (diff.stdout + diff.stderr).splitlines()[0]
    assert first_line == f"version differs from the run: pandas 1.0.0 -> {metadata.version('pandas')}"


# --- documentation -------------------------------------------------------------------------


def test_docstrings_cite_documents_that_exist():
    import re

    cited = set()
    for path in list(PACKAGE.rglob("*.py")) + [PACKAGE / "indicators.yaml"]:
        text = path.read_text(encoding="utf-8")
        for bare in ("DESIGN.md", "ECOSYSTEM_NOTES.md", "STYLE.md"):
            assert not re.search(rf"(?<![/\w]){re.escape(bare)}", text), f"{path}: cites {bare}"
        cited |= set(re.findall(r"docs/[\w.-]+\.md", text))
    assert cited
    for rel in sorted(cited):
        assert (ROOT / rel).is_file(), rel


def test_a_broken_installation_is_one_line_without_debug(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(resources, "package_root", lambda: tmp_path / "site-packages" / "mchanalysis")
    assert main(["demo", "d"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing from the installed mchanalysis package" in err
    with pytest.raises(resources.PackageDataMissing):
        main(["--debug", "demo", "d"])


def test_a_notebook_opened_by_hand_in_a_project_finds_its_target_sets(tmp_path, monkeypatch):
    from mchanalysis.targets import load_target_set

    proj = tmp_path / "proj"
    (proj / "params" / "targets").mkdir(parents=True)
    (proj / "notebooks").mkdir()
    shutil.copy(
        resources.packaged_targets_dir() / "national_2030.yaml",
        proj / "params" / "targets" / "mycity_2030.yaml",
    )
    monkeypatch.setenv(resources.PROJECT_ENV, "")  # restored after the test (plan_run sets it)
    monkeypatch.chdir(proj / "notebooks")  # JupyterLab's kernel folder
    assert (
        Path(load_target_set("mycity_2030").path).resolve()
        == (proj / "params" / "targets" / "mycity_2030.yaml").resolve()
    )
