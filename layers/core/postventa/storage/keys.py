"""Every DynamoDB key of the single table, in one place (docs/decisions/0001-single-table.md).

Base table: the tenant id leads every partition key (`T#{tenant}...`), so one tenant's items can
never share a partition with another's and every repository call is scoped by tenant.
`gsi1` is overloaded: tenant-scoped listings (`T#{tenant}#ORDERS`) plus lookups for secrets a
request carries without its tenant (form token hash, API key hash): the hash is unguessable and
the item itself names the tenant. `gsi2` lists a tenant's orders by billing status. `gsi3` finds
a tenant's order by the number a buyer types in the self-invoice portal (`T#{tenant}#NUMBER#...`,
only keys, the total and the order's reference projected).
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


def order_number_index_pk(tenant_id: str, number_key: str) -> str:
    """gsi3: a tenant's orders by lookup key of their display number (self-invoice portal)."""
    return f"T#{tenant_id}#NUMBER#{number_key}"


def order_number_index_sk(channel: str, order_id: str) -> str:
    return f"{channel}#{order_id}"


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


# ---------------------------------------------------------------- people and sessions
def user_key(tenant_id: str, user_id: str) -> dict[str, str]:
    """A person of the tenant (user_id: the user pool's sub), listed in the tenant's partition."""
    return {"pk": tenant_pk(tenant_id), "sk": f"USER#{user_id}"}


def user_lookup_pk(user_id: str) -> str:
    """gsi1: a signed-in person's tenant, from the sub the user pool vouches for."""
    return f"USER#{user_id}"


def session_key(tenant_id: str, token_hash: str) -> dict[str, str]:
    """A panel session: the cookie names the tenant and carries the token (only its hash here)."""
    return {"pk": f"T#{tenant_id}#SESSION#{token_hash}", "sk": "SESSION"}


# ---------------------------------------------------------------- customers (decision 0017)
def customer_pk(tenant_id: str, customer_id: str) -> str:
    """A customer's item collection: the record, its audit trail and its orders."""
    return f"T#{tenant_id}#CUSTOMER#{customer_id}"


CUSTOMER_SK = "CUSTOMER"
CUSTOMER_AUDIT_PREFIX = "AUDIT#"
CUSTOMER_ORDER_PREFIX = "ORDER#"


def customer_counter_key(tenant_id: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": "CUSTOMER_SEQ"}


def customer_unique_key(tenant_id: str, kind: str, value: str) -> dict[str, str]:
    """What one customer of the tenant holds alone: its RFC, its primary email."""
    return {"pk": f"T#{tenant_id}#CUSTOMER_{kind}#{value}", "sk": "UNIQUE"}


def customer_index_pk(tenant_id: str, active: bool, field: str) -> str:
    """One searchable field's entries for the tenant's active (A) or inactive (I) customers,
    sorted by value then name (sk = value#name#id)."""
    return f"T#{tenant_id}#CIDX#{'A' if active else 'I'}#{field}"


def customer_job_key(tenant_id: str, job_id: str) -> dict[str, str]:
    return {"pk": f"T#{tenant_id}#CJOB#{job_id}", "sk": "JOB"}


def export_key(tenant_id: str, job_id: str) -> str:
    """Where a customer export's CSV lives in the documents bucket (tenant first)."""
    return f"exports/{tenant_id}/{job_id}.csv"


# ---------------------------------------------------------------- channels (decision 0016)
# Every item of a tenant's channels has a partition key starting `T#{tenant}#CHANNEL`, so an IAM
# LeadingKeys condition can confine a function's writes to them.
def channel_connection_key(tenant_id: str, channel: str) -> dict[str, str]:
    return {"pk": f"T#{tenant_id}#CHANNEL#{channel}", "sk": "CONNECTION"}


def channel_refresh_lock_key(tenant_id: str, channel: str) -> dict[str, str]:
    return {"pk": f"T#{tenant_id}#CHANNEL#{channel}", "sk": "REFRESH_LOCK"}


def channel_poll_key(tenant_id: str, channel: str) -> dict[str, str]:
    """A polled channel's cursor and the lease of the run that holds it."""
    return {"pk": f"T#{tenant_id}#CHANNEL#{channel}", "sk": "POLL"}


def channel_notice_key(tenant_id: str, channel: str, notice: str) -> dict[str, str]:
    """One-off channel bookkeeping (e.g. a shipping notice already sent for an order)."""
    digest = hashlib.sha256(notice.encode("utf-8")).hexdigest()
    return {"pk": f"T#{tenant_id}#CHANNEL#{channel}#NOTICE#{digest}", "sk": "NOTICE"}


PARKED_PREFIX = "PARKED#"


def channel_parked_key(tenant_id: str, channel: str, key: str) -> dict[str, str]:
    """A delivery waiting for the connection to work again (the sort key names it)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return {"pk": f"T#{tenant_id}#CHANNEL#{channel}", "sk": f"{PARKED_PREFIX}{digest}"}


def channel_tenants_index_pk(channel: str) -> str:
    """gsi1: the tenants whose `channel` is connected (gsi1sk = tenant id), for the pollers."""
    return f"CHANNELS#{channel}#conectada"


def channel_account_key(channel: str, account_id: str) -> dict[str, str]:
    """Which tenant owns a channel account (a Mercado Libre user id, an Amazon seller id): the
    notifications name the account, never our tenant. One tenant per account, by a
    conditional write."""
    return {"pk": f"CHANNEL_ACCOUNT#{channel}#{account_id}", "sk": "ACCOUNT"}


def oauth_state_key(nonce: str) -> dict[str, str]:
    """A used OAuth `state` (its nonce), so a captured callback URL cannot be replayed."""
    return {"pk": f"OAUTH_STATE#{nonce}", "sk": "USED"}


def throttle_key(bucket: str) -> dict[str, str]:
    return {"pk": f"THROTTLE#{bucket}", "sk": "BUCKET"}


SHIPPING_MESSAGE_PREFIX = "MESSAGE#shipping_notice#"


def shipping_message_key(tenant_id: str, channel: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": f"{SHIPPING_MESSAGE_PREFIX}{channel}"}


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
