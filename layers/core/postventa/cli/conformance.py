"""`postventa conformance`: the product against the real-world corpus (postventa.conformance)."""

from __future__ import annotations

import argparse
from typing import Any

HELP = "Prueba el producto con el corpus real (CFDI → PDF, webhooks → pedidos)"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "conformance",
        help=HELP,
        description=(
            f"{HELP}. Imprime una tabla por archivo y sale con 1 si algo falla. Necesita los "
            "extras de desarrollo (make setup)."
        ),
    )
    parser.add_argument(
        "--corpus",
        default=None,
        help="carpeta con cfdi/ y webhooks/ (por defecto ../shared/fixtures/real)",
    )
    parser.set_defaults(func=conformance)


def conformance(args: argparse.Namespace) -> int:
    from pathlib import Path

    from postventa.conformance import DEFAULT_CORPUS, run

    return run(Path(args.corpus) if args.corpus else DEFAULT_CORPUS)
