"""People's logins in the Cognito user pool the template declares (`SellerUserPool`).

The pool keeps emails and passwords (and its policy on them); Postventa never sees a password
after passing it on, and keeps its own record of who belongs to which tenant with which role
(storage/accounts.py). Sign-in uses the app client's USER_PASSWORD_AUTH flow: InitiateAuth,
RespondToAuthChallenge and GetUser need no IAM permission (the client id and the user's own
token authorise them); the admin calls (creating, enabling, disabling people) do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from postventa.domain.accounts import (
    NewPasswordRequired,
    SignedIn,
    SignInOutcome,
    SignInRefused,
)
from postventa.errors import ConflictError, TooManyRequestsError

#: The pool's password policy as a person reads it (template.yaml, SellerUserPool.Policies; a
#: test keeps the two in step).
LOGIN_RULES_ES = (
    "La contraseña debe tener al menos 12 caracteres, con al menos una mayúscula, una minúscula "
    "y un número."
)


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


class CognitoIdentity:
    def __init__(
        self, client: Any, pool_id: Callable[[], str], client_id: Callable[[], str]
    ) -> None:
        self._client = client
        self._pool_id = pool_id
        self._client_id = client_id

    def sign_in(self, email: str, password: str) -> SignInOutcome:
        try:
            answer = self._client.initiate_auth(
                ClientId=self._client_id(),
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        except Exception as exc:
            return self._refused(exc)
        return self._outcome(answer)

    def choose_password(self, email: str, challenge: str, new_password: str) -> SignInOutcome:
        try:
            answer = self._client.respond_to_auth_challenge(
                ClientId=self._client_id(),
                ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=challenge,
                ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": new_password},
            )
        except Exception as exc:
            code = _code(exc)
            if code == "InvalidPasswordException":
                return SignInRefused("contrasena_invalida", LOGIN_RULES_ES)
            if code in ("NotAuthorizedException", "CodeMismatchException", "ExpiredCodeException"):
                return SignInRefused("reto_vencido")
            return self._refused(exc)
        return self._outcome(answer)

    def user_for_access_token(self, token: str) -> str | None:
        """The sub of a valid, unrevoked access token of this pool (GetUser checks it)."""
        try:
            answer = self._client.get_user(AccessToken=token)
        except Exception as exc:
            if _code(exc) in ("NotAuthorizedException", "UserNotFoundException"):
                return None
            raise
        return _sub(answer)

    def create_login(self, email: str, temporary_password: str) -> str:
        """A person who must choose their own password at first sign-in; returns their sub.
        No email from Cognito: whoever invites them hands over the temporary password."""
        try:
            answer = self._client.admin_create_user(
                UserPoolId=self._pool_id(),
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                ],
                TemporaryPassword=temporary_password,
                MessageAction="SUPPRESS",
            )
        except self._client.exceptions.UsernameExistsException:
            raise ConflictError(
                "Ese correo ya tiene acceso a Postventa (quizá en otra tienda); usa otro correo."
            ) from None
        return _sub(answer["User"], key="Attributes")

    def ensure_login(self, email: str, password: str) -> str:
        """A login with this permanent password, created if needed (the local demo's user)."""
        try:
            answer = self._client.admin_get_user(UserPoolId=self._pool_id(), Username=email)
            sub = _sub(answer)
        except self._client.exceptions.UserNotFoundException:
            sub = self.create_login(email, password + "-tmp")
        self._client.admin_set_user_password(
            UserPoolId=self._pool_id(), Username=email, Password=password, Permanent=True
        )
        return sub

    def set_enabled(self, email: str, enabled: bool) -> None:
        pool = self._pool_id()
        if enabled:
            self._client.admin_enable_user(UserPoolId=pool, Username=email)
            return
        self._client.admin_disable_user(UserPoolId=pool, Username=email)
        self._client.admin_user_global_sign_out(UserPoolId=pool, Username=email)

    def _outcome(self, answer: dict[str, Any]) -> SignInOutcome:
        if answer.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            return NewPasswordRequired(str(answer["Session"]))
        result = answer.get("AuthenticationResult") or {}
        if "AccessToken" not in result:  # MFA or another challenge the pool was not set up for
            return SignInRefused("credenciales")
        sub = self.user_for_access_token(str(result["AccessToken"]))
        return SignedIn(sub) if sub else SignInRefused("credenciales")

    @staticmethod
    def _refused(exc: Exception) -> SignInOutcome:
        code = _code(exc)
        if code == "TooManyRequestsException":
            raise TooManyRequestsError(
                "Demasiados intentos de inicio de sesión. Espera un minuto.", retry_after=60
            ) from exc
        if code in (
            "NotAuthorizedException",
            "UserNotFoundException",
            "PasswordResetRequiredException",
            "UserNotConfirmedException",
            "InvalidParameterException",
        ):
            return SignInRefused("credenciales")
        raise exc


def _sub(answer: dict[str, Any], key: str = "UserAttributes") -> str:
    for attribute in answer.get(key) or []:
        if attribute.get("Name") == "sub":
            return str(attribute["Value"])
    raise RuntimeError("the user pool gave no sub")
