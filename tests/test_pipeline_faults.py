"""Faults and concurrency in ``mch run`` / ``mch verify`` (issue 15): nothing lost, nothing
injected. Fast tests first; the end-to-end ones run one or two counties with notebook 01 only.
"""

from __future__ import annotations

import importlib

import pytest

from mchanalysis.pipeline import kernel_state

# the batch runs notebooks in kernels: outside the fast lane (make test runs it)
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", kernel_state.WARM_MODULES)
def test_every_warm_module_exists(name):
    """A renamed module must not silently drop out of the warm-up (the import is tolerant)."""
    importlib.import_module(name)


def test_the_warm_up_compiles_the_report_templates_of_the_batchs_languages(monkeypatch):
    """The first region's report no longer compiles its templates (0.5 s): the warm-up did;
    an unknown language is ignored, not compiled or trusted."""
    from mchanalysis.report.render import environment

    monkeypatch.setattr(kernel_state.gc, "freeze", lambda: None)  # not in the test process
    monkeypatch.setattr(kernel_state, "_snapshot", None)
    environment.cache_clear()
    loaded = []
    real = environment("zh").get_template

    def spy(name, *a, **k):
        loaded.append(name)
        return real(name, *a, **k)

    monkeypatch.setattr(environment("zh"), "get_template", spy)
    kernel_state.warm_up(modules=(), langs=("zh", "xx"))
    templates = environment("zh").list_templates(extensions=["j2"])
    assert "brief.j2" in templates and sorted(loaded) == sorted(templates)
    environment.cache_clear()


def test_a_pool_worker_starts_its_kernel_with_the_batchs_report_languages():
    from types import SimpleNamespace

    from mchanalysis.pipeline.executors import report_langs

    jobs = [SimpleNamespace(parameters={"lang": "en"}), SimpleNamespace(parameters={"lang": "zh"})]
    assert report_langs(jobs) == ("en", "zh")
    assert report_langs([SimpleNamespace(parameters={})]) == ("zh",)


# --------------------------------------------------------------------------- helpers

import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import nbformat  # noqa: E402

from mchanalysis.cli import main  # noqa: E402
from mchanalysis.errors import MchError  # noqa: E402
from mchanalysis.pipeline import manifest as mf  # noqa: E402
from mchanalysis.pipeline.executors import LocalExecutor  # noqa: E402
from mchanalysis.pipeline.lock import LOCK_NAME  # noqa: E402
from mchanalysis.pipeline.notebook import check_injected_cell, parameterize, read_notebook  # noqa: E402
from mchanalysis.pipeline.params import check_parameters, make_config, plan_run, repo_root  # noqa: E402
from mchanalysis.pipeline.runner import run_batch  # noqa: E402

ROOT = repo_root()
from support import DEMO  # noqa: E402  (the demo path is defined once, in tests/support.py)

TREE = Path(__file__).resolve().parents[1]
PARAMS = (
    'data_path = "x"\nyear = 2024\nregion_code = "990000"\ntarget_set = "national_2030"\n'
    'lang = "zh"\noutput_dir = "."\n'
)


def tiny_notebook(path: Path, body: str, *, extra_params: str = "") -> Path:
    """A pipeline notebook with the runner's parameters cell and one code cell *body*
    (no analysis imports: each region takes well under a second in a warm kernel)."""
    cell = nbformat.v4.new_code_cell(PARAMS + extra_params)
    cell.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Tiny"), cell, nbformat.v4.new_code_cell(body)]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


WRITE = (
    "import pathlib, time\npathlib.Path('tables').mkdir(exist_ok=True)\n"
    "pathlib.Path('tables/out.csv').write_text(f'region,year\\n{region_code},{year}\\n')\n"
    "print(region_code)\n"
)


def plan(out, notebooks, regions=("990105", "990106"), data=DEMO, **kw):
    return plan_run(
        make_config(
            {"data": data, "out": out},
            regions=list(regions),
            notebooks=tuple(notebooks),
            progress=False,
            **kw,
        )
    )


