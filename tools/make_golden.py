"""Pin the demo's outputs: the SHA-256 of every file ``mch run`` writes for three demo regions.

``tests/test_golden_outputs.py`` runs the same batch and compares every file with these digests,
so that a change meant to be faster (or tidier) and not to change what the reports say or show
cannot change a byte of them unnoticed (issue 12: "outputs byte-identical to today's"). Run this
after a change that is meant to change the outputs (a wording, a chart, a number), and say in the
commit what changed and why:

    .venv/bin/python tools/make_golden.py

The digests hold for the library versions recorded beside them (figures depend on matplotlib,
FreeType and Pillow's zlib; the Word and HTML files embed the figures); the test compares only
when the environment has the same versions (``requirements-lock.txt``, what ``make`` installs).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden" / "demo_outputs.json"
DEMO = ROOT / "data" / "demo" / "counts.csv"
#: A province, a city and a county of the demo: every section of every notebook is drawn for one
#: of them (sub-region comparisons, funnel plots, a county's small numbers).
REGIONS = ("990000", "990100", "990102")
YEAR = 2024


def environment() -> dict:
    """The versions the outputs' bytes depend on: those the manifest records, Pillow (PNG
    encoding) and the FreeType matplotlib draws text with."""
    import matplotlib.ft2font
    import PIL

    from mchanalysis.pipeline import manifest as mf

    return {
        **mf.library_versions(),
        "pillow": PIL.__version__,
        "freetype": matplotlib.ft2font.__freetype_version__,
    }


def run_demo(out: Path) -> None:
    """``mch run`` of :data:`REGIONS` on the demo into ``out`` (two jobs, as a user would)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mchanalysis",
            "run",
            "--data",
            str(DEMO),
            "--year",
            str(YEAR),
            "--regions",
            *REGIONS,
            "--jobs",
            "2",
            "--out",
            str(out),
            "--no-progress",
        ],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


#: What the absolute path of the demo file is replaced with before hashing: the notebooks and the
#: quality tables name the data file, and a clone's folder is not this one's.
DATA_MARK = b"<demo counts.csv>"


def digests(out: Path, data: Path = DEMO) -> dict[str, str]:
    """SHA-256 of every file under ``out`` except the manifests (they name the git commit and
    this machine's paths), by path relative to ``out``, with the data file's absolute path
    replaced by :data:`DATA_MARK` (it appears in text files only: notebooks, HTML, CSV)."""
    path = str(Path(data).resolve()).encode()
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes().replace(path, DATA_MARK)).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        run_demo(out)
        doc = {
            "about": "SHA-256 of the demo outputs of mch run (tools/make_golden.py)",
            "regions": list(REGIONS),
            "year": YEAR,
            "environment": environment(),
            "files": digests(out),
        }
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{GOLDEN.relative_to(ROOT)}: {len(doc['files'])} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
