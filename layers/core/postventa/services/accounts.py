"""Signing people in and out of the panel, telling who makes a seller-API request, and the
account's people and machine keys.

Failed attempts are slowed down the same way for passwords, tokens and API keys: after
MAX_FAILURES in FAILURE_WINDOW_SECONDS from one address (or for one email, or one key), every
attempt from there is refused until the window ends. Logs carry no email, key or token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from postventa.domain.accounts import (
    SESSION_IDLE_SECONDS,
    SESSION_MAX_SECONDS,
    SESSION_TOUCH_SECONDS,
    NewPasswordRequired,
    PanelSession,
    Permission,
    Principal,
    Role,
    SellerUser,
    SignedIn,
    SignInOutcome,
    SignInRefused,
    api_key_id,
    cookie_value,
    parse_cookie_value,
    token_hash,
)
from postventa.domain.clock import epoch, iso
from postventa.domain.orders import single_email
from postventa.domain.ports import Adapters
from postventa.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
)
from postventa.observability import logger

MAX_FAILURES = 10
FAILURE_WINDOW_SECONDS = 300


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:32]


class Attempts:
    """Failure counters for one attempt: its source address plus what it presented."""

    def __init__(self, adapters: Adapters, kind: str, source_ip: str, presented: str) -> None:
        self._limiter = adapters.limiter
        self._now = epoch(adapters.clock.now())
        self._buckets = [f"{kind}-ip:{source_ip or 'desconocida'}"]
        if presented:
            self._buckets.append(f"{kind}-key:{_digest(presented)}")

    def check(self, message: str) -> None:
        """TooManyRequestsError while any of the attempt's counters is full."""
        now = self._now
        if any(
            self._limiter.count(b, FAILURE_WINDOW_SECONDS, now) >= MAX_FAILURES
            for b in self._buckets
        ):
            raise TooManyRequestsError(
                message, retry_after=FAILURE_WINDOW_SECONDS - now % FAILURE_WINDOW_SECONDS
            )

    def failed(self) -> None:
        for bucket in self._buckets:
            self._limiter.hit(bucket, FAILURE_WINDOW_SECONDS, self._now)


# ---------------------------------------------------------------- people and their tenant
def principal_of_user(user_id: str | None, adapters: Adapters) -> Principal | None:
    """The person behind a user id the pool vouches for, while their account is active."""
    user = adapters.users.get(user_id) if user_id else None
    if user is None or not user.active:
        return None
    return Principal(user.tenant_id, user.role, "user", user.user_id, user.email)


_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def authenticate_api(
    headers: dict[str, str],
    adapters: Adapters,
    *,
    source_ip: str = "",
    claims: dict[str, str] | None = None,
) -> Principal:
    """Who makes a seller-API request.

    - `claims`: API Gateway's JWT authorizer already checked the person's token (routes that
      declare it); their `sub` names the user.
    - Otherwise `Authorization: Bearer <credential>` or `X-Api-Key: <key>`: an access token of
      the user pool (checked with the pool, which also knows a signed-out token), or a tenant's
      API key (a machine, with the owner's rights on the API)."""
    if claims is not None:
        principal = principal_of_user(claims.get("sub"), adapters)
        if principal is None:
            raise UnauthorizedError("Tu usuario no tiene acceso a ninguna tienda.")
        return principal
    lowered = {k.lower(): v for k, v in headers.items()}
    credential = lowered.get("x-api-key", "")
    auth = lowered.get("authorization", "")
    if not credential and auth.lower().startswith("bearer "):
        credential = auth[7:].strip()
    attempts = Attempts(adapters, "auth", source_ip, credential)
    attempts.check("Demasiados intentos con credenciales no válidas. Espera unos minutos.")
    principal = _principal_for(credential, adapters) if 0 < len(credential) <= 4096 else None
    if principal is None:
        attempts.failed()
        logger.info("seller api credential refused", extra={"jwt": bool(_JWT.match(credential))})
        raise UnauthorizedError(
            "La clave de API o el token de acceso no es válido."
            if credential
            else "Falta la clave de API o el token de acceso."
        )
    return principal


