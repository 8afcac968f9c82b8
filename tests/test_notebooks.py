"""The pipeline notebooks as files: thin, parameterized, stored without outputs.

The committed ``.ipynb`` files are the source, edited in JupyterLab: these tests check their
structure (one parameters cell, no definitions or loops, short code cells, no outputs, the
python3 kernel), never their bytes, so a notebook saved by JupyterLab passes them."""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest

from mchanalysis.errors import MchError
from mchanalysis.pipeline.params import NOTEBOOK_PARAMETERS, check_notebook, repo_root

ROOT = repo_root()
NOTEBOOKS = [
    "01_data_quality.ipynb",
    "02_indicator_trends.ipynb",
    "03_mortality_models.ipynb",
    "04_annual_report.ipynb",
]
#: A code cell longer than this is logic that belongs in the package (the parameters cell, one
#: assignment a line, is exempt).
MAX_CODE_LINES = 12


@pytest.fixture(params=NOTEBOOKS)
def notebook(request):
    path = ROOT / "notebooks" / request.param
    return path, nbformat.read(str(path), as_version=4)


def test_the_four_notebooks_are_all_there_is():
    assert sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")) == NOTEBOOKS


def test_code_cells_are_short(notebook):
    _, nb = notebook
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            assert len(cell.source.splitlines()) <= MAX_CODE_LINES, cell.source


def test_a_notebook_edited_and_saved_in_jupyterlab_passes_the_notebook_checks(tmp_path):
    """JupyterLab writes JSON with indent 1, non-ASCII kept, its own metadata; an edited
    Markdown cell is the kind of change the README invites."""
    folder = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", folder)
    path = folder / NOTEBOOKS[1]
    nb = json.loads(path.read_text(encoding="utf-8"))
    md = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    md["source"] = (
        md["source"] + ["\n", "本地说明：2024年起按新口径统计。"]
        if isinstance(md["source"], list)
        else md["source"] + "\n本地说明：2024年起按新口径统计。"
    )
    nb["metadata"]["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "name": "python",
        "version": "3.11.2",
    }
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    edited = nbformat.read(str(path), as_version=4)
    nbformat.validate(edited)
    check_notebook(path)
    for test in (
        test_stored_without_outputs_and_with_the_python3_kernel,
        test_code_cells_define_nothing_and_loop_over_nothing,
        test_every_code_cell_is_preceded_by_markdown_after_the_parameters,
        test_code_cells_are_short,
    ):
        test((path, edited))


def test_exactly_one_parameters_cell_declaring_the_runner_parameters(notebook):
    path, nb = notebook
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    check_notebook(path)  # the parameter names equal NOTEBOOK_PARAMETERS (papermill's view)
    assert re.search(r'^region_code = "\d{6}"', tagged[0].source, re.M), "region code must be a string"


def test_stored_without_outputs_and_with_the_python3_kernel(notebook):
    _, nb = notebook
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_code_cells_define_nothing_and_loop_over_nothing(notebook):
    _, nb = notebook
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not re.search(r"^\s*def |\bfor |\bwhile |\blambda\b", cell.source, re.M), cell.source


def test_every_code_cell_is_preceded_by_markdown_after_the_parameters(notebook):
    _, nb = notebook
    kinds = [c.cell_type for c in nb.cells]
    assert kinds[0] == "markdown"
    assert "markdown" in kinds[2:] and kinds.count("markdown") >= kinds.count("code") // 2


def test_a_misspelt_parameter_fails_loudly(tmp_path):
    nb = nbformat.read(str(ROOT / "notebooks" / NOTEBOOKS[0]), as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source = cell.source.replace("region_code =", "regoin_code =")
    bad = tmp_path / "bad.ipynb"
    nbformat.write(nb, str(bad))
    with pytest.raises(
        MchError, match=r"missing region_code.*unknown regoin_code \(did you mean region_code\?\)"
    ):
        check_notebook(bad)


def test_a_notebook_without_parameters_cell_is_refused(tmp_path):
    nb = nbformat.read(str(ROOT / "notebooks" / NOTEBOOKS[0]), as_version=4)
    for c in nb.cells:
        c.metadata.pop("tags", None)
    bad = tmp_path / "untagged.ipynb"
    nbformat.write(nb, str(bad))
    with pytest.raises(MchError, match="exactly one cell tagged 'parameters', found 0"):
        check_notebook(bad)


def test_runner_parameters_are_the_documented_six():
    assert NOTEBOOK_PARAMETERS == ("data_path", "year", "region_code", "target_set", "lang", "output_dir")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_example_runs_match_the_current_notebooks(name):
    """examples/990000/ must be re-made (tools/make_examples.py) when a notebook changes."""
    example = ROOT / "examples" / "990000" / name
    if not example.exists():
        pytest.fail(f"missing example run {example}")
    ran = nbformat.read(str(example), as_version=4)
    source = nbformat.read(str(ROOT / "notebooks" / name), as_version=4)
    ran_cells = [c for c in ran.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    assert [(c.cell_type, c.source) for c in ran_cells] == [(c.cell_type, c.source) for c in source.cells]
    injected = next(c for c in ran.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'region_code = "990000"' in injected.source
    assert 'data_path = "../../data/demo/counts.csv"' in injected.source
    for cell in ran_cells:
        if cell.cell_type == "code":
            assert not any(o.get("output_type") == "error" for o in cell.outputs)
