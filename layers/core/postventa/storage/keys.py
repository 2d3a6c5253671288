"""Every DynamoDB key of the single table, in one place (docs/decisions/0001-single-table.md).

Base table: the tenant id leads every partition key (`T#{tenant}...`), so one tenant's items can
never share a partition with another's and every repository call is scoped by tenant.
`gsi1` is overloaded: tenant-scoped listings (`T#{tenant}#ORDERS`) plus lookups for secrets a
request carries without its tenant (form token hash, API key hash): the hash is unguessable and
the item itself names the tenant. `gsi2` lists a tenant's orders by billing status.
"""

from __future__ import annotations

import hashlib
from typing import Any

TENANT_SK = "TENANT"
ORDER_SK = "ORDER"
TENANTS_INDEX_PK = "TENANTS"


def tenant_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def order_pk(tenant_id: str, channel: str, order_id: str) -> str:
    return f"T#{tenant_id}#ORDER#{channel}#{order_id}"


def order_key(tenant_id: str, channel: str, order_id: str) -> dict[str, str]:
    return {"pk": order_pk(tenant_id, channel, order_id), "sk": ORDER_SK}


def order_key_attribute_values(tenant_id: str, channel: str, order_id: str) -> dict[str, Any]:
    """The order's key in DynamoDB JSON, for Step Functions' direct DynamoDB integration."""
    return {k: {"S": v} for k, v in order_key(tenant_id, channel, order_id).items()}


def orders_index_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#ORDERS"


def orders_index_sk(paid_at_iso: str, channel: str, order_id: str) -> str:
    return f"{paid_at_iso}#{channel}#{order_id}"


def status_index_pk(tenant_id: str, status: str) -> str:
    return f"T#{tenant_id}#STATUS#{status}"


ORDER_EVENT_PREFIX = "EVENT#"


def order_event_sk(at_iso: str, event_id: str) -> str:
    return f"{ORDER_EVENT_PREFIX}{at_iso}#{event_id}"


FORM_LINK_PREFIX = "FORM#"


def form_token_sk(token_hash: str) -> str:
    return f"{FORM_LINK_PREFIX}{token_hash}"


def form_token_lookup_pk(token_hash: str) -> str:
    return f"FORM#{token_hash}"


def api_key_sk(key_hash: str) -> str:
    return f"APIKEY#{key_hash}"


def api_key_lookup_pk(key_hash: str) -> str:
    return f"APIKEY#{key_hash}"


def webhook_delivery_key(tenant_id: str, channel: str, delivery_id: str) -> dict[str, str]:
    """Keyed by the id's SHA-256: a channel's delivery id is not covered by its signature and
    may be of any length (a key may not pass 2,048 bytes)."""
    digest = hashlib.sha256(delivery_id.encode("utf-8")).hexdigest()
    return {"pk": f"T#{tenant_id}#WEBHOOK#{channel}#{digest}", "sk": "DELIVERY"}


def rejected_webhooks_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#REJECTED"


FOLIO_ACCOUNT_SK = "FOLIOS"
FOLIO_RESERVATION_SK = "FOLIO"


def folio_account_key(tenant_id: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": FOLIO_ACCOUNT_SK}


def folio_reservation_key(tenant_id: str, channel: str, order_id: str) -> dict[str, str]:
    return {"pk": order_pk(tenant_id, channel, order_id), "sk": FOLIO_RESERVATION_SK}


def invoice_prefix(tenant_id: str, channel: str, order_id: str) -> str:
    """Where an order's invoice documents live in the documents bucket (tenant first)."""
    return f"invoices/{tenant_id}/{channel}/{order_id}/"


def sandbox_stamp_key(fingerprint: str) -> dict[str, str]:
    """The local sandbox PAC's memory of a stamp (what a real PAC keeps on its side)."""
    return {"pk": f"SANDBOXPAC#{fingerprint}", "sk": "STAMP"}


def sandbox_uuid_key(uuid: str) -> dict[str, str]:
    return {"pk": f"SANDBOXPAC#UUID#{uuid}", "sk": "STAMP"}


# A tenant's message templates live in the tenant's partition, one item per kind and channel
# (the kind leaves room for the shipping notice of docs/decisions/0012-message-templates.md).
BILLING_MESSAGE_PREFIX = "MESSAGE#billing_request#"


def billing_message_key(tenant_id: str, channel: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": f"{BILLING_MESSAGE_PREFIX}{channel}"}


def erp_settings_key(tenant_id: str) -> dict[str, str]:
    """The tenant's ERP settings. Every ERP item's partition key starts `T#{tenant}#ERP`, so an
    IAM LeadingKeys condition can confine the seller API's writes to them."""
    return {"pk": f"T#{tenant_id}#ERP", "sk": "SETTINGS"}


def erp_delivery_pk_prefix(tenant_id: str) -> str:
    return f"T#{tenant_id}#ERP#DELIVERY#"


def erp_delivery_key(tenant_id: str, delivery_id: str) -> dict[str, str]:
    return {"pk": erp_delivery_pk_prefix(tenant_id) + delivery_id, "sk": "DELIVERY"}


def erp_deliveries_index_pk(tenant_id: str) -> str:
    """gsi1: the tenant's ERP deliveries, newest first (gsi1sk = created_at#delivery_id)."""
    return f"T#{tenant_id}#ERP#DELIVERIES"


def document_folio_key(tenant_id: str, document: str) -> dict[str, str]:
    """The folio reservation of a CFDI that is not an order's first invoice (a global invoice's
    CFDI, a substitute): in its own partition under the tenant."""
    return {"pk": f"T#{tenant_id}#FOLIO#{document}", "sk": FOLIO_RESERVATION_SK}


# Global invoices (docs/decisions/0015): a tenant's runs share one partition, newest period last
# in sort order; each run's CFDIs share the run's own partition.
GLOBAL_RUN_PREFIX = "RUN#"


def global_runs_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#GLOBAL"


def global_run_key(tenant_id: str, run_id: str) -> dict[str, str]:
    return {"pk": global_runs_pk(tenant_id), "sk": f"{GLOBAL_RUN_PREFIX}{run_id}"}


def global_cfdi_pk(tenant_id: str, run_id: str) -> str:
    return f"T#{tenant_id}#GLOBAL#{run_id}"


def global_cfdi_key(tenant_id: str, run_id: str, index: int) -> dict[str, str]:
    return {"pk": global_cfdi_pk(tenant_id, run_id), "sk": f"CFDI#{index:05d}"}


def global_invoice_prefix(tenant_id: str, run_id: str) -> str:
    """Where a global-invoice run's documents live (sealed and stamped XML, PDF, manifests)."""
    period, _, seq = run_id.partition("#")
    return f"invoices/{tenant_id}/global/{period}/{seq}/"


def cancellation_key(tenant_id: str, uuid: str) -> dict[str, str]:
    return {"pk": f"T#{tenant_id}#CANCEL#{uuid.upper()}", "sk": "CANCEL"}


def open_cancellations_index_pk(tenant_id: str) -> str:
    """gsi1: the tenant's cancellations not final yet (dropped from the index when final)."""
    return f"T#{tenant_id}#CANCELS#OPEN"