def _principal_for(credential: str, adapters: Adapters) -> Principal | None:
    if _JWT.match(credential):
        return principal_of_user(adapters.identity.user_for_access_token(credential), adapters)
    if len(credential) > 200:
        return None
    tenant_id = adapters.tenants.tenant_for_api_key(credential)
    return Principal(tenant_id, Role.OWNER, "api_key") if tenant_id else None


# ---------------------------------------------------------------- the panel: signing in
@dataclass(frozen=True)
class SessionStarted:
    cookie: str  # the cookie's value: tenant and token
    max_age: int
    principal: Principal


@dataclass(frozen=True)
class PasswordToChoose:
    email: str
    challenge: str


@dataclass(frozen=True)
class SignInFailed:
    reason: str  # SignInRefused's codes, plus sin_acceso (no active account in any tenant)
    detail: str = ""


PanelSignIn = SessionStarted | PasswordToChoose | SignInFailed

SIGN_IN_SLOWED = "Demasiados intentos de inicio de sesión. Espera unos minutos y vuelve a probar."


def sign_in(email: str, password: str, adapters: Adapters, *, source_ip: str) -> PanelSignIn:
    email = email.strip().lower()
    attempts = Attempts(adapters, "signin", source_ip, email)
    attempts.check(SIGN_IN_SLOWED)
    if not single_email(email) or not password or len(password) > 256:
        attempts.failed()
        return SignInFailed("credenciales")
    return _finish(adapters.identity.sign_in(email, password), email, attempts, adapters)


def choose_password(
    email: str, challenge: str, new_password: str, adapters: Adapters, *, source_ip: str
) -> PanelSignIn:
    email = email.strip().lower()
    attempts = Attempts(adapters, "signin", source_ip, email)
    attempts.check(SIGN_IN_SLOWED)
    if not single_email(email) or not challenge or len(new_password) > 256:
        return SignInFailed("reto_vencido")
    outcome = adapters.identity.choose_password(email, challenge, new_password)
    return _finish(outcome, email, attempts, adapters)


def _finish(
    outcome: SignInOutcome, email: str, attempts: Attempts, adapters: Adapters
) -> PanelSignIn:
    match outcome:
        case NewPasswordRequired(challenge=challenge):
            return PasswordToChoose(email, challenge)
        case SignInRefused(reason=reason, detail=detail):
            if reason == "credenciales":
                attempts.failed()
            logger.info("panel sign-in refused", extra={"reason": reason})
            return SignInFailed(reason, detail)
        case SignedIn(user_id=user_id):
            principal = principal_of_user(user_id, adapters)
            if principal is None:
                attempts.failed()
                logger.info("panel sign-in without an active account")
                return SignInFailed("sin_acceso")
            return _start_session(principal, adapters)
    raise AssertionError(outcome)


def _start_session(principal: Principal, adapters: Adapters) -> SessionStarted:
    assert principal.user_id is not None
    now = adapters.clock.now()
    token = secrets.token_urlsafe(32)
    adapters.sessions.create(
        PanelSession(
            tenant_id=principal.tenant_id,
            token_hash=token_hash(token),
            user_id=principal.user_id,
            csrf=secrets.token_urlsafe(24),
            created_at=iso(now),
            expires_at=epoch(now + timedelta(seconds=SESSION_MAX_SECONDS)),
            idle_until=epoch(now) + SESSION_IDLE_SECONDS,
        )
    )
    logger.info("panel session started", extra={"role": principal.role.value})
    return SessionStarted(cookie_value(principal.tenant_id, token), SESSION_MAX_SECONDS, principal)


@dataclass(frozen=True)
class SignedInSession:
    principal: Principal
    session: PanelSession


def current_session(cookie: str | None, adapters: Adapters) -> SignedInSession | None:
    """The session a cookie names, while alive and its person active; pushes its idle deadline."""
    parsed = parse_cookie_value(cookie or "")
    if parsed is None:
        return None
    tenant_id, token = parsed
    session = adapters.sessions.get(tenant_id, token_hash(token))
    now = epoch(adapters.clock.now())
    if session is None or not session.alive(now):
        return None
    principal = principal_of_user(session.user_id, adapters)
    if principal is None or principal.tenant_id != session.tenant_id:
        return None
    if session.idle_until - now < SESSION_IDLE_SECONDS - SESSION_TOUCH_SECONDS:
        idle_until = min(now + SESSION_IDLE_SECONDS, session.expires_at)
        if not adapters.sessions.touch(session, idle_until):
            return None
        session = session.model_copy(update={"idle_until": idle_until})
    return SignedInSession(principal, session)


