"""Batch behaviour of ``mch run``: failures as values, resume, SIGKILL, reproducible bytes,
fresh-kernel equality, Dask, verify, index.

Kept small (two or three counties, notebooks 01 and 03) so the file runs in about two minutes on
two cores; 03 writes a PNG, both write CSV tables, every notebook is exported to HTML.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from mchanalysis.cli import main
from mchanalysis.pipeline import manifest as mf
from mchanalysis.pipeline.executors import DaskExecutor, LocalExecutor
from mchanalysis.pipeline.failure import Failure
from mchanalysis.pipeline.index import render_index
from mchanalysis.pipeline.jobs import RegionResult
from mchanalysis.pipeline.params import make_config, plan_run, repo_root
from mchanalysis.pipeline.runner import run_batch

# the batch runs notebooks in kernels: outside the fast lane (make test runs it)
pytestmark = pytest.mark.slow

ROOT = repo_root()
from support import DEMO  # noqa: E402  (the demo path is defined once, in tests/support.py)

NB = [ROOT / "notebooks" / "01_data_quality.ipynb", ROOT / "notebooks" / "03_mortality_models.ipynb"]
COUNTIES = ["990105", "990106"]


def _plan(out, regions=COUNTIES, notebooks=NB, data=DEMO, **kw):
    return plan_run(
        make_config(
            {"data": data, "out": out},
            regions=list(regions),
            notebooks=tuple(notebooks),
            progress=False,
            **kw,
        )
    )


def _files(root: Path) -> dict[str, bytes]:
    """Every output file under root except manifest.json (whose git commit may move on)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def _manifests(root: Path) -> dict[str, dict]:
    out = {}
    for p in sorted(root.rglob("manifest.json")):
        doc = json.loads(p.read_text(encoding="utf-8"))
        doc.pop("git_commit")
        out[p.relative_to(root).as_posix()] = doc
    return out


def _assert_not_corrupt(root: Path) -> int:
    """Every JSON parses, every notebook loads, every PNG is complete; return files checked."""
    n = 0
    for p in root.rglob("*"):
        if not p.is_file():
            continue
        n += 1
        assert not p.name.endswith(".tmp") and ".tmp." not in p.name, p
        if p.suffix == ".json":
            json.loads(p.read_text(encoding="utf-8"))
        elif p.suffix == ".ipynb":
            nbformat.validate(nbformat.read(str(p), as_version=4))
        elif p.suffix == ".png":
            data = p.read_bytes()
            assert data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82"), p
        elif p.suffix == ".html":
            assert p.read_text(encoding="utf-8").rstrip().endswith("</html>"), p
    return n


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run1")
    result = run_batch(_plan(out), executor=LocalExecutor(jobs=2))
    assert result.exit_code == 0, result.summary()
    return out, result


def test_run_writes_every_output_and_a_manifest_last(first_run):
    out, result = first_run
    assert [r.status for r in result.results] == ["done", "done"]
    for code in COUNTIES:
        d = out / "2024" / code
        names = {p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file()}
        assert {
            "01_data_quality.ipynb",
            "01_data_quality.html",
            "03_mortality_models.ipynb",
            "03_mortality_models.html",
            "figures/funnel_imr.png",
            "tables/quality_findings.csv",
            "tables/projection.csv",
            "manifest.json",
        } <= names
        doc = mf.read_manifest(d)
        assert doc["region"]["region_code"] == code and doc["parameters"]["region_code"] == code
        assert doc["inputs"][0]["sha256"] == mf.sha256_file(DEMO)
        assert doc["package"]["version"] and "pandas" in doc["libraries"]
        assert {o["path"] for o in doc["outputs"]} == names - {"manifest.json"}
        for o in doc["outputs"]:
            assert mf.sha256_file(d / o["path"]) == o["sha256"]
        assert mf.is_complete(d, doc["input_hash"])
    index = (out / "2024" / "index.html").read_text(encoding="utf-8")
    assert 'href="990105/01_data_quality.html"' in index and "柳塘县" in index
    assert 'href="2024/index.html"' in (out / "index.html").read_text(encoding="utf-8")
    assert json.loads((out / "2024" / "run.json").read_text(encoding="utf-8"))["status"] == "done"
    assert not list((out / "2024").glob(".staging-*"))


def test_html_has_no_code(first_run):
    out, _ = first_run
    html = (out / "2024" / "990105" / "03_mortality_models.html").read_text(encoding="utf-8")
    assert "analysis.funnel_figure" not in html and "import " not in html
    assert "data:image/png;base64," in html


