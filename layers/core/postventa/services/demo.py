"""The demo tenant: seeded idempotently so `postventa demo` and the e2e tests have a shop."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from importlib.resources import files
from typing import Any

from postventa.channels.base import sign_base64_hmac
from postventa.domain.accounts import Role, SellerUser
from postventa.domain.clock import iso
from postventa.domain.ports import Adapters
from postventa.domain.tenants import IssuerFiscalData, Tenant

DEMO_TENANT = "demo"
# The sample's timestamps are written as Shopify writes a Mexico City shop's (no DST since 2022).
_MEXICO_CITY_OFFSET = timezone(timedelta(hours=-6))
DEFAULT_SECRET = "demo-secret"  # noqa: S105 - documented demo value
DEFAULT_API_KEY = "demo-api-key"
# SAT's public test taxpayer (persona moral, régimen 601); its CSD is generated at seeding.
DEMO_ISSUER = IssuerFiscalData(
    rfc="EKU9003173C9",
    nombre="ESCUELA KEMPER URGATE",
    regimen_fiscal="601",
    codigo_postal="42501",
)


# The demo shop's invoicing setup: fiscal keys for its sample catalogue, a key for any other SKU
# (so a demo never stalls), how its payment gateway maps to c_FormaPago, and the sandbox PAC.
DEMO_INVOICING = {
    "serie": "DEMO",
    "products": {
        "PLY-ORG-M-AZ": {"clave_prod_serv": "53101602", "clave_unidad": "H87"},
        "TAZA-BARRO-01": {"clave_prod_serv": "52152103", "clave_unidad": "H87"},
    },
    "default_product_keys": {"clave_prod_serv": "01010101", "clave_unidad": "H87"},
    "payment_forms": {"mercado_pago": "04"},  # the demo shop takes cards through Mercado Pago
    "pac": {"name": "sandbox"},
}
DEMO_FOLIOS = 100
DEMO_CONTACT = "vendedor@tienda-demo.example"
# The panel's demo people (POSTVENTA_DEMO_PASSWORD sets another password): the owner, and a
# member of staff who sees orders, messages and customers but no settings or credentials.
DEMO_OWNER = DEMO_CONTACT
DEMO_STAFF = "personal@tienda-demo.example"
DEFAULT_PASSWORD = "Demo-Postventa-2026"  # noqa: S105 - documented demo value


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    webhook_secret: str
    api_key: str
    password: str | None = None  # the demo people's, when they were seeded


def seed_demo_tenant(
    adapters: Adapters,
    *,
    secret: str = DEFAULT_SECRET,
    api_key: str = DEFAULT_API_KEY,
    with_csd: bool = True,
    csd: Any = None,
    password: str | None = DEFAULT_PASSWORD,
) -> DemoTenant:
    """Create (or refresh) tenant `demo`: record, channel secrets, test CSD, API key and, with
    a `password`, its panel's people (an owner and a member of staff)."""
    _connect_stores(adapters, secret)
    csd_ref = _ensure_test_csd(adapters, csd) if with_csd else None
    adapters.tenants.put(
        Tenant(
            tenant_id=DEMO_TENANT,
            name="Tienda Demo",
            channels=["shopify", "woocommerce"],
            issuer=DEMO_ISSUER,
            csd_secret_ref=csd_ref,
            csd_summary=_csd_summary(adapters, csd_ref) if csd_ref else None,
            invoicing=DEMO_INVOICING,
            contact_email=DEMO_CONTACT,
        )
    )
    account = adapters.folios.account(DEMO_TENANT)
    if account is None or account.available < DEMO_FOLIOS // 2:
        adapters.folios.add(DEMO_TENANT, DEMO_FOLIOS - (account.available if account else 0))
    adapters.tenants.put_api_key(DEMO_TENANT, api_key, label="demo")
    if password:
        for email, role in ((DEMO_OWNER, Role.OWNER), (DEMO_STAFF, Role.STAFF)):
            user_id = adapters.identity.ensure_login(email, password)
            adapters.users.put(
                SellerUser(
                    user_id=user_id,
                    tenant_id=DEMO_TENANT,
                    email=email,
                    role=role,
                    created_at=iso(adapters.clock.now()),
                )
            )
    return DemoTenant(DEMO_TENANT, secret, api_key, password)


def _connect_stores(adapters: Adapters, secret: str) -> None:
    """Shopify and WooCommerce connected with the demo's signing secret through the service a
    seller uses (services/connections.py: the channel's own secret and its connection record,
    so the panel lists them connected); only when something differs, so a restart changes
    nothing."""
    from postventa.services.connections import ConnectBody, connect

    wanted = {"webhook_secret": secret}
    for channel in ("shopify", "woocommerce"):
        connection = adapters.connections.get(DEMO_TENANT, channel)
        current = adapters.secrets.channel(DEMO_TENANT, channel)
        if current != wanted or connection is None or not connection.usable:
            connect(DEMO_TENANT, channel, ConnectBody(webhook_secret=secret), adapters)


def _ensure_test_csd(adapters: Adapters, csd: Any = None) -> str:
    """A generated test CSD for the demo issuer (or the given one), stored once in Secrets
    Manager."""
    existing = adapters.credentials.csd_ref(DEMO_TENANT)
    if existing:
        return existing
    from postventa.cfdi.certs import generate_test_csd

    csd = csd or generate_test_csd(DEMO_ISSUER.rfc, DEMO_ISSUER.nombre)
    return adapters.credentials.put_csd(
        DEMO_TENANT, csd.credentials(), no_certificado=csd.no_certificado
    )


def _csd_summary(adapters: Adapters, secret_ref: str) -> dict[str, str] | None:
    """What the panel shows of the demo's CSD (number, RFC, validity)."""
    from postventa.cfdi.csd_check import certificate_facts

    facts = certificate_facts(adapters.credentials.load_csd(secret_ref).certificate)
    return facts.summary() if facts else None


def sample_orders_paid(
    order_id: int | None = None, *, paid_at: datetime | None = None
) -> dict[str, Any]:
    """A realistic Mexican Shopify orders/paid payload (MXN, IVA included, discount, shipping),
    paid at `paid_at` (default: just now, in Mexico City's offset). The buyer's time to ask for
    the invoice counts from the payment, so a demo order must be a fresh one."""
    text = (
        files("postventa.services")
        .joinpath("samples/shopify_orders_paid.json")
        .read_text(encoding="utf-8")
    )
    body: dict[str, Any] = json.loads(text)
    paid = (paid_at or datetime.now(UTC)).astimezone(_MEXICO_CITY_OFFSET).replace(microsecond=0)
    body["processed_at"] = paid.isoformat()
    body["created_at"] = (paid + timedelta(seconds=1)).isoformat()
    body["updated_at"] = (paid + timedelta(seconds=5)).isoformat()
    if order_id is not None:
        body["id"] = order_id
        body["name"] = f"#{order_id % 100000}"
    return body


def shopify_webhook_request(
    body: dict[str, Any], secret: str, *, topic: str = "orders/paid"
) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers Shopify would POST to /webhooks/shopify/{tenant}."""
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return raw, {
        "content-type": "application/json",
        "x-shopify-topic": topic,
        "x-shopify-hmac-sha256": sign_base64_hmac(raw, secret),
        "x-shopify-shop-domain": "tienda-demo.myshopify.com",
        "x-shopify-api-version": "2025-04",
        "x-shopify-webhook-id": str(uuid.uuid4()),
        "x-shopify-event-id": str(uuid.uuid4()),
        "x-shopify-order-id": str(body.get("id", "")),
    }
