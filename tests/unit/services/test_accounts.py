"""Who makes a request: people signed in to the panel or presenting their token, machines with
an API key; sessions that end; guessing slowed down; roles that limit what a person may do."""

from __future__ import annotations

import pytest

from postventa.domain.accounts import (
    SESSION_IDLE_SECONDS,
    SESSION_MAX_SECONDS,
    Permission,
    Role,
    SellerUser,
)
from postventa.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
)
from postventa.services import accounts
from tests.support.fakes import FakeAdapters

OWNER = "duena@tienda.example"
PASSWORD = "Barro-Rojo-2026"


def _person(
    adapters: FakeAdapters, email: str = OWNER, role: Role = Role.OWNER, tenant: str = "tienda"
) -> str:
    user_id = adapters.identity.ensure_login(email, PASSWORD)
    adapters.users.put(
        SellerUser(user_id=user_id, tenant_id=tenant, email=email, role=role, created_at="x")
    )
    return user_id


def _signed_in(adapters: FakeAdapters, email: str = OWNER) -> accounts.SessionStarted:
    started = accounts.sign_in(email, PASSWORD, adapters, source_ip="1.2.3.4")
    assert isinstance(started, accounts.SessionStarted), started
    return started


# ---------------------------------------------------------------- the seller API
def test_an_api_key_names_its_tenant_with_the_owners_rights(adapters: FakeAdapters) -> None:
    adapters.tenants.put_api_key("tienda", "clave-1")
    for headers in ({"Authorization": "Bearer clave-1"}, {"x-api-key": "clave-1"}):
        principal = accounts.authenticate_api(headers, adapters)
        assert (principal.tenant_id, principal.kind, principal.role) == (
            "tienda",
            "api_key",
            Role.OWNER,
        )
    for headers in ({}, {"x-api-key": "otra"}, {"x-api-key": "k" * 201}):
        with pytest.raises(UnauthorizedError):
            accounts.authenticate_api(headers, adapters)


def test_a_persons_access_token_names_their_tenant_and_role(adapters: FakeAdapters) -> None:
    _person(adapters, "ana@tienda.example", Role.STAFF)
    token = adapters.identity.access_token("ana@tienda.example")
    principal = accounts.authenticate_api({"Authorization": f"Bearer {token}"}, adapters)
    assert (principal.tenant_id, principal.role, principal.kind) == ("tienda", Role.STAFF, "user")
    assert principal.email == "ana@tienda.example"


def test_a_revoked_token_or_a_deactivated_person_is_refused(adapters: FakeAdapters) -> None:
    user_id = _person(adapters, "ana@tienda.example", Role.STAFF)
    token = adapters.identity.access_token("ana@tienda.example")
    adapters.users.put(adapters.users.users[user_id].model_copy(update={"active": False}))
    with pytest.raises(UnauthorizedError):
        accounts.authenticate_api({"Authorization": f"Bearer {token}"}, adapters)
    adapters.identity.tokens.clear()  # signed out everywhere
    with pytest.raises(UnauthorizedError):
        accounts.authenticate_api({"Authorization": f"Bearer {token}"}, adapters)


def test_claims_the_gateway_checked_name_the_person(adapters: FakeAdapters) -> None:
    user_id = _person(adapters)
    principal = accounts.authenticate_api({}, adapters, claims={"sub": user_id})
    assert principal.role is Role.OWNER and principal.user_id == user_id
    with pytest.raises(UnauthorizedError):  # a valid token of someone with no account here
        accounts.authenticate_api({}, adapters, claims={"sub": "desconocido"})


def test_guessing_credentials_is_stopped_per_address_and_per_credential(
    adapters: FakeAdapters,
) -> None:
    adapters.tenants.put_api_key("tienda", "clave-1")
    for i in range(accounts.MAX_FAILURES):
        with pytest.raises(UnauthorizedError):
            accounts.authenticate_api({"x-api-key": f"mala-{i}"}, adapters, source_ip="1.2.3.4")
    with pytest.raises(TooManyRequestsError) as caught:
        accounts.authenticate_api({"x-api-key": "clave-1"}, adapters, source_ip="1.2.3.4")
    assert 0 < caught.value.retry_after <= accounts.FAILURE_WINDOW_SECONDS
    assert accounts.authenticate_api({"x-api-key": "clave-1"}, adapters, source_ip="5.6.7.8")
    adapters.clock.advance(seconds=accounts.FAILURE_WINDOW_SECONDS)
    assert accounts.authenticate_api({"x-api-key": "clave-1"}, adapters, source_ip="1.2.3.4")

    for i in range(accounts.MAX_FAILURES):  # one stolen key from many addresses
        with pytest.raises(UnauthorizedError):
            accounts.authenticate_api({"x-api-key": "robada"}, adapters, source_ip=f"10.0.0.{i}")
    with pytest.raises(TooManyRequestsError):
        accounts.authenticate_api({"x-api-key": "robada"}, adapters, source_ip="10.0.1.1")


