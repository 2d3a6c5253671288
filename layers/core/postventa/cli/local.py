"""`postventa local up|fire|health`: the embedded local cloud from template.yaml.

The local cloud is its own package (`localcloud`, infra/localcloud), not part of the CoreLayer:
this module is the one place of the product that imports it, lazily inside `up`, and the one
place that tells it about the product (`cloud_hooks`). No Lambda imports `postventa.cli`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any


def _env_port() -> str:
    """As a string: argparse converts it with `type`, so a bad value is a usage error."""
    return os.environ.get("POSTVENTA_PORT") or "3000"


def cloud_hooks(*seeders: Callable[[], object], demo: bool = True) -> dict[str, Any]:
    """The product's side of the local cloud's hooks, as `LocalCloud(**cloud_hooks())` takes them:
    seed the demo tenant (unless `demo=False`) and then `seeders`; rebuild the adapters whenever
    the environment changes; drop adapters and AWS clients (and cached secrets) on every reset."""
    from postventa import bootstrap

    return {
        "seeders": [*([seed_local_demo] if demo else []), *seeders],
        "on_env_change": [bootstrap.bootstrap.cache_clear],
        "on_reset": [bootstrap.reset],
    }


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("local", help="nube local embebida (moto)")
    sub = parser.add_subparsers(dest="local_command", metavar="ACCION")

    up = sub.add_parser("up", help="levanta la nube local a partir de template.yaml")
    up.add_argument("--port", type=int, default=_env_port())
    up.add_argument("--moto-port", type=int, default=None, help="puerto de moto (libre si no)")
    up.add_argument(
        "--markets-port",
        type=int,
        default=os.environ.get("POSTVENTA_MARKETS_PORT") or "3001",
        help="puerto de los marketplaces de prueba (POSTVENTA_MARKETS_PORT; 0: uno libre)",
    )
    up.add_argument(
        "--speedup",
        type=float,
        default=os.environ.get("POSTVENTA_CLOCK_SPEEDUP") or "1",
        help="acelera el reloj de las reglas (POSTVENTA_CLOCK_SPEEDUP)",
    )
    up.add_argument(
        "--lambda-concurrency",
        type=int,
        default=os.environ.get("POSTVENTA_LAMBDA_CONCURRENCY") or None,
        help="procesos por función como máximo (POSTVENTA_LAMBDA_CONCURRENCY; "
        "por omisión, los núcleos de la máquina más uno)",
    )
    up.add_argument(
        "--no-lambda-workers",
        dest="lambda_workers",
        action="store_false",
        default=os.environ.get("POSTVENTA_LAMBDA_WORKERS", "1") != "0",
        help="corre las funciones en este proceso, p. ej. para breakpoint() "
        "(POSTVENTA_LAMBDA_WORKERS=0)",
    )
    up.add_argument("--template", default="template.yaml")
    up.add_argument("--param", action="append", default=[], metavar="CLAVE=VALOR", help="parámetro")
    up.add_argument(
        "--subst",
        action="append",
        default=[],
        metavar="CLAVE=VALOR",
        help="DefinitionSubstitutions local (p. ej. BillingDeadlineSeconds=120)",
    )
    up.add_argument("--seed", action="append", default=[], metavar="MODULO:FUNCION")
    up.add_argument("--no-seed", action="store_true", help="no cargar el tenant de demostración")
    up.set_defaults(func=_up)

    fire = sub.add_parser("fire", help="dispara ya una regla programada de la nube corriendo")
    fire.add_argument("rule", help="nombre o id lógico de la regla")
    fire.add_argument("--port", type=int, default=_env_port())
    fire.set_defaults(func=_fire)

    health = sub.add_parser("health", help="estado de la nube local corriendo")
    health.add_argument("--port", type=int, default=_env_port())
    health.set_defaults(func=_health)
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)


def _pairs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"formato inválido (use CLAVE=VALOR): {item}")
        out[key] = value
    return out


def _load_seeder(spec: str) -> Any:
    import importlib

    module, _, func = spec.partition(":")
    return getattr(importlib.import_module(module), func or "seed")


def _up(args: argparse.Namespace) -> int:
    from localcloud import LocalCloud

    started = time.monotonic()
    fake = start_fake_marketplaces(args.markets_port)
    cloud = LocalCloud(
        args.template,
        port=args.port,
        moto_port=args.moto_port,
        speedup=args.speedup,
        parameters=_pairs(args.param),
        substitutions=_pairs(args.subst),
        lambda_workers=args.lambda_workers,
        lambda_concurrency=args.lambda_concurrency,
        placeholders={"FakeMarketsUrl": fake.url},
        **cloud_hooks(
            seed_channel_apps, *(_load_seeder(s) for s in args.seed), demo=not args.no_seed
        ),
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        cloud.start()
    except OSError as exc:
        fake.stop()
        print(f"No se pudo iniciar la nube local: {exc}", file=sys.stderr)
        return 1
    stack = cloud.stack
    assert stack is not None
    wire_fake_marketplaces(fake, cloud)
    print(f"Nube local lista en {time.monotonic() - started:.1f} s", flush=True)
    print(f"  API (gateway):   {cloud.gateway_url}")
    print(f"  Buzón de correo: {cloud.mailbox_url}")
    print(f"  moto (AWS):      {cloud.moto_url}  (AWS_ENDPOINT_URL)")
    print(f"  Marketplaces:    {fake.url}  (Mercado Libre, Amazon y Liverpool de prueba)")
    print(
        f"  {len(stack.functions)} funciones, {len(stack.queues)} colas, "
        f"{len(stack.routes)} rutas, {len(stack.schedules)} reglas programadas "
        f"(reloj x{cloud.speedup:g})"
    )
    if not args.no_seed:
        from postventa.services.demo import (
            DEFAULT_API_KEY,
            DEFAULT_SECRET,
            DEMO_OWNER,
            DEMO_STAFF,
        )

        port = urllib.parse.urlsplit(cloud.gateway_url).port
        prefix = "" if port == 3000 else f"POSTVENTA_PORT={port} "
        key = os.environ.get("POSTVENTA_DEMO_API_KEY") or DEFAULT_API_KEY
        secret = os.environ.get("POSTVENTA_DEMO_SECRET") or DEFAULT_SECRET
        password = demo_password()
        print(f"Tienda de demostración «demo»: clave de API {key}, secreto de webhooks {secret},")
        print("  PAC de pruebas (timbres sin validez fiscal), 100 folios.")
        print(f"  Panel:     {cloud.gateway_url}/panel")
        print(f"    dueño:    {DEMO_OWNER}  contraseña: {password}")
        print(f"    personal: {DEMO_STAFF}  contraseña: {password}")
        print("Siguiente: en otra terminal, con el mismo puerto:")
        print(f"  {prefix}make demo      un pedido de ejemplo de punta a punta, paso a paso")
        print(f"  y abre {cloud.mailbox_url} para ver los correos que recibe el comprador.")
    print("Ctrl-C para detener", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        print("\nDeteniendo… las ejecuciones en curso se pierden (moto guarda todo en memoria).")
        cloud.stop()
        fake.stop()
        print("Nube local detenida.")
    return 0


def _call(port: int, method: str, path: str) -> tuple[int, Any]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=b"" if method == "POST" else None, method=method
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def _fire(args: argparse.Namespace) -> int:
    rule = urllib.parse.quote(args.rule, safe="")
    try:
        status, doc = _call(args.port, "POST", f"/_local/schedules/{rule}/fire")
    except urllib.error.URLError:
        print(f"No hay una nube local corriendo en el puerto {args.port}.", file=sys.stderr)
        return 1
    if status != 200:
        print(doc.get("message", f"Error {status}") if isinstance(doc, dict) else status)
        return 1
    print(f"Regla {args.rule} disparada:")
    for result in doc.get("results", []):
        estado = "error" if result.get("errored") else "ok"
        print(f"  {result.get('target')}: {estado}")
    return 0


def _health(args: argparse.Namespace) -> int:
    try:
        status, doc = _call(args.port, "GET", "/_local/health")
    except urllib.error.URLError:
        print(f"No hay una nube local corriendo en el puerto {args.port}.", file=sys.stderr)
        return 1
    print(json.dumps(doc, indent=2, ensure_ascii=False))
    return 0 if status == 200 else 1


def demo_password() -> str:
    from postventa.services.demo import DEFAULT_PASSWORD

    return os.environ.get("POSTVENTA_DEMO_PASSWORD") or DEFAULT_PASSWORD


def seed_local_demo() -> Any:
    """The demo tenant on the running cloud's resources (the seeders run with the functions'
    environment applied), with the secrets the operator may override (POSTVENTA_DEMO_SECRET,
    POSTVENTA_DEMO_API_KEY, POSTVENTA_DEMO_PASSWORD)."""
    from postventa.bootstrap import bootstrap
    from postventa.observability import logger
    from postventa.services.demo import DEFAULT_API_KEY, DEFAULT_SECRET, seed_demo_tenant

    level = logger.log_level
    logger.setLevel("WARNING")  # the services' INFO lines would stand above `make run`'s banner
    try:
        return seed_demo_tenant(
            bootstrap(),
            secret=os.environ.get("POSTVENTA_DEMO_SECRET") or DEFAULT_SECRET,
            api_key=os.environ.get("POSTVENTA_DEMO_API_KEY") or DEFAULT_API_KEY,
            password=demo_password(),
        )
    finally:
        logger.setLevel(level)


# ---------------------------------------------------------------- the fake marketplaces
# Our applications on the fake marketplaces (decision 0016): the operator secrets the seeder
# stores and the fake checks, as the real DevCenter / Seller Central apps would.
LOCAL_APPS = {
    "mercadolibre": {"client_id": "5503910054141466", "client_secret": "secreto-local-meli"},
    "amazon": {
        "client_id": "amzn1.application-oa2-client.postventa-local",
        "client_secret": "secreto-local-lwa",
    },
}
DEMO_ML_SELLER = 468424240
DEMO_AMAZON_SELLER = "A3POSTVENTADEMO"
DEMO_LIVERPOOL_SHOP = 2001
DEMO_LIVERPOOL_KEY = "clave-liverpool-demo"
# The demo buyer's cart: two items, two orders, one pack (one invoice). Shared by
# `postventa demo --channel mercadolibre` and the integration flow so both show the same sale.
DEMO_ML_CART: list[list[dict[str, Any]]] = [
    [{"title": "Cazuela de barro", "quantity": 1, "unit_price": 480.0, "seller_sku": "CAZ-01"}],
    [{"title": "Jarro de barro", "quantity": 2, "unit_price": 150.0, "seller_sku": "JAR-01"}],
]
DEMO_ML_SHIPPING = 99.0


def start_fake_marketplaces(port: int = 0) -> Any:
    """Mercado Libre, Amazon and Liverpool of our own on 127.0.0.1 (infra/fakemarkets), with
    our apps registered and a demo seller, shop and Amazon account in each."""
    from fakemarkets import FakeMarkets

    fake = FakeMarkets(port=port).start()
    ml = LOCAL_APPS["mercadolibre"]
    fake.mercadolibre.add_app(ml["client_id"], ml["client_secret"], "", "")
    fake.mercadolibre.add_seller(DEMO_ML_SELLER, "TIENDA_DEMO_ML")
    fake.amazon.add_app(LOCAL_APPS["amazon"]["client_id"], LOCAL_APPS["amazon"]["client_secret"])
    fake.liverpool.add_shop(DEMO_LIVERPOOL_KEY, DEMO_LIVERPOOL_SHOP, "Tienda Demo en Liverpool")
    return fake


def wire_fake_marketplaces(fake: Any, cloud: Any) -> None:
    """Point the fake marketplaces at the running cloud: Mercado Libre's redirect and
    notifications at the gateway, Amazon's notifications at the cloud's SQS queue."""
    gateway = cloud.gateway.url if cloud.gateway is not None else None
    public = cloud.function_environment().get("PUBLIC_BASE_URL") or gateway or ""
    app = next(iter(fake.mercadolibre.apps.values()))
    app.redirect_uri = f"{public.rstrip('/')}/oauth/mercadolibre"
    app.notifications_url = f"{(gateway or public).rstrip('/')}/webhooks/mercadolibre"
    queue = cloud.stack.queues.get("AmazonNotificationsQueue")
    if queue:
        sqs = cloud.client("sqs")
        fake.amazon.sink = lambda body: sqs.send_message(QueueUrl=queue, MessageBody=body)


def seed_channel_apps() -> None:
    """The operator secrets of our apps on the fake marketplaces (a seeder: runs with the
    functions' environment, so boto3 reaches the cloud's Secrets Manager)."""
    from postventa.aws import client
    from postventa.storage.channel_apps import app_secret_name
    from postventa.storage.secrets import put_secret_string

    secrets_manager = client("secretsmanager")
    for name, value in LOCAL_APPS.items():
        put_secret_string(secrets_manager, app_secret_name(name), json.dumps(value))
