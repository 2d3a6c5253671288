"""What the local cloud reads of user pools, app clients and HTTP API authorizers, before
anything exists in moto, and what it refuses rather than run a more open application."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud.provision import LocalStack, assign_attributes, build_stack
from localcloud.template import TemplateError, load_template

COGNITO = (
    Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "cognito" / "template.yaml"
)


def _stack(path: Path) -> LocalStack:
    tpl = load_template(path)
    return build_stack(tpl, assign_attributes(tpl, "https://sqs.example"))


def _write(tmp_path: Path, api_auth: str, route_auth: str = "", pool_extra: str = "") -> Path:
    (tmp_path / "fn").mkdir(exist_ok=True)
    path = tmp_path / "template.yaml"
    path.write_text(
        f"""
Resources:
  Users:
    Type: AWS::Cognito::UserPool
    Properties: {{UserPoolName: u{pool_extra}}}
  Panel:
    Type: AWS::Cognito::UserPoolClient
    Properties: {{UserPoolId: !Ref Users}}
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth: {api_auth}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Handler: app.handler
      Events:
        Get:
          Type: HttpApi
          Properties: {{ApiId: !Ref Api, Method: GET, Path: /x{route_auth}}}
"""
    )
    return path


PEOPLE = "People: {JwtConfiguration: {issuer: !GetAtt Users.ProviderURL, audience: [!Ref Panel]}}"
JWT = "{Authorizers: {" + PEOPLE + "}}"


def test_routes_take_the_api_default_or_their_own_authorizer_or_none() -> None:
    stack = _stack(COGNITO)
    routes = {r.path: r for r in stack.routes}
    pool = stack.user_pools["Users"]
    assert pool == "us-east-1_LOCALUsers"  # a placeholder until moto names the pool
    people = routes["/yo"].authorizer
    assert people is not None
    assert people.issuer == f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    assert people.audience == (stack.user_pool_clients["Panel"],)
    assert people.identity_source == "$request.header.Authorization"
    assert routes["/yo"].scopes == ()
    assert routes["/admin"].authorizer == people
    assert routes["/admin"].scopes == ("aws.cognito.signin.user.admin",)
    assert routes["/abierto"].authorizer is None


def test_a_route_without_auth_on_an_api_without_default_is_open(tmp_path: Path) -> None:
    stack = _stack(_write(tmp_path, JWT))
    assert stack.routes[0].authorizer is None


def test_renaming_replaces_placeholders_inside_longer_strings() -> None:
    stack = _stack(COGNITO)
    stack.renamed["us-east-1_LOCALUsers"] = "us-east-1_abc123"
    assert stack.rename("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LOCALUsers") == (
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc123"
    )


@pytest.mark.parametrize(
    ("api_auth", "route_auth", "pool_extra", "complaint"),
    [
        (
            "{Authorizers: {Fn: {FunctionArn: arn:aws:lambda:x}}}",
            "",
            "",
            "no es JWT",
        ),
        (JWT, ", Auth: {Authorizer: Nadie}", "", "el autorizador Nadie no existe"),
        ("{Authorizers: {P: {JwtConfiguration: {issuer: x}}}}", "", "", "issuer y audience"),
        (
            "{Authorizers: {" + PEOPLE + "}, DefaultAuthorizer: Otro}",
            "",
            "",
            "DefaultAuthorizer Otro",
        ),
        (JWT, "", ", LambdaConfig: {PreSignUp: arn:aws:lambda:x}", "LambdaConfig"),
    ],
)
def test_what_the_gateway_could_not_enforce_is_refused_naming_it(
    tmp_path: Path, api_auth: str, route_auth: str, pool_extra: str, complaint: str
) -> None:
    path = _write(tmp_path, api_auth, route_auth, pool_extra)
    with pytest.raises(TemplateError, match=complaint):
        _stack(path)
