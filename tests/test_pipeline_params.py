"""Run parameters are checked before any notebook starts: clear errors, codes stay strings."""

from __future__ import annotations

import pytest

from mchanalysis.analysis import load_analysis_data
from mchanalysis.errors import MchError
from mchanalysis.pipeline.params import (
    load_params_file,
    make_config,
    plan_run,
    repo_root,
    select_regions,
)

ROOT = repo_root()
from support import DEMO  # noqa: E402


@pytest.fixture(scope="module")
def counts():
    return load_analysis_data(DEMO).counts


@pytest.fixture(scope="module")
def tree():
    return load_analysis_data(DEMO).tree


def test_default_params_select_the_province_tree_in_its_latest_year(counts):
    config = make_config(load_params_file(ROOT / "params" / "default.yaml"))
    plan = plan_run(config, counts=counts)
    assert plan.year == 2024 == int(counts["year"].max())
    codes = list(plan.regions["region_code"])
    assert codes[0] == "990000" and len(codes) == counts["region_code"].nunique() == 19
    assert plan.target_set == "auto"
    # the report year 2024 is judged on the 2025 milestones, the 2030 targets beside: both hashed
    roles = {i["role"]: i["path"] for i in plan.inputs}
    assert roles["targets"].endswith("national_2025.yaml") and roles["targets_beside"].endswith(
        "national_2030.yaml"
    )
    params = plan.notebook_parameters("990102")
    assert params["region_code"] == "990102" and isinstance(params["region_code"], str)
    assert params["output_dir"] == "." and params["year"] == 2024


@pytest.mark.parametrize("name", ["province_only", "counties_en", "city_district_plan", "dask_cluster"])
def test_example_params_files_load(name, counts):
    config = make_config(load_params_file(ROOT / "params" / "examples" / f"{name}.yaml"))
    if config.executor == "dask":
        assert config.scheduler
        return
    plan = plan_run(config, counts=counts)
    assert len(plan.regions) >= 1


def test_unknown_region_code_lists_the_closest_codes_and_names(tree):
    with pytest.raises(MchError) as err:
        select_regions(tree, ["990107"])
    msg = str(err.value)
    assert "unknown region code '990107'" in msg
    assert "990106 石桥县" in msg or "990102 川中区" in msg


def test_a_region_name_instead_of_a_code_suggests_its_code(tree):
    with pytest.raises(MchError, match="990102 川中区"):
        select_regions(tree, ["川中区"])


def test_tree_and_level_selectors(tree):
    city = select_regions(tree, ["tree:990100"])
    assert list(city["region_code"]) == ["990100", "990102", "990103", "990104", "990105", "990106"]
    counties = select_regions(tree, ["level:county"])
    assert set(counties["level"]) == {"county"} and len(counties) == 15
    with pytest.raises(MchError, match="unknown level 'district'"):
        select_regions(tree, ["level:district"])


@pytest.mark.parametrize(
    "override, message",
    [
        ({"year": 2031}, r"year 2031 is not in the data \(years 2010-2024\)"),
        ({"targets": "national_2300"}, r"no target set named 'national_2300'.*did you mean 'national_2030'"),
        ({"lang": "fr"}, "unknown language 'fr'"),
        ({"regions": ["990199"]}, "unknown region code '990199'"),
        ({"executor": "dask"}, "needs --scheduler"),
        ({"jobs": 0}, "--jobs must be at least 1"),
    ],
)
def test_bad_parameters_fail_before_anything_runs(override, message, counts, tmp_path):
    config = make_config({"data": DEMO, "out": tmp_path / "out"}, **override)
    with pytest.raises(MchError, match=message):
        plan_run(config, counts=counts)
    assert not (tmp_path / "out").exists()