def test_second_run_is_byte_identical_and_jobs_do_not_matter(first_run, tmp_path):
    out1, _ = first_run
    result = run_batch(_plan(tmp_path), executor=LocalExecutor(jobs=1))
    assert result.exit_code == 0
    a, b = _files(out1), _files(tmp_path)
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []
    assert _manifests(out1) == _manifests(tmp_path)


def test_warm_kernels_equal_fresh_papermill_kernels(first_run, tmp_path):
    """The speed-up path (one reused kernel per worker) stores exactly what papermill stores
    when it starts a new kernel for every notebook."""
    out1, _ = first_run
    result = run_batch(
        _plan(tmp_path, regions=["990106"]), executor=LocalExecutor(jobs=1), fresh_kernels=True
    )
    assert result.exit_code == 0, result.summary()
    a = {k: v for k, v in _files(out1).items() if k.startswith("2024/990106/")}
    b = {k: v for k, v in _files(tmp_path).items() if k.startswith("2024/990106/")}
    assert sorted(a) == sorted(b) and [k for k in a if a[k] != b[k]] == []


def test_dask_cluster_gives_the_same_bytes(first_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    out1, _ = first_run
    with distributed.LocalCluster(
        host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        plan = _plan(tmp_path, executor="dask", scheduler=cluster.scheduler_address)
        result = run_batch(plan, executor=DaskExecutor(cluster.scheduler_address))
    assert result.exit_code == 0, result.summary()
    a, b = _files(out1), _files(tmp_path)
    assert sorted(a) == sorted(b) and [k for k in a if a[k] != b[k]] == []


def test_dask_workers_start_their_kernels_while_the_tables_are_built(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    from mchanalysis.analysis.data import SHARED_ENV

    monkeypatch.delenv(SHARED_ENV, raising=False)
    with distributed.LocalCluster(
        host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        monkeypatch.setenv(SHARED_ENV, str(tmp_path / ".shared"))  # the runner's, after the workers
        executor = DaskExecutor(cluster.scheduler_address)
        executor.start(1, langs=("zh",))  # one region: one worker warmed, and preferred
        assert len(executor._warming) == 1 and len(executor._warmed) == 1
        fut = executor._warming[0]
        assert fut.result(timeout=120) is True
        with distributed.Client(cluster.scheduler_address, set_as_default=False) as c:
            # the warm-up ran on that worker and started its kernel with the batch's shared
            # tables' folder in the environment (nothing else on a Dask worker sets it)
            env = c.run(lambda: __import__("os").environ.get(SHARED_ENV))
            assert (
                env == {w: str(tmp_path / ".shared") if w in executor._warmed else None for w in env}
                and len(env) == 2
            )
        assert list(executor.map_unordered([])) == []  # nothing to run: the connection is closed
        assert executor._client is None and executor._warming == []


def test_verify_finds_nothing_on_a_clean_directory_and_names_a_changed_file(first_run, tmp_path, capsys):
    out1, _ = first_run
    d = out1 / "2024" / "990105"
    assert main(["verify", str(d)]) == 0
    assert "identical" in capsys.readouterr().out
    import shutil

    copy = tmp_path / "990105"
    shutil.copytree(d, copy)
    table = copy / "tables" / "projection.csv"
    table.write_text(table.read_text(encoding="utf-8").replace("0.", "1.", 1), encoding="utf-8")
    assert main(["verify", str(copy)]) == 1
    err = capsys.readouterr().err
    assert "differs from its manifest: tables/projection.csv" in err
    assert "differs on re-execution: tables/projection.csv" in err
    # and which cell: the line after it names the row, the column and both texts
    lines = err.splitlines()
    at = lines.index("differs on re-execution: tables/projection.csv")
    cell = re.match(r"  row \d+ \(\w+\), \w+: '([^']*)' here, '([^']*)' on re-execution$", lines[at + 1])
    assert cell and cell.group(1) == cell.group(2).replace("0.", "1.", 1) != cell.group(2), lines[at + 1]


def test_a_failing_region_is_reported_with_its_cell_and_resume_redoes_only_it(tmp_path, capsys):
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    bad = raw[~((raw["region_code"] == "990106") & (raw["year"] == "2024"))]  # did not report 2024
    data = tmp_path / "counts.csv"
    bad.to_csv(data, index=False)
    out = tmp_path / "out"
    args = [
        "run",
        "--data",
        str(data),
        "--year",
        "2024",
        "--regions",
        "990105",
        "990106",
        "--notebooks",
        str(NB[0]),
        "--jobs",
        "1",
        "--out",
        str(out),
        "--no-progress",
    ]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "1 failed" in err
    # the notebook's analysis.start() refuses a year the region did not report (cell 4)
    assert "FAILED 990106 石桥县: 01_data_quality.ipynb, cell 4: ParameterError:" in err
    assert "has no row for 2024" in err
    failed = out / "2024" / "_failed" / "990106"  # never at the region's own place
    assert not (out / "2024" / "990106").exists()
    assert mf.status_of(mf.read_manifest(failed)) == "failed"
    error = json.loads((failed / "error.json").read_text(encoding="utf-8"))
    assert error["region_code"] == "990106" and error["cell_index"] == 4
    assert "analysis.start(data_path, year=year" in error["source"]
    assert (failed / "01_data_quality.ipynb").is_file()  # the partly run notebook, for reading
    good = out / "2024" / "990105" / "manifest.json"
    assert good.is_file()
    index = (out / "2024" / "index.html").read_text(encoding="utf-8")
    assert "失败 failed" in index and "cell 4" in index
    assert 'href="_failed/990106/error.json"' in index
    stamp = good.stat().st_mtime_ns, good.stat().st_ino

    plan = _plan(out, regions=["990105", "990106"], notebooks=NB[:1], data=data, resume=True)
    result = run_batch(plan, executor=LocalExecutor(jobs=1))
    status = {r.region_code: r.status for r in result.results}
    assert status == {"990105": "unchanged", "990106": "failed"}
    assert (good.stat().st_mtime_ns, good.stat().st_ino) == stamp
    assert result.exit_code == 1


def test_resume_redoes_a_region_whose_inputs_changed(first_run, tmp_path):
    import shutil

    out1, _ = first_run
    out = tmp_path / "out"
    shutil.copytree(out1, out)
    other = tmp_path / "targets.yaml"
    shutil.copy(ROOT / "params" / "targets" / "national_2030.yaml", other)
    with other.open("a", encoding="utf-8") as fh:
        fh.write("\n# a comment changes the file's bytes\n")
    same = run_batch(_plan(out, resume=True), executor=LocalExecutor(jobs=1))
    assert {r.status for r in same.results} == {"unchanged"}
    changed = run_batch(
        _plan(out, regions=["990105"], targets=str(other), resume=True), executor=LocalExecutor(jobs=1)
    )
    assert [r.status for r in changed.results] == ["done"]
    index = (out / "2024" / "index.html").read_text(encoding="utf-8")  # still lists the other
    assert "990106" in index and "此前运行 earlier run" in index and 'href="990106/' in index


def test_sigkill_mid_batch_then_resume_completes_without_corrupt_files(tmp_path):
    out = tmp_path / "out"
    regions = ["990104", "990105", "990106"]
    cmd = [
        sys.executable,
        "-m",
        "mchanalysis",
        "run",
        "--data",
        str(DEMO),
        "--regions",
        *regions,
        "--notebooks",
        str(NB[1]),
        "--jobs",
        "2",
        "--out",
        str(out),
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not list(out.glob("2024/*/manifest.json")):
            assert proc.poll() is None, "mch run ended before it could be killed"
            time.sleep(0.05)
        assert list(out.glob("2024/*/manifest.json")), "no region finished in time"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    # what the killed run left at final paths is whole: complete regions, nothing half-written
    for d in (out / "2024").iterdir():
        if not d.name.startswith("."):
            assert (d / "manifest.json").is_file() or (d / "error.json").is_file(), d
    _assert_not_corrupt(
        out / "2024" / next(p.name for p in (out / "2024").iterdir() if not p.name.startswith("."))
    )
    time.sleep(1.5)  # orphaned workers notice their parent is gone and stop
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the killed run's own process group, if any remain
    except ProcessLookupError:
        pass
    result = run_batch(
        _plan(out, regions=regions, notebooks=NB[1:], resume=True), executor=LocalExecutor(jobs=2)
    )
    assert result.exit_code == 0, result.summary()
    statuses = [r.status for r in result.results]
    assert "unchanged" in statuses and set(statuses) <= {"unchanged", "done"}
    assert _assert_not_corrupt(out) >= 3 * 8  # notebook, HTML, PNG, 5 tables per region
    assert not list((out / "2024").glob(".*"))
    for code in regions:
        doc = mf.read_manifest(out / "2024" / code)
        assert mf.is_complete(out / "2024" / code, doc["input_hash"])


def test_index_escapes_region_names_and_links_by_code():
    res = [
        RegionResult(
            "990105",
            '<script>alert("x")</script>&',
            "county",
            "failed",
            1.0,
            [{"path": "01.html", "sha256": "", "bytes": 1}],
            failures=[Failure("01.ipynb", 3, 3, "ValueError", "<b>bad</b>")],
        )
    ]
    html = render_index(2024, res)
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in html
    assert "&lt;b&gt;bad&lt;/b&gt;" in html and 'href="990105/01.html"' in html
