"""The ``mch`` command: argument parsing and messages only.

Each sub-command lives in its own module ``mchanalysis.cli.<name>`` that defines ``HELP`` (one
line), ``add_arguments(parser)`` and ``run(args) -> int``. Exit codes (docs/design.md): 0 success,
1 user error (one-line reason on stderr, no traceback unless ``--debug``), 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from mchanalysis import __version__
from mchanalysis.errors import MchError
from mchanalysis.resources import PackageDataMissing

#: Sub-commands in the order ``mch --help`` lists them.
COMMANDS = (
    "demo",
    "init",
    "validate",
    "template",
    "indicators",
    "trends",
    "joinpoint",
    "run",
    "verify",
    "narrative-template",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mch",
        description="Maternal and child health statistics and annual 答卷 reports.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"mchanalysis {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of user errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"mchanalysis.cli.{name.replace('-', '_')}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP, allow_abbrev=False)
        # SUPPRESS: absent after the sub-command, `mch --debug CMD` is not reset to False
        p.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of user errors"
        )
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error
    try:
        code = args._run(args)
    except MchError as exc:
        if args.debug:
            raise
        msg = str(exc)
        print(f"mch {args.command}: error: {msg}", file=sys.stderr)
        return 1
    except PackageDataMissing as exc:  # a broken installation: said in one line, exit 1
        if args.debug:
            raise
        print(f"mch {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"mch {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
