"""get_pac picks the adapter from the tenant's PacConfig."""

from __future__ import annotations

import sys
import types

import pytest
from pydantic import ValidationError

from postventa.cfdi.errors import PacAuthError, PacUnsupportedOperationError
from postventa.cfdi.pac._http import PacCredentials, PacEnvironment
from postventa.cfdi.pac.factory import PacConfig, PacProvider, get_pac
from postventa.cfdi.pac.facturama import FacturamaPac
from postventa.cfdi.pac.finkok import FinkokPac
from postventa.cfdi.pac.swsapien import SWSapienPac

CREDS = PacCredentials(user="u", password="p", token="t")


@pytest.mark.parametrize(
    ("provider", "adapter"),
    [
        (PacProvider.FINKOK, FinkokPac),
        (PacProvider.SWSAPIEN, SWSapienPac),
        (PacProvider.FACTURAMA, FacturamaPac),
    ],
)
def test_each_provider_builds_its_adapter(provider, adapter):
    pac = get_pac(PacConfig(provider=provider, credentials_secret="postventa/t1/pac"), CREDS)
    assert isinstance(pac, adapter)
    assert pac.name == provider.value


def test_the_tenant_environment_wins_over_the_secret():
    pac = get_pac(PacConfig(provider="finkok", environment="production"), CREDS)
    assert isinstance(pac, FinkokPac)
    assert pac.credentials.environment is PacEnvironment.PRODUCTION
    assert pac.client.host == "https://facturacion.finkok.com"


def test_a_real_provider_without_credentials_is_an_auth_error():
    with pytest.raises(PacAuthError):
        get_pac(PacConfig(provider="swsapien"))


def test_sandbox_is_the_default_and_is_imported_lazily(monkeypatch):
    class FakeSandboxPac:
        name = "sandbox"

    module = types.ModuleType("postventa.cfdi.pac.sandbox")
    module.SandboxPac = FakeSandboxPac  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "postventa.cfdi.pac.sandbox", module)

    assert isinstance(get_pac(PacConfig()), FakeSandboxPac)


def test_a_missing_sandbox_module_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "postventa.cfdi.pac.sandbox", None)
    with pytest.raises(PacUnsupportedOperationError):
        get_pac(PacConfig(provider="sandbox"))


def test_unknown_provider_is_refused_by_the_config_model():
    with pytest.raises(ValidationError):
        PacConfig(provider="edicom")


def test_credentials_need_user_and_password_together_and_hide_secrets():
    with pytest.raises(ValidationError):
        PacCredentials(user="solo")
    creds = PacCredentials(user="u", password="hunter2")
    assert "hunter2" not in repr(creds) and creds.password_value() == "hunter2"


def test_sandbox_options_reach_the_real_sandbox():
    from postventa.cfdi.pac import sandbox  # a missing sandbox fails here, never skips

    store = sandbox.InMemorySandboxStore()

    pac = get_pac(PacConfig(), sandbox_options={"store": store})

    assert isinstance(pac, sandbox.SandboxPac)
    assert pac.store is store
