"""`postventa global preview|issue --tenant T --period 2026-11`: what a period's global invoice
would take, and issuing it now with the service the hourly job runs (a progress bar on long
work; running it twice, or beside the job, issues nothing twice).

Where it runs: against the running local cloud by default (its moto endpoint from
/_local/health, the environment of its FiscalJobsFunction from the Lambda API), or against AWS
with `--function NAME` (the deployed FiscalJobsFunction: its configuration names the table,
bucket and bus; your AWS credentials need what that function's role has).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any

_FUNCTION = "FiscalJobsFunction"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "global", help="factura global: ver lo que incluiría un periodo, o emitirla ya"
    )
    actions = parser.add_subparsers(dest="global_command", metavar="ACCION")
    for name, func, text in (
        ("preview", _preview, "cuántos pedidos, qué total, primer y último pedido del periodo"),
        ("issue", _issue, "emite ahora la factura global del periodo (una sola vez)"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--tenant", required=True, help="id de la tienda")
        action.add_argument(
            "--period",
            required=True,
            help="AAAA-MM (mensual, bimestral) o AAAA-MM-DD (el periodo que contiene ese día)",
        )
        action.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("POSTVENTA_PORT", "3000")),
            help="puerto de la nube local",
        )
        action.add_argument(
            "--function", default=None, help=f"en AWS: el nombre de la función {_FUNCTION}"
        )
        action.set_defaults(func=func)
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)


def _adapters(args: argparse.Namespace) -> Any:
    """The product's adapters with the fiscal worker's environment, where it runs."""
    import boto3

    from postventa import bootstrap
    from postventa.aws import reset_clients

    if args.function:
        name = args.function
        lam = boto3.client("lambda")
    else:
        moto = _local_moto(args.port)
        for key, value in {
            "AWS_ENDPOINT_URL": moto,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",  # moto's dummy credentials
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }.items():
            os.environ[key] = value
        reset_clients()
        lam = boto3.client("lambda")
        found = [
            f["FunctionName"]
            for f in lam.list_functions()["Functions"]
            if f["FunctionName"].endswith(_FUNCTION)
        ]
        if not found:
            raise SystemExit(f"La nube local no tiene la función {_FUNCTION}.")
        name = found[0]
    env = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    return bootstrap.build_adapters(env)


def _local_moto(port: int) -> str:
    try:
        url = f"http://127.0.0.1:{port}/_local/health"
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(json.loads(response.read())["moto"])
    except urllib.error.URLError:
        raise SystemExit(f"No hay una nube local corriendo en el puerto {port}.") from None


def _tenant_and_period(args: argparse.Namespace, adapters: Any) -> tuple[Any, Any]:
    from postventa.domain.global_periods import PeriodTextError, parse_period

    tenant = adapters.tenants.get(args.tenant)
    if tenant is None:
        raise SystemExit(f"No existe la tienda {args.tenant!r}.")
    try:
        return tenant, parse_period(tenant.global_invoice.periodicity, args.period)
    except PeriodTextError as exc:
        raise SystemExit(str(exc)) from None


def _preview(args: argparse.Namespace) -> int:
    from postventa.formatting import amount, period_es
    from postventa.services.global_invoices import preview

    adapters = _adapters(args)
    tenant, period = _tenant_and_period(args, adapters)
    seen = preview(tenant, period, adapters)
    print(f"Factura global de {period_es(period.first_day, period.last_day)} ({period.key}):")
    print(f"  pedidos por incluir: {seen.orders}, total {amount(seen.total)}")
    if seen.orders:
        print(f"  primer pedido: {seen.first}; último: {seen.last}")
    for run in seen.runs:
        state = f"error: {run.error_reason}" if run.error_code else run.state.value
        print(
            f"  ejecución {run.run_id}: {run.order_count} pedidos en {run.cfdi_count} CFDI, {state}"
        )
    return 0


def _issue(args: argparse.Namespace) -> int:
    from postventa.services.global_invoices import issue_period

    adapters = _adapters(args)
    tenant, period = _tenant_and_period(args, adapters)
    report = issue_period(tenant, period, adapters, progress=_bar)
    sys.stderr.write("\n")
    if report.busy:
        print(
            "Otra ejecución está emitiendo este periodo ahora; vuelve a intentar en unos minutos."
        )
        return 1
    if report.state == "sin_pedidos":
        print("No hay pedidos por incluir en la factura global de ese periodo.")
        return 0
    print(f"Ejecución {report.run_id}: {report.orders} pedidos en {report.cfdis} CFDI.")
    print(f"  estado: {report.state}")
    for uuid in report.uuids:
        print(f"  UUID {uuid}")
    if report.error_code:
        print(f"No terminó: {report.error_reason}")
        return 1
    return 0


def _bar(step: str, done: int, total: int) -> None:
    """A progress bar on stderr: taking the orders, then stamping the CFDIs."""
    width = 30
    filled = width * done // max(total, 1)
    label = {"pedidos": "tomando pedidos", "cfdi": "timbrando CFDI"}.get(step, step)
    sys.stderr.write(f"\r  {label:<16} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    sys.stderr.flush()
