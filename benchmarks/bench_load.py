"""Benchmark: the load of a national file in one process, stage by stage (issue 12 part 1).

Times the import of :mod:`mchanalysis.validation` in a fresh process (start-up of ``mch
validate``; it loads no scipy), :func:`mchanalysis.io.read_raw`,
:func:`mchanalysis.validation.validate_counts` (which includes the aggregation check and the
entry-error review), :func:`mchanalysis.regions.aggregate_counts` and
:func:`mchanalysis.quality.review_quality` (with the indicator table it computes) on the national
file of :mod:`national_data` (3,441 regions × 15 years, 51,615 rows), best of ``--repeat``. The
user's commands, each in its own process, are timed by ``bench_national.py`` and
``bench_indicators.py``.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_load.py [--data FILE] [--repeat 2]

No timed tests: figures belong here. The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national_data import write_national_csv  # noqa: E402

import mchanalysis  # noqa: E402
from mchanalysis.io import read_raw  # noqa: E402
from mchanalysis.quality import review_quality  # noqa: E402
from mchanalysis.regions import aggregate_counts  # noqa: E402
from mchanalysis.validation import validate_counts  # noqa: E402


def import_seconds(module: str) -> float:
    """Wall time of ``python -c "import module"`` in a fresh process that imports the same
    ``mchanalysis`` as this one, the interpreter's own start (``python -c pass``) subtracted."""
    tree = str(Path(mchanalysis.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([tree, os.environ.get("PYTHONPATH", "")])}

    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=tempfile.gettempdir(), env=env)
        return time.perf_counter() - start

    return run(f"import {module}") - run("pass")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="a counts file (default: the national file, generated)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.data) if args.data else write_national_csv(Path(tmp) / "national.csv")
        best: dict[str, float] = {}
        for _ in range(args.repeat):
            seconds = import_seconds("mchanalysis.validation")
            best["import_validation_s"] = round(min(best.get("import_validation_s", seconds), seconds), 3)
            start = time.perf_counter()
            raw = read_raw(path)
            read = time.perf_counter()
            counts, findings = validate_counts(raw, file=path)
            validated = time.perf_counter()
            aggregate_counts(counts)
            aggregated = time.perf_counter()
            review_quality(counts)
            reviewed = time.perf_counter()
            for key, seconds in (
                ("read_raw_s", read - start),
                ("validate_counts_s", validated - read),
                ("aggregate_counts_s", aggregated - validated),
                ("review_quality_s", reviewed - aggregated),
            ):
                best[key] = round(min(best.get(key, seconds), seconds), 3)
        print(f"{path}: {len(raw)} records, {len(findings)} findings")
        print(json.dumps({"rows": len(raw), "findings": len(findings), **best}))


if __name__ == "__main__":
    main()
