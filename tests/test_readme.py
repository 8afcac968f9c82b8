"""Every command block of the README runs (issue 14): the ```bash blocks, in order, in one shell
with ``set -e``, from an empty folder, with the ``mch`` of the environment under test. A block is
left out only when an HTML comment ``<!-- readme-test: skip (reason) -->`` precedes it (installs,
``make``). Slow: the quickstart runs ``mch demo``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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
    for cmd in ("mch demo", "mch init", "mch validate", "mch indicators", "mch trends",
                "mch joinpoint", "mch run", "mch verify"):
        assert cmd in joined, cmd


@pytest.mark.slow
def test_every_readme_command_block_runs(tmp_path):
    script = "set -euo pipefail\n" + "\n".join(readme_blocks())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("MCH_PROJECT_DIR", None)
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=3600)
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    demo = tmp_path / "mch-demo"
    for rel in ("reports/index.html", "indicators.csv", "imr_trend.csv", "jp.csv",
                "reports_en/2024/990102/report.html", "reports_district/2024/990103/report.html"):
        assert (demo / rel).is_file(), rel
    assert (tmp_path / "my-project" / "params" / "run.yaml").is_file()
