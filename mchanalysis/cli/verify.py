"""``mch verify DIR``: check a report directory against its manifest, re-execute it and list any
difference. Read-only: nothing in DIR is written; nothing runs unless every recorded input and
notebook still has its recorded hash. ``--no-execute`` checks hashes and the file list only.
Version differences (package, Python, libraries) are listed first. ``--data FILE`` verifies a
folder sent from another machine.

Exit 0 when every output file is byte-identical and no file was added or is missing, 1
otherwise (the differing, missing, added and extra files are listed) or for a malformed
manifest (one line).
"""

from __future__ import annotations

import sys

HELP = "check a report directory against its manifest.json, re-execute it, list files that differ"


def add_arguments(p):
    p.add_argument("directory", metavar="DIR", help="a region's report directory (holds manifest.json)")
    p.add_argument(
        "--no-execute",
        action="store_true",
        help="only check the files against the manifest's hashes; run nothing",
    )
    p.add_argument(
        "--data",
        metavar="DATA",
        help="the data file, for a folder made on another machine or a moved data file "
        "(must have the SHA-256 the manifest records)",
    )


def run(args) -> int:
    # lazy: `mch --help` builds every sub-command's parser, so imports of the work stay here
    from mchanalysis.pipeline.verify import verify_directory

    report = verify_directory(args.directory, execute=not args.no_execute, data=args.data)
    for line in report.lines():
        print(line, file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1