def tree_bytes(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def cli(*args) -> int:
    return main([str(a) for a in args])


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = str(TREE) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def mch(*args):
    return [sys.executable, "-m", "mchanalysis", *map(str, args)]


def descendants(pid: int) -> set[int]:
    """Every process below *pid* (Linux /proc), kernels in their own sessions included."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# --------------------------------------------------------------------------- nothing injected


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("region_code", "990105\n", "control"),
        ("region_code", "٩٩٠١٠٣", "ASCII"),
        ("region_code", "99/../x", "ASCII"),
        ("data_path", "/tmp/a\x1b[31m.csv", r"U\+001B"),
        ("data_path", "/tmp/a\u202e.csv", r"U\+202E"),
        ("year", "2024", "whole number"),
        ("year", True, "whole number"),
        ("missing_sections", "01.ipynb", "list of text"),
        ("lang", ["zh"], "must be text"),
        ("evil", "x", "not one the runner knows"),
    ],
)
def test_parameters_are_typed_and_checked(key, value, message):
    params = {
        "data_path": "/d.csv",
        "year": 2024,
        "region_code": "990105",
        "target_set": "national_2030",
        "lang": "zh",
        "output_dir": ".",
    }
    params[key] = value
    with pytest.raises(MchError, match=message) as info:
        check_parameters(params)
    assert key in str(info.value)


def test_quotes_and_backslashes_in_a_path_stay_inside_their_literal(tmp_path):
    nb = read_notebook(tiny_notebook(tmp_path / "n.ipynb", "pass"))
    evil = '/tmp/a\\"; import os; os.system("touch pwned") #\'\'\'"""'
    params = {
        "data_path": evil,
        "year": 2024,
        "region_code": "990105",
        "target_set": "t",
        "lang": "zh",
        "output_dir": ".",
    }
    out = parameterize(nb, params)
    cell = next(c for c in out.cells if "injected-parameters" in c.metadata.get("tags", []))
    scope: dict = {}
    exec(compile(cell.source, "cell", "exec"), {}, scope)  # the proof: it reads back as data
    assert scope["data_path"] == evil and set(scope) == set(params)


def test_an_injected_cell_with_code_is_refused(tmp_path):
    nb = read_notebook(tiny_notebook(tmp_path / "n.ipynb", "pass"))
    params = {
        "data_path": "/d",
        "year": 2024,
        "region_code": "990105",
        "target_set": "t",
        "lang": "zh",
        "output_dir": ".",
    }
    out = parameterize(nb, params)
    cell = next(c for c in out.cells if "injected-parameters" in c.metadata.get("tags", []))
    cell.source += '\nimport os; os.system("id")\n'
    with pytest.raises(MchError, match="not 'name = value'"):
        check_injected_cell(out, params)
    cell.source = cell.source.split("\nimport os")[0].replace('"/d"', '"/e"')
    with pytest.raises(MchError, match="data_path"):
        check_injected_cell(out, params)


def test_params_file_with_wrong_types_gives_one_line_errors(tmp_path, capsys):
    for text, message in (
        ("timeout: abc\n", "timeout must be a positive number"),
        ("lang: [zh, en]\n", "lang must be a single value"),
        ("out: {a: 1}\n", "out must be a single value"),
    ):
        p = tmp_path / "p.yaml"
        p.write_text(f"data: {DEMO}\n" + text, encoding="utf-8")
        assert main(["run", "--params", str(p)]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    p.write_bytes("data: 数据.csv\n".encode("gbk"))
    assert main(["run", "--params", str(p)]) == 1
    assert "not UTF-8" in capsys.readouterr().err


def test_output_folder_that_is_a_file_or_read_only_gives_one_line(tmp_path, capsys):
    nb = tiny_notebook(tmp_path / "nb" / "01_t.ipynb", WRITE)
    f = tmp_path / "file"
    f.write_text("x")
    assert (
        cli(
            "run",
            "--data",
            DEMO,
            "--regions",
            "990105",
            "--notebooks",
            nb,
            "--out",
            f,
            "--no-progress",
            "--jobs",
            "1",
        )
        == 1
    )
    assert "is a file" in capsys.readouterr().err
    ro = tmp_path / "ro"
    (ro / "2024").mkdir(parents=True)
    (ro / "2024").chmod(0o555)
    try:
        if os.access(ro / "2024", os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        assert (
            cli(
                "run",
                "--data",
                DEMO,
                "--regions",
                "990105",
                "--notebooks",
                nb,
                "--out",
                ro,
                "--no-progress",
                "--jobs",
                "1",
            )
            == 1
        )
        err = capsys.readouterr().err
        assert "not writable" in err and "Traceback" not in err
    finally:
        (ro / "2024").chmod(0o755)


# --------------------------------------------------------------------------- nothing lost


def test_a_failed_rerun_leaves_the_previous_report_byte_identical(tmp_path, capsys):
    good = tiny_notebook(tmp_path / "good" / "01_t.ipynb", WRITE)
    slow = tiny_notebook(tmp_path / "slow" / "01_t.ipynb", "import time\ntime.sleep(30)\n")
    out = tmp_path / "out"
    first = run_batch(plan(out, [good]), executor=LocalExecutor(jobs=1))
    assert first.exit_code == 0, first.summary()
    before = tree_bytes(out / "2024" / "990105")
    assert mf.status_of(mf.read_manifest(out / "2024" / "990105")) == "done"

    args = [
        "run",
        "--data",
        DEMO,
        "--regions",
        "990105",
        "990106",
        "--notebooks",
        slow,
        "--timeout",
        "1",
        "--jobs",
        "1",
        "--out",
        out,
        "--no-progress",
    ]
    assert cli(*args) == 1
    err = capsys.readouterr().err
    assert "FAILED 990105" in err and "previous complete report is kept" in err
    assert tree_bytes(out / "2024" / "990105") == before  # report, tables, manifest: untouched
    failed = out / "2024" / "_failed" / "990105"
    error = json.loads((failed / "error.json").read_text(encoding="utf-8"))
    assert error["status"] == "failed" and error["region_code"] == "990105"
    assert mf.status_of(mf.read_manifest(failed)) == "failed"
    summary = json.loads((out / "2024" / "run.json").read_text(encoding="utf-8"))
    assert summary["status"] == "failed"
    assert {
        r["region_code"]: (r["status"], r["location"], r["previous_kept"]) for r in summary["regions"]
    } == {"990105": ("failed", "_failed/990105", True), "990106": ("failed", "_failed/990106", True)}
    index = (out / "2024" / "index.html").read_text(encoding="utf-8")
    assert "失败 failed" in index and "TimeoutError" in index
    assert 'href="990105/report.html"' in index and "previous report" in index
    # a later good run takes the place again and clears the failure
    again = run_batch(plan(out, [good], resume=True), executor=LocalExecutor(jobs=1))
    assert [r.status for r in again.results] == ["unchanged", "unchanged"]
    assert failed.is_dir()  # resume re-ran nothing: the record of the failure stays
    redo = run_batch(plan(out, [good]), executor=LocalExecutor(jobs=1))
    assert redo.exit_code == 0 and not failed.exists()


def test_a_region_whose_analysis_fails_is_partial_and_the_report_names_the_gap(tmp_path):
    nb1 = tiny_notebook(
        tmp_path / "nb" / "01_data_quality.ipynb",
        WRITE + "assert region_code != '990106', 'no data for 2024'\n",
    )
    report = tiny_notebook(
        tmp_path / "nb" / "04_annual_report.ipynb",
        "import json, pathlib\npathlib.Path('missing.json').write_text(json.dumps(missing_sections))\n",
        extra_params="missing_sections = []\n",
    )
    out = tmp_path / "out"
    result = run_batch(plan(out, [nb1, report]), executor=LocalExecutor(jobs=1))
    assert {r.region_code: r.status for r in result.results} == {"990105": "done", "990106": "partial"}
    assert result.exit_code == 1
    y = out / "2024"
    assert json.loads((y / "990105" / "missing.json").read_text()) == []
    assert json.loads((y / "990106" / "missing.json").read_text()) == ["01_data_quality.ipynb"]
    doc = mf.read_manifest(y / "990106")
    assert doc["status"] == "partial" and doc["failures"][0]["ename"] == "AssertionError"
    assert not mf.is_complete(y / "990106", doc["input_hash"])  # --resume redoes it
    assert mf.status_of(mf.read_manifest(y / "990105")) == "done"
    assert {o["path"] for o in doc["outputs"]} >= {"report.html", "missing.json", "error.json"}


def test_a_data_file_changed_mid_run_stops_the_batch(tmp_path):
    data = tmp_path / "counts.csv"
    data.write_bytes(DEMO.read_bytes())
    edit = tiny_notebook(
        tmp_path / "nb" / "01_t.ipynb",
        WRITE + "with open(data_path, 'a', encoding='utf-8') as fh:\n    fh.write('\\n')\n",
    )
    out = tmp_path / "out"
    result = run_batch(
        plan(out, [edit], regions=("990104", "990105", "990106"), data=data), executor=LocalExecutor(jobs=1)
    )
    statuses = [r.status for r in result.results]
    assert statuses == ["failed", "stopped", "stopped"], result.summary()
    assert result.exit_code == 1 and "input changed during the run" in result.summary()
    assert str(data) in result.stopped_by
    assert not any((out / "2024" / c).exists() for c in ("990104", "990105", "990106"))
    assert result.results[0].failures[0].ename == "InputChanged"


#: The keys of a failure record in manifest.json, error.json and run.json (written since the
#: first manifests; --resume, the indexes and mch verify read them back).
FAILURE_KEYS = {
    "region_code",
    "region_name",
    "level",
    "notebook",
    "cell_index",
    "execution_count",
    "ename",
    "evalue",
    "source",
}


def test_a_failure_from_every_path_is_one_type_with_the_same_fields(tmp_path, monkeypatch):
    """A cell error (warm kernel and papermill's fresh kernel), a timeout (the kernel shut down),
    a parameter refused, outputs not written, an input changed and an exception outside the
    notebooks (the executor's) all give the same Failure, recorded with the same keys."""
    import dataclasses

    from mchanalysis.pipeline import executors, export
    from mchanalysis.pipeline.failure import Failure
    from mchanalysis.pipeline.jobs import run_region
    from mchanalysis.pipeline.notebook import WarmKernel
    from mchanalysis.pipeline.runner import make_jobs

    def job(name, body, **changes):
        nb = tiny_notebook(tmp_path / name / "01_t.ipynb", body)
        j = make_jobs(plan(tmp_path / name / "out", [nb], regions=["990105"]))[0]
        Path(j.year_dir).mkdir(parents=True)
        return dataclasses.replace(j, **changes)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    jobs = {
        "cell, warm kernel": job("cell", "raise ValueError('boom')"),
        "cell, fresh kernel": job("fresh", "raise ValueError('boom')"),
        "timeout": job("timeout", "import time\ntime.sleep(30)", timeout=1),
        "parameter refused": job("param", WRITE),
        "outputs not written": job("export", WRITE),
        "input changed": job("changed", WRITE),
        "outside the notebooks": job("worker", WRITE, fresh_kernels=True),
    }
    bad = jobs["parameter refused"]
    jobs["parameter refused"] = dataclasses.replace(bad, parameters={**bad.parameters, "year": "2024"})
    Path(jobs["input changed"].notebooks[0]["path"]).write_text("{}", encoding="utf-8")
    Path(jobs["outside the notebooks"].year_dir).rmdir()  # a file where the year folder goes:
    Path(jobs["outside the notebooks"].year_dir).write_text("x")  # no staging folder, run_region raises

    results = {}
    kernel = WarmKernel()
    kernel.start()
    try:
        for path in ("cell, warm kernel", "timeout", "parameter refused", "input changed"):
            results[path] = run_region(jobs[path], kernel)
        with monkeypatch.context() as m:
            m.setattr(export, "export_html", boom)
            results["outputs not written"] = run_region(jobs["outputs not written"], kernel)
    finally:
        kernel.close()
    results["cell, fresh kernel"] = run_region(jobs["cell, fresh kernel"], None)
    results["outside the notebooks"] = next(
        executors.LocalExecutor(jobs=1).map_unordered([jobs["outside the notebooks"]])
    )

    # cell 3: markdown, parameters, injected parameters, the body
    expected = {
        "cell, warm kernel": ("01_t.ipynb", 3, "ValueError"),
        "cell, fresh kernel": ("01_t.ipynb", 3, "ValueError"),
        "timeout": ("01_t.ipynb", None, "CellTimeoutError"),
        "parameter refused": ("01_t.ipynb", None, "MchError"),
        "outputs not written": ("01_t.ipynb", None, "OSError"),
        "input changed": (None, None, "InputChanged"),
        "outside the notebooks": (None, None, "FileExistsError"),
    }
    assert set(results) == set(expected)
    for path, res in results.items():
        assert res.status == "failed" and len(res.failures) == 1, (path, res)
        f = res.failure
        assert type(f) is Failure, path
        assert (f.notebook, f.cell_index, f.ename) == expected[path], (path, f)
        assert (f.region_code, f.region_name, f.level) == ("990105", res.region_name, "county"), path
        record = f.to_dict()
        assert set(record) == FAILURE_KEYS, path
        assert Failure.from_dict(json.loads(json.dumps(record))) == f, path
        if path == "outside the notebooks":
            assert res.location is None  # nothing written
            continue
        folder = Path(jobs[path].year_dir) / res.location  # _failed/990105: what it records
        error = json.loads((folder / "error.json").read_text(encoding="utf-8"))
        assert error["failures"] == mf.read_manifest(folder)["failures"] == [record], path
        assert {k: error[k] for k in FAILURE_KEYS} == record, path
    assert str(results["input changed"].failure).startswith("before the notebooks: InputChanged: ")
    # the index and the run summary say where too, never "None: InputChanged"
    from mchanalysis.pipeline.index import render_index

    page = render_index(2024, list(results.values()))
    assert "before the notebooks: InputChanged: " in page and "None:" not in page


def test_every_year_keeps_its_index_and_the_top_index_lists_all(tmp_path):
    nb = tiny_notebook(tmp_path / "nb" / "01_t.ipynb", WRITE)
    out = tmp_path / "out"
    assert run_batch(plan(out, [nb]), executor=LocalExecutor(jobs=1)).exit_code == 0
    assert (
        run_batch(plan(out, [nb], regions=["990104"], year=2023), executor=LocalExecutor(jobs=1)).exit_code
        == 0
    )
    y24 = (out / "2024" / "index.html").read_text(encoding="utf-8")
    assert 'href="990105/01_t.html"' in y24 and 'href="990106/01_t.html"' in y24
    y23 = (out / "2023" / "index.html").read_text(encoding="utf-8")
    assert 'href="990104/01_t.html"' in y23 and "990105" not in y23
    top = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="2024/index.html"' in top and 'href="2023/index.html"' in top
    assert top.index("2024年") < top.index("2023年")


def test_staging_folders_of_a_live_run_are_not_deleted(tmp_path):
    from mchanalysis.pipeline.staging import new_staging_dir, remove_scratch_dirs

    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        mine = new_staging_dir(tmp_path, "990105", owner=live.pid)
        dead = new_staging_dir(tmp_path, "990106", owner=2**22 + 12345)
        removed = remove_scratch_dirs(tmp_path)
        assert removed == [dead] and mine.is_dir() and not dead.exists()
    finally:
        live.kill()
        live.wait()
    assert remove_scratch_dirs(tmp_path) == [mine]


# --------------------------------------------------------------------------- concurrency


def test_a_second_run_on_a_locked_folder_names_the_holder_or_waits(tmp_path):
    nb = tiny_notebook(tmp_path / "nb" / "01_t.ipynb", WRITE)
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from mchanalysis.pipeline.lock import OutputLock\n"
            f"l = OutputLock({str(out)!r}).acquire(); print('locked', flush=True); sys.stdin.readline()",
        ],
        env=env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        args = mch(
            "run",
            "--data",
            DEMO,
            "--regions",
            "990105",
            "--notebooks",
            nb,
            "--jobs",
            "1",
            "--out",
            out,
            "--no-progress",
        )
        refused = subprocess.run(args, env=env(), capture_output=True, text=True, timeout=120)
        assert refused.returncode == 1
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and "in use by another mch run" in lines[0]
        assert f"pid {holder.pid}" in lines[0] and "--wait" in lines[0]
        assert not (out / "2024" / "990105").exists()
        waiting = subprocess.Popen(
            args + ["--wait"], env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        time.sleep(8)  # long enough to plan the run and block on the lock
        assert waiting.poll() is None and not (out / "2024" / "990105").exists()
        holder.stdin.write("\n")
        holder.stdin.flush()
        _, err = waiting.communicate(timeout=180)
        assert waiting.returncode == 0, err
        assert f"waiting for {out} (pid {holder.pid}" in err
    finally:
        holder.kill()
        holder.wait()
    assert (out / LOCK_NAME).is_file()
    doc = mf.read_manifest(out / "2024" / "990105")
    assert mf.is_complete(out / "2024" / "990105", doc["input_hash"])


def test_two_concurrent_runs_lose_nothing(tmp_path):
    nb = tiny_notebook(tmp_path / "nb" / "01_t.ipynb", WRITE + "time.sleep(1)\n")
    out = tmp_path / "out"
    base = ["--data", DEMO, "--notebooks", nb, "--jobs", "1", "--out", out, "--no-progress"]
    a = subprocess.Popen(
        mch("run", "--regions", "990104", "990105", *base, "--wait"),
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    b = subprocess.Popen(
        mch("run", "--regions", "990105", "990106", *base, "--wait"),
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ra, rb = a.communicate(timeout=300), b.communicate(timeout=300)
    assert a.returncode == 0 and b.returncode == 0, (ra, rb)
    for code in ("990104", "990105", "990106"):
        d = out / "2024" / code
        doc = mf.read_manifest(d)
        assert doc is not None and mf.is_complete(d, doc["input_hash"]), code
        listed = {o["path"] for o in doc["outputs"]}
        assert listed == {p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file()} - {
            "manifest.json"
        }
    assert not list((out / "2024").glob(".*"))
    index = (out / "2024" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{c}/01_t.html"' in index for c in ("990104", "990105", "990106"))


def _wait_for(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG")
def test_sigkill_leaves_no_worker_or_kernel_behind(tmp_path):
    nb = tiny_notebook(tmp_path / "nb" / "01_t.ipynb", WRITE + "time.sleep(60)\n")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        mch(
            "run",
            "--data",
            DEMO,
            "--regions",
            "990105",
            "990106",
            "--notebooks",
            nb,
            "--jobs",
            "2",
            "--out",
            out,
            "--no-progress",
        ),
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # both workers have a kernel executing the notebook: 2 workers + 2 kernels below mch run
        assert _wait_for(lambda: len(list(out.glob("2024/.staging-*/tables/out.csv"))) == 2), (
            "the regions did not start"
        )
        below = descendants(proc.pid)
        assert len(below) >= 4, below
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert _wait_for(lambda: not any(alive(p) for p in below), timeout=15), [p for p in below if alive(p)]
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in descendants(proc.pid):
            os.kill(p, signal.SIGKILL)
    assert not (out / "2024" / "990105").exists()  # nothing half-done published


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_stops_cleanly_with_an_index_and_one_line(tmp_path, jobs):
    fast = tiny_notebook(
        tmp_path / "nb" / "01_t.ipynb", WRITE + "if region_code != '990104':\n    time.sleep(60)\n"
    )
    out = tmp_path / "out"
    proc = subprocess.Popen(
        mch(
            "run",
            "--data",
            DEMO,
            "--regions",
            "990104",
            "990105",
            "990106",
            "--notebooks",
            fast,
            "--jobs",
            jobs,
            "--out",
            out,
            "--no-progress",
        ),
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert _wait_for(
            lambda: (
                (out / "2024" / "990104" / "manifest.json").is_file()
                and list(out.glob("2024/.staging-*/tables/out.csv"))
            )
        ), "no region started"
        below = descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mch run: interrupted; 1 region(s) done, 2 stopped")
    assert "Traceback" not in err
    summary = json.loads((out / "2024" / "run.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in summary["regions"]] == ["done", "stopped", "stopped"]
    assert all(not r["failures"] for r in summary["regions"])  # no "kernel died" failures
    index = (out / "2024" / "index.html").read_text(encoding="utf-8")
    assert 'href="990104/01_t.html"' in index and "已中止 stopped" in index
    assert (out / "index.html").is_file()
    assert not list((out / "2024").glob(".*")) and not (out / "2024" / "_failed").exists()
    assert _wait_for(lambda: not any(alive(p) for p in below), timeout=15)


# --------------------------------------------------------------------------- verify


@pytest.fixture(scope="module")
def verified_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("verify")
    nb = tiny_notebook(tmp / "nb" / "01_t.ipynb", WRITE)
    out = tmp / "out"
    assert run_batch(plan(out, [nb], regions=["990105"]), executor=LocalExecutor(jobs=1)).exit_code == 0
    return out / "2024" / "990105", nb


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_verify_no_execute_checks_hashes_and_runs_nothing(verified_run, tmp_path, capsys, monkeypatch):
    d, _ = verified_run
    import mchanalysis.pipeline.jobs as jobs

    monkeypatch.setattr(jobs, "run_region", lambda *a, **k: pytest.fail("executed"))
    before = tree_bytes(d)
    assert main(["verify", "--no-execute", str(d)]) == 0
    assert "checked against the manifest, identical" in capsys.readouterr().out
    assert tree_bytes(d) == before
    copy = _copy(d, tmp_path / "c")
    (copy / "evil.html").write_text("<script>x</script>")
    (copy / "tables" / "out.csv").unlink()
    assert main(["verify", "--no-execute", str(copy)]) == 1
    err = capsys.readouterr().err
    assert "not in the manifest (added to the folder): evil.html" in err
    assert "missing from the folder: tables/out.csv" in err and "DIFFERENT" in err


def test_verify_executes_and_is_read_only(verified_run, capsys):
    d, _ = verified_run
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in d.rglob("*") if p.is_file()}
    assert main(["verify", str(d)]) == 0
    assert "compared after re-execution, identical" in capsys.readouterr().out
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in d.rglob("*") if p.is_file()} == before


def test_verify_never_runs_a_notebook_whose_hash_differs(verified_run, tmp_path, capsys):
    d, _ = verified_run
    copy = _copy(d, tmp_path / "c")
    marker = tmp_path / "pwned"
    evil = tiny_notebook(tmp_path / "evil" / "01_t.ipynb", f"open({str(marker)!r}, 'w').close()\n")
    doc = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    doc["notebooks"][0]["path"] = str(evil)  # a tampered manifest naming another notebook
    (copy / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    assert main(["verify", str(copy)]) == 1
    err = capsys.readouterr().err
    assert f"input changed since the run: {evil}" in err and "not re-executed" in err
    assert not marker.exists()


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda doc: doc.pop("inputs"), "'inputs' is missing"),
        (lambda doc: doc["outputs"].append({"path": "../../etc/passwd", "sha256": "0"}), "leaves the folder"),
        (lambda doc: doc["parameters"].update(region_code="990105\n"), "region_code"),
        (lambda doc: doc.update(status="failed"), "not a complete result"),
    ],
)
def test_verify_malformed_manifest_is_one_line(verified_run, tmp_path, capsys, edit, message):
    d, _ = verified_run
    copy = _copy(d, tmp_path / "c")
    doc = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    edit(doc)
    (copy / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    assert main(["verify", str(copy)]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    (copy / "manifest.json").write_text("{not json", encoding="utf-8")
    assert main(["verify", str(copy)]) == 1
    assert "not readable JSON" in capsys.readouterr().err
