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

from postventa.cfdi.issuer import CsdCredentials
from postventa.cfdi.pac._http import PacCredentials
from postventa.errors import NotFoundError, PostventaError
from postventa.storage.secrets import put_secret_string, secret_name


class CredentialsError(PostventaError):
    status_code = 500
    code = "credenciales_invalidas"


def csd_secret_name(tenant_id: str) -> str:
    return f"{secret_name(tenant_id)}/csd"


class SecretsManagerCredentials:
    """The CSD and PAC account secrets; fetched for each use, never cached in memory."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def put_csd(self, tenant_id: str, csd: CsdCredentials, *, no_certificado: str = "") -> str:
        name = csd_secret_name(tenant_id)
        body = json.dumps(
            {
                "certificate": base64.b64encode(csd.certificate).decode("ascii"),
                "key": base64.b64encode(csd.key).decode("ascii"),
                "password": csd.password.get_secret_value(),
                "no_certificado": no_certificado,
            }
        )
        put_secret_string(self._client, name, body)
        return name

    def load_csd(self, secret_ref: str) -> CsdCredentials:
        raw = self._get(secret_ref, "No hay CSD registrado para esta tienda.")
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

    def csd_ref(self, tenant_id: str) -> str | None:
        name = csd_secret_name(tenant_id)
        try:
            self._client.describe_secret(SecretId=name)
        except self._client.exceptions.ResourceNotFoundException:
            return None
        return name

    def put_pac_credentials(self, secret: str, credentials: PacCredentials) -> None:
        body = json.dumps(
            {
                k: (v.get_secret_value() if isinstance(v, SecretStr) else v)
                for k, v in credentials.model_dump(mode="python").items()
                if v is not None
            },
            default=str,
        )
        put_secret_string(self._client, secret, body)

    def load_pac_credentials(self, secret: str) -> PacCredentials:
        raw = self._get(secret, "No hay credenciales del PAC registradas para esta tienda.")
        try:
            return PacCredentials.model_validate(raw)
        except ValidationError:
            raise CredentialsError(
                "Las credenciales del PAC guardadas están incompletas."
            ) from None

    def _get(self, name: str, missing: str) -> dict[str, Any]:
        try:
            text = self._client.get_secret_value(SecretId=name)["SecretString"]
        except self._client.exceptions.ResourceNotFoundException:
            raise NotFoundError(missing) from None
        try:
            value = json.loads(text)
        except ValueError:
            raise CredentialsError("El secreto guardado no es JSON válido.") from None
        if not isinstance(value, dict):
            raise CredentialsError("El secreto guardado no tiene el formato esperado.")
        return value