def sign_out(cookie: str | None, adapters: Adapters) -> None:
    parsed = parse_cookie_value(cookie or "")
    if parsed is not None:
        adapters.sessions.delete(parsed[0], token_hash(parsed[1]))
        logger.info("panel session ended")


# ---------------------------------------------------------------- the account's people
class InviteBody(BaseModel):
    """POST /api/v1/cuenta/usuarios."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    rol: Role

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        email = single_email(value.strip().lower())
        if email is None:
            raise ValueError("correo no válido")
        return email


def _user_view(user: SellerUser) -> dict[str, object]:
    return {
        "usuario": user.user_id,
        "email": user.email,
        "rol": user.role.value,
        "activo": user.active,
        "creado": user.created_at,
    }


def who_am_i(principal: Principal) -> dict[str, object]:
    return {
        "tienda": principal.tenant_id,
        "rol": principal.role.value,
        "email": principal.email,
        "permisos": sorted(p.value for p in Permission if principal.can(p)),
    }


def list_users(principal: Principal, adapters: Adapters) -> dict[str, object]:
    principal.require(Permission.CREDENTIALS)
    return {"usuarios": [_user_view(u) for u in adapters.users.list(principal.tenant_id)]}


def temporary_password() -> str:
    """Meets the pool's policy (12+ characters, upper, lower, digit) whatever the randomness."""
    return "Tmp-" + secrets.token_urlsafe(12) + "a7K"


def invite_user(principal: Principal, body: InviteBody, adapters: Adapters) -> dict[str, object]:
    """A new person of the tenant; the temporary password is in this answer only."""
    principal.require(Permission.CREDENTIALS)
    if any(u.email == body.email for u in adapters.users.list(principal.tenant_id)):
        raise ConflictError("Esa persona ya tiene acceso a esta tienda.")
    password = temporary_password()
    user_id = adapters.identity.create_login(body.email, password)
    user = SellerUser(
        user_id=user_id,
        tenant_id=principal.tenant_id,
        email=body.email,
        role=body.rol,
        created_at=iso(adapters.clock.now()),
        created_by=principal.user_id,
    )
    adapters.users.put(user)
    logger.info("seller user invited", extra={"role": body.rol.value})
    return {**_user_view(user), "contrasena_temporal": password}


def set_user_active(
    principal: Principal, user_id: str, active: bool, adapters: Adapters
) -> dict[str, object]:
    principal.require(Permission.CREDENTIALS)
    user = adapters.users.get(user_id)
    if user is None or user.tenant_id != principal.tenant_id:
        raise NotFoundError("Usuario no encontrado.")
    if user.user_id == principal.user_id:
        raise BadRequestError("No puedes desactivar tu propio usuario.")
    adapters.identity.set_enabled(user.email, active)
    user = user.model_copy(update={"active": active})
    adapters.users.put(user)
    return _user_view(user)


# ---------------------------------------------------------------- machine keys
class ApiKeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    etiqueta: str = Field(min_length=1, max_length=60)


def create_api_key(principal: Principal, body: ApiKeyBody, adapters: Adapters) -> dict[str, str]:
    """A new key for a machine of the tenant; shown in this answer only (its hash is kept)."""
    principal.require(Permission.CREDENTIALS)
    key = "pv_" + secrets.token_urlsafe(32)
    adapters.tenants.put_api_key(principal.tenant_id, key, label=body.etiqueta)
    logger.info("api key created")
    return {"clave": key, "id": api_key_id(key), "etiqueta": body.etiqueta}


def list_api_keys(principal: Principal, adapters: Adapters) -> dict[str, object]:
    principal.require(Permission.CREDENTIALS)
    return {"claves": [k.model_dump() for k in adapters.tenants.list_api_keys(principal.tenant_id)]}


def revoke_api_key(principal: Principal, key_id: str, adapters: Adapters) -> dict[str, object]:
    principal.require(Permission.CREDENTIALS)
    if not adapters.tenants.revoke_api_key(principal.tenant_id, key_id):
        raise NotFoundError("Clave de API no encontrada.")
    logger.info("api key revoked")
    return {"revocada": True}
