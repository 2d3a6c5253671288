"""Who may do what in a seller's account: people (Cognito users with a role), machines (API keys),
and the panel's sessions.

A person signs in with the user pool (email and password); Postventa's own record of the user
(`SellerUser`, keyed by the pool's `sub`) says which tenant they belong to and with which role,
so a role change or a deactivation applies at the next request. Every read and write is scoped to
the `Principal`'s tenant: nothing a request carries (a path, a form field) chooses another one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from postventa.errors import ForbiddenError


class Role(StrEnum):
    OWNER = "owner"  # everything, credentials included
    STAFF = "staff"  # daily work: orders, messages, customers; no settings, no credentials
    RESELLER = "reseller"  # sells folio packages to client accounts (the reseller panel)


ROLE_LABELS = {Role.OWNER: "Dueño", Role.STAFF: "Personal", Role.RESELLER: "Revendedor"}


class Permission(StrEnum):
    ORDERS = "pedidos"  # see orders and act on them (retry, approve, reject, resend)
    MESSAGES = "mensajes"  # billing-request templates and their switches
    CUSTOMERS = "clientes"  # customers: see, edit, mass update, export
    SETTINGS = "configuracion"  # fiscal settings, product keys, PAC choice, ERP, folios
    CREDENTIALS = "credenciales"  # CSD, PAC account, ERP secret, API keys, people


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.STAFF: frozenset({Permission.ORDERS, Permission.MESSAGES, Permission.CUSTOMERS}),
    # A reseller's own account holds no shop: its permissions come with the reseller panel.
    Role.RESELLER: frozenset(),
}

_DENIED = {
    Permission.ORDERS: "No tienes permiso para ver ni atender los pedidos de esta tienda.",
    Permission.MESSAGES: "No tienes permiso para cambiar los mensajes de esta tienda.",
    Permission.CUSTOMERS: "No tienes permiso para ver ni cambiar los clientes de esta tienda.",
    Permission.SETTINGS: "Solo el dueño de la cuenta puede ver y cambiar la configuración.",
    Permission.CREDENTIALS: "Solo el dueño de la cuenta puede ver y cambiar las credenciales.",
}


@dataclass(frozen=True)
class Principal:
    """Who makes the request: a person (`user`) or a machine (`api_key`), in one tenant."""

    tenant_id: str
    role: Role
    kind: Literal["user", "api_key"]
    user_id: str | None = None  # the user pool's sub
    email: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise ForbiddenError(_DENIED[permission])


class SellerUser(BaseModel):
    """A person of a seller's account (the pool authenticates them; this says where and as what)."""

    user_id: str = Field(description="the user pool's sub")
    tenant_id: str
    email: str
    role: Role
    active: bool = True
    created_at: str
    created_by: str | None = None


# ---------------------------------------------------------------- the panel's sessions
#: A session ends this long after sign-in whatever happens (a working day and a half).
SESSION_MAX_SECONDS = 12 * 3600
#: ... and after this long without a request (OWASP's session guidance: short idle timeouts).
SESSION_IDLE_SECONDS = 30 * 60
#: The idle deadline is pushed forward at most this often (one write per few minutes of use).
SESSION_TOUCH_SECONDS = 5 * 60


class PanelSession(BaseModel):
    """A signed-in browser: only the token's hash is stored; the cookie carries the token."""

    tenant_id: str
    token_hash: str
    user_id: str
    csrf: str = Field(description="the value the session's forms must post back")
    created_at: str
    expires_at: int = Field(description="epoch seconds: absolute end")
    idle_until: int = Field(description="epoch seconds: end unless used before")

    def alive(self, now: int) -> bool:
        return now < self.expires_at and now < self.idle_until

    def accepts_csrf(self, posted: str) -> bool:
        return hmac.compare_digest(self.csrf.encode(), posted.encode())


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def api_key_id(api_key: str) -> str:
    """How a key is named once shown: the start of its hash (the key itself is never kept)."""
    return token_hash(api_key)[:16]


class ApiKeyInfo(BaseModel):
    id: str
    etiqueta: str
    creada: str
    revocada: bool = False


_COOKIE = re.compile(r"^([A-Za-z0-9_.:-]{1,64})~([A-Za-z0-9_-]{20,100})$")


def cookie_value(tenant_id: str, token: str) -> str:
    """The cookie names the tenant (where to look) and carries the secret token."""
    return f"{tenant_id}~{token}"


def parse_cookie_value(value: str) -> tuple[str, str] | None:
    match = _COOKIE.match(value)
    return (match.group(1), match.group(2)) if match else None


# ---------------------------------------------------------------- signing in (Identity port)
@dataclass(frozen=True)
class SignedIn:
    """The pool accepted the email and password."""

    user_id: str


@dataclass(frozen=True)
class NewPasswordRequired:
    """A person invited with a temporary password must choose their own first; `challenge` is
    the pool's short-lived session for that step."""

    challenge: str


@dataclass(frozen=True)
class SignInRefused:
    """Why not, as a stable code: `credenciales` (wrong email or password, or a disabled user:
    never said apart, so nobody learns which emails exist), `contrasena_invalida` (a new
    password the pool's policy refuses; `detail` says why in Spanish), `reto_vencido`."""

    reason: Literal["credenciales", "contrasena_invalida", "reto_vencido"]
    detail: str = ""


SignInOutcome = SignedIn | NewPasswordRequired | SignInRefused
