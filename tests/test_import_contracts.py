"""The package's import contracts (pyproject.toml, [tool.importlinter]): data flows one way, from
the registry and schema at the bottom to the pipeline and CLI at the top, with no import cycle.
Function-level imports count: grimp reads every import statement, wherever it is."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="import-linter not installed (pip install -e '.[test]')"
)


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "tree"
    shutil.copytree(
        ROOT / "mchanalysis",
        dst / "mchanalysis",
        ignore=shutil.ignore_patterns("__pycache__", "fonts", "*.yaml", "data"),
    )
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")
    return dst


def _inject(path: Path, line: str) -> None:
    """Add an import as the first statement after the module's ``from __future__`` line."""
    text = path.read_text(encoding="utf-8")
    anchor = "from __future__ import annotations\n"
    assert anchor in text, path
    path.write_text(text.replace(anchor, anchor + line + "\n", 1), encoding="utf-8")


def test_the_package_keeps_its_import_contracts():
    res = _lint_imports(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 broken" in res.stdout


def test_a_cycle_breaks_the_contracts(tmp_path):
    """indicators <-> stats, the cycle this contract replaced: put it back in a copy."""
    tree = _copy(tmp_path)
    _inject(tree / "mchanalysis" / "stats.py", "from mchanalysis import indicators  # injected")
    res = _lint_imports(tree)
    assert res.returncode != 0
    assert "No import cycle" in res.stdout and "BROKEN" in res.stdout
    assert "mchanalysis.stats -> mchanalysis.indicators" in res.stdout  # the layers contract names it


def test_the_executors_asking_for_the_runner_is_a_cycle(tmp_path):
    """runner -> executors -> jobs: an executor that imports the runner (as it did before the
    region's task moved to pipeline/jobs.py) is a cycle between pipeline's modules."""
    tree = _copy(tmp_path)
    _inject(
        tree / "mchanalysis" / "pipeline" / "executors.py",
        "from mchanalysis.pipeline import runner  # injected",
    )
    res = _lint_imports(tree)
    assert res.returncode != 0
    assert "No import cycle" in res.stdout and "BROKEN" in res.stdout
    assert "No cycles are allowed in mchanalysis.pipeline." in res.stdout
    assert ".runner -> .executors" in res.stdout  # the edge it would cut to break the cycle


def test_an_upward_import_inside_a_function_breaks_the_layers(tmp_path):
    """The registry (the floor) asking for the indicator table, hidden in a function."""
    tree = _copy(tmp_path)
    reg = tree / "mchanalysis" / "registry.py"
    reg.write_text(
        reg.read_text(encoding="utf-8")
        + "\n\ndef _sneaky():\n    from mchanalysis.indicators import compute_indicators\n\n"
        "    return compute_indicators\n",
        encoding="utf-8",
    )
    res = _lint_imports(tree)
    assert res.returncode != 0
    assert "mchanalysis.registry -> mchanalysis.indicators" in res.stdout


def test_a_new_module_must_be_given_a_layer(tmp_path):
    tree = _copy(tmp_path)
    (tree / "mchanalysis" / "helpers.py").write_text('"""A grab-bag."""\n', encoding="utf-8")
    res = _lint_imports(tree)
    assert res.returncode != 0
    assert "helpers" in res.stdout


def test_the_demo_path_is_defined_once():
    """tests/support.py names the demo file; every other test takes it from there (no module-level
    constant of its own)."""
    import re

    here = Path(__file__).resolve().parent
    defs = [
        p.name
        for p in sorted(here.glob("*.py"))
        if re.search(
            r'^[A-Z_]+ = .*("demo"\s*/\s*"counts\.csv"|data/demo/counts\.csv)',
            p.read_text(encoding="utf-8"),
            re.M,
        )
        and p.name != "support.py"
    ]
    assert defs == []


def test_no_silent_fallback_when_a_module_of_the_package_fails_to_import():
    """``try: import mchanalysis.x / except ImportError`` would hide a broken module behind a
    second code path; the package has none (optional *external* modules may still be tried)."""
    import ast

    import mchanalysis

    offenders = []
    for f in sorted(Path(mchanalysis.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Try):
                continue
            catches = any(
                isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                for h in node.handlers
            )
            own = any(
                isinstance(n, (ast.Import, ast.ImportFrom))
                and (
                    (isinstance(n, ast.ImportFrom) and (n.module or "").startswith("mchanalysis"))
                    or (isinstance(n, ast.Import) and any(a.name.startswith("mchanalysis") for a in n.names))
                )
                for stmt in node.body
                for n in ast.walk(stmt)
            )
            if catches and own:
                offenders.append(f"{f.name}:{node.lineno}")
    assert offenders == []
