"""The PAC each tenant stamps with, built from its settings and its account's secret.

The sandbox PAC keeps its memory in the table and its certificate in Secrets Manager (like a real
PAC keeps its own), so a retry from any worker gets the same stamp back; `Tenant.sandbox_faults`
lets a seller simulate an outage or a data rejection with it (never with a real PAC).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from postventa.domain.tenants import Tenant


class AwsPacs:
    def __init__(
        self, table: Any, secrets_client: Any, load_credentials: Callable[[str], Any]
    ) -> None:
        self._table = table
        self._secrets = secrets_client
        self._load_credentials = load_credentials
        self._certificate: Any = None

    def for_tenant(self, tenant: Tenant) -> Any:
        from postventa.cfdi.errors import PacAuthError
        from postventa.cfdi.pac.factory import PacConfig, PacEnvironment, PacProvider, get_pac

        choice = dict(tenant.invoicing.get("pac") or {})
        provider = PacProvider(choice.get("name", PacProvider.SANDBOX.value))
        test = bool(choice.get("test_environment", True))
        config = PacConfig(
            provider=provider,
            environment=PacEnvironment.TEST if test else PacEnvironment.PRODUCTION,
        )
        if provider is PacProvider.SANDBOX:
            return get_pac(config, sandbox_options=self._sandbox_options(tenant))
        if not tenant.pac_credentials_secret:
            raise PacAuthError(
                f"La tienda timbra con {provider.value} pero no tiene registrada la cuenta del "
                "PAC (usuario y contraseña)."
            )
        return get_pac(config, self._load_credentials(tenant.pac_credentials_secret))

    def _sandbox_options(self, tenant: Tenant) -> dict[str, Any]:
        from postventa.cfdi.pac.sandbox import FaultInjection
        from postventa.storage.sandbox_pac import DynamoSandboxStore, sandbox_pac_certificate

        if self._certificate is None:
            self._certificate = sandbox_pac_certificate(self._secrets)
        faults = dict(tenant.sandbox_faults or {})
        if "reject_rfcs" in faults and faults["reject_rfcs"] is not None:
            faults["reject_rfcs"] = frozenset(faults["reject_rfcs"])
        return {
            "store": DynamoSandboxStore(self._table),
            "pac_certificate": self._certificate,
            "faults": FaultInjection(**faults),
        }
