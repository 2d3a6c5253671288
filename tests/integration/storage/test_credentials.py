"""CSD and PAC credentials round-trip through Secrets Manager (moto in-process)."""

from __future__ import annotations

import json

import pytest
from moto import mock_aws
from pydantic import SecretStr

from postventa.aws import reset_clients
from postventa.cfdi.issuer import CsdCredentials
from postventa.cfdi.pac._http import PacCredentials, PacEnvironment
from postventa.errors import NotFoundError
from postventa.settings import reset_settings
from postventa.storage import credentials as store
from tests.support.csd import EKU_NO_CERTIFICADO, CsdFiles


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    reset_settings()
    reset_clients()
    with mock_aws():
        yield
    reset_clients()


def test_the_test_csd_stored_for_a_tenant_loads_back_and_seals(eku_csd: CsdFiles) -> None:
    from postventa.cfdi import seal

    csd = CsdCredentials.from_files(eku_csd.cer_path, eku_csd.key_path, eku_csd.password)
    name = store.put_csd("tienda-1", csd, no_certificado=EKU_NO_CERTIFICADO)
    assert name.endswith("/tenants/tienda-1/csd")
    loaded = store.load_csd(name)
    assert loaded.certificate == csd.certificate and loaded.key == csd.key
    assert "12345678a" not in repr(loaded)
    signer = seal.signer_from_credentials(loaded)
    assert seal.no_certificado(signer) == EKU_NO_CERTIFICADO


def test_the_demo_seed_stores_a_generated_csd_that_loads_and_matches_its_issuer() -> None:
    from postventa.cfdi import seal
    from postventa.services.demo import DEMO_ISSUER, seed_demo_tenant
    from postventa.storage.tenants import get_tenant

    _create_table()
    seed_demo_tenant()
    seed_demo_tenant()  # idempotent: the CSD is generated once
    tenant = get_tenant("demo")
    assert tenant is not None and tenant.csd_secret_ref
    signer = seal.signer_from_credentials(store.load_csd(tenant.csd_secret_ref))
    assert signer.rfc == DEMO_ISSUER.rfc


def test_a_missing_or_damaged_csd_is_a_clear_error() -> None:
    with pytest.raises(NotFoundError, match="No hay CSD"):
        store.load_csd(store.csd_secret_name("nadie"))
    from postventa.aws import client

    client("secretsmanager").create_secret(
        Name=store.csd_secret_name("rota"), SecretString=json.dumps({"certificate": "%%%"})
    )
    with pytest.raises(store.CredentialsError, match="incompleto o dañado"):
        store.load_csd(store.csd_secret_name("rota"))


def test_pac_credentials_round_trip_without_showing_the_password() -> None:
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


def _create_table() -> None:
    from postventa.aws import client
    from postventa.settings import get_settings

    attrs = ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"]
    client("dynamodb").create_table(
        TableName=get_settings().table_name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attrs],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": f"{name}pk", "KeyType": "HASH"},
                    {"AttributeName": f"{name}sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name in ("gsi1", "gsi2")
        ],
    )
    client("ses").verify_email_identity(EmailAddress=get_settings().mail_from)
