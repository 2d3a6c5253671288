"""`postventa` operator command line. Each command group lives in its own module with a
`register(subparsers)` function; heavy imports happen inside the command, not here."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Command-group modules, in help order. Each exposes register(subparsers) -> None.
_GROUPS = (
    "postventa.cli.local",
    "postventa.cli.demo",
    "postventa.cli.cfdi",
    "postventa.cli.dlq",
    "postventa.cli.global_invoice",
    "postventa.cli.conformance",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postventa", description="Postventa: facturación postventa CFDI 4.0"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMANDO")
    for name in _GROUPS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
