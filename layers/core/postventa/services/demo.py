"""The demo tenant: seeded idempotently so `postventa demo` and the e2e tests have a shop."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from postventa.aws import client
from postventa.channels.base import sign_base64_hmac
from postventa.settings import get_settings
from postventa.storage.credentials import csd_secret_name, has_csd, put_csd
from postventa.storage.secrets import put_tenant_secrets, tenant_secrets
from postventa.storage.tenants import IssuerFiscalData, Tenant, put_api_key, put_tenant

DEMO_TENANT = "demo"
DEFAULT_SECRET = "demo-secret"  # noqa: S105 - documented demo value
DEFAULT_API_KEY = "demo-api-key"
# SAT's public test taxpayer (persona moral, régimen 601); its CSD is generated at seeding.
DEMO_ISSUER = IssuerFiscalData(
    rfc="EKU9003173C9",
    nombre="ESCUELA KEMPER URGATE",
    regimen_fiscal="601",
    codigo_postal="42501",
)


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    webhook_secret: str
    api_key: str


def seed_demo_tenant(*, with_csd: bool = True) -> DemoTenant:
    """Create (or refresh) tenant `demo`: record, secrets, test CSD, API key, verified sender."""
    secret = os.environ.get("POSTVENTA_DEMO_SECRET") or DEFAULT_SECRET
    api_key = os.environ.get("POSTVENTA_DEMO_API_KEY") or DEFAULT_API_KEY
    wanted = {
        "shopify": {"webhook_secret": secret},
        "woocommerce": {"webhook_secret": secret},
    }
    if tenant_secrets(DEMO_TENANT) != wanted:
        put_tenant_secrets(DEMO_TENANT, wanted)
    put_tenant(
        Tenant(
            tenant_id=DEMO_TENANT,
            name="Tienda Demo",
            channels=["shopify", "woocommerce"],
            issuer=DEMO_ISSUER,
            csd_secret_ref=_ensure_test_csd() if with_csd else None,
            pac="sandbox",
        )
    )
    put_api_key(DEMO_TENANT, api_key, label="demo")
    client("ses").verify_email_identity(EmailAddress=get_settings().mail_from)
    return DemoTenant(DEMO_TENANT, secret, api_key)


def _ensure_test_csd() -> str:
    """A generated test CSD for the demo issuer, stored once in Secrets Manager."""
    if has_csd(DEMO_TENANT):
        return csd_secret_name(DEMO_TENANT)
    from postventa.cfdi.certs import generate_test_csd

    csd = generate_test_csd(DEMO_ISSUER.rfc, DEMO_ISSUER.nombre)
    return put_csd(DEMO_TENANT, csd.credentials(), no_certificado=csd.no_certificado)


def sample_orders_paid(order_id: int | None = None) -> dict[str, Any]:
    """A realistic Mexican Shopify orders/paid payload (MXN, IVA included, discount, shipping)."""
    text = (
        files("postventa.services")
        .joinpath("samples/shopify_orders_paid.json")
        .read_text(encoding="utf-8")
    )
    body: dict[str, Any] = json.loads(text)
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
