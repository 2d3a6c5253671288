"""`postventa dlq list|redrive`: look into a dead-letter queue and send its messages back."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "dlq", help="mensajes fallidos: ver la cola de mensajes fallidos y reenviarlos"
    )
    actions = parser.add_subparsers(dest="dlq_command", metavar="ACCION")
    for name, func, text in (
        ("list", _list, "muestra los mensajes (sin su contenido) de una cola de fallidos"),
        ("redrive", _redrive, "reenvía cada mensaje a la cola de la que vino"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument(
            "--queue",
            default="OrdersDLQ",
            help="URL de la cola de fallidos en AWS, o su id lógico en la nube local "
            "(por omisión OrdersDLQ)",
        )
        action.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("POSTVENTA_PORT", "3000")),
            help="puerto de la nube local (cuando --queue es un id lógico)",
        )
        action.set_defaults(func=func)
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)


def _queue(args: argparse.Namespace) -> tuple[Any, str]:
    """An SQS client and the DLQ's URL: AWS when --queue is a URL, else the running local
    cloud (its moto endpoint and the queue's URL come from /_local/health)."""
    import boto3

    if args.queue.startswith("https://"):
        return boto3.client("sqs"), args.queue
    url = f"http://127.0.0.1:{args.port}/_local/health"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            health = json.loads(response.read())
    except urllib.error.URLError:
        raise SystemExit(f"No hay una nube local corriendo en el puerto {args.port}.") from None
    queues = health.get("queues", {})
    if args.queue not in queues:
        raise SystemExit(f"La nube local no tiene la cola {args.queue} ({', '.join(queues)}).")
    client = boto3.client(
        "sqs",
        endpoint_url=health["moto"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto's dummy credentials
    )
    return client, queues[args.queue]


def _list(args: argparse.Namespace) -> int:
    from postventa.messaging.dead_letters import peek

    sqs, url = _queue(args)
    letters = peek(sqs, url)
    if not letters:
        print("La cola de mensajes fallidos está vacía.")
        return 0
    print(f"{len(letters)} mensaje(s) en {url}:")
    for letter in letters:
        print(f"  {letter.message_id}  recibido {letter.receive_count} veces  {letter.summary}")
    print("Corrige la causa (ver los registros de la función) y ejecuta `postventa dlq redrive`.")
    return 0


def _redrive(args: argparse.Namespace) -> int:
    from postventa.messaging.dead_letters import redrive

    sqs, url = _queue(args)
    live = sys.stdout.isatty()

    def progress(moved: int) -> None:
        if live:
            print(f"\r  reenviados: {moved}", end="", flush=True)

    moved = redrive(sqs, url, on_moved=progress)
    if live and moved:
        print()
    print(f"{moved} mensaje(s) reenviado(s) a su cola de origen.")
    return 0
