"""A reused (warm) kernel leaves no trace of the previous notebook: what it stores equals a fresh
papermill kernel's result byte for byte, and normalisation removes only run-to-run noise."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mchanalysis.pipeline.notebook import (
    INJECTED_CELL_ID,
    NotebookFailed,
    WarmKernel,
    execute_fresh,
    normalise,
    notebook_bytes,
)

# the batch runs notebooks in kernels: outside the fast lane (make test runs it)
pytestmark = pytest.mark.slow

PARAMS = {
    "data_path": "unused.csv",
    "year": 2024,
    "region_code": "010101",
    "target_set": "t",
    "lang": "zh",
    "output_dir": ".",
}
PARAM_CELL = (
    'data_path = "x"\nyear = 2000\nregion_code = "000000"\ntarget_set = "t"\nlang = "zh"\noutput_dir = "."'
)


def _nb(path, *bodies):
    nb = new_notebook()
    p = new_code_cell(PARAM_CELL, id="parameters")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell("# probe", id="title"), p]
    nb.cells += [new_code_cell(b, id=f"c{i}") for i, b in enumerate(bodies)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


# The polluter changes every piece of state a notebook can observe.
POLLUTER = [
    "import warnings, pandas as pd, matplotlib, matplotlib.pyplot as plt\n"
    "leftover = 42\n"
    "matplotlib.rcParams['lines.linewidth'] = 9.0\n"
    "pd.set_option('display.max_rows', 3)\n"
    "warnings.warn('probe warning')\n"
    "warnings.simplefilter('ignore')\n"
    "fig = plt.figure()\n"
    "import os; os.chdir('/')\n"
    "leftover",
    "raise ValueError('the polluter fails on purpose')",
]
# The probe prints what it can see of that state.
PROBE = [
    "import warnings, os, pandas as pd, matplotlib, matplotlib.pyplot as plt\n"
    "print('leftover' in dir(), matplotlib.rcParams['lines.linewidth'], pd.get_option('display.max_rows'))\n"
    "print(len(plt.get_fignums()), os.path.basename(os.getcwd()))\n"
    "warnings.warn('probe warning')\n"
    "region_code",
    "for i in range(40):\n    print(i)\n",
    "pd.DataFrame({'a': range(5)})",
]


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    d = tmp_path_factory.mktemp("nbs")
    (d / "work").mkdir()
    return _nb(d / "polluter.ipynb", *POLLUTER), _nb(d / "probe.ipynb", *PROBE), d / "work"


def test_warm_kernel_after_a_polluting_failing_notebook_equals_a_fresh_kernel(notebooks):
    polluter, probe, work = notebooks
    fresh = notebook_bytes(execute_fresh(probe, PARAMS, cwd=work))
    kernel = WarmKernel()
    try:
        with pytest.raises(NotebookFailed) as failed:
            kernel.execute(polluter, PARAMS, cwd=work)
        assert failed.value.failure.cell_index == 4 and failed.value.failure.ename == "ValueError"
        warm = [notebook_bytes(kernel.execute(probe, PARAMS, cwd=work)) for _ in range(2)]
    finally:
        kernel.close()
    assert warm[0] == fresh and warm[1] == fresh
    text = fresh.decode("utf-8")
    assert "False 1.5 60" in text  # no leftover variable, default rcParams and pandas options
    assert "0 work" in text  # no open figure, the cwd it was given
    assert "UserWarning: probe warning" in text  # the "once" registry was reset
    assert '"execution_count": 1' in text


def test_normalise_removes_timings_and_fixes_the_injected_cell_id(notebooks):
    _, probe, work = notebooks
    nb = execute_fresh(probe, PARAMS, cwd=work)
    assert set(nb.metadata["papermill"]) == {"parameters"}
    assert nb.metadata["kernelspec"]["name"] == "python3"
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and injected[0]["id"] == INJECTED_CELL_ID
    assert 'region_code = "010101"' in injected[0].source  # the code stays a string
    for cell in nb.cells:
        assert "papermill" not in cell.metadata and "execution" not in cell.metadata
    loop_cell = nb.cells[4]
    assert [o["output_type"] for o in loop_cell.outputs] == ["stream"]  # one merged stream
    assert loop_cell.outputs[0]["text"] == "".join(f"{i}\n" for i in range(40))


def test_normalise_is_idempotent(notebooks):
    _, probe, work = notebooks
    nb = execute_fresh(probe, PARAMS, cwd=work)
    once = notebook_bytes(nb)
    assert notebook_bytes(normalise(nb)) == once


def test_normalise_blanks_memory_addresses_in_plain_text_reprs():
    from mchanalysis.pipeline.notebook import normalise

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("s")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output(
            "execute_result",
            data={
                "text/plain": "<pandas.io.formats.style.Styler at 0x7fa01012b350>",
                "text/html": "<table></table>",
            },
            execution_count=1,
        )
    ]
    normalise(nb, {})
    assert nb.cells[0].outputs[0]["data"]["text/plain"] == "<pandas.io.formats.style.Styler at 0x0>"
    assert nb.cells[0].outputs[0]["data"]["text/html"] == "<table></table>"


def test_a_warm_kernel_runs_its_numerical_libraries_on_one_thread_unless_the_user_chose(
    tmp_path, monkeypatch
):
    # one kernel per core: BLAS threads of their own would compete with the other kernels
    from mchanalysis.pipeline.notebook import KERNEL_THREAD_LIMITS, kernel_environment

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    env = kernel_environment()
    assert env["OPENBLAS_NUM_THREADS"] == "1" and env["MKL_NUM_THREADS"] == "1"
    assert env["OMP_NUM_THREADS"] == "3"  # the user's choice stands
    assert set(KERNEL_THREAD_LIMITS) == {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"}
    probe = _nb(
        tmp_path / "env.ipynb",
        "import os\nprint(os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS'))",
    )
    kernel = WarmKernel()
    try:
        nb = kernel.execute(probe, PARAMS, cwd=tmp_path)
    finally:
        kernel.shutdown()
    assert nb.cells[-1].outputs[0]["text"] == "1 3\n"
