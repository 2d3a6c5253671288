"""A tenant's signing and stamping credentials in Secrets Manager: the CSD and the PAC account.

The only place that knows these secrets' names and format. CSD private keys never go to DynamoDB:
the tenant record keeps only the secret's name (`Tenant.csd_secret_ref`).

- CSD: `{SECRETS_PREFIX}/tenants/{tenant}/csd` = {"certificate": base64 DER, "key": base64 SAT .key
  (PKCS#8 encrypted DER), "password": str, "no_certificado": str}
- PAC: any name the tenant's PacConfig.credentials_secret gives, a PacCredentials JSON object.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pydantic import SecretStr, ValidationError

from postventa.aws import client
from postventa.cfdi.issuer import CsdCredentials
from postventa.cfdi.pac._http import PacCredentials
from postventa.errors import NotFoundError, PostventaError
from postventa.storage.secrets import secret_name


class CredentialsError(PostventaError):
    status_code = 500
    code = "credenciales_invalidas"


def csd_secret_name(tenant_id: str) -> str:
    return f"{secret_name(tenant_id)}/csd"


def put_csd(tenant_id: str, csd: CsdCredentials, *, no_certificado: str = "") -> str:
    """Create or replace the tenant's CSD secret; returns its name (for Tenant.csd_secret_ref)."""
    name = csd_secret_name(tenant_id)
    body = json.dumps(
        {
            "certificate": base64.b64encode(csd.certificate).decode("ascii"),
            "key": base64.b64encode(csd.key).decode("ascii"),
            "password": csd.password.get_secret_value(),
            "no_certificado": no_certificado,
        }
    )
    _put(name, body)
    return name


def load_csd(secret_ref: str) -> CsdCredentials:
    """The CSD stored under `secret_ref` (a name or ARN), fetched for each use, never cached."""
    raw = _get(secret_ref, "No hay CSD registrado para esta tienda.")
    try:
        return CsdCredentials(
            certificate=base64.b64decode(raw["certificate"], validate=True),
            key=base64.b64decode(raw["key"], validate=True),
            password=SecretStr(str(raw["password"])),
        )
    except (KeyError, TypeError, binascii.Error, ValidationError):
        raise CredentialsError(
            "El CSD guardado para esta tienda está incompleto o dañado."
        ) from None


def has_csd(tenant_id: str) -> bool:
    sm = client("secretsmanager")
    try:
        sm.describe_secret(SecretId=csd_secret_name(tenant_id))
    except sm.exceptions.ResourceNotFoundException:
        return False
    return True


def put_pac_credentials(secret: str, credentials: PacCredentials) -> None:
    body = json.dumps(
        {
            k: (v.get_secret_value() if isinstance(v, SecretStr) else v)
            for k, v in credentials.model_dump(mode="python").items()
            if v is not None
        },
        default=str,
    )
    _put(secret, body)


def load_pac_credentials(secret: str) -> PacCredentials:
    raw = _get(secret, "No hay credenciales del PAC registradas para esta tienda.")
    try:
        return PacCredentials.model_validate(raw)
    except ValidationError:
        raise CredentialsError("Las credenciales del PAC guardadas están incompletas.") from None


def _put(name: str, body: str) -> None:
    sm = client("secretsmanager")
    try:
        sm.put_secret_value(SecretId=name, SecretString=body)
    except sm.exceptions.ResourceNotFoundException:
        sm.create_secret(Name=name, SecretString=body)


def _get(name: str, missing: str) -> dict[str, Any]:
    sm = client("secretsmanager")
    try:
        text = sm.get_secret_value(SecretId=name)["SecretString"]
    except sm.exceptions.ResourceNotFoundException:
        raise NotFoundError(missing) from None
    try:
        value = json.loads(text)
    except ValueError:
        raise CredentialsError("El secreto guardado no es JSON válido.") from None
    if not isinstance(value, dict):
        raise CredentialsError("El secreto guardado no tiene el formato esperado.")
    return value