def test_staff_may_work_but_not_touch_settings_or_credentials(adapters: FakeAdapters) -> None:
    _person(adapters, "ana@tienda.example", Role.STAFF)
    staff = accounts.authenticate_api(
        {"Authorization": f"Bearer {adapters.identity.access_token('ana@tienda.example')}"},
        adapters,
    )
    for allowed in (Permission.ORDERS, Permission.MESSAGES, Permission.CUSTOMERS):
        staff.require(allowed)
    for denied in (Permission.SETTINGS, Permission.CREDENTIALS):
        with pytest.raises(ForbiddenError) as refused:
            staff.require(denied)
        assert "dueño" in refused.value.message


# ---------------------------------------------------------------- the panel
def test_signing_in_starts_a_session_the_cookie_finds(adapters: FakeAdapters) -> None:
    _person(adapters)
    started = _signed_in(adapters)
    assert started.max_age == SESSION_MAX_SECONDS
    assert started.cookie.startswith("tienda~")
    current = accounts.current_session(started.cookie, adapters)
    assert current is not None and current.principal.email == OWNER
    stored = next(iter(adapters.sessions.sessions.values()))
    assert started.cookie.split("~")[1] not in stored.model_dump_json()  # only its hash is kept


def test_a_wrong_password_or_an_unknown_email_are_told_apart_from_nothing(
    adapters: FakeAdapters,
) -> None:
    _person(adapters)
    wrong = accounts.sign_in(OWNER, "otra-cosa", adapters, source_ip="1.2.3.4")
    nobody = accounts.sign_in("nadie@x.example", PASSWORD, adapters, source_ip="1.2.3.4")
    assert wrong == nobody == accounts.SignInFailed("credenciales")
    assert not adapters.sessions.sessions


def test_password_guessing_is_slowed_down(adapters: FakeAdapters) -> None:
    _person(adapters)
    for _ in range(accounts.MAX_FAILURES):
        accounts.sign_in(OWNER, "Mal-1234567890", adapters, source_ip="9.9.9.9")
    with pytest.raises(TooManyRequestsError):
        accounts.sign_in(OWNER, PASSWORD, adapters, source_ip="7.7.7.7")  # the same email


def test_a_login_without_an_account_here_gets_no_session(adapters: FakeAdapters) -> None:
    adapters.identity.ensure_login("suelta@x.example", PASSWORD)
    failed = accounts.sign_in("suelta@x.example", PASSWORD, adapters, source_ip="1.1.1.1")
    assert failed == accounts.SignInFailed("sin_acceso")


def test_an_invited_person_chooses_a_password_that_meets_the_policy(
    adapters: FakeAdapters,
) -> None:
    owner = accounts.authenticate_api({}, adapters, claims={"sub": _person(adapters)})
    invited = accounts.invite_user(
        owner, accounts.InviteBody(email="Beto@Tienda.example", rol=Role.STAFF), adapters
    )
    assert invited["email"] == "beto@tienda.example" and invited["rol"] == "staff"
    temporary = str(invited["contrasena_temporal"])
    step = accounts.sign_in("beto@tienda.example", temporary, adapters, source_ip="1.1.1.1")
    assert isinstance(step, accounts.PasswordToChoose)
    weak = accounts.choose_password(
        step.email, step.challenge, "corta", adapters, source_ip="1.1.1.1"
    )
    assert isinstance(weak, accounts.SignInFailed) and weak.reason == "contrasena_invalida"
    assert "12 caracteres" in weak.detail
    done = accounts.choose_password(
        step.email, step.challenge, "Beto-Barro-2026", adapters, source_ip="1.1.1.1"
    )
    assert isinstance(done, accounts.SessionStarted) and done.principal.role is Role.STAFF


