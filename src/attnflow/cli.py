"""The `attnflow` command: parses, validates and dispatches to a task.

Errors in the user's arguments or data become one line on stderr and exit
code 2; nothing else happens in this module.
"""

from __future__ import annotations

import argparse
import os
import sys

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other bad input
        print(f"attnflow: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="attnflow", description="Attention for TensorFlow.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands.add_parser("demo", help="the embedded default example")
    commands.add_parser("example", help="a worked example of attention on a four-token sentence")
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    try:
        if args.command in ("demo", "example"):
            from attnflow.explain.worked_example import main as worked_example

            return worked_example()
    except ValueError as error:
        print(f"attnflow: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    sys.exit(main())
