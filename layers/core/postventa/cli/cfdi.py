"""`postventa cfdi ...`: CFDI 4.0 tools for operators. One function per subcommand; to add one,
write `_register_<name>(sub)` plus its handler and list the register function in _SUBCOMMANDS.
Heavy imports happen inside handlers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

GROUP_HELP = "Herramientas CFDI 4.0 (validación de receptor, ...)"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "cfdi", help=GROUP_HELP, description=GROUP_HELP
    )
    sub = parser.add_subparsers(dest="cfdi_command", metavar="SUBCOMANDO")
    for register_subcommand in _SUBCOMMANDS:
        register_subcommand(sub)

    def show_help(_: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=show_help)


def print_json(payload: Any) -> None:
    """Print JSON with accents as they are, whatever the terminal's encoding."""
    text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    data = text.encode("utf-8", errors="replace")  # lone surrogates from odd argv bytes
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    sys.stdout.flush()
    buffer.write(data)
    buffer.flush()


# --- check-receptor ----------------------------------------------------------------------------


def _register_check_receptor(sub: Any) -> None:
    parser = sub.add_parser(
        "check-receptor",
        help="Valida los datos fiscales de un receptor (RFC, nombre, régimen, CP, uso)",
        description=(
            "Valida los datos fiscales de un receptor de CFDI 4.0 e imprime JSON "
            '{"valido", "receptor", "errores", "advertencias", "requiere_confirmacion"}. '
            "Un dígito verificador del RFC que no coincide es una advertencia (código "
            "rfc_digito_verificador bajo rfc) que se acepta con --confirmar-rfc. Sale con 0 si "
            "son válidos y 1 si no."
        ),
    )
    parser.add_argument("--rfc", default="", help="RFC del receptor")
    parser.add_argument("--nombre", default="", help="Nombre o razón social (sin régimen capital)")
    parser.add_argument("--regimen", default="", help="Régimen fiscal, p. ej. 612")
    parser.add_argument("--cp", default="", help="Código postal del domicilio fiscal")
    parser.add_argument("--uso", default="", help="Uso del CFDI, p. ej. G03")
    parser.add_argument("--email", default="", help="Correo electrónico (opcional)")
    parser.add_argument(
        "--global",
        dest="es_global",
        action="store_true",
        help="Receptor de una factura global (XAXX010101000, PUBLICO EN GENERAL)",
    )
    parser.add_argument(
        "--lugar-expedicion",
        default=None,
        help="Código postal del lugar de expedición del emisor (obligatorio con RFC genérico)",
    )
    parser.add_argument("--residencia-fiscal", default="", help="País (c_Pais) con XEXX010101000")
    parser.add_argument(
        "--num-reg-id-trib", default="", help="Registro fiscal extranjero con XEXX010101000"
    )
    parser.add_argument(
        "--confirmar-rfc",
        action="store_true",
        help="El comprador confirma que su RFC es correcto aunque el dígito verificador no "
        "coincida (el SAT ha asignado RFC así)",
    )
    parser.set_defaults(func=check_receptor)


def check_receptor(args: argparse.Namespace) -> int:
    """Validate one receptor from the command line; exit code 0 valid, 1 invalid."""
    from postventa.cfdi.receptor import validate_receptor

    result = validate_receptor(
        {
            "rfc": args.rfc,
            "nombre": args.nombre,
            "regimen_fiscal": args.regimen,
            "codigo_postal": args.cp,
            "uso_cfdi": args.uso,
            "email": args.email,
            "residencia_fiscal": args.residencia_fiscal,
            "num_reg_id_trib": args.num_reg_id_trib,
        },
        es_global=args.es_global,
        lugar_expedicion=args.lugar_expedicion,
        rfc_confirmado=args.confirmar_rfc,
    )
    print_json(result.to_dict())
    return 0 if result.valido else 1


# --- build ---------------------------------------------------------------------------------------


