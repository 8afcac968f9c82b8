"""The demo's outputs are the bytes pinned in ``tests/data/golden/demo_outputs.json`` (issue 12:
"outputs byte-identical to today's for the demo").

``mch run`` of a province, a city and a county of the demo, every notebook, two jobs; every file
it writes (notebooks, HTML, Word, tables, figures, index, run.json; not the manifests, which name
the commit and the machine's paths) hashed and compared with the pinned digests. A change meant to
be faster or tidier that moves a byte of a report fails here; a change meant to change the
outputs re-pins them with ``tools/make_golden.py`` (and says so in its commit).

The figures' bytes depend on matplotlib, FreeType and Pillow; the comparison is made in the
environment the digests were made in (``requirements-lock.txt``, what ``make`` installs) and
skipped, saying which versions differ, elsewhere.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from support import DEMO, REPO

pytestmark = pytest.mark.slow  # runs notebooks in kernels (make test runs it)

GOLDEN = Path(__file__).parent / "data" / "golden" / "demo_outputs.json"


def _tool():
    spec = importlib.util.spec_from_file_location("make_golden", REPO / "tools" / "make_golden.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_demo_outputs_are_the_pinned_bytes(tmp_path):
    tool = _tool()
    pinned = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert pinned["regions"] == list(tool.REGIONS) and pinned["year"] == tool.YEAR
    here = tool.environment()
    moved = {k: (v, here.get(k)) for k, v in pinned["environment"].items() if here.get(k) != v}
    if moved:
        pytest.skip(f"outputs pinned with other library versions (pinned, here): {moved}")
    out = tmp_path / "out"
    tool.run_demo(out)
    got = tool.digests(out, DEMO)
    assert sorted(got) == sorted(pinned["files"]), "the set of output files changed"
    changed = sorted(k for k in got if got[k] != pinned["files"][k])
    assert not changed, (
        f"{len(changed)} output file(s) differ from the pinned bytes: {changed[:12]}; if the change "
        "is meant, re-pin with tools/make_golden.py and say why in the commit"
    )


def test_the_digests_see_a_changed_byte_and_not_the_folder(tmp_path):
    tool = _tool()
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        (root / "2024" / "990102").mkdir(parents=True)
    (a / "2024" / "990102" / "x.ipynb").write_text(f'data_path = "{DEMO.resolve()}"', encoding="utf-8")
    (b / "2024" / "990102" / "x.ipynb").write_text('data_path = "/elsewhere/counts.csv"', encoding="utf-8")
    (a / "2024" / "990102" / "manifest.json").write_text("{}", encoding="utf-8")
    got_a, got_b = tool.digests(a, DEMO), tool.digests(b, DEMO)
    assert list(got_a) == ["2024/990102/x.ipynb"]  # manifests are not compared
    assert got_a != got_b  # another data file is another output
    moved = tmp_path / "moved.csv"
    (a / "2024" / "990102" / "x.ipynb").write_text(f'data_path = "{moved.resolve()}"', encoding="utf-8")
    assert tool.digests(a, moved) == got_a  # the same file at another place: the same digests
