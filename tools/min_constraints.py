"""Print pip constraints pinning every dependency of pyproject.toml to its declared floor.

``make test-min`` installs the package with these pins (``pip install -c``) into a separate
virtualenv and runs a smoke subset of the suite: the floors in ``pyproject.toml`` are tested,
not guessed. Usage: ``python tools/min_constraints.py [EXTRA ...] > constraints-min.txt``.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def floors(extras: list[str]) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    for extra in extras:
        specs += project["optional-dependencies"][extra]
    out = []
    for spec in specs:
        m = re.match(r"^([A-Za-z0-9_.\-]+)\s*>=\s*([^,;\s]+)", spec)
        if m:
            out.append(f"{m.group(1)}=={m.group(2)}")
    return out


if __name__ == "__main__":
    print("\n".join(floors(sys.argv[1:])))