def _register_build(sub: Any) -> None:
    parser = sub.add_parser(
        "build",
        help="Genera, sella y timbra el CFDI de un pedido (PAC de tenant.json)",
        usage=(
            "postventa cfdi build --order order.json --tenant tenant.json "
            "--receptor receptor.json --out DIR [--folio N]"
        ),
        description=(
            "Lee order.json, receptor.json (los datos fiscales del comprador; pueden ir también "
            'en la clave "receptor" de order.json) y tenant.json '
            "(docs/formats/order-and-tenant-json.md), timbra con el PAC que indica tenant.json "
            "(el de pruebas, sandbox, si no indica otro), escribe el XML timbrado y su PDF en "
            "--out e imprime un resumen JSON. Sale con 1 si los datos no permiten facturar."
        ),
    )
    parser.add_argument("--order", required=True, help="order.json")
    parser.add_argument("--tenant", required=True, help="tenant.json (emisor, CSD, PAC)")
    parser.add_argument(
        "--receptor",
        help="receptor.json: datos fiscales del comprador (si falta, la clave receptor de "
        "order.json)",
    )
    parser.add_argument("--out", required=True, help="carpeta de salida")
    parser.add_argument(
        "--folio",
        type=int,
        default=None,
        help="folio del CFDI; por omisión el siguiente de la serie de tenant.json, que se lleva "
        "en <tenant>.folios.json junto a tenant.json",
    )
    parser.set_defaults(func=build)


def _folios_path(tenant_path: str) -> Path:
    tenant = Path(tenant_path)
    return tenant.with_name(f"{tenant.stem}.folios.json")


def _serie(tenant_path: str) -> str:
    data = json.loads(Path(tenant_path).read_text(encoding="utf-8"))
    issuer = data.get("issuer") if isinstance(data, dict) else None
    return str((issuer or {}).get("serie") or "F")


def next_folio(tenant_path: str) -> int:
    """The next folio of tenant.json's serie (1 the first time)."""
    path = _folios_path(tenant_path)
    counters = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return int(counters.get(_serie(tenant_path), 1))


def record_folio(tenant_path: str, used: int) -> None:
    """Remember that `used` was stamped: the next run takes the folio after the highest used."""
    path = _folios_path(tenant_path)
    counters = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    serie = _serie(tenant_path)
    counters[serie] = max(int(counters.get(serie, 1)), used + 1)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(counters, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)  # never a half-written counter


def build(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from postventa.cfdi.stamping import build_from_files
    from postventa.errors import PostventaError

    try:
        folio = args.folio if args.folio is not None else next_folio(args.tenant)
        summary = build_from_files(args.order, args.tenant, args.receptor, args.out, folio)
        record_folio(args.tenant, folio)
    except PostventaError as exc:
        sys.stderr.write(json.dumps(exc.to_dict(), ensure_ascii=False, default=str) + "\n")
        return 1
    except (OSError, ValueError, ValidationError) as exc:
        message = f"Archivo inválido: {exc}"
        sys.stderr.write(
            json.dumps({"error": "entrada_invalida", "message": message}, ensure_ascii=False) + "\n"
        )
        return 1
    print_json(summary)
    return 0


def _register_pdf(sub: Any) -> None:
    parser = sub.add_parser(
        "pdf",
        help="Genera el PDF (representación impresa) de un CFDI timbrado",
        description="Lee un CFDI 4.0 timbrado y escribe su PDF junto a él (o en --out).",
    )
    parser.add_argument("xml", help="CFDI timbrado (.xml)")
    parser.add_argument("--out", help="ruta del PDF (por defecto, la del XML con .pdf)")
    parser.add_argument(
        "--sin-validez",
        action="store_true",
        help='marca cada página "SIN VALIDEZ FISCAL" (los timbres de prueba se marcan siempre)',
    )
    parser.set_defaults(func=pdf)


def pdf(args: argparse.Namespace) -> int:
    from pathlib import Path

    from postventa.cfdi.pdf import render_pdf
    from postventa.errors import PostventaError

    source = Path(args.xml)
    target = Path(args.out) if args.out else source.with_suffix(".pdf")
    try:
        data = render_pdf(source.read_bytes(), sin_validez=args.sin_validez)
    except PostventaError as exc:
        sys.stderr.write(json.dumps(exc.to_dict(), ensure_ascii=False, default=str) + "\n")
        return 1
    except OSError as exc:
        message = f"No se pudo leer {source}: {exc.strerror or exc}"
        sys.stderr.write(
            json.dumps({"error": "entrada_invalida", "message": message}, ensure_ascii=False) + "\n"
        )
        return 1
    target.write_bytes(data)
    print_json({"pdf": str(target), "bytes": len(data)})
    return 0


_SUBCOMMANDS: tuple[Callable[[Any], None], ...] = (
    _register_check_receptor,
    _register_build,
    _register_pdf,
)
