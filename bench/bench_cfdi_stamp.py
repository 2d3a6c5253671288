"""Stamp path per invoice (validate, build, seal, XSD, sandbox stamp) vs plain satcfdi build + seal
+ TimbreFiscalDigital of the same invoice, in the same run. Goal: ratio <= 1.3x."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSD = ROOT / "tests" / "fixtures" / "sat-test-csd"
RUNS = 60


def _fixtures():  # type: ignore[no-untyped-def]
    from postventa.cfdi.build import PlainReceptor
    from postventa.cfdi.issuer import CsdCredentials, Issuer, ProductKeys
    from postventa.domain.orders import Order

    issuer = Issuer(
        rfc="EKU9003173C9",
        nombre="ESCUELA KEMPER URGATE",
        regimen_fiscal="601",
        lugar_expedicion="42501",
        products={
            "A": ProductKeys(clave_prod_serv="43211503", clave_unidad="H87"),
            "B": ProductKeys(clave_prod_serv="56101504", clave_unidad="H87"),
        },
    )
    now = datetime.now(tz=UTC)
    order = Order(
        tenant_id="t",
        channel="shopify",
        order_id="1",
        paid_at=now,
        lines=[
            {"sku": "A", "description": "Laptop", "quantity": 1, "unit_price": "10200"},
            {
                "sku": "B",
                "description": "Silla",
                "quantity": 2,
                "unit_price": "1160",
                "discount": "100",
            },
        ],
        shipping=Decimal("99"),
        total_paid=Decimal("12519.00"),
    )
    receptor = PlainReceptor("XIQB891116QE4", "KARLA FUENTE NOLASCO", "605", "01160", "S01")
    csd = CsdCredentials.from_files(
        CSD / "eku9003173c9_csd.cer", CSD / "eku9003173c9_csd.key", "12345678a"
    )
    return issuer, order, receptor, csd, now


def _baseline(signer, pac_signer, fecha):  # type: ignore[no-untyped-def]
    """What satcfdi alone does for the same invoice: build, sign, TFD, serialize (no checks)."""
    import uuid

    from satcfdi.create.cfd import cfdi40
    from satcfdi.create.cfd.tfd11 import TimbreFiscalDigital

    def concepto(clave, qty, price, desc=None):  # type: ignore[no-untyped-def]
        return cfdi40.Concepto(
            clave_prod_serv=clave,
            cantidad=Decimal(qty),
            clave_unidad="H87",
            descripcion="x",
            valor_unitario=Decimal(price),
            descuento=desc,
            impuestos=cfdi40.Impuestos(
                traslados=cfdi40.Traslado(
                    impuesto="002", tipo_factor="Tasa", tasa_o_cuota=Decimal("0.160000")
                )
            ),
        )

    c = cfdi40.Comprobante(
        emisor=cfdi40.Emisor(
            rfc="EKU9003173C9", nombre="ESCUELA KEMPER URGATE", regimen_fiscal="601"
        ),
        lugar_expedicion="42501",
        receptor=cfdi40.Receptor(
            rfc="XIQB891116QE4",
            nombre="KARLA FUENTE NOLASCO",
            domicilio_fiscal_receptor="01160",
            regimen_fiscal_receptor="605",
            uso_cfdi="S01",
        ),
        conceptos=[
            concepto("43211503", 1, "8793.10"),
            concepto("56101504", 2, "1000", Decimal("86.21")),
            concepto("78102203", 1, "85.34"),
        ],
        forma_pago="04",
        metodo_pago="PUE",
        serie="F",
        folio="1",
        fecha=fecha,
    )
    c.sign(signer)
    c["Complemento"] = TimbreFiscalDigital(
        proveedor=pac_signer, uuid=str(uuid.uuid4()), fecha_timbrado=fecha, sello_cfd=c["Sello"]
    )
    return c.xml_bytes()


def run() -> str:
    from postventa.cfdi import xsd
    from postventa.cfdi.pac.sandbox import SandboxPac
    from postventa.cfdi.seal import signer_from_credentials
    from postventa.cfdi.stamping import stamp_order

    issuer, order, receptor, csd, now = _fixtures()
    pac = SandboxPac(check_certificate_validity=False)
    signer = signer_from_credentials(csd)
    pac_signer = pac._pac_signer()
    xsd.warm_up()
    fecha = (now - timedelta(minutes=1)).astimezone(UTC).replace(tzinfo=None)
    ours, base = [], []
    for i in range(RUNS):
        t = time.perf_counter()
        stamp_order(order, issuer, receptor, csd, pac, folio=i + 1, fecha=now)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        _baseline(signer, pac_signer, fecha)
        base.append(time.perf_counter() - t)
    m_ours, m_base = statistics.median(ours[5:]), statistics.median(base[5:])
    return (
        f"stamp path per invoice (3 conceptos), {RUNS} runs, median of the last {RUNS - 5}\n"
        f"  ours  (validate + build + seal + XSD + sandbox stamp incl. its own XSD, sello "
        f"and arithmetic checks; CSD signer cached): {m_ours * 1000:.2f} ms\n"
        f"  baseline (satcfdi build + sign + TFD + serialize, no checks, signer reused): "
        f"{m_base * 1000:.2f} ms\n"
        f"  ratio: {m_ours / m_base:.2f}x (goal <= 1.3x)\n"
    )
