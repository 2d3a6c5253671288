"""The sandbox PAC's memory in the table, so it behaves like a real PAC across processes: the same
sealed CFDI sent twice gets the same stamp back (a real PAC's 307), whichever worker gets it.

Also the sandbox PAC's certificate, generated once per deployment and kept in Secrets Manager, so
every stamp of the deployment carries the same NoCertificadoSAT and its SelloSAT can be verified.
"""

from __future__ import annotations

import base64
import json
import threading
import zlib
from datetime import datetime
from decimal import Decimal
from typing import Any

from postventa.storage import keys
from postventa.storage.secrets import SECRETS_PREFIX
from postventa.storage.table import conditional

SANDBOX_PAC_SECRET = f"{SECRETS_PREFIX}/sandbox-pac"
_FIELDS_DT = ("fecha_timbrado", "fecha_emision", "cancel_requested_at")


class DynamoSandboxStore:
    """postventa.cfdi.pac.sandbox.SandboxStore on the table; no folio limit of its own (the
    product's folio accounts are the limit)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def by_fingerprint(self, fingerprint: str) -> Any:
        item = self._table.get_item(
            Key=keys.sandbox_stamp_key(fingerprint), ConsistentRead=True
        ).get("Item")
        return _record(item) if item else None

    def by_uuid(self, uuid: str) -> Any:
        item = self._table.get_item(Key=keys.sandbox_uuid_key(uuid), ConsistentRead=True).get(
            "Item"
        )
        return _record(item) if item else None

    def save(self, fingerprint: str, record: Any) -> None:
        item = _item(record)
        conditional(
            lambda: self._table.put_item(
                Item={**keys.sandbox_stamp_key(fingerprint), **item},
                ConditionExpression="attribute_not_exists(pk)",
            )
        )
        self._table.put_item(Item={**keys.sandbox_uuid_key(record.uuid), **item})

    def update(self, record: Any) -> None:
        self._table.put_item(Item={**keys.sandbox_uuid_key(record.uuid), **_item(record)})

    def consume_folio(self) -> bool:
        return True

    def folio_balance(self) -> int | None:
        return None


def _item(record: Any) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(record)
    # Compressed: a global invoice of a thousand conceptos is ~365 KB of XML, over DynamoDB's
    # 400 KB item once in base64; XML compresses about tenfold.
    data.pop("xml")
    data["xml_z"] = base64.b64encode(zlib.compress(record.xml, 6)).decode("ascii")
    for name in _FIELDS_DT:
        data[name] = data[name].isoformat() if data[name] is not None else None
    data["total_mxn"] = Decimal(str(record.total_mxn))
    data["state"] = str(record.state.value) if record.state is not None else None
    data["cancellation"] = record.cancellation.value if record.cancellation else None
    return {k: v for k, v in data.items() if v is not None} | {"type": "sandbox_stamp"}


def _record(item: dict[str, Any]) -> Any:
    from postventa.cfdi.pac.base import CancellationStatus, CfdiState
    from postventa.cfdi.pac.sandbox import SandboxRecord

    return SandboxRecord(
        uuid=str(item["uuid"]),
        xml=_xml(item),
        fecha_timbrado=datetime.fromisoformat(str(item["fecha_timbrado"])),
        no_certificado_sat=str(item["no_certificado_sat"]),
        rfc_emisor=str(item["rfc_emisor"]),
        rfc_receptor=str(item["rfc_receptor"]),
        total_mxn=Decimal(str(item["total_mxn"])),
        tipo_comprobante=str(item["tipo_comprobante"]),
        fecha_emision=datetime.fromisoformat(str(item["fecha_emision"])),
        es_global=bool(item.get("es_global", False)),
        state=CfdiState(item["state"]) if item.get("state") else CfdiState.VALID,
        cancellation=(
            CancellationStatus(item["cancellation"]) if item.get("cancellation") else None
        ),
        cancel_requested_at=(
            datetime.fromisoformat(str(item["cancel_requested_at"]))
            if item.get("cancel_requested_at")
            else None
        ),
    )


def _xml(item: dict[str, Any]) -> bytes:
    if "xml_z" in item:
        return zlib.decompress(base64.b64decode(item["xml_z"]))
    return base64.b64decode(item["xml"])  # stored before compression


_cert_lock = threading.Lock()


def sandbox_pac_certificate(client: Any) -> Any:
    """The deployment's sandbox PAC certificate: read from Secrets Manager, or generated and
    stored there the first time (a concurrent first use keeps whichever was stored first)."""
    from postventa.cfdi.certs import TestCertificate, generate_pac_certificate

    with _cert_lock:
        try:
            raw = json.loads(client.get_secret_value(SecretId=SANDBOX_PAC_SECRET)["SecretString"])
        except client.exceptions.ResourceNotFoundException:
            cert = generate_pac_certificate()
            body = json.dumps(
                {
                    "rfc": cert.rfc,
                    "no_certificado": cert.no_certificado,
                    "certificate": base64.b64encode(cert.certificate).decode(),
                    "key": base64.b64encode(cert.key).decode(),
                    "password": cert.password,
                }
            )
            try:
                client.create_secret(Name=SANDBOX_PAC_SECRET, SecretString=body)
            except client.exceptions.ResourceExistsException:
                return sandbox_pac_certificate(client)
            return cert
        return TestCertificate(
            rfc=raw["rfc"],
            no_certificado=raw["no_certificado"],
            certificate=base64.b64decode(raw["certificate"]),
            key=base64.b64decode(raw["key"]),
            password=raw["password"],
        )
