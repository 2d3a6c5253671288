"""Orders, tenants and form data the tests share (our own values, SAT's public test RFC)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from postventa.domain.orders import BuyerContact, Channel, Order, OrderLine
from postventa.domain.tenants import IssuerFiscalData, Tenant

VALID_FORM = {
    "rfc": "EKU9003173C9",
    "nombre": "ESCUELA KEMPER URGATE",
    "regimen_fiscal": "601",
    "codigo_postal": "42501",
    "uso_cfdi": "G03",
    "email": "compras@kemper.example",
}


def order(
    order_id: str = "1001",
    *,
    tenant_id: str = "tienda",
    channel: Channel = Channel.SHOPIFY,
    email: str | None = "comprador@example.com",
    paid_at: datetime | None = None,
    **changes: Any,
) -> Order:
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "channel": channel,
        "order_id": order_id,
        "order_number": f"#{order_id}",
        "paid_at": paid_at or datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
        "lines": [
            OrderLine(
                sku="TAZA-01",
                description="Taza de barro",
                quantity=Decimal(2),
                unit_price=Decimal("250.00"),
            )
        ],
        "shipping": Decimal("99.00"),
        "total_paid": Decimal("599.00"),
        "payment_method": "shopify_payments",
        "buyer": BuyerContact(name="Ana López", email=email),
    }
    values.update(changes)
    return Order(**values)


def tenant(tenant_id: str = "tienda", **changes: Any) -> Tenant:
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "name": "Tienda de Barro",
        "channels": ["shopify"],
        "issuer": IssuerFiscalData(
            rfc="EKU9003173C9",
            nombre="ESCUELA KEMPER URGATE",
            regimen_fiscal="601",
            codigo_postal="42501",
        ),
    }
    values.update(changes)
    return Tenant(**values)


@functools.cache
def issuer_csd() -> Any:
    """The builders' issuer's test CSD (tests/support/csd.py: generated once per process)."""
    from postventa.cfdi.certs import TestCertificate
    from tests.support.csd import EKU_NO_CERTIFICADO, EKU_RFC, eku_csd

    files = eku_csd()
    return TestCertificate(
        certificate=files.certificate,
        key=files.key,
        password=files.password,
        no_certificado=EKU_NO_CERTIFICADO,
        rfc=EKU_RFC,
    )


INVOICING = {
    "serie": "T",
    "products": {"TAZA-01": {"clave_prod_serv": "52151704", "clave_unidad": "H87"}},
    "pac": {"name": "sandbox"},
}


def invoicing_tenant(tenant_id: str = "tienda", **changes: Any) -> Tenant:
    """A tenant ready to invoice: fiscal identity, keys for the builders' SKU, the sandbox PAC,
    a CSD reference (store the CSD with `issuer_csd().credentials()` under it)."""
    values: dict[str, Any] = {
        "invoicing": INVOICING,
        "csd_secret_ref": f"postventa/tenants/{tenant_id}/csd",
        "contact_email": "vendedor@tienda.example",
    }
    values.update(changes)
    return tenant(tenant_id, **values)


def moral_rfc(n: int) -> str:
    """The nth of 17,576 distinct, well-formed persona moral RFCs (letters from n, a valid
    date, a homoclave): format-valid, not anyone's."""
    letters = "".join(chr(65 + (n // 26**i) % 26) for i in (2, 1, 0))
    return f"{letters}900101AB1"