def test_sessions_end_when_idle_and_at_their_absolute_end(adapters: FakeAdapters) -> None:
    _person(adapters)
    cookie = _signed_in(adapters).cookie
    adapters.clock.advance(seconds=SESSION_IDLE_SECONDS + 1)
    assert accounts.current_session(cookie, adapters) is None

    cookie = _signed_in(adapters).cookie
    used_for = 0
    while accounts.current_session(cookie, adapters) is not None:  # used: idle pushed forward
        adapters.clock.advance(seconds=SESSION_IDLE_SECONDS - 60)
        used_for += SESSION_IDLE_SECONDS - 60
        assert used_for <= SESSION_MAX_SECONDS + SESSION_IDLE_SECONDS, "outlived its end"
    assert used_for >= SESSION_MAX_SECONDS


def test_signing_out_or_tampering_or_another_tenant_find_no_session(
    adapters: FakeAdapters,
) -> None:
    _person(adapters)
    cookie = _signed_in(adapters).cookie
    token = cookie.split("~")[1]
    for forged in ("", "tienda", f"otra~{token}", f"tienda~{token[:-2]}xx", "tienda~a;b"):
        assert accounts.current_session(forged, adapters) is None, forged
    accounts.sign_out(cookie, adapters)
    assert accounts.current_session(cookie, adapters) is None


def test_a_session_follows_its_persons_deactivation(adapters: FakeAdapters) -> None:
    user_id = _person(adapters, "ana@tienda.example", Role.STAFF)
    owner = accounts.authenticate_api({}, adapters, claims={"sub": _person(adapters)})
    cookie = _signed_in(adapters, "ana@tienda.example").cookie
    accounts.set_user_active(owner, user_id, False, adapters)
    assert accounts.current_session(cookie, adapters) is None
    assert accounts.sign_in("ana@tienda.example", PASSWORD, adapters, source_ip="1.1.1.1") == (
        accounts.SignInFailed("credenciales")
    )


# ---------------------------------------------------------------- people and keys
def test_only_the_owner_manages_people_and_keys(adapters: FakeAdapters) -> None:
    staff_id = _person(adapters, "ana@tienda.example", Role.STAFF)
    staff = accounts.authenticate_api({}, adapters, claims={"sub": staff_id})
    with pytest.raises(ForbiddenError):
        accounts.invite_user(
            staff, accounts.InviteBody(email="x@y.example", rol=Role.OWNER), adapters
        )
    with pytest.raises(ForbiddenError):
        accounts.create_api_key(staff, accounts.ApiKeyBody(etiqueta="erp"), adapters)


def test_people_of_another_tenant_are_not_found_and_emails_are_not_reused(
    adapters: FakeAdapters,
) -> None:
    other = _person(adapters, "otro@otra.example", Role.STAFF, tenant="otra")
    owner = accounts.authenticate_api({}, adapters, claims={"sub": _person(adapters)})
    with pytest.raises(NotFoundError):
        accounts.set_user_active(owner, other, False, adapters)
    with pytest.raises(ConflictError):
        accounts.invite_user(
            owner, accounts.InviteBody(email="otro@otra.example", rol=Role.STAFF), adapters
        )
    assert [u["email"] for u in accounts.list_users(owner, adapters)["usuarios"]] == [OWNER]


def test_a_machine_key_is_shown_once_listed_by_id_and_revoked(adapters: FakeAdapters) -> None:
    owner = accounts.authenticate_api({}, adapters, claims={"sub": _person(adapters)})
    created = accounts.create_api_key(owner, accounts.ApiKeyBody(etiqueta="ERP"), adapters)
    key = created["clave"]
    assert accounts.authenticate_api({"x-api-key": key}, adapters).tenant_id == "tienda"
    [listed] = accounts.list_api_keys(owner, adapters)["claves"]
    assert listed["id"] == created["id"] and key not in str(listed)
    assert accounts.revoke_api_key(owner, created["id"], adapters) == {"revocada": True}
    with pytest.raises(UnauthorizedError):
        accounts.authenticate_api({"x-api-key": key}, adapters)
    with pytest.raises(NotFoundError):
        accounts.revoke_api_key(owner, "0" * 16, adapters)
