"""``mch verify DIR``: re-execute a report directory from its manifest and list any difference.

Exit 0 when every output file is byte-identical, 1 otherwise (the differing, missing and extra
files are listed).
"""

from __future__ import annotations

import sys

HELP = "re-execute a report directory from its manifest.json and list files whose bytes differ"


def add_arguments(p):
    p.add_argument("directory", metavar="DIR", help="a region's report directory (holds manifest.json)")


def run(args) -> int:
    from mchanalysis.pipeline.verify import verify_directory

    report = verify_directory(args.directory)
    for line in report.lines():
        print(line, file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1
