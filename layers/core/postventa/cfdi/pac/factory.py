"""Pick the PAC adapter a tenant is configured for.

The sandbox (postventa.cfdi.pac.sandbox.SandboxPac, offline stamping with a self-signed PAC
certificate) is the default, so a fresh install and every local/test run stamp without a PAC
account. Real providers need credentials, which the app loads (Secrets Manager, by
`credentials_secret`) and passes in: nothing here reads AWS or the environment.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from postventa.cfdi.errors import PacAuthError, PacUnsupportedOperationError
from postventa.cfdi.pac._http import PacCredentials, PacEnvironment

if TYPE_CHECKING:
    from postventa.cfdi.pac._http import Transport
    from postventa.cfdi.pac.base import Pac


class PacProvider(StrEnum):
    SANDBOX = "sandbox"
    FINKOK = "finkok"
    SWSAPIEN = "swsapien"
    FACTURAMA = "facturama"


class PacConfig(BaseModel):
    """A tenant's PAC choice (stored with the tenant; the secret holds PacCredentials JSON)."""

    model_config = ConfigDict(frozen=True)

    provider: PacProvider = PacProvider.SANDBOX
    environment: PacEnvironment = PacEnvironment.TEST
    credentials_secret: str | None = None  # Secrets Manager name/ARN; unused by the sandbox


def get_pac(
    config: PacConfig,
    credentials: PacCredentials | None = None,
    *,
    transport: Transport | None = None,
    sandbox_options: dict[str, Any] | None = None,
) -> Pac:
    """Build the adapter for `config`. Real providers need `credentials` already loaded;
    `sandbox_options` go to SandboxPac (e.g. a persistent `store`, a `clock`)."""
    if config.provider is PacProvider.SANDBOX:
        from postventa.cfdi.pac.sandbox import SandboxPac

        return SandboxPac(**(sandbox_options or {}))

    if credentials is None:
        raise PacAuthError(f"Faltan las credenciales del PAC ({config.provider.value}).")
    if credentials.environment is not config.environment:
        # the tenant's configuration decides test vs production, never a stale secret
        credentials = credentials.model_copy(update={"environment": config.environment})

    if config.provider is PacProvider.FINKOK:
        from postventa.cfdi.pac.finkok import FinkokPac

        return FinkokPac(credentials, transport=transport)
    if config.provider is PacProvider.SWSAPIEN:
        from postventa.cfdi.pac.swsapien import SWSapienPac

        return SWSapienPac(credentials, transport=transport)
    if config.provider is PacProvider.FACTURAMA:
        from postventa.cfdi.pac.facturama import FacturamaPac

        return FacturamaPac(credentials, transport=transport)
    raise PacUnsupportedOperationError(f"PAC no soportado: {config.provider}")


__all__ = ["PacConfig", "PacCredentials", "PacEnvironment", "PacProvider", "get_pac"]