def test_yaml_region_codes_must_be_quoted(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("data: data/demo/counts.csv\nregions: [010101]\n", encoding="utf-8")
    with pytest.raises(MchError, match="region codes must be text.*got 4161 of type int"):
        load_params_file(p)


def test_yaml_unknown_key_suggests_the_right_one(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("data: data/demo/counts.csv\nregion: ['990000']\n", encoding="utf-8")
    with pytest.raises(MchError, match="unknown key 'region'; did you mean 'regions'"):
        load_params_file(p)


def test_cli_reports_a_bad_region_in_one_line(capsys, tmp_path):
    from mchanalysis.cli import main

    code = main(
        ["run", "--data", str(DEMO), "--regions", "990199", "--out", str(tmp_path / "o"), "--no-progress"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "unknown region code '990199'; closest:" in err


def test_a_narrative_folder_reaches_only_the_notebooks_that_declare_it_and_is_hashed(counts, tmp_path):
    folder = tmp_path / "bureau"
    folder.mkdir()
    (folder / "990102.md").write_text("## 工作亮点\n- 新建危重孕产妇救治中心1个。\n", encoding="utf-8")
    plan = plan_run(
        make_config({"data": DEMO, "out": tmp_path / "out", "regions": ["990102"]}, narrative=str(folder)),
        counts=counts,
    )
    assert plan.optional_parameters() == {"narrative": str(folder.resolve())}
    assert any(i["role"] == "narrative:990102.md" for i in plan.inputs)
    with pytest.raises(MchError, match="narrative: no such file or folder"):
        make_config({"data": DEMO}, narrative=str(tmp_path / "missing"))


def test_a_given_target_set_is_used_as_given(counts, tmp_path):
    plan = plan_run(
        make_config({"data": DEMO, "out": tmp_path / "out"}, targets="national_2030"), counts=counts
    )
    roles = [i["role"] for i in plan.inputs]
    assert plan.target_set == "national_2030" and "targets" in roles and "targets_beside" not in roles


def test_a_docx_reference_is_checked_hashed_and_given_to_the_report_notebook(counts, tmp_path):
    ref = ROOT / "mchanalysis" / "report" / "templates" / "reference.docx"
    plan = plan_run(
        make_config({"data": DEMO, "out": tmp_path / "out", "regions": ["990102"]}, docx_reference=str(ref)),
        counts=counts,
    )
    assert plan.optional_parameters()["docx_reference"] == str(ref.resolve())
    assert any(i["role"] == "docx_reference" for i in plan.inputs)
    bad = tmp_path / "letterhead.txt"
    bad.write_text("x", encoding="utf-8")
    with pytest.raises(MchError, match="docx_reference: not a .docx file"):
        make_config({"data": DEMO}, docx_reference=str(bad))


@pytest.mark.parametrize("given", ["04_annual_report", "04_annual_report.ipynb"])
def test_a_notebook_named_like_one_of_the_four_is_that_notebook(given, counts, tmp_path, monkeypatch):
    # a national 答卷 batch runs the report notebook alone: by name, from any directory
    monkeypatch.chdir(tmp_path)
    config = make_config({"data": str(DEMO)}, notebooks=[given])
    plan = plan_run(config, counts=counts)
    (nb,) = plan.notebooks
    assert nb["name"] == "04_annual_report.ipynb"
    default = make_config({"data": str(DEMO)}).notebooks[-1]
    assert nb["path"] == str(default.resolve()) and default.name == "04_annual_report.ipynb"
    # the same from a params file, and a project folder's own notebook wins over the package's
    own = tmp_path / "notebooks" / "04_annual_report.ipynb"
    own.parent.mkdir()
    own.write_bytes(default.read_bytes())
    params = tmp_path / "run.yaml"
    params.write_text(f"data: {DEMO}\nnotebooks: [{given}]\n", encoding="utf-8")
    config = make_config(load_params_file(params))
    assert [p.resolve() for p in config.notebooks] == [own.resolve()]


def test_a_notebook_that_is_neither_a_file_nor_one_of_the_four_is_not_found(counts, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = make_config({"data": str(DEMO)}, notebooks=["05_annual_report"])
    with pytest.raises(MchError) as err:
        plan_run(config, counts=counts)
    text = str(err.value)
    assert "notebook not found" in text and "05_annual_report" in text
    assert "04_annual_report" in text  # the names it would have taken
