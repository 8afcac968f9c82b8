"""Every command block of the README runs (issue 14): the ```bash blocks, in order, in one shell
with ``set -e``, from an empty folder, with the ``mch`` of the installed wheel. A block is
left out only when an HTML comment ``<!-- readme-test: skip (reason) -->`` precedes it (installs,
``make``). The wheel is the session's ``wheel_venv`` (tests/installed_wheel.py). Slow: the
quickstart runs ``mch demo``.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import installed_wheel
import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(<!-- readme-test: skip[^>]*-->\s*\n)?```bash\n(.*?)```", re.S)


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [m.group(2) for m in BLOCK.finditer(text) if not m.group(1)]


def test_the_readme_has_command_blocks_to_run():
    blocks = readme_blocks()
    assert len(blocks) >= 2
    joined = "\n".join(blocks)
    for cmd in (
        "mch demo",
        "mch init",
        "mch validate",
        "mch indicators",
        "mch trends",
        "mch joinpoint",
        "mch run",
        "mch verify",
    ):
        assert cmd in joined, cmd


@pytest.mark.slow
def test_every_readme_command_block_runs(tmp_path, wheel_venv):
    """As a user who installed the wheel (the README's first block): the ``mch`` of a fresh
    virtualenv holding only the wheel (``tests/installed_wheel.py``), from an empty folder."""
    script = "set -euo pipefail\n" + "\n".join(readme_blocks())
    env = {**installed_wheel.env(), "PATH": f"{wheel_venv}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=3600
    )
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    demo = tmp_path / "mch-demo"
    for rel in (
        "reports/index.html",
        "indicators.csv",
        "imr_trend.csv",
        "jp.csv",
        "reports_en/2024/990102/report.html",
        "reports_district/2024/990103/report.html",
    ):
        assert (demo / rel).is_file(), rel
    assert (tmp_path / "my-project" / "params" / "run.yaml").is_file()
    # `mch demo` from the wheel: every region of the demo province, each 答卷 with the national
    # comparison (the reference series is package data)
    regions = sorted((demo / "reports" / "2024").glob("99????"))
    assert len(regions) == 19, regions
    for region in regions:
        text = (region / "report.html").read_text(encoding="utf-8")
        assert re.search(r"全国\d{4}年", text), f"{region.name}: no national comparison in the 答卷"
