"""CSD and PAC credentials round-trip through Secrets Manager (moto in-process)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto import mock_aws
from pydantic import SecretStr

from postventa.aws import client, reset_clients
from postventa.cfdi.issuer import CsdCredentials
from postventa.cfdi.pac._http import PacCredentials, PacEnvironment
from postventa.errors import NotFoundError
from postventa.storage import credentials
from postventa.storage.credentials import CredentialsError, csd_secret_name
from tests.support.csd import EKU_NO_CERTIFICADO, CsdFiles


@pytest.fixture(autouse=True)
def store(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    reset_clients()
    with mock_aws():
        yield credentials.SecretsManagerCredentials(client("secretsmanager"))
    reset_clients()


def test_the_test_csd_stored_for_a_tenant_loads_back_and_seals(
    store: Any, eku_csd: CsdFiles
) -> None:
    from postventa.cfdi import seal

    csd = CsdCredentials.from_files(eku_csd.cer_path, eku_csd.key_path, eku_csd.password)
    name = store.put_csd("tienda-1", csd, no_certificado=EKU_NO_CERTIFICADO)
    assert name.endswith("/tenants/tienda-1/csd")
    loaded = store.load_csd(name)
    assert loaded.certificate == csd.certificate and loaded.key == csd.key
    assert eku_csd.password not in repr(loaded)
    signer = seal.signer_from_credentials(loaded)
    assert seal.no_certificado(signer) == EKU_NO_CERTIFICADO


def test_a_missing_or_damaged_csd_is_a_clear_error(store: Any) -> None:
    with pytest.raises(NotFoundError, match="No hay CSD"):
        store.load_csd(csd_secret_name("nadie"))
    assert store.csd_ref("nadie") is None
    client("secretsmanager").create_secret(
        Name=csd_secret_name("rota"), SecretString=json.dumps({"certificate": "%%%"})
    )
    with pytest.raises(CredentialsError, match="incompleto o dañado"):
        store.load_csd(csd_secret_name("rota"))


def test_pac_credentials_round_trip_without_showing_the_password(store: Any) -> None:
    creds = PacCredentials(
        user="vendedor@example.com",
        password=SecretStr("s3creta"),
        environment=PacEnvironment.PRODUCTION,
    )
    store.put_pac_credentials("postventa/tenants/t1/pac", creds)
    loaded = store.load_pac_credentials("postventa/tenants/t1/pac")
    assert loaded.user == "vendedor@example.com"
    assert loaded.password is not None and loaded.password.get_secret_value() == "s3creta"
    assert loaded.environment is PacEnvironment.PRODUCTION
    assert "s3creta" not in repr(loaded)
